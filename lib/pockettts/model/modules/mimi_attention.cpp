#include "model/modules/mimi_attention.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/attention.h"
#include "model/modules/frame_batch.h"
#include "model/modules/rope.h"

namespace pockettts {

MimiAttention::MimiAttention(const WeightPath& vb, int64_t embed_dim, int64_t num_heads,
                             int64_t context, double max_period)
    : embed_dim_(embed_dim),
      num_heads_(num_heads),
      context_(context),
      rope_(embed_dim / num_heads, max_period),
      in_proj_(Linear::take(vb.pp("in_proj"), embed_dim, 3 * embed_dim, false)),
      out_proj_(Linear::take(vb.pp("out_proj"), embed_dim, embed_dim, false)) {}

void MimiAttention::pack_panels() {
  in_proj_.pack_panels();
  out_proj_.pack_panels();
}

MimiKvCache MimiAttention::init_cache(int64_t capacity) const {
  const int64_t d = embed_dim_ / num_heads_;
  return {at::zeros({2, 1, num_heads_, capacity, d}, at::kFloat), 0, 0};
}

at::Tensor MimiAttention::attend(const at::Tensor& q, const at::Tensor& keys,
                                 const at::Tensor& values, const at::Tensor& pos_q,
                                 const at::Tensor& pos_k) const {
  // Causal within the context window.
  at::Tensor delta = pos_q.unsqueeze(-1) - pos_k.unsqueeze(1);  // [B, T, S]
  at::Tensor blocked = (delta >= 0).logical_and(delta < context_).logical_not().unsqueeze(1);
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  at::Tensor scores = at::matmul(q, keys.transpose(-2, -1)) * scale;
  scores = scores.masked_fill(blocked, -std::numeric_limits<float>::infinity());
  return at::matmul(at::softmax(scores, -1), values);
}

at::Tensor MimiAttention::forward(const at::Tensor& x) const {
  const int64_t B = x.size(0), T = x.size(1), d = embed_dim_ / num_heads_;
  auto long_opts = x.options().dtype(at::kLong);

  at::Tensor projected = in_proj_(x);
  // "b t (p h d) -> p b h t d"
  at::Tensor qkv = projected.view({B, T, 3, num_heads_, d}).permute({2, 0, 3, 1, 4});
  at::Tensor q = qkv[0].permute({0, 2, 1, 3});
  at::Tensor k = qkv[1].permute({0, 2, 1, 3});
  at::Tensor v = qkv[2];
  std::tie(q, k) = rope_.apply(q, k, 0);
  q = q.permute({0, 2, 1, 3});
  k = k.permute({0, 2, 1, 3});

  // Queries go in blocks, each against the keys its context window can reach: the masked-out
  // keys only ever contributed exact zeros, and a 10 s prompt no longer builds 8 x 2000 x 2000
  // score matrices at once (peak memory).
  std::vector<at::Tensor> blocks;
  for (int64_t q0 = 0; q0 < T; q0 += kQueryBlock) {
    const int64_t q1 = std::min(T, q0 + kQueryBlock);
    const int64_t k0 = std::max<int64_t>(0, q0 - context_ + 1);
    blocks.push_back(attend(q.narrow(2, q0, q1 - q0), k.narrow(2, k0, q1 - k0),
                            v.narrow(2, k0, q1 - k0), at::arange(q0, q1, long_opts).view({1, -1}),
                            at::arange(k0, q1, long_opts).view({1, -1})));
  }
  at::Tensor out = blocks.size() == 1 ? blocks.front() : at::cat(blocks, 2);
  out = out.permute({0, 2, 1, 3}).reshape({B, T, embed_dim_});
  return out_proj_(out);
}

void MimiAttention::stream(const StreamRows* streams, size_t count, int64_t rows) const {
  const int64_t d = embed_dim_;
  PerFrame<Linear::Rows> in{}, out{};
  for (size_t s = 0; s < count; ++s) {
    in[s] = {streams[s].x, rows, streams[s].buffers->qkv.get(rows * 3 * d)};
  }
  in_proj_.forward(in.data(), count);  // each row: q | k | v, each [H, D]
  for (size_t s = 0; s < count; ++s) {
    out[s] = {attend_frame(in[s].y, rows, *streams[s].cache, *streams[s].buffers), rows,
              streams[s].out};
  }
  out_proj_.forward(out.data(), count);
}

float* MimiAttention::attend_frame(float* qkv, int64_t rows, MimiKvCache& state,
                                   MimiStreamBuffers& buffers) const {
  const int64_t d = embed_dim_, H = num_heads_, D = d / H, capacity = state.cache.size(3);
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(D)));
  float* attended = buffers.attended.get(rows * d);
  // The ring buffer [2, 1, H, capacity, D]: key (h, slot) at (h * capacity + slot) * D.
  float* keys = state.cache.data_ptr<float>();
  float* values = keys + H * capacity * D;
  for (int64_t t = 0; t < rows; ++t) {
    float* q = qkv + t * 3 * d;
    float* k = q + d;
    const float* v = q + 2 * d;
    rope_.rotate(q, H, k, H, static_cast<float>(t) + static_cast<float>(state.offset));
    const int64_t slot = (state.end + t) % capacity;
    for (int64_t h = 0; h < H; ++h) {
      std::copy_n(k + h * D, D, keys + (h * capacity + slot) * D);
      std::copy_n(v + h * D, D, values + (h * capacity + slot) * D);
    }
  }
  // Every key is written before any query attends (the reference's order); a query then sees
  // the slots whose position is in its context window, not past it, and written.
  const int64_t last = state.end + rows - 1, end_index = last % capacity;
  state.end += rows;
  buffers.allowed.resize(static_cast<size_t>(capacity));
  uint8_t* allowed = buffers.allowed.data();
  const kernels::CachedKeysValues cached{keys, values, capacity, D, capacity * D};
  float* scores = buffers.scores.get(H * capacity);
  for (int64_t t = 0; t < rows; ++t) {
    const int64_t query = state.offset + t;
    for (int64_t s = 0; s < capacity; ++s) {
      const int64_t delta = s - end_index;
      const int64_t pos = s >= state.end ? -1 : delta <= 0 ? last + delta : last + delta - capacity;
      allowed[s] = pos >= 0 && query - pos >= 0 && query - pos < context_;
    }
    kernels::attend_one_query(qkv + t * 3 * d, H, D, cached, allowed, scale, scores,
                              attended + t * d);
  }
  return attended;
}

}  // namespace pockettts
