#include "model/modules/window_conv.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cstring>
#include <string>

#include <pockettts/error.h>
#include "model/modules/frame_batch.h"

namespace pockettts {

namespace {

// The bias as floats, or empty.
std::vector<float> bias_of(const WeightPath& vb, const std::string& name, int64_t n) {
  at::Tensor b = vb.take(name, {n}).to(at::kFloat).contiguous();
  return {b.data_ptr<float>(), b.data_ptr<float>() + n};
}

}  // namespace

WindowConv WindowConv::conv(const WeightPath& vb, int64_t in_channels, int64_t out_channels,
                            int64_t kernel_size, int64_t dilation, StreamingConv1d::PadMode pad) {
  at::Tensor w =
      vb.take("conv.weight", {out_channels, in_channels, kernel_size}).to(at::kFloat).contiguous();
  const std::vector<float> bias = bias_of(vb, "conv.bias", out_channels);
  const float* wp = w.data_ptr<float>();
  WindowConv c;
  // Window input j = (tap k, channel i): the channels-last window's order.
  c.panels_ = kernels::PanelWeights::pack(kernel_size * in_channels, out_channels, bias.data(),
                                          [&](int64_t j, int64_t o) {
                                            const int64_t k = j / in_channels, i = j % in_channels;
                                            return wp[(o * in_channels + i) * kernel_size + k];
                                          });
  release_pages(w);
  c.in_channels_ = in_channels;
  c.out_channels_ = out_channels;
  c.kernel_size_ = kernel_size;
  c.dilation_ = dilation;
  c.context_ = (kernel_size - 1) * dilation;
  c.replicate_ = pad == StreamingConv1d::PadMode::kReplicate;
  return c;
}

WindowConv WindowConv::transposed(const WeightPath& vb, int64_t in_channels, int64_t out_channels,
                                  int64_t kernel_size, int64_t stride) {
  if (stride < 1 || kernel_size < stride) {
    throw Error(ErrorCode::kUnsupported,
                "streaming transposed convolution needs kernel_size >= stride >= 1, got kernel " +
                    std::to_string(kernel_size) + ", stride " + std::to_string(stride));
  }
  at::Tensor w = vb.take("convtr.weight", {in_channels, out_channels, kernel_size})
                     .to(at::kFloat)
                     .contiguous();
  const std::vector<float> bias = bias_of(vb, "convtr.bias", out_channels);
  std::vector<float> row_bias(static_cast<size_t>(stride * out_channels));
  for (int64_t p = 0; p < stride; ++p)
    std::copy(bias.begin(), bias.end(), row_bias.begin() + p * out_channels);
  const int64_t taps = (kernel_size + stride - 1) / stride;
  const float* wp = w.data_ptr<float>();
  WindowConv c;
  // Window input j = (window row b, channel i), row b being input step t - (taps - 1 - b);
  // output o = (phase p, channel c), output step t * stride + p.
  c.panels_ = kernels::PanelWeights::pack(
      taps * in_channels, stride * out_channels, row_bias.data(), [&](int64_t j, int64_t o) {
        const int64_t m = taps - 1 - j / in_channels, i = j % in_channels;
        const int64_t k = o / out_channels + m * stride, oc = o % out_channels;
        return k < kernel_size ? wp[(i * out_channels + oc) * kernel_size + k] : 0.0f;
      });
  release_pages(w);
  c.in_channels_ = in_channels;
  c.out_channels_ = out_channels;
  c.kernel_size_ = taps;
  c.context_ = taps - 1;
  c.upsampling_ = stride;
  return c;
}

std::vector<float> WindowConv::init_window(int64_t steps) const {
  return std::vector<float>(static_cast<size_t>((context_ + steps) * in_channels_), 0.0f);
}

int64_t WindowConv::scratch_floats(int64_t steps) const {
  return dilation_ > 1 ? steps * kernel_size_ * in_channels_ : 0;
}

void WindowConv::forward(std::vector<float>& window, int64_t steps, bool first, float* y,
                         const float* residual, std::vector<float>& scratch) const {
  const Call one{&window, first, y, residual, &scratch};
  forward(&one, 1, steps);
}

void WindowConv::forward(const Call* calls, size_t count, int64_t steps) const {
  const int64_t C = in_channels_, y_cols = upsampling_ * out_channels_;
  PerFrame<kernels::PanelWeights::Rows> rows{};
  for (size_t s = 0; s < count; ++s) {
    float* w = calls[s].window->data();
    if (replicate_ && calls[s].first) {
      for (int64_t r = 0; r < context_; ++r)
        std::memcpy(w + r * C, w + context_ * C, static_cast<size_t>(C) * sizeof(float));
    }
    if (dilation_ == 1) {
      rows[s] = {w, C, steps, calls[s].y, y_cols, calls[s].residual, y_cols};
      continue;
    }
    // Dilated taps are not contiguous: gather each output step's window first.
    const int64_t span = kernel_size_ * C;
    std::vector<float>& scratch = *calls[s].scratch;
    if (static_cast<int64_t>(scratch.size()) < steps * span) {
      scratch.resize(static_cast<size_t>(steps * span));
    }
    for (int64_t t = 0; t < steps; ++t)
      for (int64_t k = 0; k < kernel_size_; ++k)
        std::memcpy(scratch.data() + t * span + k * C, w + (t + k * dilation_) * C,
                    static_cast<size_t>(C) * sizeof(float));
    rows[s] = {scratch.data(), span, steps, calls[s].y, y_cols, calls[s].residual, y_cols};
  }
  panels_.multiply(rows.data(), count);
  if (context_ > 0) {
    for (size_t s = 0; s < count; ++s) {
      float* w = calls[s].window->data();
      std::memmove(w, w + steps * C, static_cast<size_t>(context_ * C) * sizeof(float));
    }
  }
}

}  // namespace pockettts
