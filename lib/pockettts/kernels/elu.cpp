#include "kernels/elu.h"

#include <cmath>

#include "kernels/exp_avx512.h"
#include "kernels/matvec.h"

namespace pockettts::kernels {
namespace {

void elu_portable(const float* x, int64_t n, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] > 0.0f ? x[i] : std::exp(x[i]) - 1.0f;
}

#if defined(__x86_64__)
__attribute__((target("avx512f"))) void elu_avx512(const float* x, int64_t n, float* y) {
  const __m512 zero = _mm512_setzero_ps(), one = _mm512_set1_ps(1.0f);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = first_lanes(n - i);
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
