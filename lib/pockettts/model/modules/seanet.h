// SEANet encoder (audio -> 200 Hz features), streaming; the decoder is in seanet_decoder.h.
#pragma once

#include <ATen/core/Tensor.h>

#include <variant>
#include <vector>

#include "formats/config.h"
#include "formats/weights.h"
#include "model/modules/conv.h"

namespace pockettts {

// The convolutions' padding from seanet.pad_mode; Error(kInvalidData) unless "constant" or
// "replicate" (the modes of the reference's streaming convolutions).
StreamingConv1d::PadMode seanet_pad_mode(const SeanetConfig& config);

class SeanetResnetBlock {
 public:
  SeanetResnetBlock(const WeightPath& vb, int64_t dim, int64_t kernel_size, int64_t dilation,
                    int64_t compress, StreamingConv1d::PadMode pad);
  std::vector<ConvState> init_state(int64_t batch) const;
  at::Tensor forward(const at::Tensor& x, std::vector<ConvState>* state) const;
  void release_pages() const;

 private:
  StreamingConv1d conv1_, conv2_;
};

// Per-layer streaming state of a SEANet stack, in layer order.
using SeanetState = std::vector<std::variant<ConvState, std::vector<ConvState>>>;

class SeanetEncoder {
 public:
  SeanetEncoder(const WeightPath& vb, const SeanetConfig& config);
  SeanetState init_state(int64_t batch) const;
  // x: [B, channels, T], T a multiple of the hop length. With a state, consecutive calls on
  // consecutive pieces give the output of one call on the whole signal.
  at::Tensor forward(const at::Tensor& x, SeanetState* state = nullptr) const;
  int64_t hop_length() const { return hop_length_; }
  // Every layer's StreamingConv1d::release_pages (the encoder runs once per voice prompt).
  void release_pages() const;

 private:
  using Layer = std::variant<StreamingConv1d, SeanetResnetBlock>;
  std::vector<Layer> layers_;  // an ELU precedes every downsampling and the last conv
  std::vector<bool> elu_before_;
  int64_t hop_length_ = 1;
};

}  // namespace pockettts
