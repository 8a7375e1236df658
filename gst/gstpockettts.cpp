/**
 * SECTION:element-pockettts
 * @title: pockettts
 *
 * Speaks text with Kyutai's Pocket TTS: 24 kHz mono speech, pushed one model frame (80 ms)
 * at a time while the model generates.
 *
 * With nothing linked to its sink pad the element is a source: it speaks the #GstPocketTts:text
 * property and sends EOS. With text linked upstream, every text buffer is an utterance (a
 * byte stream such as a file read by filesrc is split into paragraphs); a buffer timestamp
 * places the utterance on the timeline, the time in between is filled with silence.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 pockettts text="Hello world" ! audioconvert ! autoaudiosink
 * gst-launch-1.0 filesrc location=story.txt ! pockettts voice=marius ! audioconvert ! \
 *     wavenc ! filesink location=story.wav
 * gst-launch-1.0 filesrc location=film.srt ! subparse ! pockettts ! audioconvert ! \
 *     wavenc ! filesink location=dub.wav
 * gst-launch-1.0 pockettts text="Hello" ! audioconvert ! rtpL16pay ! \
 *     udpsink host=127.0.0.1 port=5004
 * ]|
 * docs/element.md has the full reference.
 */

// This file is the GObject, pad, event, query and state-change glue; the work lives in files of
// its own: input_queue (what is to be spoken), streaming_task (speaking it), output_timeline
// (timestamps, silence, segments, the clock), model_and_voice (loading, latency), settings.
#include "gstpockettts.h"

#include <mutex>
#include <string>
#include <utility>

#include "diagnostics.h"
#include "element_state.h"
#include "streaming_task.h"
#include "text_input.h"

GST_DEBUG_CATEGORY(gst_pocket_tts_debug);

using pockettts_gst::Item;
using pockettts_gst::ItemKind;
using pockettts_gst::Settings;

enum { SIGNAL_SPEAK, SIGNAL_CANCEL, LAST_SIGNAL };
static guint gst_pocket_tts_signals[LAST_SIGNAL];

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("audio/x-raw, format = (string) { F32LE, S16LE }, "
                    "layout = (string) interleaved, rate = (int) 24000, channels = (int) 1"));

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("text/x-raw, format = (string) { utf8, pango-markup }; application/ssml+xml"));

#define gst_pocket_tts_parent_class parent_class
G_DEFINE_TYPE(GstPocketTts, gst_pocket_tts, GST_TYPE_ELEMENT)
GST_ELEMENT_REGISTER_DEFINE(pockettts, "pockettts", GST_RANK_NONE, GST_TYPE_POCKET_TTS)

// Called with the task paused: the streaming task's fields are ours.
// `from_downstream`: the flush came through the source pad. The segment sent after it carries
// the flush's seqnum.
static void flush_stop(GstPocketTts* self, bool from_downstream, guint32 seqnum) {
  PocketTtsPrivate& p = *self->priv;
  p.input.flush_stop(from_downstream);
  p.output.restart_after_flush(p.input.source_mode(), seqnum);
  gst_pad_start_task(self->srcpad, pockettts_gst::stream_next_item, self, nullptr);
}

static GstFlowReturn gst_pocket_tts_sink_chain(GstPad*, GstObject* parent, GstBuffer* buffer) {
  GstPocketTts* self = GST_POCKET_TTS(parent);
  PocketTtsPrivate& p = *self->priv;
  const GstFlowReturn flow = p.input.flow();
  if (flow != GST_FLOW_OK) {
    gst_buffer_unref(buffer);
    return flow == pockettts_gst::kFlowPostedError ? GST_FLOW_ERROR : flow;
  }
  return p.upstream.receive(GST_ELEMENT(self), p.input, buffer);
}

static gboolean gst_pocket_tts_sink_event(GstPad* pad, GstObject* parent, GstEvent* event) {
  GstPocketTts* self = GST_POCKET_TTS(parent);
  PocketTtsPrivate& p = *self->priv;
  GST_LOG_OBJECT(self, "sink event %" GST_PTR_FORMAT, static_cast<gpointer>(event));
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_CAPS: {
      GstCaps* caps;
      gst_event_parse_caps(event, &caps);
      p.upstream.set_caps(caps);
      gst_event_unref(event);
      return TRUE;
    }
    case GST_EVENT_SEGMENT:
      p.upstream.set_segment(event, p.input);
      gst_event_unref(event);
      return TRUE;
    case GST_EVENT_GAP: {
      GstClockTime timestamp, duration;
      gst_event_parse_gap(event, &timestamp, &duration);
      gst_event_unref(event);
      if (GST_CLOCK_TIME_IS_VALID(timestamp) && GST_CLOCK_TIME_IS_VALID(duration)) {
        Item item(ItemKind::kGap);
        item.pts = timestamp;
        item.duration = duration;
        p.input.push(std::move(item));
      }
      return TRUE;
    }
    case GST_EVENT_EOS: {
      const guint32 seqnum = gst_event_get_seqnum(event);
      gst_event_unref(event);
      if (!p.upstream.finish(GST_ELEMENT(self), p.input)) return FALSE;
      p.input.push_upstream_eos(seqnum);
      return TRUE;
    }
    case GST_EVENT_FLUSH_START:
      p.input.flush_start(/*from_downstream=*/false);
      gst_pad_push_event(self->srcpad, event);
      gst_pad_pause_task(self->srcpad);
      return TRUE;
    case GST_EVENT_FLUSH_STOP: {
      const guint32 seqnum = gst_event_get_seqnum(event);
      gst_pad_push_event(self->srcpad, event);
      p.upstream.flush_stop();
      flush_stop(self, false, seqnum);
      return TRUE;
    }
    case GST_EVENT_STREAM_START:
      // The audio is a stream of our own; src sends its own stream-start.
      gst_event_unref(event);
      return TRUE;
    default:
      if (GST_EVENT_IS_SERIALIZED(event)) {
        // Tags (a subtitle's language), custom events: sent downstream in their place
        // between the utterances, not ahead of the queued speech.
        Item item(ItemKind::kEvent);
        item.event.reset(event, gst_event_unref);
        p.input.push(std::move(item));
        return TRUE;
      }
      return gst_pad_event_default(pad, parent, event);
  }
}

static gboolean gst_pocket_tts_src_event(GstPad* pad, GstObject* parent, GstEvent* event) {
  GstPocketTts* self = GST_POCKET_TTS(parent);
  PocketTtsPrivate& p = *self->priv;
  GST_LOG_OBJECT(self, "src event %" GST_PTR_FORMAT, static_cast<gpointer>(event));
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_FLUSH_START:
      p.input.flush_start(/*from_downstream=*/true);
      gst_event_unref(event);
      gst_pad_pause_task(self->srcpad);
      return TRUE;
    case GST_EVENT_FLUSH_STOP: {
      const guint32 seqnum = gst_event_get_seqnum(event);
      gst_event_unref(event);
      flush_stop(self, true, seqnum);
      return TRUE;
    }
    case GST_EVENT_SEEK:
      // Upstream text (subparse) can seek; speech generated from a property cannot.
      if (p.input.source_mode()) {
        gst_event_unref(event);
        return FALSE;
      }
      return gst_pad_push_event(self->sinkpad, event);
    case GST_EVENT_RECONFIGURE:
      // The pad remembers it; the task renegotiates before its next buffer.
      gst_event_unref(event);
      return TRUE;
    default:
      return gst_pad_event_default(pad, parent, event);
  }
}

// Filter mode: upstream's latency plus ours. Speech for a cue comes out when the model has
// generated its first frame: a live upstream's buffers are late by that much.
static gboolean gst_pocket_tts_filter_latency(GstPocketTts* self, GstQuery* query) {
  PocketTtsPrivate& p = *self->priv;
  if (!gst_pad_peer_query(self->sinkpad, query)) return FALSE;
  gboolean live = FALSE;
  GstClockTime min = 0, max = GST_CLOCK_TIME_NONE;
  gst_query_parse_latency(query, &live, &min, &max);
  if (live) {
    GstClockTime ours = p.latency.slowest();
    if (!GST_CLOCK_TIME_IS_VALID(ours))
      ours = gst_util_uint64_scale_int(p.model_and_voice.frame_size(), GST_SECOND,
                                       pockettts_gst::kSampleRate);
    min += ours;
    if (GST_CLOCK_TIME_IS_VALID(max)) max += ours;
    gst_query_set_latency(query, live, min, max);
  }
  GST_DEBUG_OBJECT(self, "latency: upstream's plus ours, live %d min %" GST_TIME_FORMAT, live,
                   GST_TIME_ARGS(min));
  return TRUE;
}

static gboolean gst_pocket_tts_src_query(GstPad* pad, GstObject* parent, GstQuery* query) {
  GstPocketTts* self = GST_POCKET_TTS(parent);
  PocketTtsPrivate& p = *self->priv;
  switch (GST_QUERY_TYPE(query)) {
    case GST_QUERY_LATENCY: {
      if (!p.input.source_mode()) return gst_pocket_tts_filter_latency(self, query);
      if (!p.live) {
        gst_query_set_latency(query, FALSE, 0, GST_CLOCK_TIME_NONE);
        return TRUE;
      }
      // Before anything was generated, one frame is the best guess.
      GstClockTime latency = p.latency.slowest();
      if (!GST_CLOCK_TIME_IS_VALID(latency)) {
        latency = gst_util_uint64_scale_int(p.model_and_voice.frame_size(), GST_SECOND,
                                            pockettts_gst::kSampleRate);
      }
      // The generator runs ahead of the clock, so any amount can be buffered.
      gst_query_set_latency(query, TRUE, latency, GST_CLOCK_TIME_NONE);
      GST_DEBUG_OBJECT(self, "latency %" GST_TIME_FORMAT, GST_TIME_ARGS(latency));
      return TRUE;
    }
    case GST_QUERY_POSITION: {
      GstFormat format;
      gst_query_parse_position(query, &format, nullptr);
      const GstClockTime position = p.output.position();
      if (format != GST_FORMAT_TIME || !GST_CLOCK_TIME_IS_VALID(position))
        return gst_pad_query_default(pad, parent, query);
      gst_query_set_position(query, GST_FORMAT_TIME, static_cast<gint64>(position));
      return TRUE;
    }
    default:
      return gst_pad_query_default(pad, parent, query);
  }
}

static gboolean gst_pocket_tts_src_activate_mode(GstPad* pad, GstObject* parent, GstPadMode mode,
                                                 gboolean active) {
  GstPocketTts* self = GST_POCKET_TTS(parent);
  PocketTtsPrivate& p = *self->priv;
  if (mode != GST_PAD_MODE_PUSH) return FALSE;
  if (active) {
    p.model_and_voice.allow_downloads();
    p.input.set_flushing(false);
    return gst_pad_start_task(pad, pockettts_gst::stream_next_item, self, nullptr);
  }
  p.input.set_flushing(true);
  p.model_and_voice.cancel_downloads();
  return gst_pad_stop_task(pad);
}

// Events the application sends to the element (or a pipeline sends to its sources).
static gboolean gst_pocket_tts_send_event(GstElement* element, GstEvent* event) {
  GstPocketTts* self = GST_POCKET_TTS(element);
  PocketTtsPrivate& p = *self->priv;
  if (GST_EVENT_TYPE(event) == GST_EVENT_EOS) {
    GST_OBJECT_LOCK(self);
    const GstState state = GST_STATE(self);
    GST_OBJECT_UNLOCK(self);
    // The mode is decided in READY->PAUSED; before, by what is linked now.
    const bool source_mode =
        state >= GST_STATE_PAUSED ? p.input.source_mode() : !gst_pad_is_linked(self->sinkpad);
    if (source_mode) {
      const guint32 seqnum = gst_event_get_seqnum(event);
      gst_event_unref(event);
      // In READY there is no stream to end (READY->PAUSED starts a new one).
      if (state < GST_STATE_PAUSED) {
        GST_DEBUG_OBJECT(self, "EOS in %s: no stream to end", gst_element_state_get_name(state));
        return FALSE;
      }
      GST_DEBUG_OBJECT(self, "EOS sent to the source: ending the stream after this frame");
      p.input.end_source_stream(seqnum);
      return TRUE;
    }
  }
  // Filter mode: EOS goes to the sink pad (spoken after the queued text), seeks and the
  // other upstream events to the source pad.
  return GST_ELEMENT_CLASS(parent_class)->send_event(element, event);
}

// A bin sends its EOS (gst_element_send_event on a pipeline, gst-launch-1.0 -e) to the
// elements flagged as sources: this element is one while nothing feeds its sink pad.
static GstPadLinkReturn gst_pocket_tts_sink_link(GstPad* pad, GstObject* parent, GstPad*) {
  (void)pad;
  GST_OBJECT_FLAG_UNSET(parent, GST_ELEMENT_FLAG_SOURCE);
  return GST_PAD_LINK_OK;
}

static void gst_pocket_tts_sink_unlink(GstPad* pad, GstObject* parent) {
  (void)pad;
  GST_OBJECT_FLAG_SET(parent, GST_ELEMENT_FLAG_SOURCE);
}

static gboolean gst_pocket_tts_speak(GstPocketTts* self, const gchar* text) {
  const std::string utterance = text ? text : "";
  if (!pockettts_gst::is_valid_utf8(utterance)) {
    GST_WARNING_OBJECT(self, "speak: text is not valid UTF-8, ignored");
    return FALSE;
  }
  if (pockettts_gst::is_blank(utterance)) {
    GST_WARNING_OBJECT(self, "speak: empty text, ignored");
    return FALSE;
  }
  std::shared_ptr<const pockettts::SpeechScript> script;
  if (copy_settings(self).ssml) {
    std::string error;
    script = pockettts_gst::parse_ssml_document(utterance, &error);
    if (!script) {
      GST_ELEMENT_WARNING(self, RESOURCE, SETTINGS, ("speak: the SSML text is malformed: %s",
                                                     error.c_str()),
                          ("not spoken: %s", text));
      return FALSE;
    }
  }
  const pockettts_gst::Admission admission =
      self->priv->input.queue_spoken_text(utterance, std::move(script));
  switch (admission.result) {
    case pockettts_gst::Admission::kEnded:
      GST_WARNING_OBJECT(self, "speak: the stream has ended (EOS), \"%s\" ignored", text);
      return FALSE;
    case pockettts_gst::Admission::kFull:
      GST_WARNING_OBJECT(self, "speak: max-queued utterances are waiting, \"%s\" refused", text);
      return FALSE;
    default:
      break;
  }
  pockettts_gst::warn_if_dropped(GST_ELEMENT(self), admission);
  GST_DEBUG_OBJECT(self, "speak: queued \"%s\"", text);
  return TRUE;
}

static void gst_pocket_tts_cancel(GstPocketTts* self) {
  GST_DEBUG_OBJECT(self, "cancel: dropping current and queued speech");
  self->priv->input.cancel();
}

// NULL->READY: the model and the voice, so that a bad path fails the state change.
static bool gst_pocket_tts_start(GstPocketTts* self) {
  PocketTtsPrivate& p = *self->priv;
  const Settings s = copy_settings(self);
  p.model_and_voice.allow_downloads();  // a deactivation before may have stopped them
  if (!p.model_and_voice.prepare(GST_ELEMENT(self), s)) return false;
  p.latency.reset();
  p.live = s.is_live;
  if (s.is_live) {
    const GstClockTime first_chunk = p.model_and_voice.time_first_chunk(GST_ELEMENT(self), s);
    if (GST_CLOCK_TIME_IS_VALID(first_chunk))
      p.latency.record(GST_ELEMENT(self), p.live, first_chunk);
  }
  return true;
}

// READY->PAUSED, before the pads activate and the task starts.
static bool gst_pocket_tts_prepare_stream(GstPocketTts* self) {
  PocketTtsPrivate& p = *self->priv;
  const Settings s = copy_settings(self);
  const bool source_mode = !gst_pad_is_linked(self->sinkpad);

  p.live = s.is_live;
  p.input.start_stream(source_mode, /*hold_until_playing=*/s.is_live);
  p.output.start_stream();
  p.upstream.reset();

  GST_DEBUG_OBJECT(self, "%s mode%s", source_mode ? "source" : "filter", s.is_live ? ", live" : "");
  if (!source_mode) return true;

  if (!pockettts_gst::is_valid_utf8(s.text)) {
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("The text property is not valid UTF-8."),
                      ("%zu bytes", s.text.size()));
    return false;
  }
  std::shared_ptr<const pockettts::SpeechScript> script;
  if (s.ssml && !pockettts_gst::is_blank(s.text)) {
    std::string error;
    script = pockettts_gst::parse_ssml_document(s.text, &error);
    if (!script) {
      GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS,
                        ("The text property is malformed SSML: %s", error.c_str()),
                        ("ssml=true: the text property must be an SSML document"));
      return false;
    }
  }
  if (!p.input.queue_source_text(s.text, std::move(script))) {
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS,
                      ("Nothing to speak: the text property is empty and no text source is "
                       "linked to the sink pad."),
                      ("set text=\"...\", link a text source, or set is-live=true and use the "
                       "speak action signal"));
    return false;
  }
  return true;
}

static GstStateChangeReturn gst_pocket_tts_change_state(GstElement* element,
                                                        GstStateChange transition) {
  GstPocketTts* self = GST_POCKET_TTS(element);
  PocketTtsPrivate& p = *self->priv;

  switch (transition) {
    case GST_STATE_CHANGE_NULL_TO_READY:
      if (!gst_pocket_tts_start(self)) return GST_STATE_CHANGE_FAILURE;
      break;
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      if (!gst_pocket_tts_prepare_stream(self)) return GST_STATE_CHANGE_FAILURE;
      break;
    case GST_STATE_CHANGE_PAUSED_TO_PLAYING:
      p.input.set_playing(true);
      break;
    default:
      break;
  }

  GstStateChangeReturn ret = GST_ELEMENT_CLASS(parent_class)->change_state(element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE) return ret;

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      // A live source produces nothing to preroll on.
      if (p.live) ret = GST_STATE_CHANGE_NO_PREROLL;
      break;
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
      p.input.set_playing(false);
      if (p.live) ret = GST_STATE_CHANGE_NO_PREROLL;
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      p.input.clear();
      break;
    case GST_STATE_CHANGE_READY_TO_NULL:
      p.model_and_voice.release();
      break;
    default:
      break;
  }
  return ret;
}

// A source speaks the text property when the stream starts (READY->PAUSED); a change while
// the stream runs is spoken as the next utterance.
static void gst_pocket_tts_text_changed(GstPocketTts* self, const GValue* value) {
  PocketTtsPrivate& p = *self->priv;
  GST_OBJECT_LOCK(self);
  const bool running = GST_STATE(self) >= GST_STATE_PAUSED;
  GST_OBJECT_UNLOCK(self);
  if (!running || !p.input.source_mode()) return;
  const gchar* text = g_value_get_string(value);
  const std::string utterance = text ? text : "";
  if (pockettts_gst::is_blank(utterance)) return;
  if (!pockettts_gst::is_valid_utf8(utterance)) {
    GST_ELEMENT_WARNING(self, RESOURCE, SETTINGS, ("The text property is not valid UTF-8."),
                        ("%zu bytes, not spoken", utterance.size()));
    return;
  }
  std::shared_ptr<const pockettts::SpeechScript> script;
  if (copy_settings(self).ssml) {
    std::string error;
    script = pockettts_gst::parse_ssml_document(utterance, &error);
    if (!script) {
      GST_ELEMENT_WARNING(self, RESOURCE, SETTINGS,
                          ("The text property is malformed SSML: %s", error.c_str()),
                          ("not spoken: %s", text));
      return;
    }
  }
  if (!p.input.queue_text_change(utterance, std::move(script)))
    GST_WARNING_OBJECT(self, "text: the stream has ended (EOS), \"%s\" not spoken", text);
  else
    GST_DEBUG_OBJECT(self, "text: \"%s\" is spoken next", text);
}

static void gst_pocket_tts_set_property(GObject* object, guint prop_id, const GValue* value,
                                        GParamSpec* pspec) {
  GstPocketTts* self = GST_POCKET_TTS(object);
  {
    std::lock_guard<std::mutex> guard(self->priv->settings_lock);
    if (!pockettts_gst::set_setting(self->priv->settings, prop_id, value)) {
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      return;
    }
  }
  if (pockettts_gst::is_text_property(prop_id)) gst_pocket_tts_text_changed(self, value);
  if (pockettts_gst::is_max_queued_property(prop_id))
    self->priv->input.set_max_queued(g_value_get_uint(value));
}

static void gst_pocket_tts_get_property(GObject* object, guint prop_id, GValue* value,
                                        GParamSpec* pspec) {
  GstPocketTts* self = GST_POCKET_TTS(object);
  std::lock_guard<std::mutex> guard(self->priv->settings_lock);
  if (!pockettts_gst::get_setting(self->priv->settings, prop_id, value))
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
}

static void gst_pocket_tts_finalize(GObject* object) {
  GstPocketTts* self = GST_POCKET_TTS(object);
  delete self->priv;
  self->priv = nullptr;
  G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void gst_pocket_tts_class_init(GstPocketTtsClass* klass) {
  GObjectClass* gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass* element_class = GST_ELEMENT_CLASS(klass);

  GST_DEBUG_CATEGORY_INIT(gst_pocket_tts_debug, "pockettts", 0, "Pocket TTS speech synthesis");

  gobject_class->set_property = gst_pocket_tts_set_property;
  gobject_class->get_property = gst_pocket_tts_get_property;
  gobject_class->finalize = gst_pocket_tts_finalize;

  pockettts_gst::install_properties(gobject_class);

  /**
   * GstPocketTts::speak:
   * @text: what to say
   *
   * Queues an utterance after those already queued. Returns %FALSE when the text is empty
   * or not UTF-8, or when the stream has already ended.
   */
  gst_pocket_tts_signals[SIGNAL_SPEAK] =
      g_signal_new_class_handler("speak", G_TYPE_FROM_CLASS(klass),
                                 static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
                                 G_CALLBACK(gst_pocket_tts_speak), nullptr, nullptr, nullptr,
                                 G_TYPE_BOOLEAN, 1, G_TYPE_STRING);
  /**
   * GstPocketTts::cancel:
   *
   * Stops the current utterance within one frame and drops the queued ones.
   */
  gst_pocket_tts_signals[SIGNAL_CANCEL] = g_signal_new_class_handler(
      "cancel", G_TYPE_FROM_CLASS(klass),
      static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
      G_CALLBACK(gst_pocket_tts_cancel), nullptr, nullptr, nullptr, G_TYPE_NONE, 0);

  element_class->change_state = gst_pocket_tts_change_state;
  element_class->send_event = gst_pocket_tts_send_event;
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_set_static_metadata(
      element_class, "Pocket TTS speech synthesizer", "Source/Audio",
      "Speaks text with Kyutai's Pocket TTS model (24 kHz, streaming, voice cloning)",
      "pockettts developers");
}

static void gst_pocket_tts_init(GstPocketTts* self) {
  self->srcpad = gst_pad_new_from_static_template(&src_template, "src");
  self->sinkpad = gst_pad_new_from_static_template(&sink_template, "sink");
  self->priv = new PocketTtsPrivate(GST_ELEMENT(self), self->srcpad);

  gst_pad_set_activatemode_function(self->srcpad,
                                    GST_DEBUG_FUNCPTR(gst_pocket_tts_src_activate_mode));
  gst_pad_set_event_function(self->srcpad, GST_DEBUG_FUNCPTR(gst_pocket_tts_src_event));
  gst_pad_set_query_function(self->srcpad, GST_DEBUG_FUNCPTR(gst_pocket_tts_src_query));
  gst_pad_use_fixed_caps(self->srcpad);
  gst_element_add_pad(GST_ELEMENT(self), self->srcpad);

  gst_pad_set_link_function(self->sinkpad, GST_DEBUG_FUNCPTR(gst_pocket_tts_sink_link));
  gst_pad_set_unlink_function(self->sinkpad, GST_DEBUG_FUNCPTR(gst_pocket_tts_sink_unlink));
  gst_pad_set_chain_function(self->sinkpad, GST_DEBUG_FUNCPTR(gst_pocket_tts_sink_chain));
  gst_pad_set_event_function(self->sinkpad, GST_DEBUG_FUNCPTR(gst_pocket_tts_sink_event));
  gst_element_add_pad(GST_ELEMENT(self), self->sinkpad);
  GST_OBJECT_FLAG_SET(self, GST_ELEMENT_FLAG_SOURCE);
}
