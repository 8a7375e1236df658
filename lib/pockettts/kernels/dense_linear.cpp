// dense_linear: the choice between the AVX-512 and the portable f32 kernel (the same choice as
// QuantizedLinear's, see quantized_linear.cpp), and the split of big products over the cores
// the caller's ComputeScope grants (worker_pool.h).
#include "kernels/dense_linear.h"

#include "kernels/matvec.h"
#include "kernels/worker_pool.h"

namespace pockettts::kernels {
namespace {

void run(const DenseWeights& w, const float* x, int64_t rows, float* y) {
#if defined(__x86_64__)
  if (avx512_selected()) {
    matvec_f32_avx512(w, x, rows, y);
    return;
  }
#endif
  matvec_f32_portable(w, x, rows, y);
}

}  // namespace

void dense_linear(const float* weight, const float* bias, int64_t out, int64_t in, const float* x,
                  int64_t rows, float* y) {
  if (rows <= 0 || out <= 0) return;
  const int parts = split_parts(rows * in * out, in * out * int64_t{sizeof(float)});
  // Ranges of whole 8-output blocks: every output is computed as it would be on one thread.
  parallel_ranges(out, kTileRows, parts, [&](int64_t o0, int64_t o1) {
    const DenseWeights w{weight + o0 * in, bias != nullptr ? bias + o0 : nullptr, in, o1 - o0, out};
    run(w, x, rows, y + o0);
  });
}

int split_parts(int64_t macs, int64_t bytes) {
  return macs >= kParallelMinMacs || bytes >= kParallelMinBytes ? ComputeScope::current() : 1;
}

bool dense_linear_fast(int64_t rows) { return avx512_selected() || rows <= kPortableMaxRows; }

}  // namespace pockettts::kernels
