// What the element is to speak, in the order it came: utterances (from upstream, the text
// property or speak()) and upstream's serialized events, so that a segment, a gap or EOS keeps
// its place between the utterances around it. The streaming task works through the queue.
#pragma once

#include <gst/gst.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include <pockettts/tts_model.h>

#include "settings.h"
#include "text_input.h"

namespace pockettts_gst {

// kEvent: a serialized event from upstream (tags, a custom event...) forwarded in its place.
// kIdle is never queued: wait_for_item() returns it to a live source that has nothing to say.
enum class ItemKind { kUtterance, kSegment, kGap, kEos, kEvent, kIdle };

struct Item {
  ItemKind kind = ItemKind::kUtterance;
  std::string text;                             // kUtterance
  GstClockTime pts = GST_CLOCK_TIME_NONE;       // kUtterance (where it starts), kGap
  GstClockTime duration = GST_CLOCK_TIME_NONE;  // kGap
  GstSegment segment;                           // kSegment (a byte stream's lends only its seqnum)
  guint32 seqnum = GST_SEQNUM_INVALID;          // kSegment, kEos: the seqnum the event had
  std::shared_ptr<GstEvent> event;              // kEvent
  bool from_text_property = false;              // kUtterance: the text property changed
  // kUtterance: the text parsed as SSML, when it is an SSML document (parsed once, when queued).
  std::shared_ptr<const pockettts::SpeechScript> ssml;
  uint64_t epoch = 0;                           // the cancel epoch when it was dequeued

  explicit Item(ItemKind k = ItemKind::kUtterance, std::string t = {})
      : kind(k), text(std::move(t)) {
    gst_segment_init(&segment, GST_FORMAT_UNDEFINED);
  }
};

// What became of an utterance offered to the queue.
struct Admission {
  enum Result { kQueued, kEnded, kFull, kFlushing };
  Result result = kQueued;
  // kQueued into a full live queue: the oldest waiting utterance, dropped to make room.
  std::optional<std::string> dropped;
};

// Shared by the streaming task, upstream's streaming thread and the application's threads;
// every member takes the queue's lock. A cancel or a flush bumps the cancel epoch: the
// utterance dequeued under an older epoch stops.
class InputQueue {
 public:
  // --- Any thread
  // Events (segments, gaps, tags): never refused, so that they keep their place.
  void push(Item item);
  // Upstream's text, at most `max-queued` utterances waiting (0: no bound). When full, a live
  // stream drops the oldest waiting utterance (see Admission::dropped); otherwise the caller
  // blocks until there is room, or gets kFlushing once a flush or deactivation comes.
  Admission push_utterance(Item item);
  // speak(): ahead of a queued EOS, so that in source mode it extends the speech. kEnded once
  // the stream has ended (EOS sent). When full, a live stream drops the oldest waiting
  // utterance; otherwise the text is refused (kFull): an application's thread never blocks.
  Admission queue_spoken_text(std::string text,
                              std::shared_ptr<const pockettts::SpeechScript> ssml);
  // The max-queued property; applies at once (a blocked upstream resumes when it grew).
  void set_max_queued(guint max_queued);
  // The start of the first timed utterance waiting in the current segment (overflow=clip cuts
  // the speech there; GST_CLOCK_TIME_NONE when it has not come yet), and its text.
  GstClockTime next_cue_start() const;
  std::string next_cue_text() const;
  // cancel(): drops the queued utterances (events stay) and stops the current one.
  void cancel();
  // EOS sent to a source (gst_element_send_event, a pipeline's EOS, gst-launch-1.0 -e): the
  // utterance being spoken stops after the frame being pushed, what is queued is dropped and
  // EOS goes out next, in PAUSED too. speak() is refused from now on.
  void end_source_stream(guint32 seqnum);
  // The text property changed while the stream runs (source mode): spoken next, after the
  // utterance being spoken; replaces an earlier change not yet started. False once the
  // stream has ended.
  bool queue_text_change(std::string text, std::shared_ptr<const pockettts::SpeechScript> ssml);
  // Upstream's EOS, after the text before it.
  void push_upstream_eos(guint32 seqnum);
  // What the streaming task last returned: upstream's chain function returns it.
  GstFlowReturn flow() const;
  bool source_mode() const;

  // --- State changes and pad activation
  // READY->PAUSED, before the task starts. Utterances queued with speak() stay queued.
  void start_stream(bool source_mode, bool hold_until_playing);
  // Source mode: the text property (when not blank) goes first, and the stream ends with EOS
  // after what is queued. False when there is nothing to speak and nothing can come (not live).
  bool queue_source_text(std::string text, std::shared_ptr<const pockettts::SpeechScript> ssml);
  // A live element speaks only in PLAYING: items are held until then.
  void set_playing(bool playing);
  // Pad activation (flushing = false lets the task run) and deactivation (also cancels).
  void set_flushing(bool flushing);
  // PAUSED->READY: nothing is left to speak.
  void clear();
  // flush-start: drops everything and stops the current utterance. A flush from upstream also
  // releases upstream's thread blocked on a full queue.
  void flush_start(bool from_downstream);
  // flush-stop: the stream resumes; a source that was to end its stream still does, and so
  // does a filter whose upstream had sent EOS when the flush came from downstream (upstream
  // will not send it again).
  void flush_stop(bool from_downstream);

  // --- The streaming task
  // Blocks for the next item (stamped with the current cancel epoch); none when flushing. A
  // live source in PLAYING with nothing ready gets a kIdle item at once instead.
  std::optional<Item> wait_for_item();
  // Live idle: waits until `clock` reaches `target` (without a clock, until woken). Returns
  // false without waiting the time out when the task has something else to do: an item is
  // ready, a flush, PAUSED.
  bool wait_idle(GstClock* clock, GstClockTime target);
  bool is_cancelled(uint64_t epoch) const;
  // The utterance being generated, so that cancel and flush can stop it. Cancelled at once
  // when a cancel or flush came since it was dequeued under `epoch`.
  void set_current_stream(std::shared_ptr<pockettts::AudioChunkStream> stream, uint64_t epoch);
  void clear_current_stream();
  void record_flow(GstFlowReturn flow);
  void mark_eos_sent();
  // Before the EOS push: whoever sees the EOS must also see speak() refuse.
  void mark_ended_with_eos();

 private:
  void queue_locked(Item item);
  // Room for one more utterance, dropping the oldest when live; nullopt when the caller must
  // wait (or be refused).
  std::optional<Admission> make_room_locked();
  bool full_locked() const;
  const Item* next_cue_locked() const;
  void cancel_current_locked();
  // Wakes the streaming task, also from its live idle wait on the clock.
  void wake_locked();
  bool item_ready_locked() const;

  mutable std::mutex lock_;
  std::condition_variable cond_;
  std::condition_variable room_;  // an utterance left the queue, a flush, a larger bound
  guint max_queued_ = kDefaultMaxQueued;
  std::deque<Item> items_;
  bool flushing_ = true;
  // Upstream's pushes are refused: a flush from upstream, or the pads deactivating.
  bool upstream_flushing_ = true;
  bool hold_until_playing_ = false;
  bool playing_ = false;
  uint64_t cancel_epoch_ = 0;
  std::shared_ptr<pockettts::AudioChunkStream> stream_;  // the utterance being generated
  GstClockID idle_wait_ = nullptr;  // the task's live idle wait, unscheduled by wake_locked()
  GstFlowReturn flow_ = GST_FLOW_OK;
  bool eos_sent_ = false;
  bool eos_requested_ = false;               // end_source_stream() was called: speak() is refused
  bool upstream_eos_ = false;                // upstream sent EOS (filter mode), until it flushes
  guint32 eos_seqnum_ = GST_SEQNUM_INVALID;  // the seqnum of the EOS that ends the stream
  bool source_mode_ = true;                  // nothing linked upstream: speak `text`, then EOS
  bool source_eos_ = false;  // source mode ends with EOS (false: a live source awaiting speak)
};

// Posts a warning on `element` naming the utterance the admission dropped, if any. Called
// outside the queue's lock.
void warn_if_dropped(GstElement* element, const Admission& admission);

// Text as upstream sends it, turned into queue items. Upstream's streaming thread only.
class UpstreamText {
 public:
  UpstreamText();
  // READY->PAUSED: no format or segment known until upstream says.
  void reset();
  void flush_stop();
  void set_caps(GstCaps* caps);
  // Timed text keeps upstream's timeline (queued as a segment item); a byte stream leaves
  // ours (from 0) but gives it its seqnum.
  void set_segment(GstEvent* event, InputQueue& queue);
  // A timed buffer is one utterance; a byte stream (filesrc), cut anywhere, is split into
  // paragraphs. Posts the error on `element` for text that is not UTF-8.
  GstFlowReturn receive(GstElement* element, InputQueue& queue, GstBuffer* buffer);
  // EOS: the last paragraph of a byte stream. False when it could not be queued.
  bool finish(GstElement* element, InputQueue& queue);

 private:
  GstFlowReturn queue_text(GstElement* element, InputQueue& queue, std::string text,
                           GstClockTime pts, GstClockTime duration);

  bool markup_ = false;
  bool ssml_ = false;         // application/ssml+xml: each timed buffer is a document
  std::string ssml_stream_;   // a byte stream of SSML: the document so far
  GstSegment segment_;
  ParagraphSplitter paragraphs_;
};

}  // namespace pockettts_gst
