// The kernel variants behind QuantizedLinear (internal). Each computes, for r in [0, rows),
// y[r, :] = x[r, :] @ W^T + b on the packed weights, with f32 activations and accumulators.
#pragma once

#include <cstdint>

#include "kernels/quantized_linear.h"

namespace pockettts::kernels {

// Inputs are zero-padded to a multiple of 64 and outputs to a multiple of 8, so no kernel has
// a tail to handle: the padding contributes exact zeros.
constexpr int64_t kTileRows = 8;
constexpr int64_t kTileCols = 64;
// Rows of x that share one pass over the weights (the rest of a call takes further passes).
constexpr int64_t kMaxBlockRows = 8;

using MatvecFn = void (*)(const PackedWeights& w, const float* x, int64_t rows, float* y);

void matvec_int8_portable(const PackedWeights& w, const float* x, int64_t rows, float* y);
void matvec_bf16_portable(const PackedWeights& w, const float* x, int64_t rows, float* y);

// Defined only on x86-64 (matvec_avx512.cpp); callers check avx512_usable() first.
bool avx512_usable();
void matvec_int8_avx512(const PackedWeights& w, const float* x, int64_t rows, float* y);
void matvec_bf16_avx512(const PackedWeights& w, const float* x, int64_t rows, float* y);

// A per-thread scratch buffer of at least `floats` floats, 64-byte aligned (reused across
// calls: the step must not allocate in the steady state).
float* scratch_floats(int64_t floats);

}  // namespace pockettts::kernels
