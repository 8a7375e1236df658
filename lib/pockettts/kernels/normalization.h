// Row normalisations of the generation step and Mimi's streaming transformer: LayerNorm (the
// transformers' nn.LayerNorm and the flow MLP's own, which compute the same function) and the
// flow MLP's RMSNorm. Each row's statistics are summed in double, so a row's result is within
// f32 rounding of libtorch's (whose reduction order is its own). Plain pointers, no libtorch.
#pragma once

#include <cstdint>

namespace pockettts::kernels {

// For each of `rows` rows of `width` floats: y = (x - mean) / sqrt(var + eps) * weight + bias,
// var the biased variance; weight and bias [width], both null for no affine part. y may be x.
void layer_norm(const float* x, int64_t rows, int64_t width, const float* weight, const float* bias,
                float eps, float* y);

// The flow MLP's RMSNorm: y = x * (alpha * rsqrt(eps + var)), var the *unbiased* variance of
// the row (the reference calls x.var()), alpha [width]. y may be x.
void rms_norm(const float* x, int64_t rows, int64_t width, const float* alpha, float eps, float* y);

}  // namespace pockettts::kernels
