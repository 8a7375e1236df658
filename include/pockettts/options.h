// What a model is loaded with and what a generation may change: one type per concept, used by
// the library, the element and the command-line tool alike.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <pockettts/download.h>

namespace pockettts {

inline constexpr const char* kDefaultVariant = "b6369a24";
inline constexpr float kDefaultTemperature = 0.7f;
inline constexpr int kDefaultLsdDecodeSteps = 1;
inline constexpr float kDefaultEosThreshold = -4.0f;
inline constexpr int kDefaultMaxTokensPerChunk = 50;

// How the flow LM's weights are held. kFp32 is exact (the reference's numbers); kBf16 and
// kInt8 (per-channel scales) read 2x / 4x fewer bytes per step, at a measured error
// (docs/performance.md). Mimi always runs in fp32.
enum class Precision { kFp32, kBf16, kInt8 };
const char* precision_name(Precision precision);     // "fp32", "bf16", "int8"
Precision parse_precision(const std::string& name);  // Error(kInvalidArgument) if unknown

// How latents are sampled. The model keeps the values it was loaded with; a generation may
// override them all at once (the element applies property changes this way).
struct SamplingOptions {
  float temp = kDefaultTemperature;  // noise variance; 0 is deterministic
  int lsd_decode_steps = kDefaultLsdDecodeSteps;
  std::optional<float> noise_clamp;  // unset: untruncated noise
  float eos_threshold = kDefaultEosThreshold;
};

// Throws Error(kInvalidArgument) naming the first value out of range.
void validate(const SamplingOptions& sampling);

struct LoadOptions {
  // A variant id (e.g. "b6369a24", shipped with the library) or a path to a YAML config.
  std::string config = kDefaultVariant;
  // The reference's `language` (a model pack of 9514983: "english", "german_24l", ... see
  // <pockettts/model_packs.h>): when set, the model loaded is that pack, and `config` must be
  // left at its default (Error(kInvalidArgument) otherwise, as the reference refuses both).
  std::string language;
  SamplingOptions sampling;  // the reference's load_model(temp, lsd_decode_steps, ...)
  std::string device = "cpu";
  Precision precision = Precision::kFp32;
  // Watches and stops the downloads of the config, tokenizer and weights while loading. Used
  // only during load_model (the model keeps no callback).
  DownloadOptions download;
  // Benchmarks and tests: weights drawn at random from this seed instead of read from the
  // config's weights file (the tokenizer is still the config's).
  std::optional<uint64_t> random_weights_seed;
};

// What the text given to generate_audio(_stream) is: plain text (spoken as it is, the
// reference's behaviour) or an SSML document (<pockettts/ssml.h>: pauses, sentences,
// substitutions), which is opt-in.
enum class TextFormat { kPlain, kSsml };

struct GenerateOptions {
  std::optional<SamplingOptions> sampling;  // unset: the model's LoadOptions values
  std::optional<int> frames_after_eos;      // unset: guessed from the text, as the reference does
  int max_tokens = kDefaultMaxTokensPerChunk;
  bool copy_state = true;        // false: the voice state advances with the generation
  std::optional<uint64_t> seed;  // unset: a random seed per generation
  TextFormat text_format = TextFormat::kPlain;
};

}  // namespace pockettts
