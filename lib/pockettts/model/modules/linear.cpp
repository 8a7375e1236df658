#include "model/modules/linear.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <array>

#include "kernels/dense_linear.h"
#include "kernels/matvec.h"
#include "kernels/panel_product.h"
#include "kernels/quantized_linear.h"

namespace pockettts {

Linear::Linear(at::Tensor weight, at::Tensor bias)
    : weight_(std::move(weight)), bias_(std::move(bias)) {
  // Views into the mapped checkpoint are contiguous f32; anything else is made so once, here.
  weight_ = weight_.to(at::kFloat).contiguous();
  if (bias_.defined()) bias_ = bias_.to(at::kFloat).contiguous();
  out_ = weight_.size(0);
  in_ = weight_.size(1);
}

Linear Linear::take(const WeightPath& vb, int64_t in, int64_t out, bool bias) {
  at::Tensor w = vb.take("weight", {out, in});
  at::Tensor b = bias ? vb.take("bias", {out}) : at::Tensor();
  return Linear(std::move(w), std::move(b));
}

void Linear::compress(WeightFormat format) {
  at::Tensor w = weight_.contiguous();
  at::Tensor b = bias_.defined() ? bias_.contiguous() : at::Tensor();
  compressed_ = std::make_shared<QuantizedLinear>(
      w.data_ptr<float>(), out_, in_, b.defined() ? b.data_ptr<float>() : nullptr, format);
  release_pages(weight_);
  weight_ = at::Tensor();
  bias_ = at::Tensor();
}

void Linear::pack_panels() {
  if (compressed_ || panels_ || !kernels::avx512_selected()) return;
  const float* w = weight_.data_ptr<float>();
  const int64_t in = in_;
  panels_ = std::make_shared<kernels::PanelWeights>(
      kernels::PanelWeights::pack(in_, out_, bias_.defined() ? bias_.data_ptr<float>() : nullptr,
                                  [&](int64_t j, int64_t o) { return w[o * in + j]; }));
  release_pages(weight_);
  weight_ = at::Tensor();
  bias_ = at::Tensor();
}

at::Tensor Linear::operator()(const at::Tensor& x) const {
  // Our kernels, not at::linear: libtorch sends few-row products (every generation step) through
  // GEMM, which repacks the weights on every call and reads them at a third of the speed, and
  // its GEMM is slower than the AVX-512 f32 kernel for many rows too (docs/performance.md).
  // Without AVX-512, products of many rows stay on BLAS.
  // Each output's summation order does not depend on the number of rows, so batched streams
  // get the bits of a stream alone (kernels/dense_linear.h).
  const int64_t rows = x.numel() / in_;
  if (!compressed_ && !panels_ && !kernels::dense_linear_fast(rows))
    return at::linear(x, weight_, bias_);
  at::Tensor input = x.reshape({rows, in_}).contiguous();
  auto sizes = x.sizes().vec();
  sizes.back() = out_;
  at::Tensor y = at::empty(sizes, x.options());
  forward(input.data_ptr<float>(), rows, y.data_ptr<float>());
  return y;
}

void Linear::forward(const float* x, int64_t rows, float* y) const {
  if (panels_) {
    panels_->multiply(x, in_, rows, y, out_);
  } else if (compressed_) {
    compressed_->forward(x, rows, y);
  } else if (kernels::dense_linear_fast(rows)) {
    kernels::dense_linear(weight_.data_ptr<float>(),
                          bias_.defined() ? bias_.data_ptr<float>() : nullptr, out_, in_, x, rows,
                          y);
  } else {
    const auto f32 = at::dtype(at::kFloat);
    at::Tensor out = at::from_blob(y, {rows, out_}, f32);
    at::linear_out(out, at::from_blob(const_cast<float*>(x), {rows, in_}, f32), weight_, bias_);
  }
}

void Linear::forward(const Rows* sets, size_t count) const {
  if (!panels_) {
    for (size_t s = 0; s < count; ++s) forward(sets[s].x, sets[s].rows, sets[s].y);
    return;
  }
  constexpr size_t kChunk = 16;  // sets per product: room on the stack, no allocation
  for (size_t s0 = 0; s0 < count; s0 += kChunk) {
    std::array<kernels::PanelWeights::Rows, kChunk> rows{};
    const size_t n = std::min(kChunk, count - s0);
    for (size_t s = 0; s < n; ++s)
      rows[s] = {sets[s0 + s].x, in_, sets[s0 + s].rows, sets[s0 + s].y, out_};
    panels_->multiply(rows.data(), n);
  }
}

}  // namespace pockettts
