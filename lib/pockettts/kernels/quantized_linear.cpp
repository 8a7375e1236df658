// QuantizedLinear: quantization and packing (the choice of kernel is dispatch.cpp's). The kernels
// themselves are in matvec_portable.cpp and matvec_avx512.cpp.
//
// Layout: the weights are cut into tiles of 8 output rows x 64 inputs, each tile stored
// row-major and contiguous, tiles ordered by output block then by input. A kernel computing 8
// outputs at a time thus reads one sequential stream (what hardware prefetchers follow best)
// instead of 8 streams a row apart, and every tile row is one 64-byte cache line for int8 (two
// for bf16), aligned. Padding (inputs to 64, outputs to 8) is zero, so kernels have no tails.
#include "kernels/quantized_linear.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

#include "kernels/dispatch.h"
#include "kernels/matvec.h"
#include "kernels/worker_pool.h"

namespace pockettts {
namespace {

using kernels::kTileCols;
using kernels::kTileRows;

int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

// Round-to-nearest-even f32 -> bf16 (the upper 16 bits), NaN kept a (quiet) NaN.
uint16_t to_bf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40u);
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

float from_bf16(uint16_t h) {
  uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// Index of element (o, i) in the tiled layout.
int64_t tiled_index(int64_t o, int64_t i, int64_t in_pad) {
  int64_t chunks = in_pad / kTileCols;
  return (((o / kTileRows) * chunks + i / kTileCols) * kTileRows + o % kTileRows) * kTileCols +
         i % kTileCols;
}

}  // namespace

void QuantizedLinear::AlignedFree::operator()(void* p) const { std::free(p); }

QuantizedLinear::QuantizedLinear(const float* weight, int64_t out, int64_t in, const float* bias,
                                 WeightFormat format)
    : in_(in), out_(out), format_(format) {
  if (weight == nullptr || out <= 0 || in <= 0)
    throw std::invalid_argument("QuantizedLinear: empty or missing weight");
  in_pad_ = round_up(in, kTileCols);
  out_pad_ = round_up(out, kTileRows);
  const size_t elem = format == WeightFormat::kInt8 ? 1 : 2;
  const size_t bytes = static_cast<size_t>(in_pad_ * out_pad_) * elem;  // a multiple of 64
  void* mem = std::aligned_alloc(64, bytes);
  if (mem == nullptr) throw std::bad_alloc();
  std::memset(mem, 0, bytes);
  data_.reset(mem);

  if (format == WeightFormat::kInt8) {
    auto* q = static_cast<int8_t*>(mem);
    scale_.assign(static_cast<size_t>(out_pad_), 0.0f);
    for (int64_t o = 0; o < out; ++o) {
      const float* row = weight + o * in;
      float max_abs = 0.0f;
      for (int64_t i = 0; i < in; ++i) max_abs = std::fmax(max_abs, std::fabs(row[i]));
      const float s = max_abs / 127.0f;
      scale_[static_cast<size_t>(o)] = s;
      if (s == 0.0f) continue;  // an all-zero row stays zero
      for (int64_t i = 0; i < in; ++i) {
        // nearbyint rounds half to even in the default rounding mode; the clamp only guards
        // against max_abs / 127 * 127 landing a hair under max_abs.
        float r = std::nearbyint(row[i] / s);
        r = std::fmin(127.0f, std::fmax(-127.0f, r));
        q[tiled_index(o, i, in_pad_)] = static_cast<int8_t>(r);
      }
    }
  } else {
    auto* h = static_cast<uint16_t*>(mem);
    for (int64_t o = 0; o < out; ++o)
      for (int64_t i = 0; i < in; ++i) h[tiled_index(o, i, in_pad_)] = to_bf16(weight[o * in + i]);
  }
  if (bias != nullptr) bias_.assign(bias, bias + out);
}

size_t QuantizedLinear::weight_bytes() const {
  return static_cast<size_t>(out_ * in_) * (format_ == WeightFormat::kInt8 ? 1 : 2);
}

float QuantizedLinear::dequantized(int64_t o, int64_t i) const {
  if (o < 0 || o >= out_ || i < 0 || i >= in_)
    throw std::out_of_range("QuantizedLinear::dequantized");
  int64_t k = tiled_index(o, i, in_pad_);
  if (format_ == WeightFormat::kInt8)
    return static_cast<float>(static_cast<const int8_t*>(data_.get())[k]) *
           scale_[static_cast<size_t>(o)];
  return from_bf16(static_cast<const uint16_t*>(data_.get())[k]);
}

kernels::PackedWeights QuantizedLinear::packed() const {
  return kernels::PackedWeights{data_.get(),
                                in_,
                                out_,
                                in_pad_,
                                out_pad_,
                                format_ == WeightFormat::kInt8 ? scale_.data() : nullptr,
                                bias_.empty() ? nullptr : bias_.data(),
                                out_};
}

void QuantizedLinear::forward(const float* x, int64_t rows, float* y) const {
  if (rows <= 0) return;
  const kernels::PackedWeights all = packed();
  const bool int8 = format_ == WeightFormat::kInt8;
  kernels::MatvecFn fn = int8 ? kernels::matvec_int8_portable : kernels::matvec_bf16_portable;
#if defined(__x86_64__)
  if (kernels::avx512_selected())
    fn = int8 ? kernels::matvec_int8_avx512 : kernels::matvec_bf16_avx512;
#endif
  const size_t elem = int8 ? 1 : 2;
  const int parts =
      kernels::split_parts(rows * in_ * out_, in_ * out_ * static_cast<int64_t>(elem));
  // Ranges of whole tiles of 8 outputs: every output is computed as it would be on one thread.
  const int64_t chunks = in_pad_ / kTileCols;
  kernels::parallel_ranges(out_, kTileRows, parts, [&](int64_t o0, int64_t o1) {
    kernels::PackedWeights w = all;
    w.data = static_cast<const char*>(all.data) +
             static_cast<size_t>(o0 / kTileRows * chunks * kTileRows * kTileCols) * elem;
    w.out = o1 - o0;
    w.out_pad = round_up(w.out, kTileRows);
    if (w.scale != nullptr) w.scale += o0;
    if (w.bias != nullptr) w.bias += o0;
    fn(w, x, rows, y + o0);
  });
}

const char* QuantizedLinear::kernel_name() { return kernels::selected_kernel_name(); }

bool QuantizedLinear::use_kernel(const char* name) { return kernels::select_kernel(name); }

namespace kernels {

void pad_rows(const float* x, int64_t in, int64_t in_pad, int64_t r0, int64_t n, float* xp) {
  for (int64_t r = 0; r < n; ++r) {
    std::memcpy(xp + r * in_pad, x + (r0 + r) * in, static_cast<size_t>(in) * sizeof(float));
    std::fill(xp + r * in_pad + in, xp + (r + 1) * in_pad, 0.0f);
  }
}

float* scratch_floats(int64_t floats) {
  struct Buffer {
    float* p = nullptr;
    int64_t size = 0;
    ~Buffer() { std::free(p); }
  };
  thread_local Buffer buf;
  if (buf.size < floats) {
    std::free(buf.p);
    const int64_t n = round_up(floats, 16);
    buf.p = static_cast<float*>(std::aligned_alloc(64, static_cast<size_t>(n) * sizeof(float)));
    if (buf.p == nullptr) {
      buf.size = 0;
      throw std::bad_alloc();
    }
    buf.size = n;
  }
  return buf.p;
}

}  // namespace kernels
}  // namespace pockettts
