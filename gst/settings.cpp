#include "settings.h"

#include <gst/gst.h>

#include <string>

#include <pockettts/model_packs.h>

namespace pockettts_gst {

namespace {

// The `precision` property's enum: values follow pockettts::Precision.
GType gst_pocket_tts_precision_get_type() {
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

GType gst_pocket_tts_overflow_get_type() {
  static GType type = 0;
  static const GEnumValue values[] = {
      {static_cast<gint>(Overflow::kShift),
       "The next cue starts late, where the speech before it ends", "shift"},
      {static_cast<gint>(Overflow::kClip),
       "The speech is cut at the next cue's start, with a short fade-out", "clip"},
      {static_cast<gint>(Overflow::kOverlap),
       "Every cue starts at its own time: the speech overlaps (for a mixer downstream)",
       "overlap"},
      {0, nullptr, nullptr}};
  if (g_once_init_enter(&type)) {
    GType t = g_enum_register_static("GstPocketTtsOverflow", values);
    g_once_init_leave(&type, t);
  }
  return type;
}

}  // namespace

const char* overflow_nick(Overflow overflow) {
  GEnumClass* klass = static_cast<GEnumClass*>(g_type_class_ref(gst_pocket_tts_overflow_get_type()));
  const GEnumValue* value = g_enum_get_value(klass, static_cast<gint>(overflow));
  g_type_class_unref(klass);  // static: its values outlive the reference
  return value->value_nick;
}

namespace {

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
  PROP_MAX_QUEUED,
  PROP_OVERFLOW,
  PROP_LANGUAGE,
  PROP_SSML,
};

}  // namespace

void install_properties(GObjectClass* gobject_class) {
  const auto flags = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                              GST_PARAM_MUTABLE_PLAYING);
  g_object_class_install_property(
      gobject_class, PROP_TEXT,
      g_param_spec_string("text", "Text",
                          "Text to speak when no text source is linked to the sink pad "
                          "(the element then ends the stream after it); set while the stream "
                          "runs, it is spoken next",
                          "", flags));
  g_object_class_install_property(
      gobject_class, PROP_VOICE,
      g_param_spec_string("voice", "Voice",
                          g_intern_string(("Voice to speak with: a predefined voice (" +
                                           pockettts::predefined_voice_list() +
                                           " for b6369a24; a language pack has its own), an "
                                           "audio file path or URI to clone, or a .safetensors "
                                           "voice file (empty = the model's default voice: " +
                                           pockettts::kDefaultVoice +
                                           " for b6369a24). A change applies to the next "
                                           "utterance")
                                              .c_str()),
                          "", flags));
  g_object_class_install_property(
      gobject_class, PROP_MODEL,
      g_param_spec_string("model", "Model",
                          "Model variant id or path to a model YAML config, downloaded from the "
                          "hub when missing from the cache. Elements using the same model, "
                          "language, device and precision share one loaded copy",
                          pockettts::kDefaultVariant, flags));
  g_object_class_install_property(
      gobject_class, PROP_LANGUAGE,
      g_param_spec_string(
          "language", "Language",
          g_intern_string(("Model pack by language, as the reference's --language (" +
                           pockettts::language_list() +
                           "); leave model at its default when set (empty = the model property "
                           "decides)")
                              .c_str()),
          "", flags));
  g_object_class_install_property(
      gobject_class, PROP_SSML,
      g_param_spec_boolean("ssml", "SSML",
                           "The text property and speak() are SSML documents (<speak>, <p>, <s>, "
                           "<break>, <sub>); upstream text says so by its caps "
                           "(application/ssml+xml)",
                           FALSE, flags));
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
                       "The most cores one model operation may use, for the whole process "
                       "(0 = the library's default: all cores; 1 = none split)",
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
  g_object_class_install_property(
      gobject_class, PROP_MAX_QUEUED,
      g_param_spec_uint("max-queued", "Max queued",
                        "Utterances waiting to be spoken at most (0 = no bound). When full, "
                        "upstream blocks; live, the oldest waiting text is dropped with a "
                        "warning; speak() is refused when not live. Applies at once",
                        0, G_MAXUINT, kDefaultMaxQueued, flags));
  g_object_class_install_property(
      gobject_class, PROP_OVERFLOW,
      g_param_spec_enum("overflow", "Overflow",
                        "Timed text whose speech runs past the next cue's start: shift the next "
                        "cue, clip the speech, or let them overlap (pockettts-overrun is "
                        "posted in each case)",
                        gst_pocket_tts_overflow_get_type(), static_cast<gint>(Overflow::kShift),
                        flags));
}

bool is_text_property(guint prop_id) { return prop_id == PROP_TEXT; }

bool is_max_queued_property(guint prop_id) { return prop_id == PROP_MAX_QUEUED; }

bool set_setting(Settings& s, guint prop_id, const GValue* value) {
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
      s.sampling.temp = g_value_get_float(value);
      break;
    case PROP_LSD_DECODE_STEPS:
      s.sampling.lsd_decode_steps = g_value_get_int(value);
      break;
    case PROP_NOISE_CLAMP: {
      const float clamp = g_value_get_float(value);
      if (clamp > 0.0f)
        s.sampling.noise_clamp = clamp;
      else
        s.sampling.noise_clamp.reset();
      break;
    }
    case PROP_EOS_THRESHOLD:
      s.sampling.eos_threshold = g_value_get_float(value);
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
    case PROP_MAX_QUEUED:
      s.max_queued = g_value_get_uint(value);
      break;
    case PROP_LANGUAGE:
      s.language = string_of();
      break;
    case PROP_SSML:
      s.ssml = g_value_get_boolean(value);
      break;
    case PROP_OVERFLOW:
      s.overflow = static_cast<Overflow>(g_value_get_enum(value));
      break;
    default:
      return false;
  }
  return true;
}

bool get_setting(const Settings& s, guint prop_id, GValue* value) {
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
      g_value_set_float(value, s.sampling.temp);
      break;
    case PROP_LSD_DECODE_STEPS:
      g_value_set_int(value, s.sampling.lsd_decode_steps);
      break;
    case PROP_NOISE_CLAMP:
      g_value_set_float(value, s.sampling.noise_clamp.value_or(0.0f));
      break;
    case PROP_EOS_THRESHOLD:
      g_value_set_float(value, s.sampling.eos_threshold);
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
    case PROP_MAX_QUEUED:
      g_value_set_uint(value, s.max_queued);
      break;
    case PROP_LANGUAGE:
      g_value_set_string(value, s.language.c_str());
      break;
    case PROP_SSML:
      g_value_set_boolean(value, s.ssml);
      break;
    case PROP_OVERFLOW:
      g_value_set_enum(value, static_cast<gint>(s.overflow));
      break;
    default:
      return false;
  }
  return true;
}

}  // namespace pockettts_gst
