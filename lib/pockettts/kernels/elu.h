// ELU (alpha 1) over a run of floats, as torch computes it: x > 0 ? x : exp(x) - 1 (exp, then
// the subtraction, not expm1). The AVX-512 variant's exp is a degree-6 polynomial after range
// reduction (<= 2 ulp, as Sleef's in the reference: ~1e-7 absolute on the result); the
// portable one calls std::exp. Plain pointers, no libtorch.
#pragma once

#include <cstdint>

namespace pockettts::kernels {

// y[i] = elu(x[i]) for i < n; y may be x.
void elu(const float* x, int64_t n, float* y);

}  // namespace pockettts::kernels
