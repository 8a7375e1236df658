// Weight-compressed linear layers for the generation step (issue 4, fast modes).
//
// A flow-LM step is a chain of matrix-vector products against fixed weights and is bound by the
// bytes of weight it reads, so the weights are stored in bf16 (half the bytes of f32) or int8
// with one scale per output row (a quarter). Activations stay f32 and every product is
// accumulated in f32: the weights are widened in registers, never the activations narrowed.
//
// Plain pointers, no libtorch: the class lives in the core library and its tests build without
// torch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace pockettts {

enum class WeightFormat { kBF16, kInt8 };

namespace kernels {
// The packed weights as the kernels see them (see quantized_linear.cpp for the layout).
struct PackedWeights {
  const void* data;    // tiles of 8 output rows x 64 inputs, row-major inside a tile
  int64_t in, out;     // logical sizes
  int64_t in_pad;      // in rounded up to 64 (zero-filled)
  int64_t out_pad;     // out rounded up to 8 (zero rows)
  const float* scale;  // [out_pad] int8 dequantization scale per row (null for bf16)
  const float* bias;   // [out] or null
  int64_t y_stride;    // floats between rows of y (out, or more for a range of the outputs)
};
}  // namespace kernels

class QuantizedLinear {
 public:
  // weight: row-major [out, in] float; bias may be null (both are copied).
  // kInt8: symmetric per-output-row scale s = max|w|/127, q = round-to-nearest-even(w / s)
  // (computed in float); kBF16: round-to-nearest-even of each weight.
  QuantizedLinear(const float* weight, int64_t out, int64_t in, const float* bias,
                  WeightFormat format);
  QuantizedLinear(QuantizedLinear&&) noexcept = default;
  QuantizedLinear& operator=(QuantizedLinear&&) noexcept = default;
  QuantizedLinear(const QuantizedLinear&) = delete;
  QuantizedLinear& operator=(const QuantizedLinear&) = delete;

  // y[r, :] = x[r, :] @ W^T + b for r in [0, rows): x [rows, in] contiguous, y [rows, out].
  // Thread-safe (const; scratch is per thread). x and y must not overlap.
  void forward(const float* x, int64_t rows, float* y) const;

  int64_t in_features() const { return in_; }
  int64_t out_features() const { return out_; }
  WeightFormat format() const { return format_; }
  // Bytes of compressed weights (logical out*in elements, not counting padding or scales).
  size_t weight_bytes() const;

  // The dequantized weight W[o, i] as the kernels use it (for tests and error reports).
  float dequantized(int64_t o, int64_t i) const;

  // Which implementation the CPU got: "avx512" or "portable". Chosen once, at first use, from
  // the CPU (__builtin_cpu_supports) unless POCKETTTS_KERNEL=portable forces the fallback.
  static const char* kernel_name();
  // Forces an implementation ("avx512", "portable", or "auto" for the CPU's best); false (and no
  // change) when the CPU cannot run it. For tests, which check every variant in one process.
  static bool use_kernel(const char* name);

 private:
  struct AlignedFree {
    void operator()(void* p) const;
  };
  kernels::PackedWeights packed() const;

  int64_t in_ = 0, out_ = 0, in_pad_ = 0, out_pad_ = 0;
  WeightFormat format_ = WeightFormat::kInt8;
  std::unique_ptr<void, AlignedFree> data_;
  std::vector<float> scale_;
  std::vector<float> bias_;
};

}  // namespace pockettts
