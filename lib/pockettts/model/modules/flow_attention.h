// FlowLM self-attention: causal, unbounded context, KV cache that grows with the sequence.
#pragma once

#include <ATen/core/Tensor.h>

#include <vector>

#include "formats/weights.h"
#include "model/modules/linear.h"
#include "model/modules/rope.h"
#include "model/modules/row_buffer.h"

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

// Buffers of FlowTransformer::step and ::prompt on plain rows, reused from call to call.
struct FlowStepBuffers {
  RowBuffer normed, qkv, attended, update, hidden, scores;
  std::vector<FlowKvCache*> layer_caches;  // one per stream, refilled for each layer
};

class FlowAttention {
 public:
  FlowAttention(const WeightPath& vb, int64_t embed_dim, int64_t num_heads, double max_period);

  FlowKvCache init_cache(int64_t batch, int64_t capacity) const;
  // A prompt on plain rows: x [T, d] holds T consecutive positions of one stream, appended at
  // cache.end (which the caller advances afterwards); position t attends to the cache and to
  // positions <= t (the reference's causal mask); out [T, d].
  void prompt(const float* x, int64_t rows, FlowKvCache& cache, FlowStepBuffers& buffers,
              float* out) const;
  // The generation step on plain rows, allocating nothing once the caches have room: x [N, d]
  // holds one position of each of N streams (stream n at caches[n]->end); out [N, d]. The
  // projections run on all N rows (one weight read), the attention per stream.
  void step(const float* x, int64_t rows, const std::vector<FlowKvCache*>& caches,
            FlowStepBuffers& buffers, float* out) const;

  int64_t num_heads() const { return num_heads_; }
  int64_t head_dim() const { return embed_dim_ / num_heads_; }
  void compress(WeightFormat format);

 private:
  // rows consecutive new positions of one stream, projected (q | k | v per row): rotated, their
  // keys and values appended at cache.end, each query attending to the cache up to its own
  // position (the reference's causal mask) -> attended [rows, d].
  void attend_new(float* qkv, int64_t rows, FlowKvCache& cache, RowBuffer& scores,
                  float* attended) const;

  int64_t embed_dim_;
  int64_t num_heads_;
  Rope rope_;
  Linear in_proj_;   // [3d, d]
  Linear out_proj_;  // [d, d]
};

}  // namespace pockettts
