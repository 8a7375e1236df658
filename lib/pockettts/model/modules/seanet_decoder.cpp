#include "model/modules/seanet_decoder.h"

#include <algorithm>
#include <cstring>
#include <string>

#include <pockettts/error.h>
#include "kernels/elu.h"
#include "model/modules/frame_batch.h"
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

void SeanetDecoder::forward(const Frame* frames, size_t count, int64_t steps) const {
  for (size_t s = 0; s < count; ++s) {
    if (steps != frames[s].state->steps) {
      throw Error(ErrorCode::kInvalidArgument,
                  "SEANet decoder state made for " + std::to_string(frames[s].state->steps) +
                      " steps per call, called with " + std::to_string(steps));
    }
  }
  PerFrame<bool> first{};
  for (size_t s = 0; s < count; ++s) {
    first[s] = frames[s].state->first;
    frames[s].state->first = false;
  }
  // One layer for every stream: its window `w` (the decoder's order), its output rows.
  PerFrame<WindowConv::Call> calls{};
  const auto run = [&](const WindowConv& conv, size_t w, int64_t t, auto output, auto residual) {
    for (size_t s = 0; s < count; ++s) {
      SeanetDecoderState& state = *frames[s].state;
      calls[s] = {&state.windows[w], first[s], output(s), residual(s), &state.scratch};
    }
    conv.forward(calls.data(), count, t);
  };
  const auto none = [](size_t) -> const float* { return nullptr; };
  const auto window_of = [&](size_t s, size_t w) -> std::vector<float>& {
    return frames[s].state->windows[w];
  };
  size_t w = 0;
  for (size_t s = 0; s < count; ++s) {
    std::memcpy(input_rows(first_, window_of(s, 0)), frames[s].z,
                static_cast<size_t>(steps * first_.in_channels()) * sizeof(float));
  }
  // The next layer's input rows: each output lands there, then goes through the ELU in place.
  const WindowConv* next = blocks_.empty() ? &last_ : &blocks_.front().upsample;
  const auto next_input = [&](size_t s) { return input_rows(*next, window_of(s, w + 1)); };
  run(first_, w, steps, next_input, none);
  ++w;
  int64_t t = steps;
  for (size_t s = 0; s < count; ++s) {
    float* into = input_rows(*next, window_of(s, w));
    kernels::elu(into, t * next->in_channels(), into);
  }
  for (size_t b = 0; b < blocks_.size(); ++b) {
    const Block& block = blocks_[b];
    const auto x = [&](size_t s) { return frames[s].state->residuals[b].data(); };
    run(block.upsample, w++, t, x, none);
    t *= block.upsample.upsampling();
    for (const ResidualUnit& unit : block.units) {
      const size_t w1 = w++, w2 = w++;
      for (size_t s = 0; s < count; ++s)
        kernels::elu(x(s), t * unit.conv1.in_channels(), input_rows(unit.conv1, window_of(s, w1)));
      const auto in2 = [&](size_t s) { return input_rows(unit.conv2, window_of(s, w2)); };
      run(unit.conv1, w1, t, in2, none);
      for (size_t s = 0; s < count; ++s) kernels::elu(in2(s), t * unit.conv2.in_channels(), in2(s));
      run(unit.conv2, w2, t, x, [&](size_t s) -> const float* { return x(s); });
    }
    next = b + 1 < blocks_.size() ? &blocks_[b + 1].upsample : &last_;
    for (size_t s = 0; s < count; ++s)
      kernels::elu(x(s), t * next->in_channels(), input_rows(*next, window_of(s, w)));
  }
  run(last_, w, t, [&](size_t s) { return frames[s].audio; }, none);
}

}  // namespace pockettts
