// Pre-norm transformer layers as the reference's StreamingTransformer: attention block and a
// GELU feed-forward block, each residual, with optional LayerScale (Mimi) or none (FlowLM).
#pragma once

#include <ATen/core/Tensor.h>

#include <cstddef>
#include <vector>

#include "formats/weights.h"
#include "model/modules/flow_attention.h"
#include "model/modules/mimi_attention.h"
#include "model/modules/row_buffer.h"

namespace pockettts {

// What the two kinds of layer share: norms, feed-forward and layer scales.
struct TransformerLayerWeights {
  TransformerLayerWeights(const WeightPath& vb, int64_t d_model, int64_t dim_feedforward,
                          bool layer_scale);
  at::Tensor norm1_weight, norm1_bias, norm2_weight, norm2_bias;
  Linear linear1, linear2;
  at::Tensor scale1, scale2;  // undefined when the layer has no LayerScale

  at::Tensor attention_input(const at::Tensor& x) const;  // norm1(x)
  at::Tensor add_attention(const at::Tensor& x, const at::Tensor& update) const;
  at::Tensor feed_forward(const at::Tensor& x) const;  // x + scale2 * ff(norm2(x))

  // The same on plain rows [rows, d], in place where they update x.
  void attention_input(const float* x, int64_t rows, float* y) const;
  void add_attention(float* x, int64_t rows, const float* update) const;
  void feed_forward(float* x, int64_t rows, RowBuffer& normed, RowBuffer& hidden,
                    RowBuffer& update) const;
  // feed_forward on the rows of `count` <= kMaxFrames streams (frame_batch.h): each linear
  // reads its weights once for all of them.
  struct FeedForwardRows {
    float* x;
    RowBuffer *normed, *hidden, *update;
  };
  void feed_forward(const FeedForwardRows* streams, size_t count, int64_t rows) const;
};

// FlowLM backbone: `layers` with FlowAttention, one KV cache per layer.
class FlowTransformer {
 public:
  FlowTransformer(const WeightPath& vb, int64_t d_model, int64_t num_heads, int64_t num_layers,
                  int64_t dim_feedforward, double max_period);
  std::vector<FlowKvCache> init_caches(int64_t batch, int64_t capacity) const;
  // A prompt on plain rows, in place: x [T, d], T consecutive positions of one stream.
  void prompt(float* x, int64_t rows, std::vector<FlowKvCache>& caches,
              FlowStepBuffers& buffers) const;
  // The generation step on plain rows, in place: x [N, d] holds one position of each of N
  // streams, caches[n] the layer caches of stream n. Allocates nothing once `buffers` and the
  // caches are sized.
  void step(float* x, int64_t rows, const std::vector<std::vector<FlowKvCache>*>& caches,
            FlowStepBuffers& buffers) const;
  size_t num_layers() const { return layers_.size(); }
  void compress(WeightFormat format);
  const FlowAttention& attention(size_t i) const { return layers_[i].attention; }

 private:
  struct Layer {
    FlowAttention attention;
    TransformerLayerWeights rest;
  };
  std::vector<Layer> layers_;
};

// Mimi's ProjectedTransformer with identity projections.
class MimiTransformer {
 public:
  MimiTransformer(const WeightPath& vb, int64_t d_model, int64_t num_heads, int64_t num_layers,
                  int64_t dim_feedforward, int64_t context, double max_period);
  std::vector<MimiKvCache> init_caches(int64_t capacity) const;
  // The whole sequence at once (the encoder): [B, C, T] in and out.
  at::Tensor forward(const at::Tensor& x) const;
  // One stream's frame in a streaming call: x [T, C], time steps as rows, updated in place.
  struct StreamRows {
    float* x;
    std::vector<MimiKvCache>* caches;
    MimiStreamBuffers* buffers;
  };
  // Streaming (the decoder) on plain rows for `count` <= kMaxFrames streams at once
  // (frame_batch.h), each with the bits it would get alone. Allocates nothing once the buffers
  // are sized. The query positions do not move (see advance).
  void stream(const StreamRows* streams, size_t count, int64_t rows) const;
  void advance(std::vector<MimiKvCache>& caches, int64_t steps) const;

 private:
  struct Layer {
    MimiAttention attention;
    TransformerLayerWeights rest;
  };
  std::vector<Layer> layers_;
};

}  // namespace pockettts
