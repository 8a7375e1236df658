// LayerNorm on plain rows (the generation step, prompts, Mimi's streaming transformer): the
// transformers' nn.LayerNorm and the flow MLP's own, which compute the same function. Each row's
// statistics are summed in double, so a row's result is within f32 rounding of libtorch's
// (whose reduction order is its own). Plain pointers, no libtorch.
#pragma once

#include <cstdint>

namespace pockettts::kernels {

// For each of `rows` rows of `width` floats: y = (x - mean) / sqrt(var + eps) * weight + bias,
// var the biased variance; weight and bias [width], both null for no affine part. y may be x.
void layer_norm(const float* x, int64_t rows, int64_t width, const float* weight, const float* bias,
                float eps, float* y);

}  // namespace pockettts::kernels
