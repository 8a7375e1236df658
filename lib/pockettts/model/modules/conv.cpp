#include "model/modules/conv.h"

#include <ATen/ATen.h>

#include "kernels/dense_linear.h"

namespace pockettts {

namespace {

// Where the f32 kernel beats libtorch's im2col + GEMM: long products over few rows (measured on
// the 512-channel layers Mimi's decoder had then: 1.28 -> 0.97 ms and 1.27 -> 0.72 ms; in the
// encoder that is the downsampling of prompts up to ~5 s). Short products over many rows lose:
// GEMM stays there.
constexpr int64_t kDenseMinInputs = 512, kDenseMaxRows = 64;

bool use_dense(int64_t inputs_per_product, int64_t rows) {
  return inputs_per_product >= kDenseMinInputs && rows <= kDenseMaxRows &&
         kernels::dense_linear_fast(kDenseMaxRows);
}

}  // namespace

StreamingConv1d::StreamingConv1d(const WeightPath& vb, int64_t in_channels, int64_t out_channels,
                                 int64_t kernel_size, int64_t stride, int64_t dilation,
                                 int64_t groups, bool bias, PadMode pad_mode)
    : weight_(vb.take("conv.weight", {out_channels, in_channels / groups, kernel_size})),
      in_channels_(in_channels),
      out_channels_(out_channels),
      kernel_size_(kernel_size),
      stride_(stride),
      dilation_(dilation),
      groups_(groups),
      pad_mode_(pad_mode) {
  if (bias) bias_ = vb.take("conv.bias", {out_channels});
  weight_ = weight_.to(at::kFloat).contiguous();  // the kernel reads it as [C_out, C_in * K]
  if (bias_.defined()) bias_ = bias_.to(at::kFloat).contiguous();
}

ConvState StreamingConv1d::init_state(int64_t batch) const {
  const int64_t effective_kernel = (kernel_size_ - 1) * dilation_ + 1;
  return {at::zeros({batch, in_channels_, effective_kernel - stride_}, at::kFloat), true};
}

at::Tensor StreamingConv1d::forward(const at::Tensor& x, ConvState* state) const {
  ConvState fresh;
  if (!state) {
    fresh = init_state(x.size(0));
    state = &fresh;
  }
  const int64_t tp = state->previous.size(-1);
  at::Tensor input = x;
  if (tp) {
    if (pad_mode_ == PadMode::kReplicate && state->first) {
      state->previous.copy_(x.narrow(-1, 0, 1).expand_as(state->previous));
    }
    input = at::cat({state->previous, x}, -1);
  }
  at::Tensor y = use_dense(in_channels_ * kernel_size_ / groups_, input.size(0) * input.size(2))
                     ? dense_conv(input)
                     : at::conv1d(input, weight_, bias_, at::IntArrayRef{stride_},
                                  at::IntArrayRef{0}, at::IntArrayRef{dilation_}, groups_);
  if (tp) {
    state->previous.copy_(input.narrow(-1, input.size(-1) - tp, tp));
    if (pad_mode_ == PadMode::kReplicate) state->first = false;
  }
  return y;
}

void StreamingConv1d::release_pages() const {
  pockettts::release_pages(weight_);
  pockettts::release_pages(bias_);
}

at::Tensor StreamingConv1d::dense_conv(const at::Tensor& input) const {
  const int64_t B = input.size(0), span = (kernel_size_ - 1) * dilation_ + 1;
  const int64_t t_out = (input.size(2) - span) / stride_ + 1;
  if (t_out <= 0) return at::empty({B, out_channels_, 0}, input.options());
  // Rows (b, t) of [C_in, K]: the receptive field of each output step, as the weights lay out.
  at::Tensor windows = input.unfold(2, span, stride_);  // [B, C_in, T_out, span]
  if (dilation_ > 1) windows = windows.slice(3, 0, span, dilation_);
  at::Tensor rows = windows.permute({0, 2, 1, 3}).contiguous();
  at::Tensor y = at::empty({B, t_out, out_channels_}, input.options());
  kernels::dense_linear(
      weight_.data_ptr<float>(), bias_.defined() ? bias_.data_ptr<float>() : nullptr, out_channels_,
      in_channels_ * kernel_size_, rows.data_ptr<float>(), B * t_out, y.data_ptr<float>());
  return y.transpose(1, 2);
}

}  // namespace pockettts
