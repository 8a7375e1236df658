#include "flow_lm.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>

#include "error.h"

namespace pockettts {

void FlowLmState::reserve(int64_t capacity) {
  for (auto& layer : layers) layer.reserve(capacity);
}

FlowLmState FlowLmState::clone() const {
  FlowLmState copy;
  for (const auto& layer : layers) copy.layers.push_back(layer.clone());
  return copy;
}

FlowLm::FlowLm(const WeightPath& vb, const FlowLMConfig& c, int64_t latent_dim, int64_t speaker_dim)
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

at::Tensor FlowLm::backbone(const at::Tensor& input,
                            const std::vector<FlowLmState*>& states) const {
  std::vector<std::vector<FlowKvCache>*> caches;
  for (FlowLmState* state : states) caches.push_back(&state->layers);
  at::Tensor out = transformer_.forward(input, caches);
  out = at::layer_norm(out, {d_model_}, out_norm_weight_, out_norm_bias_, 1e-5);
  const int64_t t = input.size(1);
  for (FlowLmState* state : states)
    for (auto& layer : state->layers) layer.end += t;
  return out;
}

at::Tensor FlowLm::sample_noise(const Sampling& sampling, at::Generator& rng) const {
  const double std = std::pow(sampling.temp, 0.5);
  at::Tensor noise = at::empty({1, ldim_}, at::kFloat);
  if (!sampling.noise_clamp) {
    noise.normal_(0.0, std, rng);
  } else {
    // torch.nn.init.trunc_normal_(mean=0, std, a=-clamp, b=clamp): inverse-CDF sampling.
    const double a = -*sampling.noise_clamp, b = *sampling.noise_clamp;
    auto norm_cdf = [](double x) { return (1.0 + std::erf(x / std::sqrt(2.0))) / 2.0; };
    const double l = norm_cdf(a / std), u = norm_cdf(b / std);
    noise.uniform_(2 * l - 1, 2 * u - 1, rng);
    noise.erfinv_();
    noise.mul_(std * std::sqrt(2.0));
    noise.add_(0.0);
    noise.clamp_(a, b);
  }
  return noise;
}

void FlowLm::prompt_text(const at::Tensor& tokens, FlowLmState& state, const Sampling& sampling,
                         at::Generator* rng) const {
  at::Tensor text = at::embedding(embed_, tokens).unsqueeze(0);  // [1, N, d]
  backbone(text, {&state});
  if (rng) sample_noise(sampling, *rng);
}

void FlowLm::prompt_audio(const at::Tensor& conditioning, FlowLmState& state,
                          const Sampling& sampling, at::Generator* rng) const {
  backbone(conditioning, {&state});
  if (rng) sample_noise(sampling, *rng);
}

FlowStep FlowLm::step(const at::Tensor& previous_latent, FlowLmState& state,
                      const Sampling& sampling, at::Generator& rng) const {
  return step(std::vector<StepRequest>{{&previous_latent, &state, &sampling, &rng}}).front();
}

std::vector<FlowStep> FlowLm::step(const std::vector<StepRequest>& requests) const {
  const int64_t n_rows = static_cast<int64_t>(requests.size());
  std::vector<at::Tensor> previous;
  std::vector<FlowLmState*> states;
  for (const StepRequest& r : requests) {
    previous.push_back(r.previous_latent->view({1, ldim_}));
    states.push_back(r.state);
  }
  // NaN marks the beginning of speech and is replaced by the learnt BOS embedding.
  at::Tensor sequence = at::cat(previous, 0).view({n_rows, 1, ldim_});
  sequence = at::where(at::isnan(sequence), bos_emb_, sequence);
  at::Tensor hidden = backbone(input_linear_(sequence), states).select(1, -1);  // [N, d]

  at::Tensor eos = out_eos_(hidden).contiguous();  // [N, 1]
  std::vector<FlowStep> results(requests.size());
  std::vector<at::Tensor> noise;
  for (size_t i = 0; i < requests.size(); ++i) {
    results[i].eos_logit = eos.data_ptr<float>()[i];
    // As the reference's `eos > threshold`: the threshold is compared as a float32.
    results[i].is_eos =
        results[i].eos_logit > static_cast<float>(requests[i].sampling->eos_threshold);
    noise.push_back(sample_noise(*requests[i].sampling, *requests[i].rng));
  }
  at::Tensor current = at::cat(noise, 0);  // [N, ldim]

  // LSD decoding: x += flow(c, s=i/n, t=(i+1)/n, x) / n, rows grouped by their n.
  std::vector<int> counts;
  for (const StepRequest& r : requests) counts.push_back(r.sampling->lsd_decode_steps);
  std::vector<int> distinct = counts;
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  for (int n : distinct) {
    std::vector<int64_t> rows;
    for (int64_t i = 0; i < n_rows; ++i)
      if (counts[static_cast<size_t>(i)] == n) rows.push_back(i);
    const bool all = static_cast<int64_t>(rows.size()) == n_rows;  // the usual case: no copies
    const at::Tensor index = all ? at::Tensor() : at::tensor(rows, at::kLong);
    at::Tensor c = all ? hidden : hidden.index_select(0, index);
    at::Tensor x = all ? current : current.index_select(0, index);
    at::Tensor ones = at::ones({static_cast<int64_t>(rows.size()), 1}, at::kFloat);
    for (int i = 0; i < n; ++i) {
      const double s = static_cast<double>(i) / n, t = static_cast<double>(i + 1) / n;
      at::Tensor flow_dir = flow_net_.forward(c, s * ones, t * ones, x);
      x.add_(flow_dir / n);
    }
    if (!all) current.index_copy_(0, index, x);
  }
  for (int64_t i = 0; i < n_rows; ++i)
    results[static_cast<size_t>(i)].latent = current[i].view({1, ldim_}).clone();
  return results;
}

at::Tensor FlowLm::project_speaker(const at::Tensor& latents) const {
  return at::linear(latents, speaker_proj_);
}

at::Tensor FlowLm::denormalize(const at::Tensor& latent) const {
  return latent * emb_std_ + emb_mean_;
}

}  // namespace pockettts
