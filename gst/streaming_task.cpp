#include "streaming_task.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <pockettts/error.h>

#include "diagnostics.h"
#include "element_state.h"
#include "live_idle.h"

namespace pockettts_gst {

namespace {

void post_element_message(GstPocketTts* self, GstStructure* structure) {
  gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), structure));
}

// The speech before the cue `text`, due at `scheduled`, ran until `reached` (or was cut there:
// clip); `overflow` says what the element did about it.
void post_overrun(GstPocketTts* self, const std::string& text, GstClockTime scheduled,
                  GstClockTime reached, Overflow overflow) {
  OutputTimeline& out = self->priv->output;
  const GstClockTime lateness = reached - scheduled;
  GST_INFO_OBJECT(self,
                  "overrun (%s): \"%s\" was due at %" GST_TIME_FORMAT
                  " but the previous speech ran until %" GST_TIME_FORMAT " (%" GST_TIME_FORMAT
                  " late)",
                  overflow_nick(overflow), text.c_str(), GST_TIME_ARGS(scheduled),
                  GST_TIME_ARGS(reached), GST_TIME_ARGS(lateness));
  post_element_message(
      self, gst_structure_new("pockettts-overrun", "text", G_TYPE_STRING, text.c_str(),
                              "scheduled-running-time", G_TYPE_UINT64,
                              out.running_time_of(scheduled), "running-time", G_TYPE_UINT64,
                              out.running_time_of(reached), "lateness", G_TYPE_UINT64, lateness,
                              "overflow", G_TYPE_STRING, overflow_nick(overflow), nullptr));
}

// Before an utterance that has a time of its own: silence until then, or an overrun when the
// previous speech ran past it (shifted: it starts where that speech ends; overlap: it starts
// at its own time anyway). `*scheduled` is that time (NONE: untimed).
GstFlowReturn silence_until_scheduled(GstPocketTts* self, const Item& item, Overflow overflow,
                                      GstClockTime* scheduled) {
  PocketTtsPrivate& p = *self->priv;
  OutputTimeline& out = p.output;
  *scheduled = GST_CLOCK_TIME_NONE;
  if (!GST_CLOCK_TIME_IS_VALID(item.pts)) return GST_FLOW_OK;

  *scheduled = std::max<GstClockTime>(item.pts, out.segment_start());
  const GstClockTime cursor = out.cursor();
  if (*scheduled > cursor) {
    return out.push_silence_until(*scheduled, p.model_and_voice.frame_size(),
                                  [&p, &item] { return p.input.is_cancelled(item.epoch); });
  }
  if (out.has_pushed_past(*scheduled)) {
    // A clip comes too late when the cue came after the speech had passed its start.
    const bool overlap = overflow == Overflow::kOverlap;
    post_overrun(self, item.text, *scheduled, cursor, overlap ? overflow : Overflow::kShift);
    if (overlap) out.rewind_to(*scheduled);
  }
  return GST_FLOW_OK;
}

// overflow=clip: the last 5 ms before the cut fade out, so that it does not click.
void fade_out(std::vector<float>& samples) {
  const size_t fade = std::min<size_t>(samples.size(), kSampleRate / 200);
  const size_t first = samples.size() - fade;
  for (size_t i = first; i < samples.size(); ++i)
    samples[i] *= static_cast<float>(samples.size() - i) / static_cast<float>(fade + 1);
}

// overflow=clip: cuts `chunk` where the next cue known now starts. True when it did (the
// utterance ends with it).
bool clip_at_next_cue(GstPocketTts* self, std::vector<float>& chunk) {
  PocketTtsPrivate& p = *self->priv;
  const GstClockTime next = p.input.next_cue_start();
  if (!GST_CLOCK_TIME_IS_VALID(next)) return false;
  const GstClockTime cue_start = std::max<GstClockTime>(next, p.output.segment_start());
  const guint64 room = p.output.samples_before(cue_start);
  if (room >= chunk.size()) return false;
  chunk.resize(room);
  fade_out(chunk);
  post_overrun(self, p.input.next_cue_text(), cue_start, cue_start, Overflow::kClip);
  return true;
}

GstFlowReturn speak_utterance(GstPocketTts* self, const Item& item) {
  PocketTtsPrivate& p = *self->priv;
  OutputTimeline& out = p.output;
  const Settings s = copy_settings(self);
  if (!p.model_and_voice.prepare(GST_ELEMENT(self), s)) return kFlowPostedError;

  GstFlowReturn ret = out.start_output();
  if (ret == GST_FLOW_OK && p.live) ret = keep_up_with_clock(self, item);
  if (ret != GST_FLOW_OK) return ret;

  GstClockTime scheduled;
  ret = silence_until_scheduled(self, item, s.overflow, &scheduled);
  if (ret != GST_FLOW_OK) return ret;
  if (p.input.is_cancelled(item.epoch)) return GST_FLOW_OK;

  const GstClockTime start = out.cursor();
  GST_DEBUG_OBJECT(self, "speaking \"%s\" at %" GST_TIME_FORMAT, item.text.c_str(),
                   GST_TIME_ARGS(start));
  post_element_message(
      self,
      gst_structure_new(
          "pockettts-utterance-start", "text", G_TYPE_STRING, item.text.c_str(), "running-time",
          G_TYPE_UINT64, out.running_time_of(start), "scheduled-running-time", G_TYPE_UINT64,
          GST_CLOCK_TIME_IS_VALID(scheduled) ? out.running_time_of(scheduled) : GST_CLOCK_TIME_NONE,
          nullptr));

  const auto requested = std::chrono::steady_clock::now();
  std::shared_ptr<pockettts::AudioChunkStream> stream;
  try {
    if (item.ssml) {
      // Parsed when queued; its warnings (elements spoken as their content) come with it.
      for (const std::string& warning : item.ssml->warnings)
        GST_ELEMENT_WARNING(self, STREAM, FORMAT, ("SSML: %s", warning.c_str()),
                            ("in \"%s\"", item.text.c_str()));
      stream = p.model_and_voice.generate(*item.ssml, s);
    } else {
      stream = p.model_and_voice.generate(item.text, s);
    }
  } catch (const std::exception& e) {
    POST_ERROR(self, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
               std::string("Could not speak \"") + item.text + "\": " + e.what(), "");
    return kFlowPostedError;
  }
  p.input.set_current_stream(stream, item.epoch);

  bool cancelled = false;
  bool clipped = false;
  guint frames = 0;
  std::vector<float> chunk;
  while (ret == GST_FLOW_OK) {
    try {
      if (!stream->next(chunk)) break;
    } catch (const pockettts::Error& e) {
      if (e.code() == pockettts::ErrorCode::kCancelled) {
        cancelled = true;
      } else {
        POST_ERROR(self, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
                   std::string("Could not speak \"") + item.text + "\": " + e.what(), "");
        ret = kFlowPostedError;
      }
      break;
    } catch (const std::exception& e) {
      POST_ERROR(self, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
                 std::string("Could not speak \"") + item.text + "\": " + e.what(), "");
      ret = kFlowPostedError;
      break;
    }
    if (frames == 0) {
      p.latency.record(GST_ELEMENT(self), p.live,
                       std::chrono::duration_cast<std::chrono::nanoseconds>(
                           std::chrono::steady_clock::now() - requested)
                           .count());
    }
    if (s.overflow == Overflow::kClip && GST_CLOCK_TIME_IS_VALID(scheduled))
      clipped = clip_at_next_cue(self, chunk);
    if (!chunk.empty()) ret = out.push_speech(chunk.data(), chunk.size());
    ++frames;
    if (clipped) {
      stream->cancel();
      break;
    }
    // The chunk that was already decoded when cancel() came is the last one.
    if (ret == GST_FLOW_OK && p.input.is_cancelled(item.epoch)) {
      cancelled = true;
      break;
    }
  }
  p.input.clear_current_stream();
  stream.reset();  // joins the generator threads, done or cancelled

  const GstClockTime end = out.cursor();
  GST_DEBUG_OBJECT(self, "spoke %u frames of \"%s\"%s", frames, item.text.c_str(),
                   cancelled ? " (cancelled)" : clipped ? " (clipped)" : "");
  post_element_message(
      self, gst_structure_new("pockettts-utterance-end", "text", G_TYPE_STRING, item.text.c_str(),
                              "start-running-time", G_TYPE_UINT64, out.running_time_of(start),
                              "running-time", G_TYPE_UINT64, out.running_time_of(end), "frames",
                              G_TYPE_UINT, frames, "cancelled", G_TYPE_BOOLEAN,
                              static_cast<gboolean>(cancelled || ret != GST_FLOW_OK), "clipped",
                              G_TYPE_BOOLEAN, static_cast<gboolean>(clipped), nullptr));
  return ret;
}

void pause_after(GstPocketTts* self, GstFlowReturn ret) {
  PocketTtsPrivate& p = *self->priv;
  GST_DEBUG_OBJECT(self, "pausing task: %s", gst_flow_get_name(ret));
  p.input.record_flow(ret);
  gst_pad_pause_task(self->srcpad);
  if (ret == GST_FLOW_FLUSHING) return;
  if (ret == GST_FLOW_NOT_LINKED || ret < GST_FLOW_EOS) {
    if (ret != kFlowPostedError) GST_ELEMENT_FLOW_ERROR(self, ret);
  }
  p.input.mark_eos_sent();
  // Downstream EOS or an error: end the stream so sinks do not wait forever.
  GstEvent* eos = gst_event_new_eos();
  if (p.output.segment_seqnum() != GST_SEQNUM_INVALID)
    gst_event_set_seqnum(eos, p.output.segment_seqnum());
  gst_pad_push_event(self->srcpad, eos);
}

}  // namespace

void stream_next_item(gpointer element) {
  GstPocketTts* self = GST_POCKET_TTS(element);
  PocketTtsPrivate& p = *self->priv;
  std::optional<Item> next = p.input.wait_for_item();
  if (!next) {
    gst_pad_pause_task(self->srcpad);
    return;
  }
  const Item& item = *next;

  GstFlowReturn ret = GST_FLOW_OK;
  switch (item.kind) {
    case ItemKind::kSegment:
      if (item.segment.format == GST_FORMAT_TIME)
        p.output.set_segment(item.segment, item.seqnum);
      else
        p.output.adopt_seqnum(item.seqnum);
      break;
    case ItemKind::kGap:
      ret = p.output.start_output();
      if (ret == GST_FLOW_OK) {
        ret = p.output.push_silence_until(item.pts + item.duration, p.model_and_voice.frame_size(),
                                          [&p, &item] { return p.input.is_cancelled(item.epoch); });
      }
      break;
    case ItemKind::kEos: {
      ret = p.output.start_output();
      if (ret != GST_FLOW_OK) break;
      GST_DEBUG_OBJECT(self, "all text spoken, sending EOS");
      p.input.mark_ended_with_eos();
      // Upstream's or the application's EOS keeps its seqnum; the end of our own text takes
      // our segment's.
      GstEvent* eos = gst_event_new_eos();
      gst_event_set_seqnum(
          eos, item.seqnum != GST_SEQNUM_INVALID ? item.seqnum : p.output.segment_seqnum());
      gst_pad_push_event(self->srcpad, eos);
      gst_pad_pause_task(self->srcpad);
      return;
    }
    case ItemKind::kEvent:
      ret = p.output.start_output();
      if (ret == GST_FLOW_OK) gst_pad_push_event(self->srcpad, gst_event_ref(item.event.get()));
      break;
    case ItemKind::kUtterance:
      ret = speak_utterance(self, item);
      break;
    case ItemKind::kIdle:
      ret = fill_live_idle(self);
      break;
  }
  if (ret != GST_FLOW_OK) pause_after(self, ret);
}

}  // namespace pockettts_gst
