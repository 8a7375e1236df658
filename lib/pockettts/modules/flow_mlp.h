// The flow network: an MLP with adaptive LayerNorm conditioned on the transformer output and
// two time embeddings (start s, target t), as the reference's SimpleMLPAdaLN.
#pragma once

#include <ATen/core/Tensor.h>

#include <vector>

#include "modules/linear.h"
#include "weights.h"

namespace pockettts {

class FlowMlp {
 public:
  FlowMlp(const WeightPath& vb, int64_t in_channels, int64_t model_channels, int64_t out_channels,
          int64_t cond_channels, int64_t num_res_blocks);

  // c: [N, cond], s and t: [N, 1], x: [N, in]. Returns the flow direction [N, out].
  at::Tensor forward(const at::Tensor& c, const at::Tensor& s, const at::Tensor& t,
                     const at::Tensor& x) const;
  void compress(WeightFormat format);

 private:
  struct TimestepEmbedder {
    Linear linear1, linear2;
    at::Tensor rms_alpha, freqs;
    at::Tensor operator()(const at::Tensor& t) const;
  };
  struct ResBlock {
    at::Tensor ln_weight, ln_bias;
    Linear mlp1, mlp2, modulation;
  };

  std::vector<TimestepEmbedder> time_embed_;
  Linear cond_embed_, input_proj_;
  std::vector<ResBlock> res_blocks_;
  Linear final_modulation_, final_linear_;
  int64_t model_channels_;
};

}  // namespace pockettts
