// Mimi self-attention: causal with a bounded context, streaming through a ring buffer.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "formats/weights.h"
#include "model/modules/linear.h"
#include "model/modules/rope.h"
#include "model/modules/row_buffer.h"

namespace pockettts {

// One stream's ring buffer of the last `capacity` keys/values: [2, 1, H, capacity, D]. `end`
// counts positions ever written; `offset` is the position of the next query (the reference
// advances it separately, by 16 per decoded frame).
struct MimiKvCache {
  at::Tensor cache;
  int64_t end = 0;
  int64_t offset = 0;
};

// Buffers of the streaming path on plain rows (a decoded frame), reused from frame to frame.
struct MimiStreamBuffers {
  RowBuffer normed, qkv, attended, update, hidden, scores;
  std::vector<uint8_t> allowed;  // one query's mask over the ring buffer
};

class MimiAttention {
 public:
  MimiAttention(const WeightPath& vb, int64_t embed_dim, int64_t num_heads, int64_t context,
                double max_period);

  MimiKvCache init_cache(int64_t capacity) const;
  void pack_panels();  // Linear::pack_panels on both projections
  // The whole sequence at once (the encoder): x [B, T, d] -> [B, T, d].
  at::Tensor forward(const at::Tensor& x) const;
  // One stream's frame in a streaming call: x [T, d] -> out [T, d]; the T keys and values enter
  // `cache`.
  struct StreamRows {
    const float* x;
    MimiKvCache* cache;
    MimiStreamBuffers* buffers;
    float* out;
  };
  // Streaming, on plain rows (the decoder, 16 steps a frame), for `count` <= kMaxFrames streams
  // at once (frame_batch.h): the projections read their weights once for all, each stream
  // attends over its own cache. Allocates nothing once the buffers are sized.
  void stream(const StreamRows* streams, size_t count, int64_t rows) const;

 private:
  // One stream's queries over its cache, after its keys and values enter it: qkv [T, 3d] (the
  // in projection, rotated here) -> the stream's buffers.attended [T, d], returned.
  float* attend_frame(float* qkv, int64_t rows, MimiKvCache& cache,
                      MimiStreamBuffers& buffers) const;
  static constexpr int64_t kQueryBlock = 256;
  // Attention of q [B, H, T, D] over keys/values [B, H, S, D] at positions [B, T] / [B, S].
  at::Tensor attend(const at::Tensor& q, const at::Tensor& keys, const at::Tensor& values,
                    const at::Tensor& pos_q, const at::Tensor& pos_k) const;

  int64_t embed_dim_;
  int64_t num_heads_;
  int64_t context_;
  Rope rope_;
  Linear in_proj_;   // [3d, d]
  Linear out_proj_;  // [d, d]
};

}  // namespace pockettts
