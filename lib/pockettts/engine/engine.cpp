#include "engine/engine.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <chrono>

#include <pockettts/model_packs.h>

#include "common/log.h"
#include "formats/weights.h"
#include "kernels/quantized_linear.h"
#include "kernels/worker_pool.h"
#include "resources/resolve.h"

namespace pockettts {

namespace {

// Resolves the checkpoint, falling back from the gated voice-cloning weights to the public
// ones as the reference does.
std::string resolve_weights(const Config& config, const DownloadOptions& download,
                            bool& has_voice_cloning) {
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
    return resolve_resource(*config.weights_path, download);
  } catch (const Error& error) {
    if (!config.weights_path_without_voice_cloning || error.code() == ErrorCode::kCancelled) throw;
    // As the reference: no access to the gated weights is no reason to fail, only to lose
    // cloning. Logged at info level, not as a warning: a user without a token is no fault, and
    // GStreamer's checks make warnings fatal.
    log_info("the weights with voice cloning (" + *config.weights_path + ") are unavailable: " +
             error.what() + "; loading the weights without voice cloning (" +
             *config.weights_path_without_voice_cloning + ")");
    has_voice_cloning = false;
    return resolve_resource(*config.weights_path_without_voice_cloning, download);
  }
}

}  // namespace

std::shared_ptr<const Engine> Engine::load(const LoadOptions& options) {
  c10::InferenceMode guard;
  log_runtime_once();
  if (options.device != "cpu") {
    throw Error(ErrorCode::kUnsupported,
                "device '" + options.device + "' is not supported: this build runs on 'cpu'");
  }
  const auto start = std::chrono::steady_clock::now();
  auto engine = std::make_shared<Engine>();
  engine->options = options;
  engine->options.download = {};  // the caller's callback must not outlive this call
  if (!options.language.empty()) {
    if (options.config != kDefaultVariant) {
      throw Error(ErrorCode::kInvalidArgument, "cannot load both the language '" +
                                                   options.language + "' and the config '" +
                                                   options.config + "': choose one or the other");
    }
    engine->options.config = variant_for_language(options.language);
  }
  const std::string& config_reference = engine->options.config;
  engine->config = load_config(is_remote_reference(config_reference)
                                   ? resolve_resource(config_reference, options.download)
                                   : config_reference);
  const Config& config = engine->config;
  engine->behaviour = behaviour_for(config);
  validate(options.sampling);  // early: before seconds of loading

  engine->tokenizer = Tokenizer::load(
      resolve_resource(config.flow_lm.lookup_table.tokenizer_path, options.download),
      config.flow_lm.lookup_table.n_bins);

  auto weights =
      options.random_weights_seed
          ? Weights::random(*options.random_weights_seed)
          : Weights::load(resolve_weights(config, options.download, engine->has_voice_cloning));
  WeightPath vb(*weights, "");
  engine->flow_lm =
      std::make_unique<FlowLm>(vb.pp("flow_lm"), config.flow_lm, config.mimi.quantizer.dimension,
                               config.mimi.latent_width());
  engine->mimi = std::make_unique<Mimi>(vb.pp("mimi"), config.mimi, engine->behaviour.mimi_context);
  weights->check_all_taken();
  if (options.precision == Precision::kBf16) engine->flow_lm->compress(WeightFormat::kBF16);
  if (options.precision == Precision::kInt8) engine->flow_lm->compress(WeightFormat::kInt8);
  engine->scheduler = std::make_unique<StreamScheduler>(*engine->flow_lm, *engine->mimi);

  const auto ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start);
  log_info("model " + config.source + " (reference " + schema_name(config.schema) +
           " behaviour) loaded from " + weights->path() + " in " +
           std::to_string(static_cast<int>(ms.count())) + " ms");
  return engine;
}

SamplingOptions Engine::sampling(const std::optional<SamplingOptions>& override_options) const {
  SamplingOptions s = override_options ? *override_options : options.sampling;
  validate(s);
  return s;
}

at::Tensor Engine::encode_audio(const at::Tensor& audio) const {
  kernels::ComputeScope scope(kernels::compute_threads());  // the cores no stream holds
  at::Tensor latent = mimi->encode_to_latent(audio.view({1, 1, -1}));
  return flow_lm->project_speaker(latent.transpose(-1, -2).to(at::kFloat));
}

FlowLmState Engine::state_for_prompt(const at::Tensor& prompt) const {
  kernels::ComputeScope scope(kernels::compute_threads());
  const at::Tensor conditioning = flow_lm->voice_conditioning(prompt);
  FlowLmState state = flow_lm->init_state(conditioning.size(1));
  flow_lm->prompt_audio(conditioning, state, sampling(std::nullopt), nullptr);
  return state;
}

int Engine::frames_after_eos(const std::optional<int>& requested,
                             const std::string& chunk_text) const {
  if (requested) return *requested;
  if (behaviour.recommended_frames_after_eos) return *behaviour.recommended_frames_after_eos;
  return prepare_text_prompt(chunk_text, behaviour.text).frames_after_eos_guess + 2;
}

}  // namespace pockettts
