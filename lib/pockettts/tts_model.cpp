#include "tts_model.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include <atomic>
#include <chrono>

#include "audio_io.h"
#include "generation.h"
#include "kernels/quantized_linear.h"
#include "kernels/worker_pool.h"
#include "log.h"
#include "resources.h"
#include "tts_model_impl.h"
#include "voice.h"
#include "weights.h"

namespace pockettts {

namespace {

constexpr const char* kPredefinedVoiceRepo =
    "hf://kyutai/pocket-tts-without-voice-cloning/embeddings/";
constexpr const char* kPredefinedVoiceRevision = "d4fdd22ae8c8e1cb3634e150ebeff1dab2d16df3";
constexpr double kTruncateSeconds = 30.0;

const char* kVoiceCloningUnsupported =
    "voice cloning needs the weights of kyutai/pocket-tts, which could not be loaded (they are "
    "gated: accept the terms on https://huggingface.co/kyutai/pocket-tts, then set HF_TOKEN or "
    "run `huggingface-cli login`, and load the model again); without them use a predefined "
    "voice (alba, marius, javert, jean, fantine, cosette, eponine, azelma) or a .safetensors "
    "voice file";

std::atomic<int> g_compute_threads{0};

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Resolves the checkpoint, falling back from the gated voice-cloning weights to the public
// ones as the reference does.
std::string resolve_weights(const Config& config, bool& has_voice_cloning) {
  if (config.flow_lm.weights_path || config.mimi.weights_path) {
    throw Error(ErrorCode::kUnsupported,
                config.source +
                    ": separate flow_lm/mimi weights files are not supported; use a "
                    "single weights_path with the TTSModel key layout");
  }
  if (!config.weights_path) {
    throw Error(ErrorCode::kInvalidData, config.source + " has no weights_path");
  }
  try {
    has_voice_cloning = true;
    return resolve_resource(*config.weights_path);
  } catch (const Error& error) {
    if (!config.weights_path_without_voice_cloning || error.code() == ErrorCode::kCancelled) throw;
    // As the reference: no access to the gated weights is no reason to fail, only to lose
    // cloning. Logged at info level, not as a warning: a user without a token is no fault, and
    // GStreamer's checks make warnings fatal.
    log_info("the weights with voice cloning (" + *config.weights_path + ") are unavailable: " +
             error.what() + "; loading the weights without voice cloning (" +
             *config.weights_path_without_voice_cloning + ")");
    has_voice_cloning = false;
    return resolve_resource(*config.weights_path_without_voice_cloning);
  }
}

// Channel-major samples must fill whole frames, or they cannot be split into channels.
void check_whole_frames(const Audio& audio) {
  if (audio.channels > 0 && audio.samples.size() % static_cast<size_t>(audio.channels) != 0) {
    throw Error(ErrorCode::kInvalidArgument, "the voice prompt audio has " +
                                                 std::to_string(audio.samples.size()) +
                                                 " samples, not a whole number of frames of " +
                                                 std::to_string(audio.channels) + " channels");
  }
}

at::Tensor audio_to_tensor(const Audio& audio) {
  if (audio.channels < 1 || audio.frames() == 0) {
    throw Error(ErrorCode::kInvalidArgument, "the voice prompt audio is empty");
  }
  check_whole_frames(audio);
  at::Tensor samples =
      at::from_blob(const_cast<float*>(audio.samples.data()),
                    {audio.channels, static_cast<int64_t>(audio.frames())}, at::kFloat)
          .clone();
  // Channels are averaged, as the reference does when it reads a multi-channel file.
  return audio.channels == 1 ? samples : samples.mean(0, true);
}

Audio first_frames(const Audio& audio, size_t frames) {
  check_whole_frames(audio);
  Audio out{audio.sample_rate, audio.channels, {}};
  for (int c = 0; c < audio.channels; ++c) {
    auto begin = audio.samples.begin() + static_cast<long>(c * audio.frames());
    out.samples.insert(out.samples.end(), begin, begin + static_cast<long>(frames));
  }
  return out;
}

// A voice prompt file or URI as mono audio at the model rate (first 30 s when truncating).
Audio read_voice_audio(const std::string& source, int sample_rate, bool truncate) {
  const std::string path = is_remote_reference(source) ? resolve_resource(source) : source;
  AudioReadOptions read;
  read.sample_rate = sample_rate;
  read.channels = 1;
  if (truncate) read.max_seconds = kTruncateSeconds;
  return read_audio(path, read);
}

}  // namespace

void set_compute_threads(int threads) {
  if (threads < 1) throw Error(ErrorCode::kInvalidArgument, "threads must be at least 1");
  g_compute_threads = threads;
  at::set_num_threads(threads);
}

const char* precision_name(Precision precision) {
  switch (precision) {
    case Precision::kBf16:
      return "bf16";
    case Precision::kInt8:
      return "int8";
    default:
      return "fp32";
  }
}

Precision parse_precision(const std::string& name) {
  for (Precision p : {Precision::kFp32, Precision::kBf16, Precision::kInt8}) {
    if (name == precision_name(p)) return p;
  }
  throw Error(ErrorCode::kInvalidArgument,
              "unknown precision '" + name + "' (expected fp32, bf16 or int8)");
}

const std::vector<std::string>& predefined_voices() {
  static const std::vector<std::string> voices = {"alba",    "marius",  "javert",  "jean",
                                                  "fantine", "cosette", "eponine", "azelma"};
  return voices;
}

Sampling TTSModel::Impl::sampling(const std::optional<SamplingOptions>& o) const {
  Sampling s;
  s.temp = o ? o->temp : options.temp;
  s.lsd_decode_steps = o ? o->lsd_decode_steps : options.lsd_decode_steps;
  auto clamp = o ? o->noise_clamp : options.noise_clamp;
  if (clamp) s.noise_clamp = *clamp;
  s.eos_threshold = o ? o->eos_threshold : options.eos_threshold;
  if (s.temp < 0) throw Error(ErrorCode::kInvalidArgument, "temperature must not be negative");
  if (s.lsd_decode_steps < 1) {
    throw Error(ErrorCode::kInvalidArgument, "lsd_decode_steps must be at least 1");
  }
  if (s.noise_clamp && *s.noise_clamp <= 0) {
    throw Error(ErrorCode::kInvalidArgument, "noise_clamp must be positive when set");
  }
  return s;
}

at::Tensor TTSModel::Impl::encode_audio(const at::Tensor& audio) const {
  kernels::ComputeScope scope(scheduler->idle_cores());  // spare cores, when no stream runs
  at::Tensor latent = mimi->encode_to_latent(audio.view({1, 1, -1}));
  return flow_lm->project_speaker(latent.transpose(-1, -2).to(at::kFloat));
}

FlowLmState TTSModel::Impl::state_for_prompt(const at::Tensor& prompt) const {
  kernels::ComputeScope scope(scheduler->idle_cores());
  FlowLmState state = flow_lm->init_state(prompt.size(1));
  flow_lm->prompt_audio(prompt, state, sampling(std::nullopt), nullptr);
  return state;
}

TTSModel::TTSModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TTSModel::~TTSModel() = default;

std::shared_ptr<const TTSModel> TTSModel::load_model(const LoadOptions& options) {
  c10::InferenceMode guard;
  log_runtime_once();
  if (options.device != "cpu") {
    throw Error(ErrorCode::kUnsupported,
                "device '" + options.device + "' is not supported: this build runs on 'cpu'");
  }
  // One compute thread per stream unless the application chose otherwise: generation and
  // decoding already run on two threads, as in the reference (torch.set_num_threads(1)).
  if (g_compute_threads == 0) at::set_num_threads(1);

  const auto start = std::chrono::steady_clock::now();
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->config = load_config(options.config);
  const Config& config = impl->config;
  impl->sampling(std::nullopt);  // validates the sampling options early

  impl->tokenizer = Tokenizer::load(resolve_resource(config.flow_lm.lookup_table.tokenizer_path),
                                    config.flow_lm.lookup_table.n_bins);

  auto weights = options.random_weights_seed
                     ? Weights::random(*options.random_weights_seed)
                     : Weights::load(resolve_weights(config, impl->has_voice_cloning));
  WeightPath root(*weights, "");
  impl->flow_lm =
      std::make_unique<FlowLm>(root.pp("flow_lm"), config.flow_lm, config.mimi.quantizer.dimension,
                               config.mimi.seanet.dimension);
  impl->mimi = std::make_unique<Mimi>(root.pp("mimi"), config.mimi);
  weights->check_all_taken();
  if (options.precision == Precision::kBf16) impl->flow_lm->compress(WeightFormat::kBF16);
  if (options.precision == Precision::kInt8) impl->flow_lm->compress(WeightFormat::kInt8);
  impl->scheduler = std::make_unique<StreamScheduler>(*impl->flow_lm);

  const auto ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start);
  log_info("model " + config.source + " loaded from " + weights->path() + " in " +
           std::to_string(static_cast<int>(ms.count())) + " ms");
  return std::shared_ptr<const TTSModel>(new TTSModel(std::move(impl)));
}

std::string TTSModel::device() const { return impl_->options.device; }
int TTSModel::sample_rate() const { return impl_->config.mimi.sample_rate; }
int TTSModel::frame_size() const { return static_cast<int>(impl_->mimi->frame_size()); }
bool TTSModel::has_voice_cloning() const { return impl_->has_voice_cloning; }
const LoadOptions& TTSModel::options() const { return impl_->options; }

VoiceState TTSModel::get_state_for_audio_prompt(const std::string& source, bool truncate) const {
  c10::InferenceMode guard;
  if (source.empty()) throw Error(ErrorCode::kInvalidArgument, "the voice is empty");
  std::string voice_file;
  for (const auto& name : predefined_voices()) {
    if (source == name) {
      voice_file = resolve_resource(std::string(kPredefinedVoiceRepo) + name + ".safetensors@" +
                                    kPredefinedVoiceRevision);
    }
  }
  if (voice_file.empty() && ends_with(source, ".safetensors"))
    voice_file = resolve_resource(source);
  if (!voice_file.empty()) {
    VoiceFile voice = read_voice_file(voice_file, *impl_->flow_lm);
    if (voice.has_state)
      return VoiceState(
          std::make_unique<VoiceState::Impl>(VoiceState::Impl{std::move(voice.state)}));
    return VoiceState(std::make_unique<VoiceState::Impl>(
        VoiceState::Impl{impl_->state_for_prompt(voice.audio_prompt)}));
  }

  if (!impl_->has_voice_cloning) throw Error(ErrorCode::kUnsupported, kVoiceCloningUnsupported);
  Audio audio = read_voice_audio(source, sample_rate(), truncate);
  return get_state_for_audio_prompt(audio, false);
}

VoiceState TTSModel::get_state_for_audio_prompt(const Audio& audio, bool truncate) const {
  c10::InferenceMode guard;
  const size_t keep = static_cast<size_t>(kTruncateSeconds * sample_rate());
  FloatTensor prompt =
      encode_audio_prompt(truncate && audio.frames() > keep ? first_frames(audio, keep) : audio);
  at::Tensor p = at::from_blob(prompt.data.data(), prompt.shape, at::kFloat);
  return VoiceState(
      std::make_unique<VoiceState::Impl>(VoiceState::Impl{impl_->state_for_prompt(p)}));
}

FloatTensor TTSModel::encode_audio_prompt(const Audio& audio) const {
  c10::InferenceMode guard;
  if (audio.sample_rate != 0 && audio.sample_rate != sample_rate()) {
    throw Error(ErrorCode::kInvalidArgument,
                "voice prompt audio is at " + std::to_string(audio.sample_rate) +
                    " Hz; the model needs " + std::to_string(sample_rate()) +
                    " Hz (read files with read_audio to resample them)");
  }
  at::Tensor prompt = impl_->encode_audio(audio_to_tensor(audio)).contiguous();
  FloatTensor out;
  out.shape = prompt.sizes().vec();
  out.data.assign(prompt.data_ptr<float>(), prompt.data_ptr<float>() + prompt.numel());
  return out;
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
  c10::InferenceMode guard;
  return start_generation(shared_from_this(), state, text, options);
}

Audio TTSModel::save_audio_prompt(const std::string& source, const std::string& export_path,
                                  bool truncate) const {
  c10::InferenceMode guard;
  if (export_path.empty()) throw Error(ErrorCode::kInvalidArgument, "export path is empty");
  if (!impl_->has_voice_cloning) throw Error(ErrorCode::kUnsupported, kVoiceCloningUnsupported);
  Audio audio = read_voice_audio(source, sample_rate(), truncate);
  at::Tensor prompt = impl_->encode_audio(audio_to_tensor(audio));
  write_audio_prompt(with_safetensors_suffix(export_path), prompt);
  return audio;
}

void TTSModel::export_voice_state(const VoiceState& state, const std::string& export_path) const {
  c10::InferenceMode guard;
  if (export_path.empty()) throw Error(ErrorCode::kInvalidArgument, "export path is empty");
  write_voice_state(with_safetensors_suffix(export_path), state.impl().state);
}

VoiceState::VoiceState(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
VoiceState::VoiceState(const VoiceState& other)
    : impl_(std::make_unique<Impl>(Impl{[&] {
        c10::InferenceMode guard;
        return other.impl_->state.clone();
      }()})) {}
VoiceState& VoiceState::operator=(const VoiceState& other) {
  if (this != &other) *this = VoiceState(other);
  return *this;
}
VoiceState::VoiceState(VoiceState&&) noexcept = default;
VoiceState& VoiceState::operator=(VoiceState&&) noexcept = default;
VoiceState::~VoiceState() = default;
int64_t VoiceState::length() const { return impl_ ? impl_->state.length() : 0; }

}  // namespace pockettts
