// Exact-mode (f32) products against the checkpoint's weights, as stored: row-major [out, in], no
// repacked copy of the layer (the mapped checkpoint stays the only copy; a prompt's block of rows
// copies 8 weight rows at a time into a per-thread tile, see matvec_f32_avx512).
//
// Every output is one dot product summed in an order that depends only on `in`, never on how many
// rows are computed together: a step run for one stream and the same step batched with others
// give the same bits (StreamScheduler relies on this). The order differs from BLAS (the
// reference's) by f32 rounding only (~1e-7 relative per product).
//
// Plain pointers, no libtorch (core library, see quantized_linear.h).
#pragma once

#include <cstdint>

namespace pockettts::kernels {

// y[r, :] = x[r, :] @ W^T + b for r in [0, rows): W [out, in] row-major, b [out] or null, x
// [rows, in] and y [rows, out] contiguous, not overlapping. Thread-safe; allocates nothing.
// AVX-512 when the CPU has it (and POCKETTTS_KERNEL is not "portable"), else portable C++.
void dense_linear(const float* weight, const float* bias, int64_t out, int64_t in, const float* x,
                  int64_t rows, float* y);

// Whether dense_linear is the fast choice for `rows` rows: always with AVX-512; without it the
// portable kernel only for the few rows of a (batched) step, where it matches BLAS's GEMV, and
// BLAS's GEMM beyond (prompts, Mimi, encoders).
bool dense_linear_fast(int64_t rows);
constexpr int64_t kPortableMaxRows = 8;

}  // namespace pockettts::kernels
