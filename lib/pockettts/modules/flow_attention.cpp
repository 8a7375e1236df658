#include "modules/flow_attention.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/attention.h"

#include "modules/rope.h"

namespace pockettts {

FlowKvCache FlowKvCache::clone() const { return {cache.clone(), end}; }

void FlowKvCache::reserve(int64_t capacity) {
  if (cache.size(2) >= capacity) return;
  auto sizes = cache.sizes().vec();
  sizes[2] = capacity;
  // Unused positions hold NaN, as in the reference: reading one would poison the output.
  at::Tensor grown = at::full(sizes, std::numeric_limits<float>::quiet_NaN(), cache.options());
  grown.narrow(2, 0, end).copy_(cache.narrow(2, 0, end));
  cache = grown;
}

FlowAttention::FlowAttention(const WeightPath& vb, int64_t embed_dim, int64_t num_heads,
                             double max_period)
    : embed_dim_(embed_dim),
      num_heads_(num_heads),
      rope_(embed_dim / num_heads, max_period),
      in_proj_(Linear::take(vb.pp("in_proj"), embed_dim, 3 * embed_dim, false)),
      out_proj_(Linear::take(vb.pp("out_proj"), embed_dim, embed_dim, false)) {}

void FlowAttention::compress(WeightFormat format) {
  in_proj_.compress(format);
  out_proj_.compress(format);
}

FlowKvCache FlowAttention::init_cache(int64_t batch, int64_t capacity) const {
  return {at::full({2, batch, capacity, num_heads_, head_dim()},
                   std::numeric_limits<float>::quiet_NaN(), at::kFloat),
          0};
}

at::Tensor FlowAttention::forward(const at::Tensor& x, FlowKvCache& cache) const {
  return out_proj_(attend(in_proj_(x), cache));
}

void FlowAttention::step(const float* x, int64_t rows, const std::vector<FlowKvCache*>& caches,
                         FlowStepBuffers& buffers, float* out) const {
  const int64_t d = embed_dim_, H = num_heads_, D = head_dim();
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(D)));
  float* qkv = buffers.qkv.get(rows * 3 * d);
  float* attended = buffers.attended.get(rows * d);
  in_proj_.forward(x, rows, qkv);
  for (int64_t n = 0; n < rows; ++n) {
    FlowKvCache& cache = *caches[static_cast<size_t>(n)];
    const int64_t end = cache.end;
    cache.reserve(end + 1);
    TORCH_CHECK(cache.cache.is_contiguous() && cache.cache.size(1) == 1,
                "flow attention: unexpected cache layout");
    float* q = qkv + n * 3 * d;
    float* k = q + d;
    const float* v = q + 2 * d;
    rope_.rotate(q, H, k, H, static_cast<float>(end));
    // The cache [2, 1, capacity, H, D]: position `end` of the keys, then of the values.
    float* keys = cache.cache.data_ptr<float>();
    float* values = keys + cache.cache.size(2) * d;
    std::copy(k, k + d, keys + end * d);
    std::copy(v, v + d, values + end * d);
    const kernels::CachedKeysValues cached{keys, values, end + 1, d, D};
    kernels::attend_one_query(q, H, D, cached, nullptr, scale, buffers.scores.get(H * (end + 1)),
                              attended + n * d);
  }
  out_proj_.forward(attended, rows, out);
}

at::Tensor FlowAttention::attend(const at::Tensor& projected, FlowKvCache& state) const {
  const int64_t b = projected.size(0), t = projected.size(1), d = head_dim();
  const int64_t end = state.end;
  state.reserve(end + t);

  at::Tensor packed = projected.view({b, t, 3, num_heads_, d});
  at::Tensor q = packed.select(2, 0), k = packed.select(2, 1), v = packed.select(2, 2);
  std::tie(q, k) = rope_.apply(q, k, end);

  state.cache.select(0, 0).narrow(1, end, t).copy_(k);
  state.cache.select(0, 1).narrow(1, end, t).copy_(v);
  at::Tensor keys = state.cache.select(0, 0).narrow(1, 0, end + t);
  at::Tensor values = state.cache.select(0, 1).narrow(1, 0, end + t);

  at::Tensor qh = q.transpose(1, 2), kh = keys.transpose(1, 2), vh = values.transpose(1, 2);
  at::Tensor scores = at::matmul(qh, kh.transpose(-2, -1)) * (1.0 / std::sqrt(double(d)));
  if (t > 1) {
    // Causal mask as the reference builds it: log(tril(ones)) gives 0 / -inf. One new position
    // sees every key: its mask is all zeros, and adding it would change nothing.
    at::Tensor ones = at::full({t, t + end}, 1.0, projected.options());
    scores = scores + at::log(at::tril(ones, end));
  }
  at::Tensor weights = at::softmax(scores, -1);
  return at::matmul(weights, vh).transpose(1, 2).reshape({b, t, num_heads_ * d});
}

}  // namespace pockettts
