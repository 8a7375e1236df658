#include "kernels/elu.h"

#include <cmath>

#include "kernels/matvec.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace pockettts::kernels {
namespace {

void elu_portable(const float* x, int64_t n, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] > 0.0f ? x[i] : std::exp(x[i]) - 1.0f;
}

#if defined(__x86_64__)
// exp(x) = 2^k * exp(r), k = round(x / ln 2), r = x - k ln 2 (ln 2 in two parts, so r is
// exact), exp(r) by Cephes' expf polynomial on |r| <= ln(2) / 2.
__attribute__((target("avx512f"))) __m512 exp_avx512(__m512 x) {
  x = _mm512_max_ps(_mm512_set1_ps(-104.0f), x);  // exp underflows below -103.97; NaN stays
  const __m512 k = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(k, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(k, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  return _mm512_scalef_ps(p, k);
}

__attribute__((target("avx512f"))) void elu_avx512(const float* x, int64_t n, float* y) {
  const __m512 zero = _mm512_setzero_ps(), one = _mm512_set1_ps(1.0f);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (n - i)) - 1);
    const __m512 v = _mm512_maskz_loadu_ps(m, x + i);
    const __mmask16 positive = _mm512_cmp_ps_mask(v, zero, _CMP_GT_OQ);
    __m512 out = v;
    if (positive != 0xFFFF) {
      out = _mm512_mask_blend_ps(positive, _mm512_sub_ps(exp_avx512(v), one), v);
    }
    _mm512_mask_storeu_ps(y + i, m, out);
  }
}
#endif

}  // namespace

void elu(const float* x, int64_t n, float* y) {
#if defined(__x86_64__)
  if (avx512_selected()) {
    elu_avx512(x, n, y);
    return;
  }
#endif
  elu_portable(x, n, y);
}

}  // namespace pockettts::kernels
