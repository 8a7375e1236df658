// The flow network: an MLP with adaptive LayerNorm conditioned on the transformer output and
// two time embeddings (start s, target t), as the reference's SimpleMLPAdaLN.
#pragma once

#include <ATen/core/Tensor.h>

#include <memory>
#include <mutex>
#include <vector>

#include "formats/weights.h"
#include "model/modules/linear.h"
#include "model/modules/row_buffer.h"

namespace pockettts {

// Buffers of FlowMlp::forward on plain rows, reused from step to step.
struct FlowMlpBuffers {
  RowBuffer x, y, modulation, h, hidden;
};

class FlowMlp {
 public:
  FlowMlp(const WeightPath& vb, int64_t in_channels, int64_t model_channels, int64_t out_channels,
          int64_t cond_channels, int64_t num_res_blocks);

  // The flow direction out [rows, out] from c [rows, cond] and x [rows, in] on plain rows, at
  // times s and t (the same for every row). Allocates nothing once `buffers` are sized and the
  // time condition of (s, t) has been computed once.
  void forward(const float* c, int64_t rows, float s, float t, const float* x, float* out,
               FlowMlpBuffers& buffers) const;
  void compress(WeightFormat format);

 private:
  // (time_embed[0](s) + time_embed[1](t)) / 2 [model_channels]: the same for every step with
  // the same (s, t), so computed once per pair (LSD decoding uses n of them).
  const std::vector<float>& time_condition(float s, float t) const;

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

  struct TimeCondition {
    float s, t;
    std::vector<float> values;
  };
  mutable std::mutex time_mutex_;
  mutable std::vector<std::unique_ptr<TimeCondition>> time_conditions_;  // stable addresses
};

}  // namespace pockettts
