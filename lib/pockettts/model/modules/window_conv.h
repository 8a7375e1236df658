// Streaming convolutions over channels-last signals ([T, C] row-major, time steps as rows), the
// layout of Mimi's decoder: a call's input is written after `context()` rows of history (the
// inputs of earlier calls), and each output step reads its window in place (PanelWeights).
//
// Same outputs as the reference's StreamingConv1d / StreamingConvTranspose1d called on the same
// pieces of signal, to f32 rounding: only the order of the sums differs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "formats/weights.h"
#include "kernels/panel_product.h"
#include "model/modules/conv.h"

namespace pockettts {

class WindowConv {
 public:
  // A stride-1 convolution, weights `conv.weight` [out, in, K] and `conv.bias`.
  static WindowConv conv(const WeightPath& vb, int64_t in_channels, int64_t out_channels,
                         int64_t kernel_size, int64_t dilation, StreamingConv1d::PadMode pad);
  // A transposed convolution, weights `convtr.weight` [in, out, K] and `convtr.bias`, K >=
  // stride. Output step t * stride + p is the sum over m of input step t - m through tap
  // p + m * stride: a convolution over ceil(K / stride) input steps whose output row holds
  // `stride` output steps. So it is computed as one, and its history is the last input steps
  // (the reference keeps the partial sums of the next outputs instead; the same values).
  static WindowConv transposed(const WeightPath& vb, int64_t in_channels, int64_t out_channels,
                               int64_t kernel_size, int64_t stride);

  int64_t in_channels() const { return in_channels_; }
  int64_t out_channels() const { return out_channels_; }
  int64_t context() const { return context_; }        // rows of history before each call's input
  int64_t upsampling() const { return upsampling_; }  // output steps per input step

  // The window buffer of one stream, sized for calls of `steps` input steps: history (zeros)
  // then room for the input.
  std::vector<float> init_window(int64_t steps) const;

  // window: the buffer above with the call's `steps` input rows written after the history.
  // Writes steps * upsampling() output rows of out_channels() to y, plus residual (same shape)
  // when not null (y may be residual); then moves the last context() input rows to the front.
  // `first`: the stream's first call (replicate padding copies its first row into the history).
  // `scratch`: room for the windows of a dilated convolution (see scratch_floats()).
  void forward(std::vector<float>& window, int64_t steps, bool first, float* y,
               const float* residual, std::vector<float>& scratch) const;
  // forward's arguments for one stream.
  struct Call {
    std::vector<float>* window;
    bool first;
    float* y;
    const float* residual;
    std::vector<float>* scratch;
  };
  // forward for `count` <= kMaxFrames streams (frame_batch.h): one product over all their
  // windows, each output with the bits it gets alone.
  void forward(const Call* calls, size_t count, int64_t steps) const;
  int64_t scratch_floats(int64_t steps) const;

 private:
  WindowConv() = default;
  kernels::PanelWeights panels_;
  int64_t in_channels_ = 0, out_channels_ = 0, kernel_size_ = 1, dilation_ = 1, context_ = 0;
  int64_t upsampling_ = 1;
  bool replicate_ = false;
};

}  // namespace pockettts
