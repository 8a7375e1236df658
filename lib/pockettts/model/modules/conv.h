// Streaming 1-D convolutions on [B, C, T] signals (Mimi's encoder): the left context (kernel -
// stride samples) is carried from one call to the next, so piece-by-piece output equals the
// whole-signal output. (The decoder's convolutions are channels-last: window_conv.h.)
//
// Ungrouped convolutions with long windows over few output steps run as one product on our f32
// kernel (kernels/dense_linear.h): the windows of the input as rows (im2col), the weights as
// they are stored ([C_out, C_in * K]); the rest on libtorch's conv1d. Only the summation order
// differs from the reference.
#pragma once

#include <ATen/core/Tensor.h>

#include "formats/weights.h"

namespace pockettts {

struct ConvState {
  at::Tensor previous;  // [B, C_in, effective_kernel - stride]
  bool first = true;    // replicate padding: the first call pads with its first sample
};

class StreamingConv1d {
 public:
  enum class PadMode { kConstant, kReplicate };
  StreamingConv1d(const WeightPath& vb, int64_t in_channels, int64_t out_channels,
                  int64_t kernel_size, int64_t stride = 1, int64_t dilation = 1, int64_t groups = 1,
                  bool bias = true, PadMode pad_mode = PadMode::kConstant);

  ConvState init_state(int64_t batch) const;
  // x: [B, C_in, T] with T a multiple of the stride. state == nullptr: a fresh state.
  at::Tensor forward(const at::Tensor& x, ConvState* state) const;
  // The weights' pages of the mapped checkpoint leave the resident memory until the next call
  // (weights.h release_pages): for layers used rarely (the encoder, once per voice prompt).
  void release_pages() const;

 private:
  at::Tensor dense_conv(const at::Tensor& input) const;  // groups == 1, no padding

  at::Tensor weight_, bias_;
  int64_t in_channels_, out_channels_, kernel_size_, stride_, dilation_, groups_;
  PadMode pad_mode_;
};

}  // namespace pockettts
