// The public TTSModel: a thin facade over the engine. Every entry point runs in inference mode
// and turns libtorch's errors into pockettts::Error.
#include <pockettts/tts_model.h>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include "engine/engine.h"
#include "engine/generation.h"
#include "engine/torch_errors.h"
#include "engine/voice_prompt.h"
#include "kernels/worker_pool.h"
#include "model/voice_file.h"

namespace pockettts {

namespace {

// Runs `f` in inference mode with libtorch's errors translated.
template <typename F>
auto guarded(F&& f) -> decltype(f()) {
  c10::InferenceMode guard;
  return translate_torch_errors(std::forward<F>(f));
}

}  // namespace

void set_compute_threads(int threads) {
  if (threads < 1) throw Error(ErrorCode::kInvalidArgument, "threads must be at least 1");
  kernels::set_compute_threads(threads);
}

std::shared_ptr<const TTSModel> InternalAccess::make_model(std::shared_ptr<const Engine> engine) {
  return std::shared_ptr<const TTSModel>(
      new TTSModel(std::make_unique<TTSModel::Impl>(TTSModel::Impl{std::move(engine)})));
}

VoiceState InternalAccess::make_voice(FlowLmState state) {
  return VoiceState(std::make_unique<VoiceState::Impl>(VoiceState::Impl{std::move(state)}));
}

TTSModel::TTSModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TTSModel::~TTSModel() = default;

std::shared_ptr<const TTSModel> TTSModel::load_model(const LoadOptions& options) {
  // libtorch's own ops (a few small ones per step, the voice encoder's glue) stay on the calling
  // thread: its intra-op threads would fight ours for the cores (kernels/worker_pool.h).
  at::set_num_threads(1);
  return guarded([&] { return InternalAccess::make_model(Engine::load(options)); });
}

std::string TTSModel::device() const { return impl_->engine->options.device; }
int TTSModel::sample_rate() const { return impl_->engine->config.mimi.sample_rate; }
int TTSModel::frame_size() const { return static_cast<int>(impl_->engine->mimi->frame_size()); }
bool TTSModel::has_voice_cloning() const { return impl_->engine->has_voice_cloning; }
const LoadOptions& TTSModel::options() const { return impl_->engine->options; }
const std::string& TTSModel::variant() const { return impl_->engine->config.variant; }
std::string TTSModel::reference_version() const {
  return schema_name(impl_->engine->config.schema);
}
const std::vector<std::string>& TTSModel::predefined_voices() const {
  static const std::vector<std::string> none;
  const std::string& pack = impl_->engine->behaviour.voice_pack;
  return pack.empty() ? none : pockettts::predefined_voices(pack);
}
std::string TTSModel::default_voice() const {
  const std::string& pack = impl_->engine->behaviour.voice_pack;
  return pack.empty() ? std::string() : pockettts::default_voice(pack);
}
TextOptions TTSModel::text_options() const { return impl_->engine->behaviour.text; }

VoiceState TTSModel::get_state_for_audio_prompt(const std::string& source, bool truncate,
                                                const DownloadOptions& download) const {
  return guarded([&] {
    return InternalAccess::make_voice(
        voice_state_for_source(*impl_->engine, source, truncate, download));
  });
}

VoiceState TTSModel::get_state_for_audio_prompt(const Audio& audio, bool truncate) const {
  return guarded([&] {
    return InternalAccess::make_voice(voice_state_for_audio(*impl_->engine, audio, truncate));
  });
}

FloatTensor TTSModel::encode_audio_prompt(const Audio& audio) const {
  return guarded([&] {
    at::Tensor prompt = prompt_for_audio(*impl_->engine, audio);
    FloatTensor out;
    out.shape = prompt.sizes().vec();
    out.data.assign(prompt.data_ptr<float>(), prompt.data_ptr<float>() + prompt.numel());
    return out;
  });
}

std::vector<float> TTSModel::generate_audio(VoiceState& state, const std::string& text,
                                            const GenerateOptions& options) const {
  auto stream = generate_audio_stream(state, text, options);
  std::vector<float> audio, chunk;
  while (stream->next(chunk)) audio.insert(audio.end(), chunk.begin(), chunk.end());
  return audio;
}

std::unique_ptr<AudioChunkStream> TTSModel::generate_audio_stream(
    VoiceState& state, const std::string& text, const GenerateOptions& options) const {
  return guarded([&] { return start_generation(impl_->engine, flow_state(state), text, options); });
}

std::vector<float> TTSModel::generate_audio(VoiceState& state, const SpeechScript& script,
                                            const GenerateOptions& options) const {
  auto stream = generate_audio_stream(state, script, options);
  std::vector<float> audio, chunk;
  while (stream->next(chunk)) audio.insert(audio.end(), chunk.begin(), chunk.end());
  return audio;
}

std::unique_ptr<AudioChunkStream> TTSModel::generate_audio_stream(
    VoiceState& state, const SpeechScript& script, const GenerateOptions& options) const {
  return guarded(
      [&] { return start_generation(impl_->engine, flow_state(state), script, options); });
}

Audio TTSModel::save_audio_prompt(const std::string& source, const std::string& export_path,
                                  bool truncate) const {
  return guarded([&] {
    if (export_path.empty()) throw Error(ErrorCode::kInvalidArgument, "export path is empty");
    const Engine& engine = *impl_->engine;
    require_voice_cloning(engine);
    Audio audio = read_voice_audio(engine, source, truncate);
    write_audio_prompt(with_safetensors_suffix(export_path), prompt_for_audio(engine, audio));
    return audio;
  });
}

void TTSModel::export_voice_state(const VoiceState& state, const std::string& export_path) const {
  guarded([&] {
    if (export_path.empty()) throw Error(ErrorCode::kInvalidArgument, "export path is empty");
    write_voice_state(with_safetensors_suffix(export_path), flow_state(state),
                      impl_->engine->behaviour.voice_state_format);
  });
}

VoiceState::VoiceState(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
VoiceState::VoiceState(const VoiceState& other)
    : impl_(std::make_unique<Impl>(Impl{guarded([&] { return other.impl_->state.clone(); })})) {}
VoiceState& VoiceState::operator=(const VoiceState& other) {
  if (this != &other) *this = VoiceState(other);
  return *this;
}
VoiceState::VoiceState(VoiceState&&) noexcept = default;
VoiceState& VoiceState::operator=(VoiceState&&) noexcept = default;
VoiceState::~VoiceState() = default;
int64_t VoiceState::length() const { return impl_ ? impl_->state.length() : 0; }

}  // namespace pockettts
