#include "kernels/attention.h"
#include "kernels/target_clones.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace pockettts::kernels {

// Positions in the outer loops: the cache is read in memory order (all heads of a position are
// contiguous in FlowLM's cache), which the prefetchers follow; head by head, each read jumped a
// page.
POCKETTTS_TARGET_CLONES("avx512f", "avx2", "default") void attend_one_query(
    const float* q, int64_t heads, int64_t head_dim, const CachedKeysValues& cache,
    const uint8_t* allowed, float scale, float* scratch, float* out) {
  constexpr int64_t kLanes = 16;  // partial sums the compiler keeps in one vector register
  const int64_t positions = cache.positions;
  for (int64_t s = 0; s < positions; ++s) {
    if (allowed != nullptr && !allowed[s]) {
      for (int64_t h = 0; h < heads; ++h)
        scratch[h * positions + s] = -std::numeric_limits<float>::infinity();
      continue;
    }
    for (int64_t h = 0; h < heads; ++h) {
      const float* qh = q + h * head_dim;
      const float* k = cache.keys + s * cache.position_stride + h * cache.head_stride;
      float lanes[kLanes] = {};
      int64_t d = 0;
      for (; d + kLanes <= head_dim; d += kLanes)
        for (int64_t l = 0; l < kLanes; ++l) lanes[l] += qh[d + l] * k[d + l];
      float dot = 0;
      for (; d < head_dim; ++d) dot += qh[d] * k[d];
      for (int64_t l = 0; l < kLanes; ++l) dot += lanes[l];
      scratch[h * positions + s] = dot * scale;
    }
  }
  for (int64_t h = 0; h < heads; ++h) {
    float* p = scratch + h * positions;
    const float max = *std::max_element(p, p + positions);
    float sum = 0;
    for (int64_t s = 0; s < positions; ++s) {
      p[s] = std::exp(p[s] - max);
      sum += p[s];
    }
    for (int64_t s = 0; s < positions; ++s) p[s] /= sum;
  }
  std::fill(out, out + heads * head_dim, 0.0f);
  for (int64_t s = 0; s < positions; ++s) {
    if (allowed != nullptr && !allowed[s]) continue;  // weight 0
    for (int64_t h = 0; h < heads; ++h) {
      const float w = scratch[h * positions + s];
      const float* v = cache.values + s * cache.position_stride + h * cache.head_stride;
      float* oh = out + h * head_dim;
      for (int64_t d = 0; d < head_dim; ++d) oh[d] += w * v[d];
    }
  }
}

}  // namespace pockettts::kernels
