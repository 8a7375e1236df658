#include "modules/linear.h"

#include <ATen/ATen.h>

#include "kernels/quantized_linear.h"

namespace pockettts {

Linear::Linear(at::Tensor weight, at::Tensor bias)
    : weight_(std::move(weight)), bias_(std::move(bias)) {
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
  weight_ = at::Tensor();
  bias_ = at::Tensor();
}

at::Tensor Linear::operator()(const at::Tensor& x) const {
  if (!compressed_) {
    // One row (every generation step): a matrix-vector product. libtorch sends a one-row
    // at::linear through GEMM, which repacks the weights on every call and reads them at a
    // fifth of the speed of GEMV. Only the summation order differs (~1e-7 relative).
    if (x.numel() == in_) {
      at::Tensor v = x.reshape({in_});
      at::Tensor y = bias_.defined() ? at::addmv(bias_, weight_, v) : at::mv(weight_, v);
      auto sizes = x.sizes().vec();
      sizes.back() = out_;
      return y.view(sizes);
    }
    return at::linear(x, weight_, bias_);
  }
  at::Tensor input = x.reshape({-1, in_}).contiguous();
  auto sizes = x.sizes().vec();
  sizes.back() = out_;
  at::Tensor y = at::empty(sizes, x.options());
  compressed_->forward(input.data_ptr<float>(), input.size(0), y.data_ptr<float>());
  return y;
}

}  // namespace pockettts
