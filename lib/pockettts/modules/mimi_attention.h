// Mimi self-attention: causal with a bounded context, streaming through a ring buffer.
#pragma once

#include <ATen/core/Tensor.h>

#include "modules/linear.h"
#include "modules/rope.h"
#include "weights.h"

namespace pockettts {

// Ring buffer of the last `capacity` keys/values: [2, B, H, capacity, D]. `end_offset` counts
// positions ever written; `offset` is the position of the next query (the reference advances
// it separately, by 16 per decoded frame).
struct MimiKvCache {
  at::Tensor cache;
  at::Tensor end_offset;  // [B] long
  at::Tensor offset;      // [B] long
};

class MimiAttention {
 public:
  MimiAttention(const WeightPath& vb, int64_t embed_dim, int64_t num_heads, int64_t context,
                double max_period);

  MimiKvCache init_cache(int64_t batch, int64_t capacity) const;
  void pack_panels();  // Linear::pack_panels on both projections
  // x: [B, T, d]. With a cache: streaming. Without: the whole sequence at once (encoder).
  at::Tensor forward(const at::Tensor& x, MimiKvCache* cache) const;

 private:
  static constexpr int64_t kQueryBlock = 256;
  // Attention of q [B, H, T, D] over keys/values [B, H, S, D] at positions [B, T] / [B, S].
  at::Tensor attend(const at::Tensor& q, const at::Tensor& keys, const at::Tensor& values,
                    const at::Tensor& pos_q, const at::Tensor& pos_k) const;
  // The same with the mask given: `blocked` [B, 1, T, S] true where a key is out of reach.
  at::Tensor attend_masked(const at::Tensor& q, const at::Tensor& keys, const at::Tensor& values,
                           const at::Tensor& blocked) const;
  // Streaming (one stream per cache, as every decoder): the reference's ring-buffer write,
  // slot positions and mask (its `complete`, ~15 tensor ops on 250 slots) on plain integers.
  at::Tensor stream_one(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                        MimiKvCache& state) const;

  int64_t embed_dim_;
  int64_t num_heads_;
  int64_t context_;
  Rope rope_;
  Linear in_proj_;   // [3d, d]
  Linear out_proj_;  // [d, d]
};

}  // namespace pockettts
