// Streaming 1-D convolutions: the left context (kernel - stride samples) is carried from one
// call to the next, so frame-by-frame output equals the whole-signal output.
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
  at::Tensor weight_, bias_;
  int64_t in_channels_, kernel_size_, stride_, dilation_, groups_;
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
  at::Tensor weight_, bias_;
  int64_t out_channels_, kernel_size_, stride_, groups_;
};

}  // namespace pockettts
