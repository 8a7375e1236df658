#include "model/flow_lm.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>

#include <pockettts/error.h>
#include "kernels/normalization.h"

namespace pockettts {

void FlowLmState::reserve(int64_t capacity) {
  for (auto& layer : layers) layer.reserve(capacity);
}

FlowLmState FlowLmState::clone() const {
  FlowLmState copy;
  for (const auto& layer : layers) copy.layers.push_back(layer.clone());
  return copy;
}

FlowLm::FlowLm(const WeightPath& vb, const FlowLmConfig& c, int64_t latent_dim, int64_t speaker_dim)
    : d_model_(c.transformer.d_model),
      ldim_(latent_dim),
      num_heads_(c.transformer.num_heads),
      embed_(vb.take("conditioner.embed.weight", {c.lookup_table.n_bins + 1, c.lookup_table.dim})),
      bos_emb_(vb.take("bos_emb", {latent_dim})),
      emb_std_(vb.take("emb_std", {latent_dim})),
      emb_mean_(vb.take("emb_mean", {latent_dim})),
      input_linear_(Linear::take(vb.pp("input_linear"), latent_dim, d_model_, false)),
      transformer_(vb.pp("transformer"), d_model_, c.transformer.num_heads,
                   c.transformer.num_layers, d_model_ * c.transformer.hidden_scale,
                   static_cast<double>(c.transformer.max_period)),
      out_norm_weight_(vb.take("out_norm.weight", {d_model_})),
      out_norm_bias_(vb.take("out_norm.bias", {d_model_})),
      out_eos_(Linear::take(vb.pp("out_eos"), d_model_, 1, true)),
      flow_net_(vb.pp("flow_net"), latent_dim, c.flow.dim, latent_dim, d_model_, c.flow.depth),
      speaker_proj_(vb.take("speaker_proj_weight", {d_model_, speaker_dim})) {
  if (c.insert_bos_before_voice) bos_before_voice_ = vb.take("bos_before_voice", {1, 1, d_model_});
  if (c.lookup_table.dim != d_model_) {
    throw Error(ErrorCode::kInvalidData,
                "flow_lm.lookup_table.dim must equal flow_lm.transformer.d_model (" +
                    std::to_string(c.lookup_table.dim) + " vs " + std::to_string(d_model_) + ")");
  }
}

void FlowLm::compress(WeightFormat format) {
  transformer_.compress(format);
  flow_net_.compress(format);
}

FlowLmState FlowLm::init_state(int64_t capacity) const {
  return {transformer_.init_caches(1, capacity)};
}

void FlowLm::backbone(const at::Tensor& input, FlowLmState& state) const {
  TORCH_CHECK(input.dim() == 3 && input.size(0) == 1 && input.size(2) == d_model_,
              "flow LM: a prompt must be [1, T, ", d_model_, "]");
  const int64_t rows = input.size(1);
  if (rows == 0) return;
  // The transformer works in place on its own copy. Its output (and out_norm's) is not used:
  // the reference computes it and drops it, so it is not computed here.
  at::Tensor x = input.reshape({rows, d_model_}).to(at::kFloat).clone();
  FlowStepBuffers buffers;
  transformer_.prompt(x.data_ptr<float>(), rows, state.layers, buffers);
  for (auto& layer : state.layers) layer.end += rows;
}

void FlowLm::sample_noise(const SamplingOptions& sampling, at::Generator& rng,
                          at::Tensor& noise) const {
  const double std = std::pow(sampling.temp, 0.5);
  if (!sampling.noise_clamp) {
    noise.normal_(0.0, std, rng);
    return;
  }
  // torch.nn.init.trunc_normal_(mean=0, std, a=-clamp, b=clamp): inverse-CDF sampling. The
  // in-place tensor ops draw and transform as the reference's; the scalar steps that follow
  // (mul_(std * sqrt 2), add_(0), clamp_(a, b)) are done on the floats, as float32 ops.
  const double a = -*sampling.noise_clamp, b = *sampling.noise_clamp;
  auto norm_cdf = [](double x) { return (1.0 + std::erf(x / std::sqrt(2.0))) / 2.0; };
  const double l = norm_cdf(a / std), u = norm_cdf(b / std);
  noise.uniform_(2 * l - 1, 2 * u - 1, rng);
  noise.erfinv_();
  const float scale = static_cast<float>(std * std::sqrt(2.0));
  const float lo = static_cast<float>(a), hi = static_cast<float>(b);
  float* v = noise.data_ptr<float>();
  for (int64_t i = 0; i < noise.numel(); ++i)
    v[i] = std::min(std::max(v[i] * scale + 0.0f, lo), hi);
}

void FlowLm::prompt_text(const at::Tensor& tokens, FlowLmState& state,
                         const SamplingOptions& sampling, at::Generator* rng) const {
  at::Tensor text = at::embedding(embed_, tokens).unsqueeze(0);  // [1, N, d]
  backbone(text, state);
  if (rng) {
    at::Tensor noise = at::empty({1, ldim_}, at::kFloat);
    sample_noise(sampling, *rng, noise);
  }
}

void FlowLm::prompt_audio(const at::Tensor& conditioning, FlowLmState& state,
                          const SamplingOptions& sampling, at::Generator* rng) const {
  backbone(conditioning, state);
  if (rng) {
    at::Tensor noise = at::empty({1, ldim_}, at::kFloat);
    sample_noise(sampling, *rng, noise);
  }
}

FlowStep FlowLm::step(const at::Tensor& previous_latent, FlowLmState& state,
                      const SamplingOptions& sampling, at::Generator& rng) const {
  FlowStepWorkspace workspace;
  std::vector<FlowStep> results;
  step({{&previous_latent, &state, &sampling, &rng}}, workspace, results);
  return std::move(results.front());
}

void FlowLm::step(const std::vector<StepRequest>& requests, FlowStepWorkspace& ws,
                  std::vector<FlowStep>& results) const {
  const int64_t rows = static_cast<int64_t>(requests.size()), d = d_model_, L = ldim_;
  // NaN marks the beginning of speech and is replaced by the learnt BOS embedding.
  float* input = ws.input.get(rows * L);
  const float* bos = bos_emb_.data_ptr<float>();
  for (int64_t n = 0; n < rows; ++n) {
    const at::Tensor& previous = *requests[static_cast<size_t>(n)].previous_latent;
    TORCH_CHECK(
        previous.numel() == L && previous.scalar_type() == at::kFloat && previous.is_contiguous(),
        "flow step: the previous latent must be ", L, " contiguous floats");
    const float* p = previous.data_ptr<float>();
    for (int64_t i = 0; i < L; ++i) input[n * L + i] = std::isnan(p[i]) ? bos[i] : p[i];
  }
  float* hidden = ws.hidden.get(rows * d);
  input_linear_.forward(input, rows, hidden);
  ws.caches.clear();
  for (const StepRequest& r : requests) ws.caches.push_back(&r.state->layers);
  transformer_.step(hidden, rows, ws.caches, ws.transformer);
  kernels::layer_norm(hidden, rows, d, out_norm_weight_.data_ptr<float>(),
                      out_norm_bias_.data_ptr<float>(), 1e-5f, hidden);
  for (const StepRequest& r : requests)
    for (auto& layer : r.state->layers) layer.end += 1;

  float* eos = ws.eos.get(rows);
  out_eos_.forward(hidden, rows, eos);
  float* current = ws.current.get(rows * L);
  results.resize(requests.size());
  while (static_cast<int64_t>(ws.noise.size()) < rows) ws.noise.push_back(at::empty({1, L}));
  for (int64_t n = 0; n < rows; ++n) {
    const StepRequest& r = requests[static_cast<size_t>(n)];
    FlowStep& result = results[static_cast<size_t>(n)];
    result.eos_logit = eos[n];
    // As the reference's `eos > threshold`: the threshold is compared as a float32.
    result.is_eos = result.eos_logit > static_cast<float>(r.sampling->eos_threshold);
    at::Tensor& noise = ws.noise[static_cast<size_t>(n)];
    sample_noise(*r.sampling, *r.rng, noise);
    std::copy_n(noise.data_ptr<float>(), L, current + n * L);
  }

  lsd_decode(requests, hidden, current, ws);
  for (int64_t n = 0; n < rows; ++n) {
    at::Tensor latent = at::empty({1, L}, at::kFloat);
    std::copy_n(current + n * L, L, latent.data_ptr<float>());
    results[static_cast<size_t>(n)].latent = std::move(latent);
  }
}

void FlowLm::lsd_decode(const std::vector<StepRequest>& requests, const float* hidden,
                        float* current, FlowStepWorkspace& ws) const {
  const int64_t rows = static_cast<int64_t>(requests.size()), d = d_model_, L = ldim_;
  // Usually all rows share one n: no copies then.
  for (int64_t first = 0; first < rows; ++first) {
    const int n = requests[static_cast<size_t>(first)].sampling->lsd_decode_steps;
    bool seen = false;
    for (int64_t j = 0; j < first; ++j)
      seen = seen || requests[static_cast<size_t>(j)].sampling->lsd_decode_steps == n;
    if (seen) continue;
    ws.group.clear();
    for (int64_t j = first; j < rows; ++j)
      if (requests[static_cast<size_t>(j)].sampling->lsd_decode_steps == n) ws.group.push_back(j);
    const int64_t g = static_cast<int64_t>(ws.group.size());
    const bool all = g == rows;
    const float* c = hidden;
    float* x = current;
    if (!all) {  // the group's rows, gathered
      float* group_c = ws.group_c.get(g * d);
      x = ws.group_x.get(g * L);
      for (int64_t k = 0; k < g; ++k) {
        std::copy_n(hidden + ws.group[static_cast<size_t>(k)] * d, d, group_c + k * d);
        std::copy_n(current + ws.group[static_cast<size_t>(k)] * L, L, x + k * L);
      }
      c = group_c;
    }
    float* flow = ws.flow.get(g * L);
    for (int i = 0; i < n; ++i) {
      const float s = static_cast<float>(static_cast<double>(i) / n);
      const float t = static_cast<float>(static_cast<double>(i + 1) / n);
      flow_net_.forward(c, g, s, t, x, flow, ws.flow_mlp);
      const float steps = static_cast<float>(n);
      for (int64_t k = 0; k < g * L; ++k) x[k] += flow[k] / steps;
    }
    if (!all) {
      for (int64_t k = 0; k < g; ++k)
        std::copy_n(x + k * L, L, current + ws.group[static_cast<size_t>(k)] * L);
    }
  }
}

at::Tensor FlowLm::project_speaker(const at::Tensor& latents) const {
  return at::linear(latents, speaker_proj_);
}

at::Tensor FlowLm::voice_conditioning(const at::Tensor& prompt) const {
  if (!bos_before_voice_.defined()) return prompt;
  return at::cat({bos_before_voice_.to(prompt.scalar_type()), prompt}, 1);
}

at::Tensor FlowLm::denormalize(const at::Tensor& latent) const {
  return latent * emb_std_ + emb_mean_;
}

void FlowLm::denormalize(const float* latent, float* out) const {
  const float* std = emb_std_.data_ptr<float>();
  const float* mean = emb_mean_.data_ptr<float>();
  for (int64_t i = 0; i < ldim_; ++i) out[i] = latent[i] * std[i] + mean[i];
}

}  // namespace pockettts
