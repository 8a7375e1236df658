#include "model/modules/flow_mlp.h"

#include <ATen/ATen.h>

#include "kernels/activations.h"
#include "kernels/normalization.h"

namespace pockettts {

namespace {

constexpr int64_t kFrequencyEmbeddingSize = 256;

// RMSNorm of the reference: note the *unbiased* variance (x.var default), not a mean square.
at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& alpha, double eps) {
  at::Tensor var = eps + x.var(-1, /*unbiased=*/true, /*keepdim=*/true);
  return x * (alpha * at::rsqrt(var));
}

Linear linear(const WeightPath& vb, int64_t in, int64_t out) {
  return Linear::take(vb, in, out, true);
}

}  // namespace

at::Tensor FlowMlp::TimestepEmbedder::operator()(const at::Tensor& t) const {
  at::Tensor args = t * freqs;
  at::Tensor embedding = at::cat({at::cos(args), at::sin(args)}, -1);
  at::Tensor h = linear2(at::silu(linear1(embedding)));
  return rms_norm(h, rms_alpha, 1e-5);
}

FlowMlp::FlowMlp(const WeightPath& vb, int64_t in_channels, int64_t model_channels,
                 int64_t out_channels, int64_t cond_channels, int64_t num_res_blocks)
    : model_channels_(model_channels) {
  const int64_t C = model_channels;
  for (int i = 0; i < 2; ++i) {  // two time conditions: s and t
    WeightPath te = vb.pp("time_embed").pp(i);
    time_embed_.push_back({linear(te.pp("mlp").pp(0), kFrequencyEmbeddingSize, C),
                           linear(te.pp("mlp").pp(2), C, C), te.take("mlp.3.alpha", {C}),
                           // Stored, never recomputed: checkpoints hold rounded values.
                           te.take("freqs", {kFrequencyEmbeddingSize / 2})});
  }
  cond_embed_ = linear(vb.pp("cond_embed"), cond_channels, C);
  input_proj_ = linear(vb.pp("input_proj"), in_channels, C);
  for (int64_t i = 0; i < num_res_blocks; ++i) {
    WeightPath rb = vb.pp("res_blocks").pp(static_cast<int>(i));
    res_blocks_.push_back({rb.take("in_ln.weight", {C}), rb.take("in_ln.bias", {C}),
                           linear(rb.pp("mlp").pp(0), C, C), linear(rb.pp("mlp").pp(2), C, C),
                           linear(rb.pp("adaLN_modulation").pp(1), C, 3 * C)});
  }
  final_modulation_ = linear(vb.pp("final_layer").pp("adaLN_modulation").pp(1), C, 2 * C);
  final_linear_ = linear(vb.pp("final_layer").pp("linear"), C, out_channels);
}

void FlowMlp::compress(WeightFormat format) {
  for (auto& te : time_embed_) {
    te.linear1.compress(format);
    te.linear2.compress(format);
  }
  cond_embed_.compress(format);
  input_proj_.compress(format);
  for (auto& block : res_blocks_) {
    block.mlp1.compress(format);
    block.mlp2.compress(format);
    block.modulation.compress(format);
  }
  final_modulation_.compress(format);
  final_linear_.compress(format);
}

const std::vector<float>& FlowMlp::time_condition(float s, float t) const {
  std::lock_guard<std::mutex> lock(time_mutex_);
  for (const auto& known : time_conditions_)
    if (known->s == s && known->t == t) return known->values;
  const auto f32 = at::dtype(at::kFloat);
  const at::Tensor combined =
      ((time_embed_[0](at::full({1, 1}, s, f32)) + time_embed_[1](at::full({1, 1}, t, f32))) / 2)
          .contiguous();
  const float* v = combined.data_ptr<float>();
  time_conditions_.push_back(std::make_unique<TimeCondition>(
      TimeCondition{s, t, std::vector<float>(v, v + model_channels_)}));
  return time_conditions_.back()->values;
}

namespace {

// x * (1 + scale) + shift on rows of C, shift and scale rows `stride` apart.
void modulate_rows(float* x, int64_t rows, int64_t C, const float* shift, const float* scale,
                   int64_t stride) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < C; ++i)
      x[r * C + i] = x[r * C + i] * (1.0f + scale[r * stride + i]) + shift[r * stride + i];
}

}  // namespace

void FlowMlp::forward(const float* c, int64_t rows, float s, float t, const float* x_in, float* out,
                      FlowMlpBuffers& buffers) const {
  const int64_t C = model_channels_;
  float* x = buffers.x.get(rows * C);
  float* y = buffers.y.get(rows * C);
  float* mod = buffers.modulation.get(rows * 3 * C);
  float* h = buffers.h.get(rows * C);
  float* hidden = buffers.hidden.get(rows * C);
  input_proj_.forward(x_in, rows, x);
  const std::vector<float>& time = time_condition(s, t);
  cond_embed_.forward(c, rows, y);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < C; ++i) y[r * C + i] = time[static_cast<size_t>(i)] + y[r * C + i];
  kernels::silu(y, rows * C, y);

  for (const auto& block : res_blocks_) {
    block.modulation.forward(y, rows, mod);  // shift | scale | gate
    kernels::layer_norm(x, rows, C, block.ln_weight.data_ptr<float>(),
                        block.ln_bias.data_ptr<float>(), 1e-6f, h);
    modulate_rows(h, rows, C, mod, mod + C, 3 * C);
    block.mlp1.forward(h, rows, hidden);
    kernels::silu(hidden, rows * C, hidden);
    block.mlp2.forward(hidden, rows, h);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t i = 0; i < C; ++i) x[r * C + i] += mod[r * 3 * C + 2 * C + i] * h[r * C + i];
  }
  final_modulation_.forward(y, rows, mod);  // shift | scale
  kernels::layer_norm(x, rows, C, nullptr, nullptr, 1e-6f, h);
  modulate_rows(h, rows, C, mod, mod + C, 2 * C);
  final_linear_.forward(h, rows, out);
}

}  // namespace pockettts
