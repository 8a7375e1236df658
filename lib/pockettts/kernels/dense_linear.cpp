// dense_linear: the choice between the AVX-512 and the portable f32 kernel (the same choice as
// QuantizedLinear's, see quantized_linear.cpp).
#include "kernels/dense_linear.h"

#include "kernels/matvec.h"

namespace pockettts::kernels {

void dense_linear(const float* weight, const float* bias, int64_t out, int64_t in, const float* x,
                  int64_t rows, float* y) {
  if (rows <= 0 || out <= 0) return;
  const DenseWeights w{weight, bias, in, out};
#if defined(__x86_64__)
  if (avx512_selected()) {
    matvec_f32_avx512(w, x, rows, y);
    return;
  }
#endif
  matvec_f32_portable(w, x, rows, y);
}

}  // namespace pockettts::kernels
