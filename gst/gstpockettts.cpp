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
#include "gstpockettts.h"

#include <gst/audio/audio.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <pockettts/error.h>
#include <pockettts/tts_model.h>

#include "model_cache.h"
#include "text_input.h"

GST_DEBUG_CATEGORY_STATIC(gst_pocket_tts_debug);
#define GST_CAT_DEFAULT gst_pocket_tts_debug

namespace {

// Pocket TTS models all run at 24 kHz; a model at another rate is refused at load time so
// the caps below stay true.
constexpr int kRate = 24000;
constexpr gint64 kDefaultSeed = -1;
// The `precision` property's enum: values follow pockettts::Precision.
static GType gst_pocket_tts_precision_get_type() {
  static GType type = 0;
  static const GEnumValue values[] = {
      {static_cast<gint>(pockettts::Precision::kFp32), "Exact fp32 weights", "fp32"},
      {static_cast<gint>(pockettts::Precision::kBf16), "bf16 weights (2x fewer bytes)", "bf16"},
      {static_cast<gint>(pockettts::Precision::kInt8),
       "int8 weights with per-channel scales (4x fewer bytes)", "int8"},
      {0, nullptr, nullptr}};
  if (g_once_init_enter(&type)) {
    GType t = g_enum_register_static("GstPocketTtsPrecision", values);
    g_once_init_leave(&type, t);
  }
  return type;
}

constexpr const char* kDefaultDevice = "cpu";

// Our own errors are posted where they happen; this tells the flow handling not to post a
// second, vaguer one.
constexpr GstFlowReturn kFlowPostedError = GST_FLOW_CUSTOM_ERROR;

enum {
  PROP_0,
  PROP_TEXT,
  PROP_VOICE,
  PROP_MODEL,
  PROP_TEMPERATURE,
  PROP_LSD_DECODE_STEPS,
  PROP_NOISE_CLAMP,
  PROP_EOS_THRESHOLD,
  PROP_FRAMES_AFTER_EOS,
  PROP_MAX_TOKENS,
  PROP_SEED,
  PROP_TRUNCATE_VOICE,
  PROP_DEVICE,
  PROP_NUM_THREADS,
  PROP_PRECISION,
  PROP_IS_LIVE,
};

// What the properties say. Written from any thread, copied when an utterance starts so a
// change never reaches the middle of one.
struct Settings {
  std::string text;
  std::string voice = pockettts::kDefaultVoice;
  std::string model = pockettts::kDefaultVariant;
  float temperature = pockettts::kDefaultTemperature;
  int lsd_decode_steps = pockettts::kDefaultLsdDecodeSteps;
  float noise_clamp = 0.0f;  // 0: none
  float eos_threshold = pockettts::kDefaultEosThreshold;
  int frames_after_eos = -1;  // -1: guessed from the text
  int max_tokens = pockettts::kDefaultMaxTokensPerChunk;
  gint64 seed = kDefaultSeed;  // -1: a new random seed per utterance
  bool truncate_voice = false;
  std::string device = kDefaultDevice;
  int num_threads = 0;  // 0: the library's default (1)
  pockettts::Precision precision = pockettts::Precision::kFp32;
  bool is_live = false;
};

// The streaming task works through these in order, so upstream's serialized events keep
// their place between the utterances around them.
enum class ItemKind { kUtterance, kSegment, kGap, kEos };

struct Item {
  ItemKind kind = ItemKind::kUtterance;
  std::string text;                             // kUtterance
  GstClockTime pts = GST_CLOCK_TIME_NONE;       // kUtterance (where it starts), kGap
  GstClockTime duration = GST_CLOCK_TIME_NONE;  // kGap
  GstSegment segment;                           // kSegment
  uint64_t epoch = 0;                           // the cancel epoch when it was dequeued

  explicit Item(ItemKind k = ItemKind::kUtterance, std::string t = {})
      : kind(k), text(std::move(t)) {
    gst_segment_init(&segment, GST_FORMAT_UNDEFINED);
  }
};

}  // namespace

struct PocketTtsPrivate {
  std::mutex settings_lock;
  Settings settings;

  // Shared by the streaming task, upstream's thread and the application's threads.
  std::mutex lock;
  std::condition_variable cond;
  std::deque<Item> queue;
  bool flushing = true;
  bool playing = false;       // live mode speaks only in PLAYING
  uint64_t cancel_epoch = 0;  // bumped by cancel and flush: the utterance in progress stops
  std::shared_ptr<pockettts::AudioChunkStream> stream;  // the utterance being generated
  GstFlowReturn src_flow = GST_FLOW_OK;
  bool eos_sent = false;
  bool source_mode = true;  // nothing linked upstream: speak `text`, then EOS
  bool source_eos = false;  // source mode ends with EOS (false: a live source waiting for speak)
  bool live = false;
  GstClockTime latency = GST_CLOCK_TIME_NONE;  // the slowest first chunk seen
  std::atomic<GstClockTime> position{GST_CLOCK_TIME_NONE};

  // The model and voice: set up in NULL->READY, replaced by the streaming task before an
  // utterance when `model`, `device`, `voice` or `truncate-voice` changed. Never touched by
  // two threads at once (the task does not run during state changes that touch them).
  std::shared_ptr<const pockettts::TTSModel> model;
  pockettts_gst::ModelRequest model_request;
  std::optional<pockettts::VoiceState> voice;
  std::string voice_source;
  bool voice_truncated = false;
  int frame_size = 1920;

  // Streaming task only; reset while the task is stopped.
  GstSegment segment;
  bool need_stream_start = true;
  bool need_segment = true;
  bool discont = true;
  GstAudioFormat format = GST_AUDIO_FORMAT_UNKNOWN;
  guint64 sample_offset = 0;  // samples pushed since the segment start

  // Upstream's streaming thread only.
  bool markup = false;
  GstSegment sink_segment;
  pockettts_gst::ParagraphSplitter paragraphs;
};

struct _GstPocketTts {
  GstElement parent;
  GstPad* srcpad;
  GstPad* sinkpad;
  PocketTtsPrivate* priv;
};

enum { SIGNAL_SPEAK, SIGNAL_CANCEL, LAST_SIGNAL };
static guint gst_pocket_tts_signals[LAST_SIGNAL];

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("audio/x-raw, format = (string) { F32LE, S16LE }, "
                    "layout = (string) interleaved, rate = (int) 24000, channels = (int) 1"));

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("text/x-raw, format = (string) { utf8, pango-markup }"));

#define gst_pocket_tts_parent_class parent_class
G_DEFINE_TYPE(GstPocketTts, gst_pocket_tts, GST_TYPE_ELEMENT)
GST_ELEMENT_REGISTER_DEFINE(pockettts, "pockettts", GST_RANK_NONE, GST_TYPE_POCKET_TTS)

static Settings copy_settings(GstPocketTts* self) {
  std::lock_guard<std::mutex> guard(self->priv->settings_lock);
  return self->priv->settings;
}

// GST_ELEMENT_ERROR for errors whose code is known only at run time (the library's error code
// picks it). A macro so the debug location is the caller's.
#define POST_ERROR(self, domain, code, text, debug)                            \
  gst_element_message_full(GST_ELEMENT(self), GST_MESSAGE_ERROR, domain, code, \
                           g_strdup(std::string(text).c_str()),                \
                           g_strdup(std::string(debug).c_str()), __FILE__, GST_FUNCTION, __LINE__)

static gint resource_code_for(const pockettts::Error& e) {
  switch (e.code()) {
    case pockettts::ErrorCode::kNotFound:
      return GST_RESOURCE_ERROR_NOT_FOUND;
    case pockettts::ErrorCode::kInvalidData:
      return GST_RESOURCE_ERROR_READ;
    case pockettts::ErrorCode::kInvalidArgument:
    case pockettts::ErrorCode::kUnsupported:
      return GST_RESOURCE_ERROR_SETTINGS;
    default:
      return GST_RESOURCE_ERROR_FAILED;
  }
}

static GstClockTime position_of(const PocketTtsPrivate& p, guint64 samples) {
  return p.segment.start + gst_util_uint64_scale_int(samples, GST_SECOND, kRate);
}

// The first sample at or after `position`.
static guint64 samples_until(const PocketTtsPrivate& p, GstClockTime position) {
  if (position <= p.segment.start) return 0;
  return gst_util_uint64_scale_int_ceil(position - p.segment.start, kRate, GST_SECOND);
}

static GstClockTime running_time_of(const PocketTtsPrivate& p, GstClockTime position) {
  return gst_segment_to_running_time(&p.segment, GST_FORMAT_TIME, position);
}

// Loads what the settings ask for when it is not what we hold. Posts the error and returns
// false when that fails.
static bool prepare_model_and_voice(GstPocketTts* self, const Settings& s) {
  PocketTtsPrivate& p = *self->priv;
  // Process-wide: libtorch has one intra-op pool for every model and element.
  if (s.num_threads > 0) pockettts::set_compute_threads(s.num_threads);

  const pockettts_gst::ModelRequest request{s.model, s.device, s.precision};
  if (!p.model ||
      pockettts_gst::model_cache_key(request) != pockettts_gst::model_cache_key(p.model_request)) {
    try {
      bool shared = false;
      auto model = pockettts_gst::acquire_model(request, &shared);
      if (model->sample_rate() != kRate) {
        POST_ERROR(self, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                   "The model \"" + s.model + "\" produces " +
                       std::to_string(model->sample_rate()) +
                       " Hz audio; this element supports 24000 Hz Pocket TTS models only.",
                   "");
        return false;
      }
      GST_INFO_OBJECT(self, "%s model '%s' on %s", shared ? "sharing the loaded" : "loaded",
                      s.model.c_str(), model->device().c_str());
      p.model = std::move(model);
      p.model_request = request;
      p.frame_size = p.model->frame_size();
      p.voice.reset();
    } catch (const pockettts::Error& e) {
      POST_ERROR(self, GST_RESOURCE_ERROR, resource_code_for(e),
                 "Could not load the Pocket TTS model \"" + s.model + "\" on device \"" + s.device +
                     "\": " + e.what(),
                 "set the model property to a variant id (b6369a24) or a YAML config path");
      return false;
    } catch (const std::exception& e) {
      POST_ERROR(self, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_FAILED,
                 "Could not load the Pocket TTS model \"" + s.model + "\": " + e.what(), "");
      return false;
    }
  }

  if (!p.voice || p.voice_source != s.voice || p.voice_truncated != s.truncate_voice) {
    try {
      p.voice.reset();
      p.voice.emplace(p.model->get_state_for_audio_prompt(s.voice, s.truncate_voice));
      p.voice_source = s.voice;
      p.voice_truncated = s.truncate_voice;
      GST_INFO_OBJECT(self, "prepared voice '%s'", s.voice.c_str());
    } catch (const pockettts::Error& e) {
      POST_ERROR(self, GST_RESOURCE_ERROR, resource_code_for(e),
                 "Could not use the voice \"" + s.voice + "\": " + e.what(),
                 "the voice property takes a predefined voice name, an audio file path or "
                 "URI, or a .safetensors voice file");
      return false;
    } catch (const std::exception& e) {
      POST_ERROR(self, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_FAILED,
                 "Could not use the voice \"" + s.voice + "\": " + e.what(), "");
      return false;
    }
  }
  return true;
}

static pockettts::GenerateOptions generate_options(const Settings& s) {
  pockettts::GenerateOptions options;
  pockettts::SamplingOptions sampling;
  sampling.temp = s.temperature;
  sampling.lsd_decode_steps = s.lsd_decode_steps;
  if (s.noise_clamp > 0.0f) sampling.noise_clamp = s.noise_clamp;
  sampling.eos_threshold = s.eos_threshold;
  options.sampling = sampling;
  if (s.frames_after_eos >= 0) options.frames_after_eos = s.frames_after_eos;
  options.max_tokens = s.max_tokens;
  options.copy_state = true;  // the voice serves every utterance
  if (s.seed >= 0) options.seed = static_cast<uint64_t>(s.seed);
  return options;
}

static void record_first_chunk_latency(GstPocketTts* self, GstClockTime measured) {
  PocketTtsPrivate& p = *self->priv;
  bool grew = false;
  {
    std::lock_guard<std::mutex> guard(p.lock);
    if (!GST_CLOCK_TIME_IS_VALID(p.latency) || measured > p.latency) {
      grew = GST_CLOCK_TIME_IS_VALID(p.latency) && p.live;
      p.latency = measured;
    }
  }
  GST_DEBUG_OBJECT(self, "first chunk after %" GST_TIME_FORMAT, GST_TIME_ARGS(measured));
  // A live pipeline must learn that buffers now come later than it was told.
  if (grew) gst_element_post_message(GST_ELEMENT(self), gst_message_new_latency(GST_OBJECT(self)));
}

// Generates the first chunk of a short text so the latency query has a real number before
// the first utterance of a live pipeline.
static void measure_latency(GstPocketTts* self, const Settings& s) {
  PocketTtsPrivate& p = *self->priv;
  try {
    const auto start = std::chrono::steady_clock::now();
    auto stream = p.model->generate_audio_stream(*p.voice, "Hello.", generate_options(s));
    std::vector<float> chunk;
    stream->next(chunk);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    stream->cancel();
    record_first_chunk_latency(
        self, std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count());
  } catch (const std::exception& e) {
    GST_WARNING_OBJECT(self, "could not measure the first-chunk latency: %s", e.what());
  }
}

static GstCaps* caps_for_format(GstAudioFormat format) {
  GstAudioInfo info;
  gst_audio_info_set_format(&info, format, kRate, 1, nullptr);
  return gst_audio_info_to_caps(&info);
}

// F32LE is the model's own format; S16LE only when downstream insists.
static bool negotiate(GstPocketTts* self) {
  PocketTtsPrivate& p = *self->priv;
  GstCaps* templ = gst_pad_get_pad_template_caps(self->srcpad);
  GstCaps* peer = gst_pad_peer_query_caps(self->srcpad, templ);
  gst_caps_unref(templ);
  GST_DEBUG_OBJECT(self, "downstream accepts %" GST_PTR_FORMAT, static_cast<gpointer>(peer));

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
  if (chosen == p.format && gst_pad_has_current_caps(self->srcpad)) return true;

  GstCaps* caps = caps_for_format(chosen);
  const bool ok = gst_pad_set_caps(self->srcpad, caps);
  gst_caps_unref(caps);
  if (ok) p.format = chosen;
  return ok;
}

// stream-start, caps and segment, in that order, before the first buffer.
static GstFlowReturn start_output(GstPocketTts* self) {
  PocketTtsPrivate& p = *self->priv;
  if (p.need_stream_start) {
    gchar* stream_id = gst_pad_create_stream_id(self->srcpad, GST_ELEMENT(self), nullptr);
    GstEvent* event = gst_event_new_stream_start(stream_id);
    g_free(stream_id);
    gst_event_set_group_id(event, gst_util_group_id_next());
    gst_pad_push_event(self->srcpad, event);
    p.need_stream_start = false;
  }
  if (p.format == GST_AUDIO_FORMAT_UNKNOWN || gst_pad_check_reconfigure(self->srcpad)) {
    if (!negotiate(self)) {
      gst_pad_mark_reconfigure(self->srcpad);
      return GST_PAD_IS_FLUSHING(self->srcpad) ? GST_FLOW_FLUSHING : GST_FLOW_NOT_NEGOTIATED;
    }
  }
  if (p.need_segment) {
    gst_pad_push_event(self->srcpad, gst_event_new_segment(&p.segment));
    p.need_segment = false;
  }
  return GST_FLOW_OK;
}

// One buffer of `count` samples: speech from `samples`, or silence flagged GAP when null.
static GstFlowReturn push_samples(GstPocketTts* self, const float* samples, size_t count) {
  PocketTtsPrivate& p = *self->priv;
  const bool s16 = p.format == GST_AUDIO_FORMAT_S16LE;
  GstBuffer* buffer = gst_buffer_new_allocate(nullptr, count * (s16 ? 2 : 4), nullptr);
  GstMapInfo map;
  gst_buffer_map(buffer, &map, GST_MAP_WRITE);
  if (!samples) {
    std::memset(map.data, 0, map.size);
  } else if (s16) {
    auto* out = reinterpret_cast<gint16*>(map.data);
    for (size_t i = 0; i < count; ++i) {
      const float x = std::isnan(samples[i]) ? 0.0f : std::clamp(samples[i], -1.0f, 1.0f);
      // Truncation toward zero after scaling by 32767, as the reference's WAV writer does.
      out[i] = GINT16_TO_LE(static_cast<gint16>(x * 32767.0f));
    }
  } else {
    auto* out = reinterpret_cast<guint32*>(map.data);
    for (size_t i = 0; i < count; ++i) {
      guint32 bits;
      std::memcpy(&bits, &samples[i], sizeof bits);
      out[i] = GUINT32_TO_LE(bits);
    }
  }
  gst_buffer_unmap(buffer, &map);

  const GstClockTime pts = position_of(p, p.sample_offset);
  GST_BUFFER_PTS(buffer) = pts;
  GST_BUFFER_DURATION(buffer) = position_of(p, p.sample_offset + count) - pts;
  GST_BUFFER_OFFSET(buffer) = p.sample_offset;
  GST_BUFFER_OFFSET_END(buffer) = p.sample_offset + count;
  if (p.discont) {
    GST_BUFFER_FLAG_SET(buffer, GST_BUFFER_FLAG_DISCONT);
    p.discont = false;
  }
  if (!samples) GST_BUFFER_FLAG_SET(buffer, GST_BUFFER_FLAG_GAP);
  p.sample_offset += count;
  p.position = position_of(p, p.sample_offset);
  return gst_pad_push(self->srcpad, buffer);
}

static bool is_cancelled(GstPocketTts* self, uint64_t epoch) {
  std::lock_guard<std::mutex> guard(self->priv->lock);
  return self->priv->flushing || self->priv->cancel_epoch != epoch;
}

static GstFlowReturn push_silence_until(GstPocketTts* self, GstClockTime position, uint64_t epoch) {
  PocketTtsPrivate& p = *self->priv;
  const guint64 end = samples_until(p, position);
  while (p.sample_offset < end) {
    if (is_cancelled(self, epoch)) return GST_FLOW_OK;
    const size_t count =
        static_cast<size_t>(std::min<guint64>(end - p.sample_offset, p.frame_size));
    const GstFlowReturn ret = push_samples(self, nullptr, count);
    if (ret != GST_FLOW_OK) return ret;
  }
  return GST_FLOW_OK;
}

// Live: an utterance starts now on the clock, not where the previous one ended.
static void follow_clock(GstPocketTts* self) {
  PocketTtsPrivate& p = *self->priv;
  GstClock* clock = gst_element_get_clock(GST_ELEMENT(self));
  if (!clock) return;
  const GstClockTime now = gst_clock_get_time(clock);
  gst_object_unref(clock);
  const GstClockTime base = gst_element_get_base_time(GST_ELEMENT(self));
  if (now < base) return;
  const GstClockTime position =
      gst_segment_position_from_running_time(&p.segment, GST_FORMAT_TIME, now - base);
  if (!GST_CLOCK_TIME_IS_VALID(position)) return;
  const guint64 offset = samples_until(p, position);
  if (offset > p.sample_offset) {
    p.sample_offset = offset;
    p.discont = true;
  }
}

static void post_element_message(GstPocketTts* self, GstStructure* structure) {
  gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), structure));
}

static GstFlowReturn speak_utterance(GstPocketTts* self, const Item& item) {
  PocketTtsPrivate& p = *self->priv;
  const Settings s = copy_settings(self);
  if (!prepare_model_and_voice(self, s)) return kFlowPostedError;

  GstFlowReturn ret = start_output(self);
  if (ret != GST_FLOW_OK) return ret;
  if (p.live) follow_clock(self);

  GstClockTime scheduled = GST_CLOCK_TIME_NONE;
  if (GST_CLOCK_TIME_IS_VALID(item.pts)) {
    scheduled = std::max<GstClockTime>(item.pts, p.segment.start);
    const GstClockTime cursor = position_of(p, p.sample_offset);
    if (scheduled > cursor) {
      ret = push_silence_until(self, scheduled, item.epoch);
      if (ret != GST_FLOW_OK) return ret;
    } else if (p.sample_offset > samples_until(p, scheduled)) {
      const GstClockTime lateness = cursor - scheduled;
      GST_INFO_OBJECT(self,
                      "overrun: \"%s\" was due at %" GST_TIME_FORMAT
                      " but the previous speech ran until %" GST_TIME_FORMAT " (%" GST_TIME_FORMAT
                      " late)",
                      item.text.c_str(), GST_TIME_ARGS(scheduled), GST_TIME_ARGS(cursor),
                      GST_TIME_ARGS(lateness));
      post_element_message(
          self,
          gst_structure_new("pockettts-overrun", "text", G_TYPE_STRING, item.text.c_str(),
                            "scheduled-running-time", G_TYPE_UINT64, running_time_of(p, scheduled),
                            "running-time", G_TYPE_UINT64, running_time_of(p, cursor), "lateness",
                            G_TYPE_UINT64, lateness, nullptr));
    }
  }
  if (is_cancelled(self, item.epoch)) return GST_FLOW_OK;

  const GstClockTime start = position_of(p, p.sample_offset);
  GST_DEBUG_OBJECT(self, "speaking \"%s\" at %" GST_TIME_FORMAT, item.text.c_str(),
                   GST_TIME_ARGS(start));
  post_element_message(
      self,
      gst_structure_new(
          "pockettts-utterance-start", "text", G_TYPE_STRING, item.text.c_str(), "running-time",
          G_TYPE_UINT64, running_time_of(p, start), "scheduled-running-time", G_TYPE_UINT64,
          GST_CLOCK_TIME_IS_VALID(scheduled) ? running_time_of(p, scheduled) : GST_CLOCK_TIME_NONE,
          nullptr));

  const auto requested = std::chrono::steady_clock::now();
  std::shared_ptr<pockettts::AudioChunkStream> stream;
  try {
    stream = p.model->generate_audio_stream(*p.voice, item.text, generate_options(s));
  } catch (const std::exception& e) {
    POST_ERROR(self, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
               std::string("Could not speak \"") + item.text + "\": " + e.what(), "");
    return kFlowPostedError;
  }
  {
    std::lock_guard<std::mutex> guard(p.lock);
    // A cancel or flush may have come between dequeuing and here.
    if (p.flushing || p.cancel_epoch != item.epoch) stream->cancel();
    p.stream = stream;
  }

  bool cancelled = false;
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
      record_first_chunk_latency(self, std::chrono::duration_cast<std::chrono::nanoseconds>(
                                           std::chrono::steady_clock::now() - requested)
                                           .count());
    }
    ret = push_samples(self, chunk.data(), chunk.size());
    ++frames;
    // The chunk that was already decoded when cancel() came is the last one.
    if (ret == GST_FLOW_OK && is_cancelled(self, item.epoch)) {
      cancelled = true;
      break;
    }
  }
  {
    std::lock_guard<std::mutex> guard(p.lock);
    p.stream.reset();
  }
  stream.reset();  // joins the generator threads, done or cancelled

  const GstClockTime end = position_of(p, p.sample_offset);
  GST_DEBUG_OBJECT(self, "spoke %u frames of \"%s\"%s", frames, item.text.c_str(),
                   cancelled ? " (cancelled)" : "");
  post_element_message(
      self, gst_structure_new("pockettts-utterance-end", "text", G_TYPE_STRING, item.text.c_str(),
                              "start-running-time", G_TYPE_UINT64, running_time_of(p, start),
                              "running-time", G_TYPE_UINT64, running_time_of(p, end), "frames",
                              G_TYPE_UINT, frames, "cancelled", G_TYPE_BOOLEAN,
                              static_cast<gboolean>(cancelled || ret != GST_FLOW_OK), nullptr));
  return ret;
}

static void pause_after(GstPocketTts* self, GstFlowReturn ret) {
  PocketTtsPrivate& p = *self->priv;
  GST_DEBUG_OBJECT(self, "pausing task: %s", gst_flow_get_name(ret));
  {
    std::lock_guard<std::mutex> guard(p.lock);
    p.src_flow = ret;
  }
  gst_pad_pause_task(self->srcpad);
  if (ret == GST_FLOW_FLUSHING) return;
  if (ret == GST_FLOW_NOT_LINKED || ret < GST_FLOW_EOS) {
    if (ret != kFlowPostedError) GST_ELEMENT_FLOW_ERROR(self, ret);
  }
  {
    std::lock_guard<std::mutex> guard(p.lock);
    p.eos_sent = true;
  }
  // Downstream EOS or an error: end the stream so sinks do not wait forever.
  gst_pad_push_event(self->srcpad, gst_event_new_eos());
}

static void gst_pocket_tts_loop(gpointer user_data) {
  GstPocketTts* self = GST_POCKET_TTS(user_data);
  PocketTtsPrivate& p = *self->priv;
  Item item;
  {
    std::unique_lock<std::mutex> lock(p.lock);
    p.cond.wait(lock, [&p] { return p.flushing || (!p.queue.empty() && (!p.live || p.playing)); });
    if (p.flushing) {
      lock.unlock();
      gst_pad_pause_task(self->srcpad);
      return;
    }
    item = std::move(p.queue.front());
    p.queue.pop_front();
    item.epoch = p.cancel_epoch;
  }

  GstFlowReturn ret = GST_FLOW_OK;
  switch (item.kind) {
    case ItemKind::kSegment:
      p.segment = item.segment;
      p.sample_offset = 0;
      p.need_segment = true;
      break;
    case ItemKind::kGap:
      ret = start_output(self);
      if (ret == GST_FLOW_OK) ret = push_silence_until(self, item.pts + item.duration, item.epoch);
      break;
    case ItemKind::kEos:
      ret = start_output(self);
      if (ret != GST_FLOW_OK) break;
      GST_DEBUG_OBJECT(self, "all text spoken, sending EOS");
      {
        // Before the push: whoever sees the EOS must also see speak() refuse.
        std::lock_guard<std::mutex> guard(p.lock);
        p.eos_sent = true;
        p.src_flow = GST_FLOW_EOS;
      }
      gst_pad_push_event(self->srcpad, gst_event_new_eos());
      gst_pad_pause_task(self->srcpad);
      return;
    case ItemKind::kUtterance:
      ret = speak_utterance(self, item);
      break;
  }
  if (ret != GST_FLOW_OK) pause_after(self, ret);
}

// Queues an utterance ahead of a queued EOS: speak() in source mode extends the speech.
static void queue_utterance(PocketTtsPrivate& p, Item item) {
  auto eos = std::find_if(p.queue.begin(), p.queue.end(),
                          [](const Item& i) { return i.kind == ItemKind::kEos; });
  p.queue.insert(eos, std::move(item));
  p.cond.notify_all();
}

static void queue_item(PocketTtsPrivate& p, Item item) {
  p.queue.push_back(std::move(item));
  p.cond.notify_all();
}

static void cancel_current(PocketTtsPrivate& p) {
  ++p.cancel_epoch;
  if (p.stream) p.stream->cancel();
  p.cond.notify_all();
}

static void flush_start(GstPocketTts* self) {
  PocketTtsPrivate& p = *self->priv;
  std::lock_guard<std::mutex> guard(p.lock);
  p.flushing = true;
  p.queue.clear();
  cancel_current(p);
}

// Called with the task paused: the streaming fields are ours.
static void flush_stop(GstPocketTts* self) {
  PocketTtsPrivate& p = *self->priv;
  {
    std::lock_guard<std::mutex> guard(p.lock);
    p.flushing = false;
    p.queue.clear();
    p.src_flow = GST_FLOW_OK;
    p.eos_sent = false;
    // A source has nothing left to say after a flush but must still end its stream.
    if (p.source_mode && p.source_eos) p.queue.push_back(Item(ItemKind::kEos));
  }
  // flush-stop resets running time: positions restart at the segment start.
  if (p.source_mode) gst_segment_init(&p.segment, GST_FORMAT_TIME);
  p.sample_offset = 0;
  p.need_segment = true;
  p.discont = true;
  gst_pad_start_task(self->srcpad, gst_pocket_tts_loop, self, nullptr);
}

// Text from upstream (one buffer, or one paragraph of a byte stream).
static GstFlowReturn queue_upstream_text(GstPocketTts* self, std::string text, GstClockTime pts,
                                         GstClockTime duration) {
  PocketTtsPrivate& p = *self->priv;
  // Some sources count the C string terminator in the buffer.
  while (!text.empty() && text.back() == '\0') text.pop_back();
  if (!pockettts_gst::is_valid_utf8(text)) {
    GST_ELEMENT_ERROR(
        self, STREAM, DECODE, ("The text to speak is not valid UTF-8."),
        ("text buffer at %" GST_TIME_FORMAT " (%zu bytes)", GST_TIME_ARGS(pts), text.size()));
    return GST_FLOW_ERROR;
  }
  if (p.markup) text = pockettts_gst::strip_pango_markup(text);

  std::lock_guard<std::mutex> guard(p.lock);
  if (pockettts_gst::is_blank(text)) {
    // An empty subtitle is a stretch of silence, not an error.
    GST_DEBUG_OBJECT(self, "empty text at %" GST_TIME_FORMAT, GST_TIME_ARGS(pts));
    if (GST_CLOCK_TIME_IS_VALID(pts) && GST_CLOCK_TIME_IS_VALID(duration)) {
      Item gap(ItemKind::kGap);
      gap.pts = pts;
      gap.duration = duration;
      queue_item(p, std::move(gap));
    }
    return GST_FLOW_OK;
  }
  Item item(ItemKind::kUtterance, std::move(text));
  item.pts = pts;
  queue_item(p, std::move(item));
  return GST_FLOW_OK;
}

static GstFlowReturn gst_pocket_tts_sink_chain(GstPad*, GstObject* parent, GstBuffer* buffer) {
  GstPocketTts* self = GST_POCKET_TTS(parent);
  PocketTtsPrivate& p = *self->priv;
  GstFlowReturn flow;
  {
    std::lock_guard<std::mutex> guard(p.lock);
    flow = p.src_flow;
  }
  if (flow != GST_FLOW_OK) {
    gst_buffer_unref(buffer);
    return flow == kFlowPostedError ? GST_FLOW_ERROR : flow;
  }

  std::string data;
  GstMapInfo map;
  if (gst_buffer_map(buffer, &map, GST_MAP_READ)) {
    data.assign(reinterpret_cast<const char*>(map.data), map.size);
    gst_buffer_unmap(buffer, &map);
  }
  const GstClockTime pts = GST_BUFFER_PTS(buffer);
  const GstClockTime duration = GST_BUFFER_DURATION(buffer);
  gst_buffer_unref(buffer);

  if (p.sink_segment.format == GST_FORMAT_TIME)
    return queue_upstream_text(self, std::move(data), pts, duration);

  // A byte stream (filesrc): blocks cut anywhere, so only whole paragraphs are utterances.
  for (std::string& paragraph : p.paragraphs.push(data.data(), data.size())) {
    flow =
        queue_upstream_text(self, std::move(paragraph), GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE);
    if (flow != GST_FLOW_OK) return flow;
  }
  return GST_FLOW_OK;
}

static gboolean gst_pocket_tts_sink_event(GstPad* pad, GstObject* parent, GstEvent* event) {
  GstPocketTts* self = GST_POCKET_TTS(parent);
  PocketTtsPrivate& p = *self->priv;
  GST_LOG_OBJECT(self, "sink event %" GST_PTR_FORMAT, static_cast<gpointer>(event));
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_CAPS: {
      GstCaps* caps;
      gst_event_parse_caps(event, &caps);
      const gchar* format = gst_structure_get_string(gst_caps_get_structure(caps, 0), "format");
      p.markup = g_strcmp0(format, "pango-markup") == 0;
      gst_event_unref(event);
      return TRUE;
    }
    case GST_EVENT_SEGMENT: {
      gst_event_copy_segment(event, &p.sink_segment);
      gst_event_unref(event);
      // Timed text keeps upstream's timeline; a byte stream leaves ours (from 0).
      if (p.sink_segment.format == GST_FORMAT_TIME) {
        Item item(ItemKind::kSegment);
        item.segment = p.sink_segment;
        std::lock_guard<std::mutex> guard(p.lock);
        queue_item(p, std::move(item));
      }
      return TRUE;
    }
    case GST_EVENT_GAP: {
      GstClockTime timestamp, duration;
      gst_event_parse_gap(event, &timestamp, &duration);
      gst_event_unref(event);
      if (GST_CLOCK_TIME_IS_VALID(timestamp) && GST_CLOCK_TIME_IS_VALID(duration)) {
        Item item(ItemKind::kGap);
        item.pts = timestamp;
        item.duration = duration;
        std::lock_guard<std::mutex> guard(p.lock);
        queue_item(p, std::move(item));
      }
      return TRUE;
    }
    case GST_EVENT_EOS: {
      gst_event_unref(event);
      if (p.sink_segment.format != GST_FORMAT_TIME) {
        std::string rest = p.paragraphs.finish();
        if (!rest.empty() && queue_upstream_text(self, std::move(rest), GST_CLOCK_TIME_NONE,
                                                 GST_CLOCK_TIME_NONE) != GST_FLOW_OK)
          return FALSE;
      }
      std::lock_guard<std::mutex> guard(p.lock);
      queue_item(p, Item(ItemKind::kEos));
      return TRUE;
    }
    case GST_EVENT_FLUSH_START:
      flush_start(self);
      gst_pad_push_event(self->srcpad, event);
      gst_pad_pause_task(self->srcpad);
      return TRUE;
    case GST_EVENT_FLUSH_STOP:
      gst_pad_push_event(self->srcpad, event);
      gst_segment_init(&p.sink_segment, GST_FORMAT_TIME);
      p.paragraphs.reset();
      flush_stop(self);
      return TRUE;
    case GST_EVENT_STREAM_START:
      // The audio is a stream of our own; src sends its own stream-start.
      gst_event_unref(event);
      return TRUE;
    default:
      if (GST_EVENT_IS_SERIALIZED(event)) {
        // Would overtake the queued speech if forwarded now; nothing downstream needs them.
        gst_event_unref(event);
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
      flush_start(self);
      gst_event_unref(event);
      gst_pad_pause_task(self->srcpad);
      return TRUE;
    case GST_EVENT_FLUSH_STOP:
      gst_event_unref(event);
      flush_stop(self);
      return TRUE;
    case GST_EVENT_SEEK: {
      bool source_mode;
      {
        std::lock_guard<std::mutex> guard(p.lock);
        source_mode = p.source_mode;
      }
      // Upstream text (subparse) can seek; speech generated from a property cannot.
      if (source_mode) {
        gst_event_unref(event);
        return FALSE;
      }
      return gst_pad_push_event(self->sinkpad, event);
    }
    case GST_EVENT_RECONFIGURE:
      // The pad remembers it; the task renegotiates before its next buffer.
      gst_event_unref(event);
      return TRUE;
    default:
      return gst_pad_event_default(pad, parent, event);
  }
}

static gboolean gst_pocket_tts_src_query(GstPad* pad, GstObject* parent, GstQuery* query) {
  GstPocketTts* self = GST_POCKET_TTS(parent);
  PocketTtsPrivate& p = *self->priv;
  switch (GST_QUERY_TYPE(query)) {
    case GST_QUERY_LATENCY: {
      std::lock_guard<std::mutex> guard(p.lock);
      if (!p.live) {
        gst_query_set_latency(query, FALSE, 0, GST_CLOCK_TIME_NONE);
        return TRUE;
      }
      // Before anything was generated, one frame is the best guess.
      const GstClockTime latency = GST_CLOCK_TIME_IS_VALID(p.latency)
                                       ? p.latency
                                       : gst_util_uint64_scale_int(p.frame_size, GST_SECOND, kRate);
      // The generator runs ahead of the clock, so any amount can be buffered.
      gst_query_set_latency(query, TRUE, latency, GST_CLOCK_TIME_NONE);
      GST_DEBUG_OBJECT(self, "latency %" GST_TIME_FORMAT, GST_TIME_ARGS(latency));
      return TRUE;
    }
    case GST_QUERY_POSITION: {
      GstFormat format;
      gst_query_parse_position(query, &format, nullptr);
      const GstClockTime position = p.position;
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
    {
      std::lock_guard<std::mutex> guard(p.lock);
      p.flushing = false;
    }
    return gst_pad_start_task(pad, gst_pocket_tts_loop, self, nullptr);
  }
  {
    std::lock_guard<std::mutex> guard(p.lock);
    p.flushing = true;
    cancel_current(p);
  }
  return gst_pad_stop_task(pad);
}

static gboolean gst_pocket_tts_speak(GstPocketTts* self, const gchar* text) {
  PocketTtsPrivate& p = *self->priv;
  const std::string utterance = text ? text : "";
  if (!pockettts_gst::is_valid_utf8(utterance)) {
    GST_WARNING_OBJECT(self, "speak: text is not valid UTF-8, ignored");
    return FALSE;
  }
  if (pockettts_gst::is_blank(utterance)) {
    GST_WARNING_OBJECT(self, "speak: empty text, ignored");
    return FALSE;
  }
  std::lock_guard<std::mutex> guard(p.lock);
  if (p.eos_sent) {
    GST_WARNING_OBJECT(self, "speak: the stream has ended (EOS), \"%s\" ignored", text);
    return FALSE;
  }
  GST_DEBUG_OBJECT(self, "speak: queued \"%s\"", text);
  queue_utterance(p, Item(ItemKind::kUtterance, utterance));
  return TRUE;
}

static void gst_pocket_tts_cancel(GstPocketTts* self) {
  PocketTtsPrivate& p = *self->priv;
  std::lock_guard<std::mutex> guard(p.lock);
  GST_DEBUG_OBJECT(self, "cancel: dropping current and queued speech");
  p.queue.erase(std::remove_if(p.queue.begin(), p.queue.end(),
                               [](const Item& i) { return i.kind == ItemKind::kUtterance; }),
                p.queue.end());
  cancel_current(p);
}

// NULL->READY: the model and the voice, so that a bad path fails the state change.
static bool gst_pocket_tts_start(GstPocketTts* self) {
  PocketTtsPrivate& p = *self->priv;
  const Settings s = copy_settings(self);
  if (!prepare_model_and_voice(self, s)) return false;
  {
    std::lock_guard<std::mutex> guard(p.lock);
    p.latency = GST_CLOCK_TIME_NONE;
    p.live = s.is_live;
  }
  if (s.is_live) measure_latency(self, s);
  return true;
}

// READY->PAUSED, before the pads activate and the task starts.
static bool gst_pocket_tts_prepare_stream(GstPocketTts* self) {
  PocketTtsPrivate& p = *self->priv;
  const Settings s = copy_settings(self);
  const bool source_mode = !gst_pad_is_linked(self->sinkpad);

  std::lock_guard<std::mutex> guard(p.lock);
  p.live = s.is_live;
  p.source_mode = source_mode;
  p.source_eos = false;
  p.playing = false;
  p.src_flow = GST_FLOW_OK;
  p.eos_sent = false;
  // Utterances queued with speak() before the stream started stay queued.
  p.queue.erase(std::remove_if(p.queue.begin(), p.queue.end(),
                               [](const Item& i) { return i.kind != ItemKind::kUtterance; }),
                p.queue.end());
  gst_segment_init(&p.segment, GST_FORMAT_TIME);
  gst_segment_init(&p.sink_segment, GST_FORMAT_TIME);
  p.sink_segment.format = GST_FORMAT_UNDEFINED;  // until upstream says
  p.paragraphs.reset();
  p.markup = false;
  p.need_stream_start = true;
  p.need_segment = true;
  p.discont = true;
  p.format = GST_AUDIO_FORMAT_UNKNOWN;
  p.sample_offset = 0;
  p.position = GST_CLOCK_TIME_NONE;

  GST_DEBUG_OBJECT(self, "%s mode%s", source_mode ? "source" : "filter", s.is_live ? ", live" : "");
  if (!source_mode) return true;

  if (!pockettts_gst::is_valid_utf8(s.text)) {
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("The text property is not valid UTF-8."),
                      ("%zu bytes", s.text.size()));
    return false;
  }
  if (!pockettts_gst::is_blank(s.text)) {
    p.queue.push_front(Item(ItemKind::kUtterance, s.text));
  } else if (p.queue.empty() && !s.is_live) {
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS,
                      ("Nothing to speak: the text property is empty and no text source is "
                       "linked to the sink pad."),
                      ("set text=\"...\", link a text source, or set is-live=true and use the "
                       "speak action signal"));
    return false;
  }
  // A live source with no text waits for speak(); otherwise the stream ends after the text.
  if (!p.queue.empty()) {
    p.source_eos = true;
    p.queue.push_back(Item(ItemKind::kEos));
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
    case GST_STATE_CHANGE_PAUSED_TO_PLAYING: {
      std::lock_guard<std::mutex> guard(p.lock);
      p.playing = true;
      p.cond.notify_all();
      break;
    }
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
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED: {
      std::lock_guard<std::mutex> guard(p.lock);
      p.playing = false;
      if (p.live) ret = GST_STATE_CHANGE_NO_PREROLL;
      break;
    }
    case GST_STATE_CHANGE_PAUSED_TO_READY: {
      std::lock_guard<std::mutex> guard(p.lock);
      p.queue.clear();
      p.stream.reset();
      break;
    }
    case GST_STATE_CHANGE_READY_TO_NULL:
      p.voice.reset();
      p.model.reset();
      p.model_request = {};
      break;
    default:
      break;
  }
  return ret;
}

static void gst_pocket_tts_set_property(GObject* object, guint prop_id, const GValue* value,
                                        GParamSpec* pspec) {
  GstPocketTts* self = GST_POCKET_TTS(object);
  std::lock_guard<std::mutex> guard(self->priv->settings_lock);
  Settings& s = self->priv->settings;
  auto string_of = [value] {
    const gchar* str = g_value_get_string(value);
    return std::string(str ? str : "");
  };
  switch (prop_id) {
    case PROP_TEXT:
      s.text = string_of();
      break;
    case PROP_VOICE:
      s.voice = string_of();
      break;
    case PROP_MODEL:
      s.model = string_of();
      break;
    case PROP_TEMPERATURE:
      s.temperature = g_value_get_float(value);
      break;
    case PROP_LSD_DECODE_STEPS:
      s.lsd_decode_steps = g_value_get_int(value);
      break;
    case PROP_NOISE_CLAMP:
      s.noise_clamp = g_value_get_float(value);
      break;
    case PROP_EOS_THRESHOLD:
      s.eos_threshold = g_value_get_float(value);
      break;
    case PROP_FRAMES_AFTER_EOS:
      s.frames_after_eos = g_value_get_int(value);
      break;
    case PROP_MAX_TOKENS:
      s.max_tokens = g_value_get_int(value);
      break;
    case PROP_SEED:
      s.seed = g_value_get_int64(value);
      break;
    case PROP_TRUNCATE_VOICE:
      s.truncate_voice = g_value_get_boolean(value);
      break;
    case PROP_DEVICE:
      s.device = string_of();
      break;
    case PROP_NUM_THREADS:
      s.num_threads = g_value_get_int(value);
      break;
    case PROP_PRECISION:
      s.precision = static_cast<pockettts::Precision>(g_value_get_enum(value));
      break;
    case PROP_IS_LIVE:
      s.is_live = g_value_get_boolean(value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
}

static void gst_pocket_tts_get_property(GObject* object, guint prop_id, GValue* value,
                                        GParamSpec* pspec) {
  GstPocketTts* self = GST_POCKET_TTS(object);
  std::lock_guard<std::mutex> guard(self->priv->settings_lock);
  const Settings& s = self->priv->settings;
  switch (prop_id) {
    case PROP_TEXT:
      g_value_set_string(value, s.text.c_str());
      break;
    case PROP_VOICE:
      g_value_set_string(value, s.voice.c_str());
      break;
    case PROP_MODEL:
      g_value_set_string(value, s.model.c_str());
      break;
    case PROP_TEMPERATURE:
      g_value_set_float(value, s.temperature);
      break;
    case PROP_LSD_DECODE_STEPS:
      g_value_set_int(value, s.lsd_decode_steps);
      break;
    case PROP_NOISE_CLAMP:
      g_value_set_float(value, s.noise_clamp);
      break;
    case PROP_EOS_THRESHOLD:
      g_value_set_float(value, s.eos_threshold);
      break;
    case PROP_FRAMES_AFTER_EOS:
      g_value_set_int(value, s.frames_after_eos);
      break;
    case PROP_MAX_TOKENS:
      g_value_set_int(value, s.max_tokens);
      break;
    case PROP_SEED:
      g_value_set_int64(value, s.seed);
      break;
    case PROP_TRUNCATE_VOICE:
      g_value_set_boolean(value, s.truncate_voice);
      break;
    case PROP_DEVICE:
      g_value_set_string(value, s.device.c_str());
      break;
    case PROP_NUM_THREADS:
      g_value_set_int(value, s.num_threads);
      break;
    case PROP_PRECISION:
      g_value_set_enum(value, static_cast<gint>(s.precision));
      break;
    case PROP_IS_LIVE:
      g_value_set_boolean(value, s.is_live);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
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

  const auto flags = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                              GST_PARAM_MUTABLE_PLAYING);
  g_object_class_install_property(
      gobject_class, PROP_TEXT,
      g_param_spec_string("text", "Text",
                          "Text to speak when no text source is linked to the sink pad "
                          "(the element then ends the stream after it)",
                          "", flags));
  g_object_class_install_property(
      gobject_class, PROP_VOICE,
      g_param_spec_string("voice", "Voice",
                          "Voice to speak with: a predefined voice (alba, marius, javert, jean, "
                          "fantine, cosette, eponine, azelma), an audio file path or URI to "
                          "clone, or a .safetensors voice file. A change applies to the next "
                          "utterance",
                          pockettts::kDefaultVoice, flags));
  g_object_class_install_property(
      gobject_class, PROP_MODEL,
      g_param_spec_string("model", "Model",
                          "Model variant id or path to a model YAML config. Elements using the "
                          "same model and device share one loaded copy",
                          pockettts::kDefaultVariant, flags));
  g_object_class_install_property(
      gobject_class, PROP_TEMPERATURE,
      g_param_spec_float("temperature", "Temperature",
                         "Sampling temperature: variety of the speech (0 = deterministic)", 0.0f,
                         10.0f, pockettts::kDefaultTemperature, flags));
  g_object_class_install_property(
      gobject_class, PROP_LSD_DECODE_STEPS,
      g_param_spec_int("lsd-decode-steps", "LSD decode steps",
                       "Flow decoding steps per frame: more is slower and slightly cleaner", 1, 100,
                       pockettts::kDefaultLsdDecodeSteps, flags));
  g_object_class_install_property(
      gobject_class, PROP_NOISE_CLAMP,
      g_param_spec_float("noise-clamp", "Noise clamp",
                         "Clamp the sampling noise to +/- this value (0 = no clamp)", 0.0f,
                         G_MAXFLOAT, 0.0f, flags));
  g_object_class_install_property(
      gobject_class, PROP_EOS_THRESHOLD,
      g_param_spec_float("eos-threshold", "EOS threshold",
                         "End-of-speech logit threshold: higher ends utterances later", -100.0f,
                         100.0f, pockettts::kDefaultEosThreshold, flags));
  g_object_class_install_property(
      gobject_class, PROP_FRAMES_AFTER_EOS,
      g_param_spec_int("frames-after-eos", "Frames after EOS",
                       "Frames (80 ms each) generated after the model detects the end of "
                       "speech (-1 = guessed from the text length)",
                       -1, 1000, -1, flags));
  g_object_class_install_property(
      gobject_class, PROP_MAX_TOKENS,
      g_param_spec_int("max-tokens", "Max tokens",
                       "Longest text chunk, in tokens, generated at once; longer text is split "
                       "at sentence ends",
                       1, 10000, pockettts::kDefaultMaxTokensPerChunk, flags));
  g_object_class_install_property(
      gobject_class, PROP_SEED,
      g_param_spec_int64("seed", "Seed",
                         "Random seed for reproducible speech (-1 = a new seed per utterance)", -1,
                         G_MAXINT64, kDefaultSeed, flags));
  g_object_class_install_property(
      gobject_class, PROP_TRUNCATE_VOICE,
      g_param_spec_boolean("truncate-voice", "Truncate voice",
                           "Use only the first 30 seconds of a voice audio file", FALSE, flags));
  g_object_class_install_property(
      gobject_class, PROP_DEVICE,
      g_param_spec_string("device", "Device", "Device to run the model on (this build: cpu)",
                          kDefaultDevice, flags));
  g_object_class_install_property(
      gobject_class, PROP_NUM_THREADS,
      g_param_spec_int("num-threads", "Number of threads",
                       "Compute threads per model operation, for the whole process (0 = the "
                       "library's default, 1; each utterance already uses two threads)",
                       0, 1024, 0, flags));
  g_object_class_install_property(
      gobject_class, PROP_PRECISION,
      g_param_spec_enum("precision", "Precision",
                        "How the flow model's weights are held: fp32 is exact (the reference's "
                        "numbers), bf16 and int8 are faster at a small measured error",
                        gst_pocket_tts_precision_get_type(),
                        static_cast<gint>(pockettts::Precision::kFp32), flags));
  g_object_class_install_property(
      gobject_class, PROP_IS_LIVE,
      g_param_spec_boolean(
          "is-live", "Is live",
          "Act as a live source: speak in PLAYING only, timestamps follow the clock, and "
          "report the model's first-chunk latency",
          FALSE,
          static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                   GST_PARAM_MUTABLE_READY)));

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
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_set_static_metadata(
      element_class, "Pocket TTS speech synthesizer", "Source/Audio",
      "Speaks text with Kyutai's Pocket TTS model (24 kHz, streaming, voice cloning)",
      "pockettts developers");
}

static void gst_pocket_tts_init(GstPocketTts* self) {
  self->priv = new PocketTtsPrivate();
  gst_segment_init(&self->priv->segment, GST_FORMAT_TIME);
  gst_segment_init(&self->priv->sink_segment, GST_FORMAT_UNDEFINED);

  self->srcpad = gst_pad_new_from_static_template(&src_template, "src");
  gst_pad_set_activatemode_function(self->srcpad,
                                    GST_DEBUG_FUNCPTR(gst_pocket_tts_src_activate_mode));
  gst_pad_set_event_function(self->srcpad, GST_DEBUG_FUNCPTR(gst_pocket_tts_src_event));
  gst_pad_set_query_function(self->srcpad, GST_DEBUG_FUNCPTR(gst_pocket_tts_src_query));
  gst_pad_use_fixed_caps(self->srcpad);
  gst_element_add_pad(GST_ELEMENT(self), self->srcpad);

  self->sinkpad = gst_pad_new_from_static_template(&sink_template, "sink");
  gst_pad_set_chain_function(self->sinkpad, GST_DEBUG_FUNCPTR(gst_pocket_tts_sink_chain));
  gst_pad_set_event_function(self->sinkpad, GST_DEBUG_FUNCPTR(gst_pocket_tts_sink_event));
  gst_element_add_pad(GST_ELEMENT(self), self->sinkpad);
}
