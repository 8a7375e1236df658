// The element's output timeline: where the next sample goes, what downstream must receive
// before it (stream-start, caps, segment), silence for the time nobody speaks, and buffers
// timestamped from the sample count so they stay contiguous.
#pragma once

#include <gst/audio/audio.h>
#include <gst/gst.h>

#include <atomic>
#include <cstddef>
#include <functional>

namespace pockettts_gst {

// Pocket TTS models all run at 24 kHz; a model at another rate is refused at load time so
// the caps stay true.
inline constexpr int kSampleRate = 24000;

// Only the streaming task uses it; the resets run while the task is stopped or paused. The
// position query alone reads from other threads (position()).
class OutputTimeline {
 public:
  OutputTimeline(GstElement* element, GstPad* srcpad);

  // READY->PAUSED: a new stream from 0; stream-start, caps and segment are sent again.
  void start_stream();
  // flush-stop resets running time: positions restart at the segment start, and at 0 when
  // `reset_segment` (a source has no upstream segment to come).
  // The segment sent next carries the flush's `seqnum`.
  void restart_after_flush(bool reset_segment, guint32 seqnum);
  // Timed text keeps upstream's timeline: its segment replaces ours, sent with upstream's
  // `seqnum`, and the next buffer is flagged DISCONT.
  void set_segment(const GstSegment& segment, guint32 seqnum);
  // A byte stream's segment leaves our timeline as it is; our segment takes its `seqnum`, as
  // a parser's does (sent again when it had gone out with another one).
  void adopt_seqnum(guint32 seqnum);
  // The seqnum of the segment sent last: our own EOS carries it (gst-validate's rule).
  guint32 segment_seqnum() const { return sent_segment_seqnum_; }

  // stream-start, caps and segment, in that order, before the first buffer.
  GstFlowReturn start_output();
  // One buffer of `count` samples at the cursor, in the negotiated format.
  GstFlowReturn push_speech(const float* samples, size_t count);
  // Silence flagged GAP up to `position`, in buffers of at most `max_samples_per_buffer`;
  // stops early, with GST_FLOW_OK, once `cancelled` says so.
  GstFlowReturn push_silence_until(GstClockTime position, size_t max_samples_per_buffer,
                                   const std::function<bool()>& cancelled);
  // Silence flagged GAP: one buffer of `count` samples at the cursor.
  GstFlowReturn push_silence(size_t count) { return push_samples(nullptr, count); }
  // Live: the next sample goes where the clock's running time is now, not where the last
  // one ended (DISCONT after the jump).
  void follow_clock();
  // overflow=overlap: the next sample goes back to `position`, over speech already pushed
  // (DISCONT).
  void rewind_to(GstClockTime position);
  // Samples from the cursor to `position` (0 when the cursor is at or past it).
  guint64 samples_before(GstClockTime position) const {
    const guint64 end = samples_until(position);
    return end > sample_offset_ ? end - sample_offset_ : 0;
  }
  // True until the first buffer after start, a flush or a new segment: it is DISCONT anyway.
  bool at_discont() const { return discont_; }
  // Live: the position the clock's running time has reached (GST_CLOCK_TIME_NONE without a
  // clock, or before the base time).
  GstClockTime clock_position() const;
  // Live: the clock time at which the running time reaches the cursor.
  GstClockTime clock_time_of_cursor() const;

  GstClockTime segment_start() const { return segment_.start; }
  // Where the next sample goes.
  GstClockTime cursor() const { return position_of(sample_offset_); }
  // True when samples were already pushed beyond the first sample at or after `position`.
  bool has_pushed_past(GstClockTime position) const {
    return sample_offset_ > samples_until(position);
  }
  GstClockTime running_time_of(GstClockTime position) const;
  // The end of the last buffer pushed (GST_CLOCK_TIME_NONE before the first); any thread.
  GstClockTime position() const { return position_; }

 private:
  GstClockTime position_of(guint64 samples) const;
  // The first sample at or after `position`.
  guint64 samples_until(GstClockTime position) const;
  bool negotiate();
  // speech from `samples`, or silence flagged GAP when null.
  GstFlowReturn push_samples(const float* samples, size_t count);

  GstElement* const element_;
  GstPad* const srcpad_;
  GstSegment segment_;
  bool need_stream_start_ = true;
  bool need_segment_ = true;
  guint32 segment_seqnum_ = GST_SEQNUM_INVALID;  // invalid: a seqnum of our own
  guint32 sent_segment_seqnum_ = GST_SEQNUM_INVALID;
  bool discont_ = true;
  GstAudioFormat format_ = GST_AUDIO_FORMAT_UNKNOWN;
  guint64 sample_offset_ = 0;  // samples pushed since the segment start
  std::atomic<GstClockTime> position_{GST_CLOCK_TIME_NONE};
};

}  // namespace pockettts_gst
