#include "model/modules/seanet_decoder.h"

#include <algorithm>
#include <cstring>
#include <string>

#include <pockettts/error.h>
#include "kernels/elu.h"
#include "model/modules/seanet.h"

namespace pockettts {

namespace {

// Where a layer's input rows go: after the history of its window.
float* input_rows(const WindowConv& conv, std::vector<float>& window) {
  return window.data() + conv.context() * conv.in_channels();
}

}  // namespace

// The reference's nn.Sequential indices: model.0 the first conv, then per ratio an ELU, the
// upsampling, the residual units; an ELU and the last conv.
SeanetDecoder::SeanetDecoder(const WeightPath& vb, const SeanetConfig& c)
    : first_(WindowConv::conv(vb.pp("model").pp(0), c.dimension,
                              (int64_t{1} << c.ratios.size()) * c.n_filters, c.kernel_size, 1,
                              seanet_pad_mode(c))),
      last_(WindowConv::conv(
          vb.pp("model").pp(static_cast<int>(1 + c.ratios.size() * (2 + c.n_residual_layers) + 1)),
          c.n_filters, c.channels, c.last_kernel_size, 1, seanet_pad_mode(c))) {
  const auto pad = seanet_pad_mode(c);
  WeightPath model = vb.pp("model");
  int index = 1;
  int64_t channels = (int64_t{1} << c.ratios.size()) * c.n_filters;
  for (int ratio : c.ratios) {
    ++index;  // ELU
    Block block{WindowConv::transposed(model.pp(index++), channels, channels / 2, 2 * ratio, ratio),
                {}};
    channels /= 2;
    int64_t dilation = 1;
    for (int j = 0; j < c.n_residual_layers; ++j, dilation *= c.dilation_base) {
      WeightPath unit = model.pp(index++).pp("block");
      block.units.push_back(
          {WindowConv::conv(unit.pp(1), channels, channels / c.compress, c.residual_kernel_size,
                            dilation, pad),
           WindowConv::conv(unit.pp(3), channels / c.compress, channels, 1, 1, pad)});
    }
    blocks_.push_back(std::move(block));
    hop_length_ *= ratio;
  }
}

SeanetDecoderState SeanetDecoder::init_state(int64_t steps) const {
  SeanetDecoderState s;
  s.steps = steps;
  int64_t scratch = 0;
  auto add = [&](const WindowConv& conv, int64_t t) {
    s.windows.push_back(conv.init_window(t));
    scratch = std::max(scratch, conv.scratch_floats(t));
  };
  add(first_, steps);
  int64_t t = steps;
  for (const Block& block : blocks_) {
    add(block.upsample, t);
    t *= block.upsample.upsampling();
    s.residuals.emplace_back(static_cast<size_t>(t * block.upsample.out_channels()));
    for (const ResidualUnit& unit : block.units) {
      add(unit.conv1, t);
      add(unit.conv2, t);
    }
  }
  add(last_, t);
  s.scratch.resize(static_cast<size_t>(scratch));
  return s;
}

void SeanetDecoder::forward(const float* z, int64_t steps, SeanetDecoderState& state,
                            float* audio) const {
  if (steps != state.steps) {
    throw Error(ErrorCode::kInvalidArgument,
                "SEANet decoder state made for " + std::to_string(state.steps) +
                    " steps per call, called with " + std::to_string(steps));
  }
  const bool first = state.first;
  state.first = false;
  size_t w = 0;
  std::memcpy(input_rows(first_, state.windows[0]), z,
              static_cast<size_t>(steps * first_.in_channels()) * sizeof(float));
  // The next layer's input rows: each output lands there, then goes through the ELU in place.
  const WindowConv* next = blocks_.empty() ? &last_ : &blocks_.front().upsample;
  float* into = input_rows(*next, state.windows[1]);
  first_.forward(state.windows[w++], steps, first, into, nullptr, state.scratch);
  int64_t t = steps;
  kernels::elu(into, t * next->in_channels(), into);
  for (size_t b = 0; b < blocks_.size(); ++b) {
    const Block& block = blocks_[b];
    float* x = state.residuals[b].data();
    block.upsample.forward(state.windows[w++], t, first, x, nullptr, state.scratch);
    t *= block.upsample.upsampling();
    for (const ResidualUnit& unit : block.units) {
      std::vector<float>& window1 = state.windows[w++];
      std::vector<float>& window2 = state.windows[w++];
      float* in1 = input_rows(unit.conv1, window1);
      kernels::elu(x, t * unit.conv1.in_channels(), in1);
      float* in2 = input_rows(unit.conv2, window2);
      unit.conv1.forward(window1, t, first, in2, nullptr, state.scratch);
      kernels::elu(in2, t * unit.conv2.in_channels(), in2);
      unit.conv2.forward(window2, t, first, x, x, state.scratch);
    }
    next = b + 1 < blocks_.size() ? &blocks_[b + 1].upsample : &last_;
    into = input_rows(*next, state.windows[w]);
    kernels::elu(x, t * next->in_channels(), into);
  }
  last_.forward(state.windows[w], t, first, audio, nullptr, state.scratch);
}

}  // namespace pockettts
