#include "input_queue.h"

#include <algorithm>
#include <utility>

#include "diagnostics.h"

namespace pockettts_gst {

void InputQueue::wake_locked() {
  cond_.notify_all();
  room_.notify_all();
  if (idle_wait_) gst_clock_id_unschedule(idle_wait_);
}

bool InputQueue::item_ready_locked() const {
  // An EOS at the head is not held: a live source sent EOS in PAUSED ends at once.
  return !items_.empty() &&
         (!hold_until_playing_ || playing_ || items_.front().kind == ItemKind::kEos);
}

void InputQueue::queue_locked(Item item) {
  items_.push_back(std::move(item));
  wake_locked();
}

void InputQueue::cancel_current_locked() {
  ++cancel_epoch_;
  if (stream_) stream_->cancel();
  wake_locked();
}

void InputQueue::push(Item item) {
  std::lock_guard<std::mutex> guard(lock_);
  queue_locked(std::move(item));
}

namespace {

// What max-queued counts: the utterances waiting, not the one change of the text property
// (it replaces the one before) nor events.
bool counts_against_bound(const Item& item) {
  return item.kind == ItemKind::kUtterance && !item.from_text_property;
}

}  // namespace

bool InputQueue::full_locked() const {
  if (max_queued_ == 0) return false;
  return static_cast<guint>(std::count_if(items_.begin(), items_.end(), counts_against_bound)) >=
         max_queued_;
}

std::optional<Admission> InputQueue::make_room_locked() {
  Admission admission;
  if (!full_locked()) return admission;
  // Live speech that waits goes stale: the newest text matters more than the oldest.
  if (!hold_until_playing_) return std::nullopt;
  auto oldest = std::find_if(items_.begin(), items_.end(), counts_against_bound);
  admission.dropped = std::move(oldest->text);
  items_.erase(oldest);
  return admission;
}

Admission InputQueue::push_utterance(Item item) {
  std::unique_lock<std::mutex> lock(lock_);
  std::optional<Admission> admission;
  room_.wait(lock, [&] { return upstream_flushing_ || (admission = make_room_locked()); });
  if (upstream_flushing_) return Admission{Admission::kFlushing, std::nullopt};
  queue_locked(std::move(item));
  return *admission;
}

Admission InputQueue::queue_spoken_text(std::string text,
                                        std::shared_ptr<const pockettts::SpeechScript> ssml) {
  std::lock_guard<std::mutex> guard(lock_);
  if (eos_sent_ || eos_requested_) return Admission{Admission::kEnded, std::nullopt};
  std::optional<Admission> admission = make_room_locked();
  if (!admission) return Admission{Admission::kFull, std::nullopt};
  auto eos = std::find_if(items_.begin(), items_.end(),
                          [](const Item& i) { return i.kind == ItemKind::kEos; });
  Item item(ItemKind::kUtterance, std::move(text));
  item.ssml = std::move(ssml);
  items_.insert(eos, std::move(item));
  wake_locked();
  return *admission;
}

void InputQueue::set_max_queued(guint max_queued) {
  std::lock_guard<std::mutex> guard(lock_);
  max_queued_ = max_queued;
  room_.notify_all();
}

const Item* InputQueue::next_cue_locked() const {
  for (const Item& item : items_) {
    if (item.kind == ItemKind::kSegment || item.kind == ItemKind::kEos) break;
    if (item.kind == ItemKind::kUtterance && GST_CLOCK_TIME_IS_VALID(item.pts)) return &item;
  }
  return nullptr;
}

GstClockTime InputQueue::next_cue_start() const {
  std::lock_guard<std::mutex> guard(lock_);
  const Item* cue = next_cue_locked();
  return cue ? cue->pts : GST_CLOCK_TIME_NONE;
}

std::string InputQueue::next_cue_text() const {
  std::lock_guard<std::mutex> guard(lock_);
  const Item* cue = next_cue_locked();
  return cue ? cue->text : std::string();
}

void InputQueue::cancel() {
  std::lock_guard<std::mutex> guard(lock_);
  items_.erase(std::remove_if(items_.begin(), items_.end(),
                              [](const Item& i) { return i.kind == ItemKind::kUtterance; }),
               items_.end());
  cancel_current_locked();
}

void InputQueue::end_source_stream(guint32 seqnum) {
  std::lock_guard<std::mutex> guard(lock_);
  eos_requested_ = true;
  if (eos_sent_) return;
  items_.clear();
  Item eos(ItemKind::kEos);
  eos.seqnum = seqnum;
  eos_seqnum_ = seqnum;
  items_.push_back(std::move(eos));
  source_eos_ = true;  // a flush after this still ends the stream
  cancel_current_locked();
}

bool InputQueue::queue_text_change(std::string text,
                                   std::shared_ptr<const pockettts::SpeechScript> ssml) {
  std::lock_guard<std::mutex> guard(lock_);
  if (eos_sent_ || eos_requested_) return false;
  items_.erase(std::remove_if(items_.begin(), items_.end(),
                              [](const Item& i) { return i.from_text_property; }),
               items_.end());
  Item item(ItemKind::kUtterance, std::move(text));
  item.from_text_property = true;
  item.ssml = std::move(ssml);
  items_.push_front(std::move(item));
  wake_locked();
  return true;
}

void InputQueue::push_upstream_eos(guint32 seqnum) {
  std::lock_guard<std::mutex> guard(lock_);
  upstream_eos_ = true;
  eos_seqnum_ = seqnum;
  Item eos(ItemKind::kEos);
  eos.seqnum = seqnum;
  queue_locked(std::move(eos));
}

GstFlowReturn InputQueue::flow() const {
  std::lock_guard<std::mutex> guard(lock_);
  return flow_;
}

bool InputQueue::source_mode() const {
  std::lock_guard<std::mutex> guard(lock_);
  return source_mode_;
}

void InputQueue::start_stream(bool source_mode, bool hold_until_playing) {
  std::lock_guard<std::mutex> guard(lock_);
  hold_until_playing_ = hold_until_playing;
  source_mode_ = source_mode;
  source_eos_ = false;
  playing_ = false;
  flow_ = GST_FLOW_OK;
  eos_sent_ = false;
  eos_requested_ = false;
  upstream_eos_ = false;
  eos_seqnum_ = GST_SEQNUM_INVALID;
  items_.erase(std::remove_if(items_.begin(), items_.end(),
                              [](const Item& i) { return i.kind != ItemKind::kUtterance; }),
               items_.end());
}

bool InputQueue::queue_source_text(std::string text,
                                   std::shared_ptr<const pockettts::SpeechScript> ssml) {
  std::lock_guard<std::mutex> guard(lock_);
  if (!is_blank(text)) {
    Item item(ItemKind::kUtterance, std::move(text));
    item.from_text_property = true;  // a change before it starts replaces it
    item.ssml = std::move(ssml);
    items_.push_front(std::move(item));
  } else if (items_.empty() && !hold_until_playing_) {
    return false;
  }
  // A live source with no text waits for speak(); otherwise the stream ends after the text.
  if (!items_.empty()) {
    source_eos_ = true;
    items_.push_back(Item(ItemKind::kEos));
  }
  return true;
}

void InputQueue::set_playing(bool playing) {
  std::lock_guard<std::mutex> guard(lock_);
  playing_ = playing;
  wake_locked();
}

void InputQueue::set_flushing(bool flushing) {
  std::lock_guard<std::mutex> guard(lock_);
  flushing_ = flushing;
  upstream_flushing_ = flushing;
  if (flushing) cancel_current_locked();
}

void InputQueue::clear() {
  std::lock_guard<std::mutex> guard(lock_);
  items_.clear();
  stream_.reset();
  room_.notify_all();
}

void InputQueue::flush_start(bool from_downstream) {
  std::lock_guard<std::mutex> guard(lock_);
  flushing_ = true;
  if (!from_downstream) upstream_flushing_ = true;
  items_.clear();
  cancel_current_locked();
}

void InputQueue::flush_stop(bool from_downstream) {
  std::lock_guard<std::mutex> guard(lock_);
  flushing_ = false;
  items_.clear();
  flow_ = GST_FLOW_OK;
  eos_sent_ = false;
  if (!from_downstream) {
    upstream_eos_ = false;
    upstream_flushing_ = false;
  }
  // A source has nothing left to say after a flush but must still end its stream; so must a
  // filter whose upstream already ended.
  if ((source_mode_ && source_eos_) || (!source_mode_ && upstream_eos_)) {
    Item eos(ItemKind::kEos);
    eos.seqnum = eos_seqnum_;
    items_.push_back(std::move(eos));
  }
}

std::optional<Item> InputQueue::wait_for_item() {
  std::unique_lock<std::mutex> lock(lock_);
  // A live source covers the time it has nothing to say (live idle); a live filter follows
  // upstream's timeline instead.
  const auto idle = [this] { return source_mode_ && hold_until_playing_ && playing_; };
  cond_.wait(lock, [&] { return flushing_ || item_ready_locked() || idle(); });
  if (flushing_) return std::nullopt;
  if (!item_ready_locked()) return Item(ItemKind::kIdle);
  Item item = std::move(items_.front());
  items_.pop_front();
  item.epoch = cancel_epoch_;
  room_.notify_all();
  return item;
}

bool InputQueue::wait_idle(GstClock* clock, GstClockTime target) {
  std::unique_lock<std::mutex> lock(lock_);
  const auto busy = [this] { return flushing_ || !playing_ || item_ready_locked(); };
  if (busy()) return false;
  if (!clock) {
    cond_.wait(lock, busy);
    return false;
  }
  // Due already: no wait (a clock that jumped, or a task that fell behind, catches up).
  if (gst_clock_get_time(clock) >= target) return true;
  GstClockID id = gst_clock_new_single_shot_id(clock, target);
  idle_wait_ = id;
  lock.unlock();
  // wake_locked() may unschedule it before the wait starts: the wait then returns at once.
  const GstClockReturn ret = gst_clock_id_wait(id, nullptr);
  lock.lock();
  idle_wait_ = nullptr;
  gst_clock_id_unref(id);
  return (ret == GST_CLOCK_OK || ret == GST_CLOCK_EARLY) && !busy();
}

bool InputQueue::is_cancelled(uint64_t epoch) const {
  std::lock_guard<std::mutex> guard(lock_);
  return flushing_ || cancel_epoch_ != epoch;
}

void InputQueue::set_current_stream(std::shared_ptr<pockettts::AudioChunkStream> stream,
                                    uint64_t epoch) {
  std::lock_guard<std::mutex> guard(lock_);
  // A cancel or flush may have come between dequeuing and here.
  if (flushing_ || cancel_epoch_ != epoch) stream->cancel();
  stream_ = std::move(stream);
}

void InputQueue::clear_current_stream() {
  std::lock_guard<std::mutex> guard(lock_);
  stream_.reset();
}

void InputQueue::record_flow(GstFlowReturn flow) {
  std::lock_guard<std::mutex> guard(lock_);
  flow_ = flow;
}

void InputQueue::mark_eos_sent() {
  std::lock_guard<std::mutex> guard(lock_);
  eos_sent_ = true;
}

void InputQueue::mark_ended_with_eos() {
  std::lock_guard<std::mutex> guard(lock_);
  eos_sent_ = true;
  flow_ = GST_FLOW_EOS;
}

void warn_if_dropped(GstElement* element, const Admission& admission) {
  if (!admission.dropped) return;
  GST_ELEMENT_WARNING(element, RESOURCE, NO_SPACE_LEFT,
                      ("Live text dropped: more text came than the element could speak, and the "
                       "oldest waiting text made room (see the max-queued property)."),
                      ("dropped \"%s\"", admission.dropped->c_str()));
}

UpstreamText::UpstreamText() { gst_segment_init(&segment_, GST_FORMAT_UNDEFINED); }

void UpstreamText::reset() {
  gst_segment_init(&segment_, GST_FORMAT_TIME);
  segment_.format = GST_FORMAT_UNDEFINED;  // until upstream says
  paragraphs_.reset();
  ssml_stream_.clear();
  markup_ = false;
  ssml_ = false;
}

void UpstreamText::flush_stop() {
  gst_segment_init(&segment_, GST_FORMAT_TIME);
  paragraphs_.reset();
  ssml_stream_.clear();
}

void UpstreamText::set_caps(GstCaps* caps) {
  const GstStructure* structure = gst_caps_get_structure(caps, 0);
  ssml_ = gst_structure_has_name(structure, "application/ssml+xml");
  markup_ = g_strcmp0(gst_structure_get_string(structure, "format"), "pango-markup") == 0;
}

void UpstreamText::set_segment(GstEvent* event, InputQueue& queue) {
  gst_event_copy_segment(event, &segment_);
  // A byte stream's segment is queued too: our segment takes its seqnum, so that upstream's
  // EOS matches the segment before it.
  Item item(ItemKind::kSegment);
  item.segment = segment_;
  item.seqnum = gst_event_get_seqnum(event);
  queue.push(std::move(item));
}

// Text from upstream (one buffer, or one paragraph of a byte stream).
GstFlowReturn UpstreamText::queue_text(GstElement* element, InputQueue& queue, std::string text,
                                       GstClockTime pts, GstClockTime duration) {
  // Some sources count the C string terminator in the buffer.
  while (!text.empty() && text.back() == '\0') text.pop_back();
  if (!is_valid_utf8(text)) {
    GST_ELEMENT_ERROR(
        element, STREAM, DECODE, ("The text to speak is not valid UTF-8."),
        ("text buffer at %" GST_TIME_FORMAT " (%zu bytes)", GST_TIME_ARGS(pts), text.size()));
    return GST_FLOW_ERROR;
  }
  if (markup_) text = strip_pango_markup(text);
  std::shared_ptr<const pockettts::SpeechScript> script;
  if (ssml_ && !is_blank(text)) {
    std::string error;
    script = parse_ssml_document(text, &error);
    if (!script) {
      GST_ELEMENT_ERROR(element, STREAM, DECODE, ("The SSML text is malformed: %s", error.c_str()),
                        ("SSML at %" GST_TIME_FORMAT " (%zu bytes)", GST_TIME_ARGS(pts),
                         text.size()));
      return GST_FLOW_ERROR;
    }
  }

  if (is_blank(text)) {
    // An empty subtitle is a stretch of silence, not an error.
    GST_DEBUG_OBJECT(element, "empty text at %" GST_TIME_FORMAT, GST_TIME_ARGS(pts));
    if (GST_CLOCK_TIME_IS_VALID(pts) && GST_CLOCK_TIME_IS_VALID(duration)) {
      Item gap(ItemKind::kGap);
      gap.pts = pts;
      gap.duration = duration;
      queue.push(std::move(gap));
    }
    return GST_FLOW_OK;
  }
  Item item(ItemKind::kUtterance, std::move(text));
  item.pts = pts;
  item.ssml = std::move(script);
  const Admission admission = queue.push_utterance(std::move(item));
  if (admission.result == Admission::kFlushing) return GST_FLOW_FLUSHING;
  warn_if_dropped(element, admission);
  return GST_FLOW_OK;
}

GstFlowReturn UpstreamText::receive(GstElement* element, InputQueue& queue, GstBuffer* buffer) {
  std::string data;
  GstMapInfo map;
  if (gst_buffer_map(buffer, &map, GST_MAP_READ)) {
    data.assign(reinterpret_cast<const char*>(map.data), map.size);
    gst_buffer_unmap(buffer, &map);
  }
  const GstClockTime pts = GST_BUFFER_PTS(buffer);
  const GstClockTime duration = GST_BUFFER_DURATION(buffer);
  gst_buffer_unref(buffer);

  if (segment_.format == GST_FORMAT_TIME)
    return queue_text(element, queue, std::move(data), pts, duration);

  // A byte stream of SSML is one document: spoken at EOS, when it is whole.
  if (ssml_) {
    if (ssml_stream_.size() + data.size() > kMaxSsmlDocumentBytes) {
      GST_ELEMENT_ERROR(element, STREAM, FAILED,
                        ("The SSML document is larger than %zu bytes: split it into several.",
                         kMaxSsmlDocumentBytes),
                        ("%zu bytes so far", ssml_stream_.size() + data.size()));
      return GST_FLOW_ERROR;
    }
    ssml_stream_ += data;
    return GST_FLOW_OK;
  }
  // A byte stream: blocks cut anywhere, so only whole paragraphs are utterances.
  for (std::string& paragraph : paragraphs_.push(data.data(), data.size())) {
    const GstFlowReturn flow =
        queue_text(element, queue, std::move(paragraph), GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE);
    if (flow != GST_FLOW_OK) return flow;
  }
  return GST_FLOW_OK;
}

bool UpstreamText::finish(GstElement* element, InputQueue& queue) {
  if (segment_.format == GST_FORMAT_TIME) return true;
  std::string rest = ssml_ ? std::move(ssml_stream_) : paragraphs_.finish();
  ssml_stream_.clear();
  return rest.empty() || queue_text(element, queue, std::move(rest), GST_CLOCK_TIME_NONE,
                                    GST_CLOCK_TIME_NONE) == GST_FLOW_OK;
}

}  // namespace pockettts_gst
