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

#include <pockettts/audio.h>
#include <pockettts/error.h>
#include <pockettts/options.h>
#include <pockettts/ssml.h>
#include <pockettts/text.h>
#include <pockettts/voices.h>

namespace pockettts {

struct InternalAccess;

// A float tensor in row-major order, for values the Python API returns as tensors.
struct FloatTensor {
  std::vector<int64_t> shape;
  std::vector<float> data;
};

// The FlowLM state after a voice prompt: what `get_state_for_audio_prompt` returns.
// Opaque; copyable (a deep copy), movable. Owned by one stream at a time.
class VoiceState {
 public:
  VoiceState(const VoiceState& other);
  VoiceState& operator=(const VoiceState& other);
  VoiceState(VoiceState&&) noexcept;
  VoiceState& operator=(VoiceState&&) noexcept;
  ~VoiceState();

  // Number of positions (prompt frames, and text/latents when generated in place) cached.
  int64_t length() const;

 private:
  struct Impl;
  friend struct InternalAccess;  // the library's own code (engine/engine.h), not an API
  explicit VoiceState(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A pull stream of audio chunks (one model frame, `frame_size()` samples each), produced on
// background threads while the caller consumes them. Destroying it cancels and joins. The
// silence of an SSML break comes as zeros in chunks of at most a frame, its last chunk holding
// the remainder (so a break of 500 ms at 24 kHz is 12000 samples: 6 frames and 480).
class AudioChunkStream {
 public:
  virtual ~AudioChunkStream() = default;
  // Blocks until the next chunk is decoded. Returns false at the end of the text.
  // Throws pockettts::Error on failure, and kCancelled after cancel().
  virtual bool next(std::vector<float>& chunk) = 0;
  // Stops generation within one frame; safe from any thread, wakes a blocked next().
  virtual void cancel() = 0;
};

class TTSModel {
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
  // The options it was loaded with; `config` holds the variant a `language` chose.
  const LoadOptions& options() const;
  // The variant id the config was loaded by ("b6369a24", "german_24l"); empty for a path.
  const std::string& variant() const;
  // Whose behaviour the model has: "4ae9fb2" (b6369a24 and configs of its schema) or "9514983"
  // (the model packs, and configs with 9514983's keys).
  std::string reference_version() const;
  // The predefined voices this model takes by name (its pack's; b6369a24's for a 4ae9fb2
  // config; none for a 9514983 config loaded from a path), and the one to use when none is
  // chosen (empty when there are none).
  const std::vector<std::string>& predefined_voices() const;
  std::string default_voice() const;
  // How it prepares and splits text (split_into_best_sentences with these chunks as it does).
  TextOptions text_options() const;

  // `source` is a predefined voice name (alba, marius, ...), an audio file path or URI of any
  // format GStreamer decodes, an hf:// or https:// URL, or a `.safetensors` voice file (either
  // the `audio_prompt` format or an exported model state). `truncate` keeps the first 30 s.
  // Remote sources are downloaded when missing from the cache (`download` watches that).
  VoiceState get_state_for_audio_prompt(const std::string& source, bool truncate = false,
                                        const DownloadOptions& download = {}) const;
  // Audio already at the model's sample rate; channels are averaged.
  VoiceState get_state_for_audio_prompt(const Audio& audio, bool truncate = false) const;

  // `text` is plain text, or an SSML document when options.text_format is kSsml
  // (<pockettts/ssml.h>; its warnings are logged).
  std::vector<float> generate_audio(VoiceState& state, const std::string& text,
                                    const GenerateOptions& options = {}) const;
  std::unique_ptr<AudioChunkStream> generate_audio_stream(
      VoiceState& state, const std::string& text, const GenerateOptions& options = {}) const;
  // What a parsed script says (parse_ssml, or built by the caller): its text segments as plain
  // text, its breaks as exact silence. options.text_format is not used.
  std::vector<float> generate_audio(VoiceState& state, const SpeechScript& script,
                                    const GenerateOptions& options = {}) const;
  std::unique_ptr<AudioChunkStream> generate_audio_stream(
      VoiceState& state, const SpeechScript& script, const GenerateOptions& options = {}) const;

  // Encodes `source` (as above, audio only) and writes {"audio_prompt": [1, T, d_model]} to
  // `export_path` (".safetensors" appended when missing). Returns the 24 kHz mono audio used.
  Audio save_audio_prompt(const std::string& source, const std::string& export_path,
                          bool truncate = false) const;
  // The prompt tensor [1, T, d_model] for audio at the model rate.
  FloatTensor encode_audio_prompt(const Audio& audio) const;
  // Writes the state as "<module>/<key>" tensors (the reference's export_model_state format:
  // "/current_end" as 4ae9fb2 writes it for b6369a24, "/offset" as 9514983 for its packs).
  void export_voice_state(const VoiceState& state, const std::string& export_path) const;

 private:
  struct Impl;
  friend struct InternalAccess;
  explicit TTSModel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The most cores one model operation may use (process-wide; default: every core this process
// may run on). A stream generates and decodes on two threads of its own; the big products of
// each are split over the cores the other leaves free, never over a core another computing
// thread holds, so more threads never slow anything down. 1: no split (each operation on its
// calling thread). The results are the same bits whatever the value.
void set_compute_threads(int threads);

}  // namespace pockettts
