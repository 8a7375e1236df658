#include "output_timeline.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include <pockettts/audio.h>

#include "diagnostics.h"

namespace pockettts_gst {

namespace {

GstCaps* caps_for_format(GstAudioFormat format) {
  GstAudioInfo info;
  gst_audio_info_set_format(&info, format, kSampleRate, 1, nullptr);
  return gst_audio_info_to_caps(&info);
}

}  // namespace

OutputTimeline::OutputTimeline(GstElement* element, GstPad* srcpad)
    : element_(element), srcpad_(srcpad) {
  gst_segment_init(&segment_, GST_FORMAT_TIME);
}

void OutputTimeline::start_stream() {
  gst_segment_init(&segment_, GST_FORMAT_TIME);
  need_stream_start_ = true;
  need_segment_ = true;
  segment_seqnum_ = GST_SEQNUM_INVALID;
  sent_segment_seqnum_ = GST_SEQNUM_INVALID;
  discont_ = true;
  format_ = GST_AUDIO_FORMAT_UNKNOWN;
  sample_offset_ = 0;
  position_ = GST_CLOCK_TIME_NONE;
}

void OutputTimeline::restart_after_flush(bool reset_segment, guint32 seqnum) {
  if (reset_segment) gst_segment_init(&segment_, GST_FORMAT_TIME);
  segment_seqnum_ = seqnum;
  sample_offset_ = 0;
  need_segment_ = true;
  discont_ = true;
}

void OutputTimeline::set_segment(const GstSegment& segment, guint32 seqnum) {
  segment_ = segment;
  segment_seqnum_ = seqnum;
  sample_offset_ = 0;
  need_segment_ = true;
  discont_ = true;
}

void OutputTimeline::adopt_seqnum(guint32 seqnum) {
  segment_seqnum_ = seqnum;
  if (sent_segment_seqnum_ != GST_SEQNUM_INVALID && sent_segment_seqnum_ != seqnum)
    need_segment_ = true;
}

GstClockTime OutputTimeline::position_of(guint64 samples) const {
  return segment_.start + gst_util_uint64_scale_int(samples, GST_SECOND, kSampleRate);
}

guint64 OutputTimeline::samples_until(GstClockTime position) const {
  if (position <= segment_.start) return 0;
  return gst_util_uint64_scale_int_ceil(position - segment_.start, kSampleRate, GST_SECOND);
}

GstClockTime OutputTimeline::running_time_of(GstClockTime position) const {
  return gst_segment_to_running_time(&segment_, GST_FORMAT_TIME, position);
}

// F32LE is the model's own format; S16LE only when downstream insists.
bool OutputTimeline::negotiate() {
  GstCaps* templ = gst_pad_get_pad_template_caps(srcpad_);
  GstCaps* peer = gst_pad_peer_query_caps(srcpad_, templ);
  gst_caps_unref(templ);
  GST_DEBUG_OBJECT(element_, "downstream accepts %" GST_PTR_FORMAT, static_cast<gpointer>(peer));

  GstAudioFormat chosen = GST_AUDIO_FORMAT_UNKNOWN;
  for (GstAudioFormat format : {GST_AUDIO_FORMAT_F32LE, GST_AUDIO_FORMAT_S16LE}) {
    GstCaps* caps = caps_for_format(format);
    const bool ok = gst_caps_can_intersect(peer, caps);
    gst_caps_unref(caps);
    if (ok) {
      chosen = format;
      break;
    }
  }
  gst_caps_unref(peer);
  if (chosen == GST_AUDIO_FORMAT_UNKNOWN) return false;
  if (chosen == format_ && gst_pad_has_current_caps(srcpad_)) return true;

  GstCaps* caps = caps_for_format(chosen);
  const bool ok = gst_pad_set_caps(srcpad_, caps);
  gst_caps_unref(caps);
  if (ok) format_ = chosen;
  return ok;
}

GstFlowReturn OutputTimeline::start_output() {
  if (need_stream_start_) {
    gchar* stream_id = gst_pad_create_stream_id(srcpad_, element_, nullptr);
    GstEvent* event = gst_event_new_stream_start(stream_id);
    g_free(stream_id);
    gst_event_set_group_id(event, gst_util_group_id_next());
    gst_pad_push_event(srcpad_, event);
    need_stream_start_ = false;
  }
  if (format_ == GST_AUDIO_FORMAT_UNKNOWN || gst_pad_check_reconfigure(srcpad_)) {
    if (!negotiate()) {
      gst_pad_mark_reconfigure(srcpad_);
      return GST_PAD_IS_FLUSHING(srcpad_) ? GST_FLOW_FLUSHING : GST_FLOW_NOT_NEGOTIATED;
    }
  }
  if (need_segment_) {
    GstEvent* event = gst_event_new_segment(&segment_);
    if (segment_seqnum_ != GST_SEQNUM_INVALID) gst_event_set_seqnum(event, segment_seqnum_);
    sent_segment_seqnum_ = gst_event_get_seqnum(event);
    gst_pad_push_event(srcpad_, event);
    need_segment_ = false;
  }
  return GST_FLOW_OK;
}

GstFlowReturn OutputTimeline::push_speech(const float* samples, size_t count) {
  return push_samples(samples, count);
}

GstFlowReturn OutputTimeline::push_samples(const float* samples, size_t count) {
  const bool s16 = format_ == GST_AUDIO_FORMAT_S16LE;
  GstBuffer* buffer = gst_buffer_new_allocate(nullptr, count * (s16 ? 2 : 4), nullptr);
  GstMapInfo map;
  gst_buffer_map(buffer, &map, GST_MAP_WRITE);
  if (!samples) {
    std::memset(map.data, 0, map.size);
  } else if (s16) {
    auto* out = reinterpret_cast<gint16*>(map.data);
    for (size_t i = 0; i < count; ++i) out[i] = GINT16_TO_LE(pockettts::float_to_s16(samples[i]));
  } else {
    auto* out = reinterpret_cast<guint32*>(map.data);
    for (size_t i = 0; i < count; ++i) {
      guint32 bits;
      std::memcpy(&bits, &samples[i], sizeof bits);
      out[i] = GUINT32_TO_LE(bits);
    }
  }
  gst_buffer_unmap(buffer, &map);

  const GstClockTime pts = position_of(sample_offset_);
  GST_BUFFER_PTS(buffer) = pts;
  GST_BUFFER_DURATION(buffer) = position_of(sample_offset_ + count) - pts;
  GST_BUFFER_OFFSET(buffer) = sample_offset_;
  GST_BUFFER_OFFSET_END(buffer) = sample_offset_ + count;
  if (discont_) {
    GST_BUFFER_FLAG_SET(buffer, GST_BUFFER_FLAG_DISCONT);
    discont_ = false;
  }
  if (!samples) GST_BUFFER_FLAG_SET(buffer, GST_BUFFER_FLAG_GAP);
  sample_offset_ += count;
  position_ = position_of(sample_offset_);
  return gst_pad_push(srcpad_, buffer);
}

GstFlowReturn OutputTimeline::push_silence_until(GstClockTime position,
                                                 size_t max_samples_per_buffer,
                                                 const std::function<bool()>& cancelled) {
  const guint64 end = samples_until(position);
  while (sample_offset_ < end) {
    if (cancelled()) return GST_FLOW_OK;
    const size_t count =
        static_cast<size_t>(std::min<guint64>(end - sample_offset_, max_samples_per_buffer));
    const GstFlowReturn ret = push_samples(nullptr, count);
    if (ret != GST_FLOW_OK) return ret;
  }
  return GST_FLOW_OK;
}

GstClockTime OutputTimeline::clock_position() const {
  GstClock* clock = gst_element_get_clock(element_);
  if (!clock) return GST_CLOCK_TIME_NONE;
  const GstClockTime now = gst_clock_get_time(clock);
  gst_object_unref(clock);
  const GstClockTime base = gst_element_get_base_time(element_);
  if (now < base) return GST_CLOCK_TIME_NONE;
  return gst_segment_position_from_running_time(&segment_, GST_FORMAT_TIME, now - base);
}

GstClockTime OutputTimeline::clock_time_of_cursor() const {
  const GstClockTime running_time = running_time_of(cursor());
  if (!GST_CLOCK_TIME_IS_VALID(running_time)) return GST_CLOCK_TIME_NONE;
  return gst_element_get_base_time(element_) + running_time;
}

void OutputTimeline::rewind_to(GstClockTime position) {
  const guint64 offset = samples_until(position);
  if (offset < sample_offset_) {
    sample_offset_ = offset;
    discont_ = true;
  }
}

void OutputTimeline::follow_clock() {
  const GstClockTime position = clock_position();
  if (!GST_CLOCK_TIME_IS_VALID(position)) return;
  const guint64 offset = samples_until(position);
  if (offset > sample_offset_) {
    sample_offset_ = offset;
    discont_ = true;
  }
}

}  // namespace pockettts_gst
