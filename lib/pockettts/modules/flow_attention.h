// FlowLM self-attention: causal, unbounded context, KV cache that grows with the sequence.
#pragma once

#include <ATen/core/Tensor.h>

#include <vector>

#include "modules/linear.h"
#include "modules/rope.h"
#include "modules/row_buffer.h"
#include "weights.h"

namespace pockettts {

// The KV cache of one attention layer: [2, B, capacity, H, D] (the reference's layout) and the
// number of valid positions. Capacity grows on demand; positions past `end` are unused.
struct FlowKvCache {
  at::Tensor cache;
  int64_t end = 0;

  FlowKvCache clone() const;
  // Makes room for `capacity` positions, keeping the valid ones.
  void reserve(int64_t capacity);
};

// Buffers of the generation step on plain rows (FlowTransformer::step), reused from step to step.
struct FlowStepBuffers {
  RowBuffer normed, qkv, attended, update, hidden, scores;
  std::vector<FlowKvCache*> layer_caches;  // one per stream, refilled for each layer
};

class FlowAttention {
 public:
  FlowAttention(const WeightPath& vb, int64_t embed_dim, int64_t num_heads, double max_period);

  FlowKvCache init_cache(int64_t batch, int64_t capacity) const;
  // x: [B, T, d]. Appends T positions to `cache` (the caller advances cache.end afterwards,
  // as the reference's increment_step does).
  at::Tensor forward(const at::Tensor& x, FlowKvCache& cache) const;
  // The generation step on plain rows, allocating nothing once the caches have room: x [N, d]
  // holds one position of each of N streams (stream n at caches[n]->end); out [N, d]. The
  // projections run on all N rows (one weight read), the attention per stream.
  void step(const float* x, int64_t rows, const std::vector<FlowKvCache*>& caches,
            FlowStepBuffers& buffers, float* out) const;

  int64_t num_heads() const { return num_heads_; }
  int64_t head_dim() const { return embed_dim_ / num_heads_; }
  void compress(WeightFormat format);

 private:
  // Attention of one stream: projected [B, T, 3d] (q, k, v) against `cache`, [B, T, d] out.
  at::Tensor attend(const at::Tensor& projected, FlowKvCache& cache) const;

  int64_t embed_dim_;
  int64_t num_heads_;
  Rope rope_;
  Linear in_proj_;   // [3d, d]
  Linear out_proj_;  // [d, d]
};

}  // namespace pockettts
