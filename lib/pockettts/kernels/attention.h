// Attention of one new position (a generation step): per head, softmax(q · k_s / sqrt(d)) over
// the cached positions s, then the weighted sum of their values, in the reference's order
// (scores, scale, max-shifted exp, normalise, weighted sum). Plain pointers, no libtorch.
#pragma once

#include <cstdint>

namespace pockettts::kernels {

// q [heads, head_dim]; keys / values: position s, head h at s * position_stride + h * head_dim;
// scratch: heads * positions floats; out [heads, head_dim]. An AVX-512 or AVX2 clone is picked at
// load time where the CPU has one.
void attend_one_query(const float* q, const float* keys, const float* values, int64_t positions,
                      int64_t heads, int64_t head_dim, int64_t position_stride, float scale,
                      float* scratch, float* out);

}  // namespace pockettts::kernels
