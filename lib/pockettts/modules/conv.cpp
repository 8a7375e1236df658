#include "modules/conv.h"

#include <ATen/ATen.h>

namespace pockettts {

StreamingConv1d::StreamingConv1d(const WeightPath& vb, int64_t in_channels, int64_t out_channels,
                                 int64_t kernel_size, int64_t stride, int64_t dilation,
                                 int64_t groups, bool bias, PadMode pad_mode)
    : weight_(vb.take("conv.weight", {out_channels, in_channels / groups, kernel_size})),
      in_channels_(in_channels),
      kernel_size_(kernel_size),
      stride_(stride),
      dilation_(dilation),
      groups_(groups),
      pad_mode_(pad_mode) {
  if (bias) bias_ = vb.take("conv.bias", {out_channels});
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
  at::Tensor y = at::conv1d(input, weight_, bias_, at::IntArrayRef{stride_}, at::IntArrayRef{0},
                            at::IntArrayRef{dilation_}, groups_);
  if (tp) {
    state->previous.copy_(input.narrow(-1, input.size(-1) - tp, tp));
    if (pad_mode_ == PadMode::kReplicate) state->first = false;
  }
  return y;
}

StreamingConvTranspose1d::StreamingConvTranspose1d(const WeightPath& vb, int64_t in_channels,
                                                   int64_t out_channels, int64_t kernel_size,
                                                   int64_t stride, int64_t groups, bool bias)
    : weight_(vb.take("convtr.weight", {in_channels, out_channels / groups, kernel_size})),
      out_channels_(out_channels),
      kernel_size_(kernel_size),
      stride_(stride),
      groups_(groups) {
  if (bias) bias_ = vb.take("convtr.bias", {out_channels});
}

ConvTransposeState StreamingConvTranspose1d::init_state(int64_t batch) const {
  return {at::zeros({batch, out_channels_, kernel_size_ - stride_}, at::kFloat)};
}

namespace {

// Depthwise transposed convolution (Mimi's upsampling: one filter per channel) as products and
// an overlap-add. libtorch runs it group by group (2 ms a frame for 16k multiplications); here
// each output is the same products summed in the same order from zero, so the values are equal.
at::Tensor depthwise_conv_transpose(const at::Tensor& x, const at::Tensor& weight, int64_t stride) {
  const int64_t B = x.size(0), C = x.size(1), T = x.size(2), K = weight.size(2);
  at::Tensor products = x.unsqueeze(-1) * weight.view({1, C, 1, K});  // [B, C, T, K]
  if (T == 1) return products.view({B, C, K});
  at::Tensor y = at::zeros({B, C, (T - 1) * stride + K}, x.options());
  for (int64_t t = 0; t < T; ++t) y.narrow(2, t * stride, K).add_(products.select(2, t));
  return y;
}

}  // namespace

at::Tensor StreamingConvTranspose1d::forward(const at::Tensor& x, ConvTransposeState& state) const {
  const bool depthwise =
      groups_ > 1 && groups_ == out_channels_ && weight_.size(0) == groups_ && !bias_.defined();
  at::Tensor y = depthwise ? depthwise_conv_transpose(x, weight_, stride_)
                           : at::conv_transpose1d(x, weight_, bias_, at::IntArrayRef{stride_},
                                                  at::IntArrayRef{0}, at::IntArrayRef{0}, groups_);
  const int64_t pt = state.partial.size(-1);
  if (pt == 0) return y;
  const int64_t n = y.size(-1);
  y.narrow(-1, 0, pt).add_(state.partial);
  // The tail overlaps the next call's head; its bias will be added there, so remove it here.
  at::Tensor tail = y.narrow(-1, n - pt, pt);
  if (bias_.defined()) tail.sub_(bias_.unsqueeze(1));
  state.partial.copy_(tail);
  return y.narrow(-1, 0, n - pt);
}

}  // namespace pockettts
