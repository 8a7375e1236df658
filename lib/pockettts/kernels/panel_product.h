// Products over windows of a channels-last signal: the streaming convolutions of Mimi's decoder.
//
// With time steps as rows ([T, C] row-major), the input of a stride-1 convolution's output step
// t is one contiguous run of K * C floats starting at row t: windows overlap, so the product
// reads them in place (x_stride = C) and nothing is copied into im2col rows. The weights are
// repacked once into column panels ([inputs, 64] row-major blocks), and each tile of rows x 64
// outputs is accumulated in registers over the whole window (the shape of a GEMM micro-kernel:
// efficient for the short products of the 64- and 128-channel layers, unlike dot products).
//
// Every output is bias + (sum over j in order), independent of the row count and the tiling: a
// frame decoded in pieces or on more cores gives the same bits. Plain pointers, no libtorch.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace pockettts::kernels {

class PanelWeights {
 public:
  PanelWeights() = default;

  // The [inputs, outputs] matrix whose element (j, o) is weight(j, o); bias [outputs] or null.
  template <class WeightAt>
  static PanelWeights pack(int64_t inputs, int64_t outputs, const float* bias, WeightAt weight) {
    PanelWeights p(inputs, outputs);
    // 16 columns at a time: each panel row is written a whole cache line at once.
    for (int64_t o0 = 0; o0 < outputs; o0 += 16) {
      const int64_t n = std::min<int64_t>(16, outputs - o0), width = p.width_of(o0);
      float* first = p.column(o0);
      for (int64_t j = 0; j < inputs; ++j)
        for (int64_t k = 0; k < n; ++k) first[j * width + k] = weight(j, o0 + k);
    }
    if (bias != nullptr) std::copy(bias, bias + outputs, p.bias_.get());
    return p;
  }

  int64_t inputs() const { return inputs_; }
  int64_t outputs() const { return outputs_; }

  // For r in [0, rows): y[r * y_stride + o] = residual[r * residual_stride + o] + (bias[o] +
  // sum_j x[r * x_stride + j] * w(j, o)), the residual term only when residual is not null.
  // y may be residual (in place), never x. Splits rows or panels over the caller's ComputeScope
  // cores (worker_pool.h) when the product is big enough. Allocates nothing.
  void multiply(const float* x, int64_t x_stride, int64_t rows, float* y, int64_t y_stride,
                const float* residual = nullptr, int64_t residual_stride = 0) const;

  // One set of rows of a product: multiply's arguments.
  struct Rows {
    const float* x;
    int64_t x_stride, rows;
    float* y;
    int64_t y_stride;
    const float* residual = nullptr;
    int64_t residual_stride = 0;
  };
  // multiply on every set, panel by panel: each panel is read from memory once for all of them
  // (the frames of concurrent streams, Mimi::decode_frames). Each output gets the bits multiply
  // gives it alone. Allocates nothing.
  void multiply(const Rows* sets, size_t count) const;

  static constexpr int64_t kPanelColumns = 64;
  // Up to this many rows, a split product gives each core panels rather than rows.
  static constexpr int64_t kPanelSplitMaxRows = 64;

 private:
  PanelWeights(int64_t inputs, int64_t outputs);
  // Panels are 64 columns wide but the last, which is the outputs left rounded up to 16.
  int64_t width_of(int64_t o) const;
  float* column(int64_t o);

  std::shared_ptr<float> data_, bias_;  // 64-byte aligned, zero padding; bias padded to 16
  int64_t inputs_ = 0, outputs_ = 0;
};

// The variants behind multiply (internal): one panel of `width` columns (a multiple of 16,
// <= 64), `valid` of them stored.
struct PanelCall {
  const float* panel;
  const float* bias;
  int64_t inputs, width, valid;
  const float* x;
  int64_t x_stride;
  float* y;
  int64_t y_stride;
  const float* residual;
  int64_t residual_stride;
};
void panel_rows_avx512(const PanelCall& c, int64_t rows);
void panel_rows_portable(const PanelCall& c, int64_t rows);

}  // namespace pockettts::kernels
