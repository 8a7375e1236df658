// PanelWeights: packing, the split over cores, and the two variants (AVX-512 when selected, as
// for every kernel, see quantized_linear.cpp; portable C++ otherwise).
#include "kernels/panel_product.h"
#include "kernels/target_clones.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "kernels/matvec.h"
#include "kernels/worker_pool.h"

#if defined(__x86_64__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC 12's intrinsics, see matvec_avx512
#include <immintrin.h>
#endif

namespace pockettts::kernels {
namespace {

constexpr int64_t kLanes = 16;

int64_t round_up(int64_t n, int64_t m) { return (n + m - 1) / m * m; }

std::shared_ptr<float> zeroed_floats(int64_t n) {
  const size_t bytes = static_cast<size_t>(round_up(std::max<int64_t>(n, 1) * 4, 64));
  void* p = std::aligned_alloc(64, bytes);
  if (p == nullptr) throw std::bad_alloc();
  std::memset(p, 0, bytes);
  return {static_cast<float*>(p), [](float* f) { std::free(f); }};
}

}  // namespace

PanelWeights::PanelWeights(int64_t inputs, int64_t outputs)
    : data_(zeroed_floats(inputs * round_up(outputs, kLanes))),
      bias_(zeroed_floats(round_up(outputs, kLanes))),
      inputs_(inputs),
      outputs_(outputs) {}

int64_t PanelWeights::width_of(int64_t o) const {
  const int64_t first = o / kPanelColumns * kPanelColumns;
  return std::min(kPanelColumns, round_up(outputs_ - first, kLanes));
}

float* PanelWeights::column(int64_t o) {
  const int64_t first = o / kPanelColumns * kPanelColumns;
  return data_.get() + inputs_ * first + (o - first);
}

void PanelWeights::multiply(const float* x, int64_t x_stride, int64_t rows, float* y,
                            int64_t y_stride, const float* residual,
                            int64_t residual_stride) const {
  const Rows set{x, x_stride, rows, y, y_stride, residual, residual_stride};
  multiply(&set, 1);
}

void PanelWeights::multiply(const Rows* sets, size_t count) const {
  int64_t rows = 0;  // the sets' rows one after another
  for (size_t s = 0; s < count; ++s) rows += std::max<int64_t>(sets[s].rows, 0);
  if (rows <= 0 || outputs_ <= 0) return;
  const bool avx512 = avx512_selected();
  const int parts = rows * inputs_ * outputs_ >= kParallelMinMacs ? ComputeScope::current() : 1;
  // Rows r0..r1 (of all sets, in order) of the panels from output `begin` to `end`: a panel's
  // weights serve every set before the next panel is read.
  const auto tiles = [&](int64_t r0, int64_t r1, int64_t begin, int64_t end) {
    for (int64_t first = begin; first < end; first += kPanelColumns) {
      int64_t base = 0;
      for (size_t s = 0; s < count && base < r1; ++s) {
        const Rows& set = sets[s];
        const int64_t n = std::max<int64_t>(set.rows, 0);
        const int64_t lo = std::max(r0, base) - base, hi = std::min(r1, base + n) - base;
        base += n;
        if (lo >= hi) continue;
        const PanelCall c{data_.get() + inputs_ * first,
                          bias_.get() + first,
                          inputs_,
                          width_of(first),
                          std::min(kPanelColumns, outputs_ - first),
                          set.x + lo * set.x_stride,
                          set.x_stride,
                          set.y + lo * set.y_stride + first,
                          set.y_stride,
                          set.residual != nullptr
                              ? set.residual + lo * set.residual_stride + first
                              : nullptr,
                          set.residual_stride};
#if defined(__x86_64__)
        if (avx512) {
          panel_rows_avx512(c, hi - lo);
          continue;
        }
#endif
        panel_rows_portable(c, hi - lo);
      }
    }
  };
  // Each output is computed the same way whichever thread has its row and its panel. Few rows
  // against many panels (the transformer's 16 rows a frame): the cores share the panels, each
  // reading its own part of the weights; else they share the rows.
  const int64_t panels = (outputs_ + kPanelColumns - 1) / kPanelColumns;
  if (parts > 1 && rows <= kPanelSplitMaxRows && panels >= 2 * parts) {
    parallel_ranges(outputs_, kPanelColumns, parts,
                    [&](int64_t o0, int64_t o1) { tiles(0, rows, o0, o1); });
    return;
  }
  parallel_ranges(rows, 1, parts, [&](int64_t r0, int64_t r1) { tiles(r0, r1, 0, outputs_); });
}

namespace {

// Portable tile: R rows x 16 columns from column c0. GCC's vector extension keeps the
// accumulators in registers (2 per row with AVX2, 4 with SSE) and each weight vector loaded
// serves R rows; left to itself the compiler vectorized along j with shuffles, 10x slower.
using Lanes = float __attribute__((vector_size(8 * sizeof(float))));
constexpr int kHalves = kLanes / 8;

template <int R>
__attribute__((always_inline)) inline void portable_tile(const PanelCall& c, int64_t r0,
                                                         int64_t c0) {
  Lanes acc[R][kHalves];
  for (auto& row : acc)
    for (auto& a : row) a = Lanes{};
  const float* x = c.x + r0 * c.x_stride;
  const float* w = c.panel + c0;
  for (int64_t j = 0; j < c.inputs; ++j, w += c.width) {
    Lanes wv[kHalves];  // panel rows are 64-byte aligned, c0 a multiple of 16: aligned loads
    for (int h = 0; h < kHalves; ++h) wv[h] = *reinterpret_cast<const Lanes*>(w + 8 * h);
    for (int r = 0; r < R; ++r) {
      const float xr = x[r * c.x_stride + j];
      for (int h = 0; h < kHalves; ++h) acc[r][h] += xr * wv[h];
    }
  }
  const int64_t valid = std::min(kLanes, c.valid - c0);
  for (int r = 0; r < R; ++r) {
    float sums[kLanes];
    for (int h = 0; h < kHalves; ++h) {
      const Lanes a = acc[r][h];
      for (int k = 0; k < 8; ++k) sums[8 * h + k] = a[k];
    }
    float* y = c.y + (r0 + r) * c.y_stride + c0;
    const float* res =
        c.residual != nullptr ? c.residual + (r0 + r) * c.residual_stride + c0 : nullptr;
    for (int64_t o = 0; o < valid; ++o) {
      const float v = sums[o] + c.bias[c0 + o];
      y[o] = res != nullptr ? res[o] + v : v;
    }
  }
}

}  // namespace

// Portable: the same order of summation as the AVX-512 variant (j ascending, bias, then the
// residual), without fusing; an AVX2 clone is picked at load time where the CPU has it.
POCKETTTS_TARGET_CLONES("avx2", "default") void panel_rows_portable(const PanelCall& c,
                                                                           int64_t rows) {
  for (int64_t c0 = 0; c0 < c.valid; c0 += kLanes) {
    int64_t r0 = 0;
    for (; r0 + 4 <= rows; r0 += 4) portable_tile<4>(c, r0, c0);
    for (; r0 < rows; ++r0) portable_tile<1>(c, r0, c0);
  }
}

#if defined(__x86_64__)
namespace {

#define POCKETTTS_AVX512 __attribute__((target("avx512f")))

// R rows x V vectors of 16 outputs in R * V accumulators; the V weight vectors of input j are
// loaded once and used for every row.
template <int V, int R>
POCKETTTS_AVX512 void tile(const PanelCall& c, int64_t r0) {
  __m512 acc[R][V];
  for (auto& row : acc)
    for (auto& a : row) a = _mm512_setzero_ps();
  const float* x = c.x + r0 * c.x_stride;
  const float* w = c.panel;
  for (int64_t j = 0; j < c.inputs; ++j, w += V * kLanes) {
    __m512 wv[V];
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) wv[v] = _mm512_load_ps(w + v * kLanes);
#pragma GCC unroll 12
    for (int r = 0; r < R; ++r) {
      const __m512 xb = _mm512_set1_ps(x[r * c.x_stride + j]);
#pragma GCC unroll 4
      for (int v = 0; v < V; ++v) acc[r][v] = _mm512_fmadd_ps(xb, wv[v], acc[r][v]);
    }
  }
  for (int v = 0; v < V; ++v) {
    const int64_t left = c.valid - v * kLanes;
    const __mmask16 m = left >= kLanes ? __mmask16(0xFFFF) : __mmask16((1u << left) - 1);
    const __m512 b = _mm512_load_ps(c.bias + v * kLanes);
    for (int r = 0; r < R; ++r) {
      __m512 s = _mm512_add_ps(acc[r][v], b);
      if (c.residual != nullptr) {
        const float* res = c.residual + (r0 + r) * c.residual_stride + v * kLanes;
        s = _mm512_add_ps(_mm512_maskz_loadu_ps(m, res), s);
      }
      _mm512_mask_storeu_ps(c.y + (r0 + r) * c.y_stride + v * kLanes, m, s);
    }
  }
}

// The last rows (n < kRows of them) in one tile of exactly n rows.
template <int V, int R>
POCKETTTS_AVX512 void rest(const PanelCall& c, int64_t r0, int64_t n) {
  if constexpr (R > 0) {
    if (n == R) {
      tile<V, R>(c, r0);
    } else {
      rest<V, R - 1>(c, r0, n);
    }
  }
}

// Rows in tiles of kRows (24 accumulators at most), then one tile of the rest.
template <int V>
POCKETTTS_AVX512 void panel(const PanelCall& c, int64_t rows) {
  constexpr int kRows = V == 4 ? 6 : V == 3 ? 8 : 12;
  int64_t r0 = 0;
  for (; r0 + kRows <= rows; r0 += kRows) tile<V, kRows>(c, r0);
  rest<V, kRows - 1>(c, r0, rows - r0);
}

}  // namespace

void panel_rows_avx512(const PanelCall& c, int64_t rows) {
  switch (c.width / kLanes) {
    case 1:
      panel<1>(c, rows);
      break;
    case 2:
      panel<2>(c, rows);
      break;
    case 3:
      panel<3>(c, rows);
      break;
    default:
      panel<4>(c, rows);
      break;
  }
}
#endif

}  // namespace pockettts::kernels
