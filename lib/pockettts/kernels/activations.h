// The transformers' and the flow MLP's activations over a run of floats, in the order of
// operations of libtorch's vector code (the reference's): GELU in its erf form, SiLU. The AVX-512
// variants use the same approximations as libtorch's AVX-512 code (erf: Abramowitz & Stegun
// 7.1.26, |error| <= 1.5e-7; exp: ~1 ulp); the portable ones std::erf / std::exp.
// Plain pointers, no libtorch.
#pragma once

#include <cstdint>

namespace pockettts::kernels {

// y[i] = x[i] * 0.5 * (1 + erf(x[i] / sqrt(2))) for i < n; y may be x.
void gelu(const float* x, int64_t n, float* y);

// y[i] = x[i] / (1 + exp(-x[i])) for i < n; y may be x.
void silu(const float* x, int64_t n, float* y);

}  // namespace pockettts::kernels
