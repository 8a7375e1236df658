#include "model/modules/flow_attention.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/attention.h"
#include "kernels/matvec.h"
#include "kernels/worker_pool.h"

#include "model/modules/rope.h"

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

void FlowAttention::attend_new(float* qkv, int64_t rows, FlowKvCache& cache, RowBuffer& scores,
                               float* attended) const {
  const int64_t d = embed_dim_, H = num_heads_, D = head_dim(), end = cache.end;
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(D)));
  cache.reserve(end + rows);
  TORCH_CHECK(cache.cache.is_contiguous() && cache.cache.size(1) == 1,
              "flow attention: unexpected cache layout");
  // The cache [2, 1, capacity, H, D]: the keys' positions, then the values'.
  float* keys = cache.cache.data_ptr<float>();
  float* values = keys + cache.cache.size(2) * d;
  for (int64_t t = 0; t < rows; ++t) {
    float* q = qkv + t * 3 * d;
    float* k = q + d;
    const float* v = q + 2 * d;
    rope_.rotate(q, H, k, H, static_cast<float>(end + t));
    std::copy(k, k + d, keys + (end + t) * d);
    std::copy(v, v + d, values + (end + t) * d);
  }
  float* s = scores.get(H * (end + rows));
  for (int64_t t = 0; t < rows; ++t) {
    const int64_t positions = end + t + 1;
    // Heads are independent: groups of them may go to other cores (a step reads the whole
    // cache: 2 MB a layer at 256 positions, more as the utterance grows), each head computed as on one thread.
    const int parts = kernels::split_parts(0, 2 * positions * d * int64_t{sizeof(float)});
    kernels::parallel_ranges(H, 1, parts, [&](int64_t h0, int64_t h1) {
      const kernels::CachedKeysValues cached{keys + h0 * D, values + h0 * D, positions, d, D};
      kernels::attend_one_query(qkv + t * 3 * d + h0 * D, h1 - h0, D, cached, nullptr, scale,
                                s + h0 * positions, attended + t * d + h0 * D);
    });
  }
}

void FlowAttention::prompt(const float* x, int64_t rows, FlowKvCache& cache,
                           FlowStepBuffers& buffers, float* out) const {
  float* qkv = buffers.qkv.get(rows * 3 * embed_dim_);
  float* attended = buffers.attended.get(rows * embed_dim_);
  in_proj_.forward(x, rows, qkv);
  attend_new(qkv, rows, cache, buffers.scores, attended);
  out_proj_.forward(attended, rows, out);
}

void FlowAttention::step(const float* x, int64_t rows, const std::vector<FlowKvCache*>& caches,
                         FlowStepBuffers& buffers, float* out) const {
  const int64_t d = embed_dim_;
  float* qkv = buffers.qkv.get(rows * 3 * d);
  float* attended = buffers.attended.get(rows * d);
  in_proj_.forward(x, rows, qkv);
  for (int64_t n = 0; n < rows; ++n)  // one position of each stream
    attend_new(qkv + n * 3 * d, 1, *caches[static_cast<size_t>(n)], buffers.scores,
               attended + n * d);
  out_proj_.forward(attended, rows, out);
}

}  // namespace pockettts
