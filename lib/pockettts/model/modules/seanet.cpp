#include "model/modules/seanet.h"

#include <ATen/ATen.h>

#include <pockettts/error.h>

namespace pockettts {

namespace {
// Index of the next module in the reference's nn.ModuleList (ELUs take an index too).
struct ModuleIndex {
  int next = 0;
  int take() { return next++; }
};
}  // namespace

StreamingConv1d::PadMode seanet_pad_mode(const SeanetConfig& config) {
  if (config.pad_mode == "constant") return StreamingConv1d::PadMode::kConstant;
  if (config.pad_mode == "replicate") return StreamingConv1d::PadMode::kReplicate;
  throw Error(ErrorCode::kInvalidData,
              "seanet.pad_mode must be 'constant' or 'replicate', not '" + config.pad_mode + "'");
}

SeanetResnetBlock::SeanetResnetBlock(const WeightPath& vb, int64_t dim, int64_t kernel_size,
                                     int64_t dilation, int64_t compress,
                                     StreamingConv1d::PadMode pad)
    : conv1_(vb.pp("block").pp(1), dim, dim / compress, kernel_size, 1, dilation, 1, true, pad),
      conv2_(vb.pp("block").pp(3), dim / compress, dim, 1, 1, 1, 1, true, pad) {}

std::vector<ConvState> SeanetResnetBlock::init_state(int64_t batch) const {
  return {conv1_.init_state(batch), conv2_.init_state(batch)};
}

at::Tensor SeanetResnetBlock::forward(const at::Tensor& x, std::vector<ConvState>* state) const {
  at::Tensor v = conv1_.forward(at::elu(x), state ? &(*state)[0] : nullptr);
  v = conv2_.forward(at::elu(v), state ? &(*state)[1] : nullptr);
  return x + v;
}

void SeanetResnetBlock::release_pages() const {
  conv1_.release_pages();
  conv2_.release_pages();
}

SeanetEncoder::SeanetEncoder(const WeightPath& vb, const SeanetConfig& c) {
  const auto pad = seanet_pad_mode(c);
  WeightPath model = vb.pp("model");
  ModuleIndex index;
  int64_t mult = 1;
  layers_.emplace_back(StreamingConv1d(model.pp(index.take()), c.channels, mult * c.n_filters,
                                       c.kernel_size, 1, 1, 1, true, pad));
  elu_before_.push_back(false);
  for (auto it = c.ratios.rbegin(); it != c.ratios.rend(); ++it) {
    const int64_t ratio = *it;
    hop_length_ *= ratio;
    int64_t dilation = 1;
    for (int j = 0; j < c.n_residual_layers; ++j, dilation *= c.dilation_base) {
      layers_.emplace_back(SeanetResnetBlock(model.pp(index.take()), mult * c.n_filters,
                                             c.residual_kernel_size, dilation, c.compress, pad));
      elu_before_.push_back(false);
    }
    index.take();  // ELU
    layers_.emplace_back(StreamingConv1d(model.pp(index.take()), mult * c.n_filters,
                                         mult * c.n_filters * 2, ratio * 2, ratio, 1, 1, true,
                                         pad));
    elu_before_.push_back(true);
    mult *= 2;
  }
  index.take();  // ELU
  layers_.emplace_back(StreamingConv1d(model.pp(index.take()), mult * c.n_filters, c.dimension,
                                       c.last_kernel_size, 1, 1, 1, true, pad));
  elu_before_.push_back(true);
}

SeanetState SeanetEncoder::init_state(int64_t batch) const {
  SeanetState state;
  for (const auto& layer : layers_) {
    std::visit([&](const auto& l) { state.emplace_back(l.init_state(batch)); }, layer);
  }
  return state;
}

void SeanetEncoder::release_pages() const {
  for (const auto& layer : layers_) std::visit([](const auto& l) { l.release_pages(); }, layer);
}

at::Tensor SeanetEncoder::forward(const at::Tensor& x, SeanetState* state) const {
  at::Tensor h = x;
  for (size_t i = 0; i < layers_.size(); ++i) {
    if (elu_before_[i]) h = at::elu(h);
    if (auto* conv = std::get_if<StreamingConv1d>(&layers_[i])) {
      h = conv->forward(h, state ? &std::get<ConvState>((*state)[i]) : nullptr);
    } else {
      h = std::get<SeanetResnetBlock>(layers_[i])
              .forward(h, state ? &std::get<std::vector<ConvState>>((*state)[i]) : nullptr);
    }
  }
  return h;
}

}  // namespace pockettts
