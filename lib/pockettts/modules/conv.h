// Streaming 1-D convolutions: the left context (kernel - stride samples) is carried from one
// call to the next, so frame-by-frame output equals the whole-signal output.
//
// Ungrouped convolutions run as one product on our f32 kernel (kernels/dense_linear.h): the
// windows of the input as rows (im2col), the weights as they are stored ([C_out, C_in * K]);
// transposed ones as the product with the transposed weights then an overlap-add. libtorch's
// CPU path (im2col + OpenBLAS GEMM, repacking the weights on every call) took twice as long
// on Mimi's per-frame shapes. Only the summation order differs from the reference.
#pragma once

#include <ATen/core/Tensor.h>

#include "weights.h"

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

 private:
  at::Tensor dense_conv(const at::Tensor& input) const;  // groups == 1, no padding

  at::Tensor weight_, bias_;
  int64_t in_channels_, out_channels_, kernel_size_, stride_, dilation_, groups_;
  PadMode pad_mode_;
};

struct ConvTransposeState {
  at::Tensor partial;  // [B, C_out, kernel - stride]: overlap to add to the next output
};

class StreamingConvTranspose1d {
 public:
  StreamingConvTranspose1d(const WeightPath& vb, int64_t in_channels, int64_t out_channels,
                           int64_t kernel_size, int64_t stride, int64_t groups = 1,
                           bool bias = true);
  ConvTransposeState init_state(int64_t batch) const;
  at::Tensor forward(const at::Tensor& x, ConvTransposeState& state) const;

 private:
  at::Tensor dense_conv_transpose(const at::Tensor& x) const;  // groups == 1

  at::Tensor weight_, bias_;
  at::Tensor weight_t_;  // ungrouped: [C_out * K, C_in], the weights transposed for the kernel
  int64_t in_channels_, out_channels_, kernel_size_, stride_, groups_;
};

}  // namespace pockettts
