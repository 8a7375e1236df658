#include "model/modules/transformer.h"

#include <ATen/ATen.h>

#include "kernels/activations.h"
#include "kernels/normalization.h"
#include "model/modules/frame_batch.h"

namespace pockettts {

TransformerLayerWeights::TransformerLayerWeights(const WeightPath& vb, int64_t d_model,
                                                 int64_t dim_feedforward, bool layer_scale)
    : norm1_weight(vb.take("norm1.weight", {d_model})),
      norm1_bias(vb.take("norm1.bias", {d_model})),
      norm2_weight(vb.take("norm2.weight", {d_model})),
      norm2_bias(vb.take("norm2.bias", {d_model})),
      linear1(Linear::take(vb.pp("linear1"), d_model, dim_feedforward, false)),
      linear2(Linear::take(vb.pp("linear2"), dim_feedforward, d_model, false)) {
  if (layer_scale) {
    scale1 = vb.take("layer_scale_1.scale", {d_model});
    scale2 = vb.take("layer_scale_2.scale", {d_model});
  }
}

at::Tensor TransformerLayerWeights::attention_input(const at::Tensor& x) const {
  return at::layer_norm(x, {x.size(-1)}, norm1_weight, norm1_bias, 1e-5);
}

at::Tensor TransformerLayerWeights::add_attention(const at::Tensor& x,
                                                  const at::Tensor& update) const {
  return scale1.defined() ? x + scale1 * update : x + update;
}

at::Tensor TransformerLayerWeights::feed_forward(const at::Tensor& x) const {
  at::Tensor h = at::layer_norm(x, {x.size(-1)}, norm2_weight, norm2_bias, 1e-5);
  at::Tensor update = linear2(at::gelu(linear1(h)));
  return scale2.defined() ? x + scale2 * update : x + update;
}

void TransformerLayerWeights::attention_input(const float* x, int64_t rows, float* y) const {
  kernels::layer_norm(x, rows, norm1_weight.size(0), norm1_weight.data_ptr<float>(),
                      norm1_bias.data_ptr<float>(), 1e-5f, y);
}

namespace {

// x += scale * update (the reference's x + layer_scale(update)), or x += update.
void add_scaled(float* x, int64_t rows, int64_t d, const at::Tensor& scale, const float* update) {
  if (scale.defined()) {
    const float* s = scale.data_ptr<float>();
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t i = 0; i < d; ++i) x[r * d + i] += s[i] * update[r * d + i];
  } else {
    for (int64_t i = 0; i < rows * d; ++i) x[i] += update[i];
  }
}

// One layer on plain rows, in place: x += attention(norm1(x)), then x += ff(norm2(x)), where
// attend(normed, update) runs the layer's attention of whichever kind.
template <class Buffers, class Attend>
void layer_on_rows(const TransformerLayerWeights& rest, float* x, int64_t rows, Buffers& buffers,
                   const Attend& attend) {
  const int64_t d = rest.norm1_weight.size(0);
  float* normed = buffers.normed.get(rows * d);
  float* update = buffers.update.get(rows * d);
  rest.attention_input(x, rows, normed);
  attend(normed, update);
  rest.add_attention(x, rows, update);
  rest.feed_forward(x, rows, buffers.normed, buffers.hidden, buffers.update);
}

}  // namespace

void TransformerLayerWeights::add_attention(float* x, int64_t rows, const float* update) const {
  add_scaled(x, rows, norm1_weight.size(0), scale1, update);
}

void TransformerLayerWeights::feed_forward(float* x, int64_t rows, RowBuffer& normed,
                                           RowBuffer& hidden, RowBuffer& update) const {
  const FeedForwardRows one{x, &normed, &hidden, &update};
  feed_forward(&one, 1, rows);
}

void TransformerLayerWeights::feed_forward(const FeedForwardRows* streams, size_t count,
                                           int64_t rows) const {
  const int64_t d = norm2_weight.size(0), ff = linear1.out_features();
  PerFrame<Linear::Rows> in{}, out{};
  for (size_t s = 0; s < count; ++s) {
    float* h = streams[s].normed->get(rows * d);
    kernels::layer_norm(streams[s].x, rows, d, norm2_weight.data_ptr<float>(),
                        norm2_bias.data_ptr<float>(), 1e-5f, h);
    in[s] = {h, rows, streams[s].hidden->get(rows * ff)};
  }
  linear1.forward(in.data(), count);
  for (size_t s = 0; s < count; ++s) {
    kernels::gelu(in[s].y, rows * ff, in[s].y);
    out[s] = {in[s].y, rows, streams[s].update->get(rows * d)};
  }
  linear2.forward(out.data(), count);
  for (size_t s = 0; s < count; ++s) add_scaled(streams[s].x, rows, d, scale2, out[s].y);
}

FlowTransformer::FlowTransformer(const WeightPath& vb, int64_t d_model, int64_t num_heads,
                                 int64_t num_layers, int64_t dim_feedforward, double max_period) {
  for (int64_t i = 0; i < num_layers; ++i) {
    WeightPath layer = vb.pp("layers").pp(static_cast<int>(i));
    layers_.push_back({FlowAttention(layer.pp("self_attn"), d_model, num_heads, max_period),
                       TransformerLayerWeights(layer, d_model, dim_feedforward, false)});
  }
}

void FlowTransformer::compress(WeightFormat format) {
  for (auto& layer : layers_) {
    layer.attention.compress(format);
    layer.rest.linear1.compress(format);
    layer.rest.linear2.compress(format);
  }
}

std::vector<FlowKvCache> FlowTransformer::init_caches(int64_t batch, int64_t capacity) const {
  std::vector<FlowKvCache> caches;
  for (const auto& layer : layers_) caches.push_back(layer.attention.init_cache(batch, capacity));
  return caches;
}

void FlowTransformer::prompt(float* x, int64_t rows, std::vector<FlowKvCache>& caches,
                             FlowStepBuffers& buffers) const {
  for (size_t i = 0; i < layers_.size(); ++i) {
    layer_on_rows(layers_[i].rest, x, rows, buffers, [&](const float* normed, float* update) {
      layers_[i].attention.prompt(normed, rows, caches[i], buffers, update);
    });
  }
}

void FlowTransformer::step(float* x, int64_t rows,
                           const std::vector<std::vector<FlowKvCache>*>& caches,
                           FlowStepBuffers& buffers) const {
  std::vector<FlowKvCache*>& layer_caches = buffers.layer_caches;
  for (size_t i = 0; i < layers_.size(); ++i) {
    layer_caches.clear();  // keeps its capacity
    for (auto* stream : caches) layer_caches.push_back(&(*stream)[i]);
    layer_on_rows(layers_[i].rest, x, rows, buffers, [&](const float* normed, float* update) {
      layers_[i].attention.step(normed, rows, layer_caches, buffers, update);
    });
  }
}

MimiTransformer::MimiTransformer(const WeightPath& vb, int64_t d_model, int64_t num_heads,
                                 int64_t num_layers, int64_t dim_feedforward, int64_t context,
                                 double max_period) {
  for (int64_t i = 0; i < num_layers; ++i) {
    WeightPath layer = vb.pp("transformer").pp("layers").pp(static_cast<int>(i));
    layers_.push_back(
        {MimiAttention(layer.pp("self_attn"), d_model, num_heads, context, max_period),
         TransformerLayerWeights(layer, d_model, dim_feedforward, true)});
    // Every product here has many rows (16 steps a frame, a voice prompt's thousands).
    layers_.back().attention.pack_panels();
    layers_.back().rest.linear1.pack_panels();
    layers_.back().rest.linear2.pack_panels();
  }
}

std::vector<MimiKvCache> MimiTransformer::init_caches(int64_t capacity) const {
  std::vector<MimiKvCache> caches;
  for (const auto& layer : layers_) caches.push_back(layer.attention.init_cache(capacity));
  return caches;
}

at::Tensor MimiTransformer::forward(const at::Tensor& x) const {
  at::Tensor h = x.transpose(1, 2);
  for (const Layer& layer : layers_) {
    h = layer.rest.add_attention(h, layer.attention.forward(layer.rest.attention_input(h)));
    h = layer.rest.feed_forward(h);
  }
  return h.transpose(1, 2);
}

void MimiTransformer::stream(const StreamRows* streams, size_t count, int64_t rows) const {
  // layer_on_rows for every stream, each product once for all of them.
  for (size_t i = 0; i < layers_.size(); ++i) {
    const TransformerLayerWeights& rest = layers_[i].rest;
    const int64_t d = rest.norm1_weight.size(0);
    PerFrame<MimiAttention::StreamRows> attention{};
    PerFrame<TransformerLayerWeights::FeedForwardRows> ff{};
    for (size_t s = 0; s < count; ++s) {
      MimiStreamBuffers& b = *streams[s].buffers;
      float* normed = b.normed.get(rows * d);
      rest.attention_input(streams[s].x, rows, normed);
      attention[s] = {normed, &(*streams[s].caches)[i], &b, b.update.get(rows * d)};
      ff[s] = {streams[s].x, &b.normed, &b.hidden, &b.update};
    }
    layers_[i].attention.stream(attention.data(), count, rows);
    for (size_t s = 0; s < count; ++s) rest.add_attention(streams[s].x, rows, attention[s].out);
    rest.feed_forward(ff.data(), count, rows);
  }
}

void MimiTransformer::advance(std::vector<MimiKvCache>& caches, int64_t steps) const {
  for (auto& cache : caches) cache.offset += steps;
}

}  // namespace pockettts
