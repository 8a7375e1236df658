// The AVX-512 kernels. Compiled with per-function target attributes, not global flags, so the
// library still runs on any x86-64: QuantizedLinear calls them only after avx512_usable().
//
// Each pass computes a block of 8 output rows (one tile row each) for G rows of x, G <= 3, in
// 8*G independent accumulators (24 of the 32 zmm registers at most): enough independent FMA
// chains to hide their latency, and the weights widened once per G rows. Weights are widened
// in registers (int8: sign-extend + convert, the row scale applied once at the end; bf16: a
// shift), activations stay f32.
#include <algorithm>
#include <cstdint>

#include "kernels/matvec.h"

#if defined(__x86_64__)
// GCC 12 warns on its own intrinsics' _mm512_undefined_* placeholders (GCC bug 105593, fixed in
// 13); the warning points into the header, so it is silenced from here on.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#define POCKETTTS_AVX512 __attribute__((target("avx512f")))

namespace pockettts::kernels {
namespace {

// Software prefetch distance: 4 KiB ahead (8 int8 tiles, 4 bf16 ones), so the next lines are in
// flight while the FMAs run. Measured on the 4096x1024 layer rotating over 340 MB: 5-15 % faster
// than 2 KiB or none, 8 KiB no better.
constexpr int64_t kPrefetchBytes = 4096;

// Sums the 8*G accumulators, applies scale and bias, stores the valid outputs.
template <int G>
POCKETTTS_AVX512 inline void finish(const __m512 (&acc)[kTileRows][G], const PackedWeights& w,
                                    int64_t ob, int64_t r0, float* y) {
  const int64_t valid = std::min<int64_t>(kTileRows, w.out - ob * kTileRows);
  for (int64_t o = 0; o < valid; ++o) {
    const int64_t oo = ob * kTileRows + o;
    for (int g = 0; g < G; ++g) {
      float s = _mm512_reduce_add_ps(acc[o][g]);
      if (w.scale != nullptr) s *= w.scale[oo];
      if (w.bias != nullptr) s += w.bias[oo];
      y[(r0 + g) * w.y_stride + oo] = s;
    }
  }
}

// int8: x in natural order; 16 weights at a time, sign-extended then converted.
template <int G>
POCKETTTS_AVX512 void int8_pass(const PackedWeights& w, int64_t ob, const float* xp, int64_t r0,
                                float* y) {
  const int64_t chunks = w.in_pad / kTileCols;
  const auto* tile = static_cast<const int8_t*>(w.data) + ob * chunks * kTileRows * kTileCols;
  __m512 acc[kTileRows][G];
  for (auto& row : acc)
    for (auto& a : row) a = _mm512_setzero_ps();
  for (int64_t c = 0; c < chunks; ++c, tile += kTileRows * kTileCols) {
#pragma GCC unroll 8
    for (int o = 0; o < kTileRows; ++o)
      _mm_prefetch(reinterpret_cast<const char*>(tile) + kPrefetchBytes + o * 64, _MM_HINT_T0);
#pragma GCC unroll 4
    for (int s = 0; s < kTileCols / 16; ++s) {
      __m512 xv[G];
      for (int g = 0; g < G; ++g)
        xv[g] = _mm512_loadu_ps(xp + (r0 + g) * w.in_pad + c * kTileCols + s * 16);
#pragma GCC unroll 8
      for (int o = 0; o < kTileRows; ++o) {
        const __m128i q =
            _mm_load_si128(reinterpret_cast<const __m128i*>(tile + o * kTileCols + s * 16));
        const __m512 wf = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q));
        for (int g = 0; g < G; ++g) acc[o][g] = _mm512_fmadd_ps(wf, xv[g], acc[o][g]);
      }
    }
  }
  finish<G>(acc, w, ob, r0, y);
}

// bf16: 32 weights per load. In each 32-bit lane the low half is the even element and the high
// half the odd one: a shift left by 16 gives the even elements as f32 and a mask the odd ones,
// so x is stored de-interleaved per 32 (evens then odds) to match; cheaper than widening.
template <int G>
POCKETTTS_AVX512 void bf16_pass(const PackedWeights& w, int64_t ob, const float* xp, int64_t r0,
                                float* y) {
  const int64_t chunks = w.in_pad / kTileCols;
  const auto* tile = static_cast<const uint16_t*>(w.data) + ob * chunks * kTileRows * kTileCols;
  const __m512i high = _mm512_set1_epi32(static_cast<int>(0xffff0000u));
  __m512 acc[kTileRows][G];
  for (auto& row : acc)
    for (auto& a : row) a = _mm512_setzero_ps();
  for (int64_t c = 0; c < chunks; ++c, tile += kTileRows * kTileCols) {
    const char* bytes = reinterpret_cast<const char*>(tile);
#pragma GCC unroll 16
    for (int l = 0; l < 16; ++l) _mm_prefetch(bytes + kPrefetchBytes + l * 64, _MM_HINT_T0);
#pragma GCC unroll 2
    for (int h = 0; h < 2; ++h) {
      __m512 xe[G], xo[G];
      for (int g = 0; g < G; ++g) {
        const float* xc = xp + (r0 + g) * w.in_pad + c * kTileCols + h * 32;
        xe[g] = _mm512_loadu_ps(xc);
        xo[g] = _mm512_loadu_ps(xc + 16);
      }
#pragma GCC unroll 8
      for (int o = 0; o < kTileRows; ++o) {
        const __m512i v =
            _mm512_load_si512(reinterpret_cast<const void*>(tile + o * kTileCols + h * 32));
        const __m512 even = _mm512_castsi512_ps(_mm512_slli_epi32(v, 16));
        const __m512 odd = _mm512_castsi512_ps(_mm512_and_si512(v, high));
        for (int g = 0; g < G; ++g) {
          acc[o][g] = _mm512_fmadd_ps(even, xe[g], acc[o][g]);
          acc[o][g] = _mm512_fmadd_ps(odd, xo[g], acc[o][g]);
        }
      }
    }
  }
  finish<G>(acc, w, ob, r0, y);
}

using PassFn = void (*)(const PackedWeights&, int64_t, const float*, int64_t, float*);

// Splits n rows of x into passes of at most 3 (3+3+2 for 8, 2+2 for 4: balanced, so no pass
// wastes its weight reads on a single row).
template <PassFn P1, PassFn P2, PassFn P3>
void run_block(const PackedWeights& w, const float* xp, int64_t n, float* y) {
  for (int64_t ob = 0; ob < w.out_pad / kTileRows; ++ob) {
    int64_t r = 0;
    while (r < n) {
      const int64_t left = n - r;
      const int64_t g = left == 4 ? 2 : std::min<int64_t>(3, left);
      (g == 3 ? P3 : g == 2 ? P2 : P1)(w, ob, xp, r, y);
      r += g;
    }
  }
}

// f32 weights as stored, row-major: 8 output rows are 8 sequential streams (each prefetched
// kDensePrefetchBytes ahead), G rows of x, inputs 16 at a time with a masked tail. The summation
// order of an output depends on `in` only, never on G or on which pass computes it.
constexpr int64_t kDensePrefetchBytes = 1024;

// The 8 weight rows of one pass, either read where they lie or from a packed copy:
// [ceil(in / 16)][8][16], the tail zero-padded. The 8 rows lie a multiple of 4 KiB apart for the
// model's layers, so read in place they share the same few L1 sets with x's rows and evict each
// other: a block of many rows (a prompt) reads them from the copy, 16 floats per row in turn.
struct F32Rows {
  const float* row[kTileRows];  // in place
  const float* packed;          // or the copy (non-null)
};

template <int G>
POCKETTTS_AVX512 void f32_pass(const DenseWeights& w, const F32Rows& rows, int64_t o0,
                               const float* x, int64_t r0, float* y) {
  const int64_t valid = std::min<int64_t>(kTileRows, w.out - o0);
  const float* xr[G];
  for (int g = 0; g < G; ++g) xr[g] = x + (r0 + g) * w.in;
  __m512 acc[kTileRows][G];
  for (auto& r : acc)
    for (auto& a : r) a = _mm512_setzero_ps();
  const int64_t full = w.in / 16 * 16;
  for (int64_t i = 0; i < full; i += 16) {
    if (rows.packed == nullptr) {
#pragma GCC unroll 8
      for (int o = 0; o < kTileRows; ++o)
        _mm_prefetch(reinterpret_cast<const char*>(rows.row[o] + i) + kDensePrefetchBytes,
                     _MM_HINT_T0);
    }
    __m512 xv[G];
    for (int g = 0; g < G; ++g) xv[g] = _mm512_loadu_ps(xr[g] + i);
#pragma GCC unroll 8
    for (int o = 0; o < kTileRows; ++o) {
      const __m512 wv = rows.packed != nullptr
                            ? _mm512_load_ps(rows.packed + (i / 16 * kTileRows + o) * 16)
                            : _mm512_loadu_ps(rows.row[o] + i);
      for (int g = 0; g < G; ++g) acc[o][g] = _mm512_fmadd_ps(wv, xv[g], acc[o][g]);
    }
  }
  if (full < w.in) {
    const __mmask16 m = static_cast<__mmask16>((1u << (w.in - full)) - 1u);
    __m512 xv[G];
    for (int g = 0; g < G; ++g) xv[g] = _mm512_maskz_loadu_ps(m, xr[g] + full);
    for (int o = 0; o < kTileRows; ++o) {
      const __m512 wv = rows.packed != nullptr
                            ? _mm512_load_ps(rows.packed + (full / 16 * kTileRows + o) * 16)
                            : _mm512_maskz_loadu_ps(m, rows.row[o] + full);
      for (int g = 0; g < G; ++g) acc[o][g] = _mm512_fmadd_ps(wv, xv[g], acc[o][g]);
    }
  }
  for (int64_t o = 0; o < valid; ++o) {
    for (int g = 0; g < G; ++g) {
      float s = _mm512_reduce_add_ps(acc[o][g]);
      if (w.bias != nullptr) s += w.bias[o0 + o];
      y[(r0 + g) * w.y_stride + o0 + o] = s;
    }
  }
}

// Copies the pass's 8 rows into `packed` ([ceil(in / 16)][8][16], zero tail): the same values
// the in-place loads read, so the same bits.
POCKETTTS_AVX512 void pack_f32_rows(const DenseWeights& w, const F32Rows& rows, float* packed) {
  const int64_t chunks = (w.in + 15) / 16;
  for (int o = 0; o < kTileRows; ++o) {
    for (int64_t c = 0; c < chunks; ++c) {
      const __mmask16 m =
          w.in - c * 16 >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (w.in - c * 16)) - 1u);
      _mm512_store_ps(packed + (c * kTileRows + o) * 16,
                      _mm512_maskz_loadu_ps(m, rows.row[o] + c * 16));
    }
  }
}

}  // namespace

bool avx512_usable() {
  // libgcc's check includes the OS enabling the zmm state (XCR0).
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f");
}

void matvec_int8_avx512(const PackedWeights& w, const float* x, int64_t rows, float* y) {
  float* xp = scratch_floats(kMaxBlockRows * w.in_pad);
  for (int64_t r0 = 0; r0 < rows; r0 += kMaxBlockRows) {
    const int64_t n = std::min(kMaxBlockRows, rows - r0);
    pad_rows(x, w.in, w.in_pad, r0, n, xp);
    run_block<int8_pass<1>, int8_pass<2>, int8_pass<3>>(w, xp, n, y + r0 * w.y_stride);
  }
}

void matvec_bf16_avx512(const PackedWeights& w, const float* x, int64_t rows, float* y) {
  float* xp = scratch_floats(kMaxBlockRows * w.in_pad);
  for (int64_t r0 = 0; r0 < rows; r0 += kMaxBlockRows) {
    const int64_t n = std::min(kMaxBlockRows, rows - r0);
    for (int64_t r = 0; r < n; ++r) {
      const float* src = x + (r0 + r) * w.in;
      float* dst = xp + r * w.in_pad;
      // De-interleave per 32 (see bf16_pass); the padding is zero.
      for (int64_t i = 0; i < w.in_pad; ++i) {
        const int64_t base = i / 32 * 32, j = i % 32;
        const int64_t from = base + (j < 16 ? 2 * j : 2 * (j - 16) + 1);
        dst[i] = from < w.in ? src[from] : 0.0f;
      }
    }
    run_block<bf16_pass<1>, bf16_pass<2>, bf16_pass<3>>(w, xp, n, y + r0 * w.y_stride);
  }
}

void matvec_f32_avx512(const DenseWeights& w, const float* x, int64_t rows, float* y) {
  // Blocks of up to kDenseRowBlock rows (their x stays in L2), and within a block every row
  // against one block of 8 outputs before the next: the outputs' weights come from memory once
  // per row block and stay in L1/L2 for the passes over the rows (from a packed copy when there
  // are more than two passes, see F32Rows).
  float* packed = nullptr;
  for (int64_t r0 = 0; r0 < rows; r0 += kDenseRowBlock) {
    const int64_t r1 = std::min(rows, r0 + kDenseRowBlock);
    const bool pack = r1 - r0 > 6;
    if (pack && packed == nullptr) packed = scratch_floats((w.in + 15) / 16 * 16 * kTileRows);
    for (int64_t o0 = 0; o0 < w.out; o0 += kTileRows) {
      const int64_t valid = std::min<int64_t>(kTileRows, w.out - o0);
      F32Rows weights{};
      for (int64_t o = 0; o < kTileRows; ++o)  // past the last output: reread it, result dropped
        weights.row[o] = w.data + (o0 + std::min<int64_t>(o, valid - 1)) * w.in;
      if (pack) {
        pack_f32_rows(w, weights, packed);
        weights.packed = packed;
      }
      int64_t r = r0;
      while (r < r1) {  // passes of 3, 2 or 1 rows, balanced as in run_block
        const int64_t left = r1 - r;
        const int64_t g = left == 4 ? 2 : std::min<int64_t>(3, left);
        if (g == 3) {
          f32_pass<3>(w, weights, o0, x, r, y);
        } else if (g == 2) {
          f32_pass<2>(w, weights, o0, x, r, y);
        } else {
          f32_pass<1>(w, weights, o0, x, r, y);
        }
        r += g;
      }
    }
  }
}

}  // namespace pockettts::kernels
#endif  // __x86_64__
