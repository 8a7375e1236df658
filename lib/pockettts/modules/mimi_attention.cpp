#include "modules/mimi_attention.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "error.h"
#include "modules/rope.h"

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

MimiKvCache MimiAttention::init_cache(int64_t batch, int64_t capacity) const {
  const int64_t d = embed_dim_ / num_heads_;
  return {at::zeros({2, batch, num_heads_, capacity, d}, at::kFloat), at::zeros({batch}, at::kLong),
          at::zeros({batch}, at::kLong)};
}

at::Tensor MimiAttention::attend(const at::Tensor& q, const at::Tensor& keys,
                                 const at::Tensor& values, const at::Tensor& pos_q,
                                 const at::Tensor& pos_k) const {
  // Causal within the context window; unwritten ring-buffer slots have position -1.
  at::Tensor pk = pos_k.unsqueeze(1);   // [B, 1, S]
  at::Tensor pq = pos_q.unsqueeze(-1);  // [B, T, 1]
  at::Tensor delta = pq - pk;
  at::Tensor allowed = (pk >= 0).logical_and(delta >= 0).logical_and(delta < context_);
  return attend_masked(q, keys, values, allowed.logical_not().unsqueeze(1));
}

at::Tensor MimiAttention::attend_masked(const at::Tensor& q, const at::Tensor& keys,
                                        const at::Tensor& values, const at::Tensor& blocked) const {
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  at::Tensor scores = at::matmul(q, keys.transpose(-2, -1)) * scale;
  scores = scores.masked_fill(blocked, -std::numeric_limits<float>::infinity());
  return at::matmul(at::softmax(scores, -1), values);
}

at::Tensor MimiAttention::stream_one(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                     MimiKvCache& state) const {
  const int64_t T = q.size(2), capacity = state.cache.size(3);
  int64_t& end = state.end_offset.data_ptr<int64_t>()[0];
  const int64_t offset = state.offset.data_ptr<int64_t>()[0];
  // Slots (end + t) % capacity, in at most two contiguous runs.
  for (int64_t t = 0; t < T;) {
    const int64_t slot = (end + t) % capacity;
    const int64_t run = std::min(T - t, capacity - slot);
    state.cache[0].narrow(2, slot, run).copy_(k.narrow(2, t, run));
    state.cache[1].narrow(2, slot, run).copy_(v.narrow(2, t, run));
    t += run;
  }
  const int64_t last = end + T - 1, end_index = last % capacity;
  end += T;
  at::Tensor blocked = at::empty({1, 1, T, capacity}, q.options().dtype(at::kBool));
  bool* b = blocked.data_ptr<bool>();
  for (int64_t s = 0; s < capacity; ++s) {
    const int64_t delta = s - end_index;
    const int64_t pos = s >= end ? -1 : delta <= 0 ? last + delta : last + delta - capacity;
    for (int64_t t = 0; t < T; ++t) {
      const int64_t d = offset + t - pos;
      b[t * capacity + s] = !(pos >= 0 && d >= 0 && d < context_);
    }
  }
  return attend_masked(q, state.cache[0], state.cache[1], blocked);
}

at::Tensor MimiAttention::forward(const at::Tensor& x, MimiKvCache* state) const {
  const int64_t B = x.size(0), T = x.size(1), d = embed_dim_ / num_heads_;
  auto long_opts = x.options().dtype(at::kLong);
  at::Tensor offset = state ? state->offset : at::zeros({B}, long_opts);

  at::Tensor projected = in_proj_(x);
  // "b t (p h d) -> p b h t d"
  at::Tensor qkv = projected.view({B, T, 3, num_heads_, d}).permute({2, 0, 3, 1, 4});
  at::Tensor q = qkv[0].permute({0, 2, 1, 3});
  at::Tensor k = qkv[1].permute({0, 2, 1, 3});
  at::Tensor v = qkv[2];
  std::tie(q, k) = rope_.apply(q, k, offset);
  q = q.permute({0, 2, 1, 3});
  k = k.permute({0, 2, 1, 3});

  at::Tensor out;
  if (!state) {
    // The whole sequence at once (the encoder). Queries go in blocks, each against the keys
    // its context window can reach: the masked-out keys only ever contributed exact zeros, and
    // a 10 s prompt no longer builds 8 x 2000 x 2000 score matrices at once (peak memory).
    std::vector<at::Tensor> blocks;
    for (int64_t q0 = 0; q0 < T; q0 += kQueryBlock) {
      const int64_t q1 = std::min(T, q0 + kQueryBlock);
      const int64_t k0 = std::max<int64_t>(0, q0 - context_ + 1);
      blocks.push_back(attend(q.narrow(2, q0, q1 - q0), k.narrow(2, k0, q1 - k0),
                              v.narrow(2, k0, q1 - k0), at::arange(q0, q1, long_opts).view({1, -1}),
                              at::arange(k0, q1, long_opts).view({1, -1})));
    }
    out = blocks.size() == 1 ? blocks.front() : at::cat(blocks, 2);
  } else {
    if (B != 1) {
      throw Error(ErrorCode::kInvalidArgument,
                  "Mimi streaming attention holds one stream per cache (batch 1)");
    }
    out = stream_one(q, k, v, *state);
  }
  out = out.permute({0, 2, 1, 3}).reshape({B, T, embed_dim_});
  return out_proj_(out);
}

}  // namespace pockettts
