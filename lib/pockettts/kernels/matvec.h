// The kernel variants behind QuantizedLinear (internal). Each computes, for r in [0, rows),
// y[r, :] = x[r, :] @ W^T + b on the packed weights, with f32 activations and accumulators.
#pragma once

#include <cstdint>

#include "kernels/dispatch.h"
#include "kernels/quantized_linear.h"

namespace pockettts::kernels {

// Inputs are zero-padded to a multiple of 64 and outputs to a multiple of 8, so no kernel has
// a tail to handle: the padding contributes exact zeros.
constexpr int64_t kTileRows = 8;
constexpr int64_t kTileCols = 64;
// Rows of x that share one pass over the weights (the rest of a call takes further passes).
constexpr int64_t kMaxBlockRows = 32;

using MatvecFn = void (*)(const PackedWeights& w, const float* x, int64_t rows, float* y);

void matvec_int8_portable(const PackedWeights& w, const float* x, int64_t rows, float* y);
void matvec_bf16_portable(const PackedWeights& w, const float* x, int64_t rows, float* y);

// Defined only on x86-64 (matvec_avx512.cpp); callers check avx512_usable() first.
bool avx512_usable();
void matvec_int8_avx512(const PackedWeights& w, const float* x, int64_t rows, float* y);
void matvec_bf16_avx512(const PackedWeights& w, const float* x, int64_t rows, float* y);

// f32 weights as stored (dense_linear.h): row-major [out, in], no padding; the kernels handle the
// tails (inputs not a multiple of 16, outputs not a multiple of 8) themselves.
// Rows of x per pass over the f32 weights: 32 rows of up to 4096 inputs (512 KB) stay in L2.
// Measured (pockettts-kernel-bench): 64 rows of 4096 inputs are no faster than GEMM any more.
constexpr int64_t kDenseRowBlock = 32;
struct DenseWeights {
  const float* data;
  const float* bias;  // [out] or null
  int64_t in, out;
  int64_t y_stride;  // floats between rows of y (out, or more for a range of the outputs)
};
// Products below this many multiply-adds stay on one thread (a hand-off costs ~10-20 us)...
constexpr int64_t kParallelMinMacs = int64_t{1} << 21;
// ... unless they read this many bytes of weights: one row through a 2 MB matrix is ~80 us of
// memory traffic on one core, which a second core's bandwidth shortens (a step's output
// projections and the flow MLP's modulations in fp32; int8's 1 MB matrices gained nothing).
constexpr int64_t kParallelMinBytes = int64_t{2} << 20;
// The cores a product may split over: `macs` multiply-adds reading `bytes` of weights.
int split_parts(int64_t macs, int64_t bytes);
void matvec_f32_portable(const DenseWeights& w, const float* x, int64_t rows, float* y);
void matvec_f32_avx512(const DenseWeights& w, const float* x, int64_t rows, float* y);

// Copies rows [r0, r0 + n) of x ([rows, in]) into xp as rows of in_pad floats, zero-padded: the
// weights' padding is zero, but 0 * garbage could be NaN.
void pad_rows(const float* x, int64_t in, int64_t in_pad, int64_t r0, int64_t n, float* xp);

// A per-thread scratch buffer of at least `floats` floats, 64-byte aligned (reused across
// calls: the step must not allocate in the steady state).
float* scratch_floats(int64_t floats);

}  // namespace pockettts::kernels
