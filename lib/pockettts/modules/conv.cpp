#include "modules/conv.h"

#include <ATen/ATen.h>

#include <algorithm>

#include "kernels/dense_linear.h"

namespace pockettts {

namespace {

// Where the f32 kernel beats libtorch's im2col + GEMM (measured on Mimi's decoder, one frame):
// long products over few rows (the 512-channel layers: 1.28 -> 0.97 ms and 1.27 -> 0.72 ms).
// Short products over many rows (the 64-channel layers at 1920 steps) lose: GEMM stays there.
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

StreamingConvTranspose1d::StreamingConvTranspose1d(const WeightPath& vb, int64_t in_channels,
                                                   int64_t out_channels, int64_t kernel_size,
                                                   int64_t stride, int64_t groups, bool bias)
    : weight_(vb.take("convtr.weight", {in_channels, out_channels / groups, kernel_size})),
      in_channels_(in_channels),
      out_channels_(out_channels),
      kernel_size_(kernel_size),
      stride_(stride),
      groups_(groups) {
  if (bias) bias_ = vb.take("convtr.bias", {out_channels});
  if (bias_.defined()) bias_ = bias_.to(at::kFloat).contiguous();
  // Only layers with enough inputs per product get the transposed copy (in Mimi's decoder the
  // first upsampling: 6 MB).
  if (groups == 1 && use_dense(in_channels, 1)) {
    weight_t_ =
        weight_.to(at::kFloat).reshape({in_channels, out_channels * kernel_size}).t().contiguous();
  }
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

at::Tensor StreamingConvTranspose1d::dense_conv_transpose(const at::Tensor& x) const {
  const int64_t B = x.size(0), T = x.size(2), K = kernel_size_, s = stride_;
  // P[b, t, c_out, k]: input step t's contribution to output step t * s + k.
  at::Tensor rows = x.transpose(1, 2).contiguous();  // [B, T, C_in]
  at::Tensor p = at::empty({B, T, out_channels_, K}, x.options());
  kernels::dense_linear(weight_t_.data_ptr<float>(), nullptr, out_channels_ * K, in_channels_,
                        rows.data_ptr<float>(), B * T, p.data_ptr<float>());
  // Overlap-add in strides: kernel taps [j*s, (j+1)*s) of every step land on one contiguous
  // run of the output, shifted by j steps.
  const int64_t blocks = (K + s - 1) / s;
  at::Tensor y = at::zeros({B, out_channels_, (T + blocks) * s}, x.options());
  for (int64_t j = 0; j < blocks; ++j) {
    const int64_t w = std::min(s, K - j * s);
    at::Tensor taps = p.narrow(3, j * s, w).permute({0, 2, 1, 3});  // [B, C_out, T, w]
    y.narrow(2, j * s, T * s).view({B, out_channels_, T, s}).narrow(3, 0, w).add_(taps);
  }
  y = y.narrow(2, 0, (T - 1) * s + K);
  if (bias_.defined()) y.add_(bias_.view({1, -1, 1}));
  return y;
}

at::Tensor StreamingConvTranspose1d::forward(const at::Tensor& x, ConvTransposeState& state) const {
  const bool depthwise =
      groups_ > 1 && groups_ == out_channels_ && weight_.size(0) == groups_ && !bias_.defined();
  at::Tensor y = depthwise ? depthwise_conv_transpose(x, weight_, stride_)
                 : weight_t_.defined() && use_dense(in_channels_, x.size(0) * x.size(2))
                     ? dense_conv_transpose(x)
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
