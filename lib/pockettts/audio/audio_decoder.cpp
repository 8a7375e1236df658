// Audio decoding through a GStreamer pipeline.
//
// read_audio builds `uridecodebin ! audioconvert ! audioresample ! capsfilter ! appsink` and
// pulls float samples until EOS. Channel downmixing to mono is done here rather than by
// audioconvert so that it is exactly the plain channel mean the reference computes, whatever
// channel layout the decoder reports.
#include <pockettts/audio_decoder.h>

#include <gst/app/gstappsink.h>
#include <gst/audio/audio.h>
#include <gst/gst.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <vector>

#include <pockettts/error.h>

namespace pockettts {

namespace {

// ---------------------------------------------------------------------------------------------
// GStreamer plumbing

void ensure_gst_initialized() {
  static std::once_flag once;
  static std::string init_error;
  std::call_once(once, [] {
    // An application may have initialised GStreamer already (e.g. the element's host).
    if (gst_is_initialized()) return;
    GError* error = nullptr;
    if (!gst_init_check(nullptr, nullptr, &error)) {
      init_error = error ? error->message : "unknown error";
      if (error) g_error_free(error);
    }
  });
  if (!init_error.empty()) {
    throw Error(ErrorCode::kInternal, "cannot initialise GStreamer: " + init_error);
  }
}

// State shared with the decodebin's streaming threads (pad-added / no-more-pads callbacks).
struct DecodeContext {
  GstElement* pipeline = nullptr;
  GstElement* convert = nullptr;
  std::atomic<bool> audio_linked{false};
  std::atomic<bool> no_more_pads{false};
  std::mutex mutex;                    // guards the fields below
  std::vector<std::string> non_audio;  // caps names of streams that are not audio
};

// Owns the pipeline; stopping it in the destructor makes every exit path (exceptions
// included) release the decoder threads and the file.
struct PipelineGuard {
  GstElement* pipeline = nullptr;
  ~PipelineGuard() {
    if (pipeline) {
      gst_element_set_state(pipeline, GST_STATE_NULL);
      gst_object_unref(pipeline);
    }
  }
};

struct SampleGuard {
  GstSample* sample;
  ~SampleGuard() { gst_sample_unref(sample); }
};

std::string caps_name(GstCaps* caps) {
  if (!caps || gst_caps_get_size(caps) == 0) return "";
  return gst_structure_get_name(gst_caps_get_structure(caps, 0));
}

// Streams we do not decode (video, subtitles, a second audio track) go to a fakesink: an
// unlinked pad could otherwise stop the demuxer with a not-linked flow error.
void link_to_fakesink(DecodeContext* ctx, GstPad* pad) {
  GstElement* sink = gst_element_factory_make("fakesink", nullptr);
  if (!sink) return;
  g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
  gst_bin_add(GST_BIN(ctx->pipeline), sink);
  gst_element_sync_state_with_parent(sink);
  GstPad* sink_pad = gst_element_get_static_pad(sink, "sink");
  gst_pad_link(pad, sink_pad);
  gst_object_unref(sink_pad);
}

void on_pad_added(GstElement* /*decodebin*/, GstPad* pad, gpointer user_data) {
  auto* ctx = static_cast<DecodeContext*>(user_data);
  GstCaps* caps = gst_pad_get_current_caps(pad);
  if (!caps) caps = gst_pad_query_caps(pad, nullptr);
  std::string name = caps_name(caps);
  if (caps) gst_caps_unref(caps);

  if (name.rfind("audio/", 0) == 0 && !ctx->audio_linked.load()) {
    GstPad* sink_pad = gst_element_get_static_pad(ctx->convert, "sink");
    bool linked = gst_pad_link(pad, sink_pad) == GST_PAD_LINK_OK;
    gst_object_unref(sink_pad);
    if (linked) {
      ctx->audio_linked = true;
      return;
    }
  }
  {
    std::lock_guard<std::mutex> lock(ctx->mutex);
    ctx->non_audio.push_back(name.empty() ? "unknown" : name);
  }
  link_to_fakesink(ctx, pad);
}

void on_no_more_pads(GstElement* /*decodebin*/, gpointer user_data) {
  static_cast<DecodeContext*>(user_data)->no_more_pads = true;
}

// The installation hint for a missing decoder, from the caps it was asked to decode.
std::string plugin_hint(const std::string& caps) {
  std::string packages;
  if (caps.find("audio/mpeg") != std::string::npos) {
    packages = "gstreamer1.0-plugins-good (mpg123) or gstreamer1.0-libav";
  } else if (caps.find("audio/x-flac") != std::string::npos ||
             caps.find("audio/x-wav") != std::string::npos) {
    packages = "gstreamer1.0-plugins-good";
  } else if (caps.find("vorbis") != std::string::npos || caps.find("opus") != std::string::npos ||
             caps.find("application/ogg") != std::string::npos) {
    packages = "gstreamer1.0-plugins-base";
  } else {
    packages = "gstreamer1.0-plugins-good, gstreamer1.0-plugins-bad or gstreamer1.0-libav";
  }
  return "no decoder for this format: install " + packages;
}

// What a missing-plugin element message asks for ("decoder for audio/x-foo"). Read from the
// message structure directly so that no gst-pbutils dependency is needed.
std::string missing_plugin_detail(GstMessage* message) {
  const GstStructure* s = gst_message_get_structure(message);
  if (!s || !gst_structure_has_name(s, "missing-plugin")) return "";
  std::string detail;
  const char* type = gst_structure_get_string(s, "type");
  if (type) detail = type;
  const GValue* value = gst_structure_get_value(s, "detail");
  if (value) {
    gchar* text = nullptr;
    if (G_VALUE_HOLDS_STRING(value)) {
      text = g_value_dup_string(value);
    } else if (GST_VALUE_HOLDS_CAPS(value)) {
      // The media type says what is missing; the full caps would only add noise.
      const GstCaps* caps = gst_value_get_caps(value);
      if (caps && gst_caps_get_size(caps) > 0) {
        text = g_strdup(gst_structure_get_name(gst_caps_get_structure(caps, 0)));
      }
    } else {
      text = gst_value_serialize(value);
    }
    if (text) {
      detail += detail.empty() ? "" : " for ";
      detail += text;
      g_free(text);
    }
  }
  return detail.empty() ? "unknown plugin" : detail;
}

// A URI is used as is; anything else is a local path that must exist.
std::string to_uri(const std::string& path_or_uri) {
  if (path_or_uri.empty()) throw Error(ErrorCode::kInvalidArgument, "empty audio path");
  std::string local;
  if (gst_uri_is_valid(path_or_uri.c_str())) {
    if (path_or_uri.rfind("file:", 0) != 0) return path_or_uri;
    gchar* filename = g_filename_from_uri(path_or_uri.c_str(), nullptr, nullptr);
    if (!filename) throw Error(ErrorCode::kInvalidArgument, "invalid file URI: " + path_or_uri);
    local = filename;
    g_free(filename);
  } else {
    local = path_or_uri;
  }
  struct stat st;
  if (stat(local.c_str(), &st) != 0) {
    throw Error(ErrorCode::kNotFound, "audio file not found: " + local);
  }
  if (S_ISDIR(st.st_mode)) {
    throw Error(ErrorCode::kInvalidData, "cannot read audio from a directory: " + local);
  }
  GError* error = nullptr;
  gchar* uri = gst_filename_to_uri(local.c_str(), &error);
  if (!uri) {
    std::string message = error ? error->message : "unknown error";
    if (error) g_error_free(error);
    throw Error(ErrorCode::kInvalidArgument, "cannot make a URI of " + local + ": " + message);
  }
  std::string result = uri;
  g_free(uri);
  return result;
}

GstElement* make_element(const char* factory, const char* plugin_package) {
  GstElement* element = gst_element_factory_make(factory, nullptr);
  if (!element) {
    throw Error(ErrorCode::kInternal, std::string("GStreamer element '") + factory +
                                          "' is missing: install " + plugin_package);
  }
  return element;
}

// A decoder that makes no progress for this long is considered stuck. Generous for a network
// URI, which may legitimately stall for a while. A local file almost always fails through the
// bus at once, but not always: decodebin drops an error its demuxer posts while being brought up
// (an Ogg stream with no chain, found by fuzz_voice_audio, stops 1 run in 4 with no error, no EOS
// and no sample), so a local file gets a few seconds, far above any gap between its samples.
constexpr auto kStallTimeout = std::chrono::seconds(30);
constexpr auto kLocalStallTimeout = std::chrono::seconds(5);
constexpr GstClockTime kPullTimeout = 50 * GST_MSECOND;

}  // namespace

Audio read_audio(const std::string& path_or_uri, const AudioReadOptions& options) {
  if (options.sample_rate && *options.sample_rate <= 0) {
    throw Error(ErrorCode::kInvalidArgument, "sample rate must be positive");
  }
  if (options.channels && *options.channels <= 0) {
    throw Error(ErrorCode::kInvalidArgument, "channel count must be positive");
  }
  if (options.max_seconds && !(*options.max_seconds > 0.0)) {
    throw Error(ErrorCode::kInvalidArgument, "max_seconds must be positive");
  }
  const std::string uri = to_uri(path_or_uri);
  ensure_gst_initialized();

  DecodeContext ctx;
  PipelineGuard guard;
  guard.pipeline = gst_pipeline_new("pockettts-read-audio");
  ctx.pipeline = guard.pipeline;
  const char* base = "gstreamer1.0-plugins-base";
  GstElement* decode = make_element("uridecodebin", base);
  GstElement* convert = make_element("audioconvert", base);
  GstElement* resample = make_element("audioresample", base);
  GstElement* filter = make_element("capsfilter", "gstreamer1.0 (core)");
  GstElement* sink = make_element("appsink", base);
  gst_bin_add_many(GST_BIN(guard.pipeline), decode, convert, resample, filter, sink, nullptr);
  ctx.convert = convert;

  g_object_set(decode, "uri", uri.c_str(), nullptr);
  // The best Kaiser filter: closest to scipy's resample_poly that the reference uses, and
  // voice prompts are short enough that its cost does not matter.
  g_object_set(resample, "quality", 10, nullptr);

  // Native-endian float (F32LE on every platform we build for). The channel count is left to
  // the source when mono is asked for: the mean is taken below.
  GstCaps* caps = gst_caps_new_simple("audio/x-raw", "format", G_TYPE_STRING, GST_AUDIO_NE(F32),
                                      "layout", G_TYPE_STRING, "interleaved", nullptr);
  if (options.sample_rate)
    gst_caps_set_simple(caps, "rate", G_TYPE_INT, *options.sample_rate, nullptr);
  if (options.channels && *options.channels > 1) {
    gst_caps_set_simple(caps, "channels", G_TYPE_INT, *options.channels, nullptr);
  }
  g_object_set(filter, "caps", caps, nullptr);
  gst_caps_unref(caps);
  g_object_set(sink, "sync", FALSE, "emit-signals", FALSE, "max-buffers", 64, nullptr);

  if (!gst_element_link_many(convert, resample, filter, sink, nullptr)) {
    throw Error(ErrorCode::kInternal, "cannot link the audio conversion elements");
  }
  g_signal_connect(decode, "pad-added", G_CALLBACK(on_pad_added), &ctx);
  g_signal_connect(decode, "no-more-pads", G_CALLBACK(on_no_more_pads), &ctx);

  GstBus* bus = gst_element_get_bus(guard.pipeline);
  struct BusGuard {
    GstBus* bus;
    ~BusGuard() { gst_object_unref(bus); }
  } bus_guard{bus};

  std::vector<std::string> missing_plugins;
  auto fail = [&](const std::string& what) -> Error {
    std::string message = "cannot decode audio from " + path_or_uri + ": " + what;
    if (!missing_plugins.empty()) {
      message += " (missing: " + missing_plugins.front() + "; " +
                 plugin_hint(missing_plugins.front()) + ")";
    }
    return Error(ErrorCode::kInvalidData, message);
  };
  // Drains pending bus messages; throws on the first error.
  auto check_bus = [&]() {
    std::string error_text;
    while (GstMessage* message = gst_bus_pop(bus)) {
      switch (GST_MESSAGE_TYPE(message)) {
        case GST_MESSAGE_ERROR:
          if (error_text.empty()) {
            GError* error = nullptr;
            gchar* debug = nullptr;
            gst_message_parse_error(message, &error, &debug);
            error_text = error ? error->message : "unknown GStreamer error";
            if (error) g_error_free(error);
            g_free(debug);
          }
          break;
        case GST_MESSAGE_ELEMENT: {
          std::string detail = missing_plugin_detail(message);
          if (!detail.empty()) missing_plugins.push_back(detail);
          break;
        }
        default:
          break;
      }
      gst_message_unref(message);
    }
    if (!error_text.empty()) throw fail(error_text);
  };

  if (gst_element_set_state(guard.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    check_bus();
    throw fail("the pipeline did not start");
  }

  std::vector<float> interleaved;
  int rate = 0;
  int channels = 0;
  size_t max_frames = SIZE_MAX;
  const std::chrono::seconds stall_timeout =
      uri.rfind("file:", 0) == 0 ? kLocalStallTimeout : kStallTimeout;
  auto last_progress = std::chrono::steady_clock::now();
  GstAppSink* appsink = GST_APP_SINK(sink);
  for (;;) {
    GstSample* sample = gst_app_sink_try_pull_sample(appsink, kPullTimeout);
    if (!sample) {
      if (gst_app_sink_is_eos(appsink)) break;
      check_bus();
      if (ctx.no_more_pads && !ctx.audio_linked) {
        std::lock_guard<std::mutex> lock(ctx.mutex);
        std::string streams;
        for (const auto& s : ctx.non_audio) streams += (streams.empty() ? "" : ", ") + s;
        if (!missing_plugins.empty()) throw fail("no decoder for its stream");
        throw fail("it has no audio stream" +
                   (streams.empty() ? "" : " (streams: " + streams + ")"));
      }
      if (std::chrono::steady_clock::now() - last_progress > stall_timeout) {
        throw fail("no audio decoded within " + std::to_string(stall_timeout.count()) + " s");
      }
      continue;
    }
    SampleGuard sample_guard{sample};
    last_progress = std::chrono::steady_clock::now();
    GstAudioInfo info;
    if (!gst_audio_info_from_caps(&info, gst_sample_get_caps(sample))) {
      throw fail("the decoder produced unreadable caps");
    }
    if (rate == 0) {
      rate = GST_AUDIO_INFO_RATE(&info);
      channels = GST_AUDIO_INFO_CHANNELS(&info);
      if (options.max_seconds) {
        max_frames = static_cast<size_t>(std::llround(*options.max_seconds * rate));
      }
    } else if (rate != GST_AUDIO_INFO_RATE(&info) || channels != GST_AUDIO_INFO_CHANNELS(&info)) {
      // Without a requested rate/channel count the output follows the source, which may
      // change mid-stream (chained Ogg); a single Audio cannot hold that.
      throw fail("the sample rate or channel count changes mid-stream; ask for a fixed one");
    }
    GstBuffer* buffer = gst_sample_get_buffer(sample);
    if (!buffer) continue;
    GstMapInfo map;
    if (!gst_buffer_map(buffer, &map, GST_MAP_READ)) throw fail("cannot map a decoded buffer");
    const size_t count = map.size / sizeof(float);
    const size_t old_size = interleaved.size();
    interleaved.resize(old_size + count);
    std::memcpy(interleaved.data() + old_size, map.data, count * sizeof(float));
    gst_buffer_unmap(buffer, &map);
    if (interleaved.size() / static_cast<size_t>(channels) >= max_frames) break;
  }
  // An error may have been posted just before EOS (e.g. a truncated stream).
  check_bus();
  if (rate == 0 || interleaved.empty()) throw fail("it contains no audio samples");

  size_t frames = interleaved.size() / static_cast<size_t>(channels);
  frames = std::min(frames, max_frames);

  Audio audio;
  audio.sample_rate = rate;
  if (options.channels && *options.channels == 1 && channels > 1) {
    // The reference averages channels (numpy mean): a plain mean, whatever the layout.
    audio.channels = 1;
    audio.samples.resize(frames);
    for (size_t f = 0; f < frames; ++f) {
      double sum = 0.0;
      for (int c = 0; c < channels; ++c) sum += interleaved[f * channels + c];
      audio.samples[f] = static_cast<float>(sum / channels);
    }
  } else {
    audio.channels = channels;
    audio.samples.resize(frames * channels);
    for (int c = 0; c < channels; ++c) {
      float* out = audio.samples.data() + static_cast<size_t>(c) * frames;
      for (size_t f = 0; f < frames; ++f) out[f] = interleaved[f * channels + c];
    }
  }
  return audio;
}

}  // namespace pockettts
