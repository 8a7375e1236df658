#include "modules/transformer.h"

#include <ATen/ATen.h>

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

at::Tensor FlowTransformer::forward(at::Tensor x, std::vector<FlowKvCache>& caches) const {
  return forward(std::move(x), std::vector<std::vector<FlowKvCache>*>{&caches});
}

at::Tensor FlowTransformer::forward(at::Tensor x,
                                    const std::vector<std::vector<FlowKvCache>*>& caches) const {
  std::vector<FlowKvCache*> layer_caches(caches.size());
  for (size_t i = 0; i < layers_.size(); ++i) {
    const Layer& layer = layers_[i];
    for (size_t n = 0; n < caches.size(); ++n) layer_caches[n] = &(*caches[n])[i];
    x = layer.rest.add_attention(
        x, layer.attention.forward(layer.rest.attention_input(x), layer_caches));
    x = layer.rest.feed_forward(x);
  }
  return x;
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

std::vector<MimiKvCache> MimiTransformer::init_caches(int64_t batch, int64_t capacity) const {
  std::vector<MimiKvCache> caches;
  for (const auto& layer : layers_) caches.push_back(layer.attention.init_cache(batch, capacity));
  return caches;
}

at::Tensor MimiTransformer::forward(const at::Tensor& x, std::vector<MimiKvCache>* caches) const {
  return forward_rows(x.transpose(1, 2), caches).transpose(1, 2);
}

at::Tensor MimiTransformer::forward_rows(const at::Tensor& x,
                                         std::vector<MimiKvCache>* caches) const {
  at::Tensor h = x;
  for (size_t i = 0; i < layers_.size(); ++i) {
    const Layer& layer = layers_[i];
    MimiKvCache* cache = caches ? &(*caches)[i] : nullptr;
    h = layer.rest.add_attention(h, layer.attention.forward(layer.rest.attention_input(h), cache));
    h = layer.rest.feed_forward(h);
  }
  return h.contiguous();
}

void MimiTransformer::advance(std::vector<MimiKvCache>& caches, int64_t steps) const {
  for (auto& cache : caches) cache.offset.add_(steps);
}

}  // namespace pockettts
