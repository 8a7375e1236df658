// SEANet decoder (200 Hz features -> audio), streaming on channels-last signals: Mimi's decoder
// turns the 16 feature steps of each frame into 1920 samples.
//
// Every layer's input lives in a window buffer of the stream's state, after the layer's
// history (window_conv.h), and each layer writes straight into the next one's window (through
// the ELU where the reference has one): a frame allocates nothing once the state exists.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "formats/config.h"
#include "formats/weights.h"
#include "model/modules/window_conv.h"

namespace pockettts {

// One stream's buffers: the windows of every convolution, the residual branch's activations.
struct SeanetDecoderState {
  std::vector<std::vector<float>> windows;    // per WindowConv, in the decoder's order
  std::vector<std::vector<float>> residuals;  // per upsampling block: its output [steps, C]
  std::vector<float> scratch;
  int64_t steps = 0;  // input steps per call, fixed: the buffers are sized for them
  bool first = true;
};

class SeanetDecoder {
 public:
  SeanetDecoder(const WeightPath& vb, const SeanetConfig& config);

  SeanetDecoderState init_state(int64_t steps) const;
  // One stream's call: z [steps, dimension] channels-last -> audio [steps * hop_length(),
  // channels] channels-last.
  struct Frame {
    const float* z;
    SeanetDecoderState* state;
    float* audio;
  };
  // `count` <= kMaxFrames streams at once (frame_batch.h): each convolution reads its weights
  // once for all of them, each stream gets the bits it gets alone. `steps` must be every state's
  // (Error(kInvalidArgument) otherwise).
  void forward(const Frame* frames, size_t count, int64_t steps) const;

  int64_t hop_length() const { return hop_length_; }
  int64_t channels() const { return last_.out_channels(); }

 private:
  struct ResidualUnit {  // x + conv2(elu(conv1(elu(x))))
    WindowConv conv1, conv2;
  };
  struct Block {  // elu, upsampling, residual units
    WindowConv upsample;
    std::vector<ResidualUnit> units;
  };
  WindowConv first_;
  std::vector<Block> blocks_;
  WindowConv last_;  // after an elu
  int64_t hop_length_ = 1;
};

}  // namespace pockettts
