// A linear layer whose weights are either the checkpoint's F32 tensor (exact mode) or a
// compressed copy (bf16 / int8 fast modes), computed by our kernels (see kernels/).
#pragma once

#include <ATen/core/Tensor.h>

#include <cstddef>
#include <memory>
#include <string>

#include "formats/weights.h"

namespace pockettts {

class QuantizedLinear;
enum class WeightFormat;
namespace kernels {
class PanelWeights;
}

class Linear {
 public:
  Linear() = default;
  Linear(at::Tensor weight, at::Tensor bias);
  // weight [out, in] (and bias [out] when `bias`) from `vb`.
  static Linear take(const WeightPath& vb, int64_t in, int64_t out, bool bias);

  // Replaces the F32 weight by a compressed copy (the F32 tensor is released).
  void compress(WeightFormat format);
  // For layers that always see many rows (Mimi's transformers: 16 steps a frame, thousands in a
  // voice prompt): the F32 weights repacked in column panels (kernels/panel_product.h), whose
  // tiles beat dot products there (no horizontal sums); the mapped tensor is released. Only
  // with AVX-512 (the portable build keeps BLAS for many rows). Same values to f32 rounding.
  void pack_panels();

  at::Tensor operator()(const at::Tensor& x) const;
  // The same on plain rows: y [rows, out] from x [rows, in], contiguous, not overlapping. Our
  // kernels allocate nothing (the steady state of generation and decoding); only the portable
  // build's products of many rows go through libtorch's BLAS.
  void forward(const float* x, int64_t rows, float* y) const;
  // forward on several sets of rows (the frames of concurrent streams): packed panels are read
  // once for all of them; other weights serve the sets one after another. Same bits as forward.
  struct Rows {
    const float* x;
    int64_t rows;
    float* y;
  };
  void forward(const Rows* sets, size_t count) const;

  int64_t in_features() const { return in_; }
  int64_t out_features() const { return out_; }

 private:
  at::Tensor weight_, bias_;
  std::shared_ptr<const QuantizedLinear> compressed_;
  std::shared_ptr<const kernels::PanelWeights> panels_;
  int64_t in_ = 0, out_ = 0;
};

}  // namespace pockettts
