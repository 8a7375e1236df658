// libpockettts public API: the C++ counterpart of the Python `pocket_tts.TTSModel`.
//
// Plain C++ types only: no libtorch or GStreamer header is needed to use it. Tensor
// overloads live in <pockettts/torch_interop.h>.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <pockettts/error.h>

namespace pockettts {

inline constexpr const char* kDefaultVariant = "b6369a24";
inline constexpr const char* kDefaultVoice = "alba";
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

struct LoadOptions {
  // A variant id (e.g. "b6369a24", shipped with the library) or a path to a YAML config.
  std::string config = kDefaultVariant;
  float temp = kDefaultTemperature;
  int lsd_decode_steps = kDefaultLsdDecodeSteps;
  std::optional<float> noise_clamp;  // unset: untruncated noise
  float eos_threshold = kDefaultEosThreshold;
  std::string device = "cpu";
  Precision precision = Precision::kFp32;
  // Benchmarks and tests: weights drawn at random from this seed instead of read from the
  // config's weights file (the tokenizer is still the config's).
  std::optional<uint64_t> random_weights_seed;
};

// How latents are sampled. The model keeps the values it was loaded with; a generation may
// override them all at once (the element applies property changes this way).
struct SamplingOptions {
  float temp = kDefaultTemperature;
  int lsd_decode_steps = kDefaultLsdDecodeSteps;
  std::optional<float> noise_clamp;
  float eos_threshold = kDefaultEosThreshold;
};

struct GenerateOptions {
  std::optional<SamplingOptions> sampling;  // unset: the model's LoadOptions values
  std::optional<int> frames_after_eos;      // unset: guessed from the text, as the reference does
  int max_tokens = kDefaultMaxTokensPerChunk;
  bool copy_state = true;        // false: the voice state advances with the generation
  std::optional<uint64_t> seed;  // unset: a random seed per generation
};

// Audio as float samples, channel-major ([channels][frames] flattened).
struct Audio {
  int sample_rate = 0;
  int channels = 0;
  std::vector<float> samples;
  size_t frames() const { return channels ? samples.size() / static_cast<size_t>(channels) : 0; }
};

// A float tensor in row-major order, for values the Python API returns as tensors.
struct FloatTensor {
  std::vector<int64_t> shape;
  std::vector<float> data;
};

// The FlowLM state after a voice prompt: what `get_state_for_audio_prompt` returns.
// Opaque; copyable (a deep copy), movable. Owned by one stream at a time.
class VoiceState {
 public:
  struct Impl;
  explicit VoiceState(std::unique_ptr<Impl> impl);
  VoiceState(const VoiceState& other);
  VoiceState& operator=(const VoiceState& other);
  VoiceState(VoiceState&&) noexcept;
  VoiceState& operator=(VoiceState&&) noexcept;
  ~VoiceState();

  // Number of positions (prompt frames, and text/latents when generated in place) cached.
  int64_t length() const;

  Impl& impl() { return *impl_; }
  const Impl& impl() const { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

// A pull stream of audio chunks (one model frame, `frame_size()` samples each), produced on
// background threads while the caller consumes them. Destroying it cancels and joins.
class AudioChunkStream {
 public:
  virtual ~AudioChunkStream() = default;
  // Blocks until the next chunk is decoded. Returns false at the end of the text.
  // Throws pockettts::Error on failure, and kCancelled after cancel().
  virtual bool next(std::vector<float>& chunk) = 0;
  // Stops generation within one frame; safe from any thread, wakes a blocked next().
  virtual void cancel() = 0;
};

class TTSModel : public std::enable_shared_from_this<TTSModel> {
 public:
  // Loads config, tokenizer and weights. The model is immutable afterwards: one instance may
  // serve any number of streams on any threads at once.
  static std::shared_ptr<const TTSModel> load_model(const LoadOptions& options = {});

  ~TTSModel();
  TTSModel(const TTSModel&) = delete;
  TTSModel& operator=(const TTSModel&) = delete;

  std::string device() const;
  int sample_rate() const;
  int frame_size() const;  // samples per generated frame (1920 at 24 kHz, 12.5 Hz)
  bool has_voice_cloning() const;
  const LoadOptions& options() const;

  // `source` is a predefined voice name (alba, marius, ...), an audio file path or URI of any
  // format GStreamer decodes, an hf:// or https:// URL, or a `.safetensors` voice file (either
  // the `audio_prompt` format or an exported model state). `truncate` keeps the first 30 s.
  VoiceState get_state_for_audio_prompt(const std::string& source, bool truncate = false) const;
  // Audio already at the model's sample rate; channels are averaged.
  VoiceState get_state_for_audio_prompt(const Audio& audio, bool truncate = false) const;

  std::vector<float> generate_audio(VoiceState& state, const std::string& text,
                                    const GenerateOptions& options = {}) const;
  std::unique_ptr<AudioChunkStream> generate_audio_stream(
      VoiceState& state, const std::string& text, const GenerateOptions& options = {}) const;

  // Encodes `source` (as above, audio only) and writes {"audio_prompt": [1, T, d_model]} to
  // `export_path` (".safetensors" appended when missing). Returns the 24 kHz mono audio used.
  Audio save_audio_prompt(const std::string& source, const std::string& export_path,
                          bool truncate = false) const;
  // The prompt tensor [1, T, d_model] for audio at the model rate.
  FloatTensor encode_audio_prompt(const Audio& audio) const;
  // Writes the state as "<module>/<key>" tensors (the reference's export_model_state format).
  void export_voice_state(const VoiceState& state, const std::string& export_path) const;

  struct Impl;
  const Impl& impl() const { return *impl_; }

 private:
  explicit TTSModel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Compute threads used by each model operation (libtorch intra-op threads, process-wide).
// Default 1: every stream already runs generation and decoding on two threads of its own.
void set_compute_threads(int threads);

// Names of the predefined voices the reference ships (alba, marius, ...).
const std::vector<std::string>& predefined_voices();

}  // namespace pockettts
