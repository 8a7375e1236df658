// The portable kernels: plain C++ that the compiler vectorizes for the baseline ISA (SSE2 on
// x86-64). Same layout and the same f32 arithmetic as the AVX-512 kernels, in another
// summation order: 8 lanes per output, summed at the end.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "kernels/matvec.h"
#include "kernels/target_clones.h"

namespace pockettts::kernels {
namespace {

constexpr int kLanes = 8;

inline float widen(int8_t q) { return static_cast<float>(q); }
inline float widen(uint16_t h) {
  const uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// Up to kMaxBlockRows rows of x against all the weights. Each tile is read once from memory and
// reused from L1 for every row of the block.
template <typename T>
void block(const PackedWeights& w, const float* xp, int64_t rows, float* y) {
  const auto* tiles = static_cast<const T*>(w.data);
  const int64_t chunks = w.in_pad / kTileCols;
  float acc[kMaxBlockRows][kTileRows][kLanes];
  for (int64_t ob = 0; ob < w.out_pad / kTileRows; ++ob) {
    std::memset(acc, 0, sizeof acc);
    for (int64_t c = 0; c < chunks; ++c) {
      const T* tile = tiles + (ob * chunks + c) * kTileRows * kTileCols;
      for (int64_t r = 0; r < rows; ++r) {
        const float* xc = xp + r * w.in_pad + c * kTileCols;
        for (int64_t o = 0; o < kTileRows; ++o) {
          const T* wrow = tile + o * kTileCols;
          float* a = acc[r][o];
          for (int64_t i = 0; i < kTileCols; i += kLanes)
            for (int l = 0; l < kLanes; ++l) a[l] += widen(wrow[i + l]) * xc[i + l];
        }
      }
    }
    const int64_t valid = std::min<int64_t>(kTileRows, w.out - ob * kTileRows);
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t o = 0; o < valid; ++o) {
        const float* a = acc[r][o];
        float s = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
        const int64_t oo = ob * kTileRows + o;
        if (w.scale != nullptr) s *= w.scale[oo];
        if (w.bias != nullptr) s += w.bias[oo];
        y[r * w.y_stride + oo] = s;
      }
    }
  }
}

template <typename T>
void matvec(const PackedWeights& w, const float* x, int64_t rows, float* y) {
  float* xp = scratch_floats(kMaxBlockRows * w.in_pad);
  for (int64_t r0 = 0; r0 < rows; r0 += kMaxBlockRows) {
    const int64_t n = std::min(kMaxBlockRows, rows - r0);
    pad_rows(x, w.in, w.in_pad, r0, n, xp);
    block<T>(w, xp, n, y + r0 * w.y_stride);
  }
}

}  // namespace

void matvec_int8_portable(const PackedWeights& w, const float* x, int64_t rows, float* y) {
  matvec<int8_t>(w, x, rows, y);
}

void matvec_bf16_portable(const PackedWeights& w, const float* x, int64_t rows, float* y) {
  matvec<uint16_t>(w, x, rows, y);
}

// f32 weights as stored: 32 lanes per output (independent chains: the adds' latency hidden; the
// tail of `in` lands in the first lanes), summed pairwise at the end; each output's order depends
// on `in` only, never on the number of rows. On x86-64 an AVX2 clone is chosen at load time
// where the CPU has it: every lane's sum is written out in order and nothing is contracted into
// FMAs (meson.build), so both clones give the same bits, at twice the width.
#if defined(__x86_64__)
POCKETTTS_TARGET_CLONES("avx2", "default")
#endif
void matvec_f32_portable(const DenseWeights& w, const float* x, int64_t rows, float* y) {
  constexpr int kDenseLanes = 32;
  const int64_t full = w.in / kDenseLanes * kDenseLanes;
  for (int64_t r0 = 0; r0 < rows; r0 += kDenseRowBlock) {
    const int64_t r1 = std::min(rows, r0 + kDenseRowBlock);
    for (int64_t o = 0; o < w.out; ++o) {
      const float* wrow = w.data + o * w.in;
      for (int64_t r = r0; r < r1; ++r) {  // the row of weights stays in L1 across rows of x
        const float* xr = x + r * w.in;
        float a[kDenseLanes] = {};
        for (int64_t i = 0; i < full; i += kDenseLanes)
          for (int l = 0; l < kDenseLanes; ++l) a[l] += wrow[i + l] * xr[i + l];
        for (int64_t i = full; i < w.in; ++i) a[i - full] += wrow[i] * xr[i];
        for (int width = kDenseLanes / 2; width > 0; width /= 2)
          for (int l = 0; l < width; ++l) a[l] += a[l + width];
        y[r * w.y_stride + o] = w.bias != nullptr ? a[0] + w.bias[o] : a[0];
      }
    }
  }
}

}  // namespace pockettts::kernels
