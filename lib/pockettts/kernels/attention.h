// Attention of one new query (a generation step's position, or one of the rows of Mimi's
// streaming transformer): per head, softmax(q · k_s / sqrt(d)) over the cached positions s, then
// the weighted sum of their values, in the reference's order (scores, scale, max-shifted exp,
// normalise, weighted sum). Plain pointers, no libtorch.
#pragma once

#include <cstdint>

namespace pockettts::kernels {

// Where the cached keys and values lie: those of position s, head h start at
// s * position_stride + h * head_stride (FlowLM: [S, H, D]; Mimi's ring buffer: [H, S, D]).
struct CachedKeysValues {
  const float* keys;
  const float* values;
  int64_t positions;
  int64_t position_stride;
  int64_t head_stride;
};

// q [heads, head_dim] -> out [heads, head_dim]. `allowed` [positions] (nonzero: allowed) or null
// (all): a position not allowed scores -inf, as the reference's masks make it, and adds nothing.
// scratch: heads * positions floats. An AVX-512 or AVX2 clone is picked at load time where the CPU
// has one.
void attend_one_query(const float* q, int64_t heads, int64_t head_dim,
                      const CachedKeysValues& cache, const uint8_t* allowed, float scale,
                      float* scratch, float* out);

}  // namespace pockettts::kernels
