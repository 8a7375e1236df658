// FlowLM: text lookup table, causal transformer over [text | audio prompt | latents], EOS head
// and the flow MLP that turns the last hidden state into the next latent (LSD decoding).
#pragma once

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <optional>
#include <vector>

#include <pockettts/options.h>

#include "formats/config.h"
#include "formats/weights.h"
#include "model/modules/flow_attention.h"
#include "model/modules/flow_mlp.h"
#include "model/modules/transformer.h"

namespace pockettts {

// The streaming state of FlowLM: one KV cache per transformer layer.
struct FlowLmState {
  std::vector<FlowKvCache> layers;
  int64_t length() const { return layers.empty() ? 0 : layers.front().end; }
  void reserve(int64_t capacity);
  FlowLmState clone() const;
};

struct FlowStep {
  at::Tensor latent;  // [1, ldim]
  float eos_logit = 0;
  bool is_eos = false;
};

// One stream's part of a generation step: its previous latent, state, sampling and generator.
struct StepRequest {
  const at::Tensor* previous_latent;  // [1, ldim]; NaN = beginning of speech
  FlowLmState* state;
  const SamplingOptions* sampling;
  at::Generator* rng;
};

// What a generation step works in: buffers sized by the first step (the largest batch and
// context seen since), then reused, so the steady state of generation allocates nothing but
// each step's latents. One per thread that runs steps (StreamScheduler holds one).
struct FlowStepWorkspace {
  RowBuffer input, hidden, eos, current, group_c, group_x, flow;
  FlowStepBuffers transformer;
  FlowMlpBuffers flow_mlp;
  std::vector<at::Tensor> noise;  // one [1, ldim] per row, drawn in place
  std::vector<std::vector<FlowKvCache>*> caches;
  std::vector<int64_t> group;
};

class FlowLm {
 public:
  FlowLm(const WeightPath& vb, const FlowLmConfig& config, int64_t latent_dim, int64_t speaker_dim);

  FlowLmState init_state(int64_t capacity) const;

  // Feeds conditioning (text token embeddings, or an audio prompt [1, T, d_model]) into the
  // cache. The reference also samples noise and runs the flow net on these calls; only the
  // noise draw is observable (it advances the generator), so it is repeated when `rng` is set.
  void prompt_text(const at::Tensor& tokens, FlowLmState& state, const SamplingOptions& sampling,
                   at::Generator* rng) const;
  void prompt_audio(const at::Tensor& conditioning, FlowLmState& state,
                    const SamplingOptions& sampling, at::Generator* rng) const;

  // One generation step from the previous latent ([1, ldim]; NaN = beginning of speech), in a
  // workspace of its own (allocated per call: for tests and one-off use; the scheduler keeps one).
  FlowStep step(const at::Tensor& previous_latent, FlowLmState& state,
                const SamplingOptions& sampling, at::Generator& rng) const;
  // One step of several streams together (distinct states): the linear layers run on one row
  // per stream, reading the weights once for all; attention, noise and EOS stay per stream.
  // Every row gets the bits it would get alone (the kernels' order does not depend on the
  // number of rows), so batching never changes a stream's audio.
  // `results` receives one FlowStep per request.
  void step(const std::vector<StepRequest>& requests, FlowStepWorkspace& workspace,
            std::vector<FlowStep>& results) const;

  // Speaker conditioning from Mimi latents [B, T, speaker_dim] -> [B, T, d_model].
  at::Tensor project_speaker(const at::Tensor& latents) const;
  // What a voice prompt [1, T, d_model] is prefilled as: with the config's
  // insert_bos_before_voice (9514983) the learnt position bos_before_voice comes first
  // ([1, T + 1, d_model]); otherwise the prompt itself.
  at::Tensor voice_conditioning(const at::Tensor& prompt) const;
  bool inserts_bos_before_voice() const { return bos_before_voice_.defined(); }
  // latent * emb_std + emb_mean: what Mimi decodes.
  at::Tensor denormalize(const at::Tensor& latent) const;
  // The same on one latent of plain floats [ldim] (allocates nothing).
  void denormalize(const float* latent, float* out) const;

  int64_t d_model() const { return d_model_; }
  int64_t latent_dim() const { return ldim_; }
  int64_t num_layers() const { return static_cast<int64_t>(transformer_.num_layers()); }
  int64_t num_heads() const { return num_heads_; }
  // Fast modes: the transformer's and the flow MLP's weights in bf16 or int8.
  void compress(WeightFormat format);

 private:
  // Feeds input [1, T, d_model] into the state's caches.
  void backbone(const at::Tensor& input, FlowLmState& state) const;
  // LSD decoding of a step's rows: current (the noise) += flow(hidden, s, t, current) / n, n
  // times, rows grouped by their n.
  void lsd_decode(const std::vector<StepRequest>& requests, const float* hidden, float* current,
                  FlowStepWorkspace& ws) const;
  // Draws noise of the sampling's temperature into `noise` (any shape), in place.
  void sample_noise(const SamplingOptions& sampling, at::Generator& rng, at::Tensor& noise) const;

  int64_t d_model_, ldim_, num_heads_;
  at::Tensor embed_;  // [n_bins + 1, dim]
  at::Tensor bos_emb_, emb_std_, emb_mean_;
  at::Tensor bos_before_voice_;  // [1, 1, d_model]; undefined without insert_bos_before_voice
  Linear input_linear_;
  FlowTransformer transformer_;
  at::Tensor out_norm_weight_, out_norm_bias_;
  Linear out_eos_;
  FlowMlp flow_net_;
  at::Tensor speaker_proj_;
};

}  // namespace pockettts
