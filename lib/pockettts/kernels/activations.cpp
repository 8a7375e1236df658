#include "kernels/activations.h"

#include <cmath>

#include "kernels/exp_avx512.h"
#include "kernels/matvec.h"

namespace pockettts::kernels {
namespace {

constexpr float kSqrtHalf = 0.70710678118654752440f;

void gelu_portable(const float* x, int64_t n, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * 0.5f * (1.0f + std::erf(x[i] * kSqrtHalf));
}

void silu_portable(const float* x, int64_t n, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] / (1.0f + std::exp(-x[i]));
}

#if defined(__x86_64__)
// Sign-bit operations on AVX-512F alone (the _ps forms need AVX-512DQ).
__attribute__((target("avx512f"))) __m512 flip_sign(__m512 x) {
  return _mm512_castsi512_ps(
      _mm512_xor_si512(_mm512_castps_si512(x), _mm512_set1_epi32(static_cast<int>(0x80000000u))));
}
// x with its sign flipped where sign_of is negative.
__attribute__((target("avx512f"))) __m512 times_sign(__m512 x, __m512 sign_of) {
  const __m512i sign_bit = _mm512_set1_epi32(static_cast<int>(0x80000000u));
  return _mm512_castsi512_ps(_mm512_xor_si512(
      _mm512_castps_si512(x), _mm512_and_si512(_mm512_castps_si512(sign_of), sign_bit)));
}

// erf(x) = sign(x) * (1 - t * r(t) * exp(-x^2)), t = 1 / (1 + p |x|), r of degree 4.
__attribute__((target("avx512f"))) __m512 erf_avx512(__m512 x) {
  const __m512 one = _mm512_set1_ps(1.0f);
  const __m512 magnitude = _mm512_abs_ps(x);
  const __m512 t = _mm512_div_ps(one, _mm512_fmadd_ps(_mm512_set1_ps(0.3275911f), magnitude, one));
  __m512 r = _mm512_fmadd_ps(_mm512_set1_ps(1.061405429f), t, _mm512_set1_ps(-1.453152027f));
  r = _mm512_fmadd_ps(r, t, _mm512_set1_ps(1.421413741f));
  r = _mm512_fmadd_ps(r, t, _mm512_set1_ps(-0.284496736f));
  r = _mm512_fmadd_ps(r, t, _mm512_set1_ps(0.254829592f));
  const __m512 minus_exp = flip_sign(exp_avx512(flip_sign(_mm512_mul_ps(x, x))));
  const __m512 result = _mm512_fmadd_ps(_mm512_mul_ps(minus_exp, t), r, one);
  return times_sign(result, x);
}

__attribute__((target("avx512f"))) void gelu_avx512(const float* x, int64_t n, float* y) {
  const __m512 half = _mm512_set1_ps(0.5f), one = _mm512_set1_ps(1.0f);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = first_lanes(n - i);
    const __m512 v = _mm512_maskz_loadu_ps(m, x + i);
    const __m512 e = erf_avx512(_mm512_mul_ps(v, _mm512_set1_ps(kSqrtHalf)));
    _mm512_mask_storeu_ps(y + i, m, _mm512_mul_ps(_mm512_mul_ps(v, half), _mm512_add_ps(one, e)));
  }
}

__attribute__((target("avx512f"))) void silu_avx512(const float* x, int64_t n, float* y) {
  const __m512 one = _mm512_set1_ps(1.0f);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = first_lanes(n - i);
    const __m512 v = _mm512_maskz_loadu_ps(m, x + i);
    const __m512 e = exp_avx512(flip_sign(v));
    _mm512_mask_storeu_ps(y + i, m, _mm512_div_ps(v, _mm512_add_ps(one, e)));
  }
}
#endif

}  // namespace

void gelu(const float* x, int64_t n, float* y) {
#if defined(__x86_64__)
  if (avx512_selected()) {
    gelu_avx512(x, n, y);
    return;
  }
#endif
  gelu_portable(x, n, y);
}

void silu(const float* x, int64_t n, float* y) {
#if defined(__x86_64__)
  if (avx512_selected()) {
    silu_avx512(x, n, y);
    return;
  }
#endif
  silu_portable(x, n, y);
}

}  // namespace pockettts::kernels
