#include "formats/config_validation.h"

#include <cmath>
#include <iomanip>
#include <sstream>
#include <string>

#include <pockettts/error.h>

namespace pockettts {

namespace {

std::string number_text(double value) {
  std::ostringstream out;
  out << std::setprecision(10) << value;
  return out.str();
}

// Checks one config, each failure naming the file and the key.
class ConfigChecker {
 public:
  explicit ConfigChecker(const Config& config) : source_(config.source) {}

  [[noreturn]] void fail(const std::string& key, double value, const std::string& rule,
                         ErrorCode code = ErrorCode::kInvalidData) const {
    throw Error(code, "key '" + key + "' in " + source_ + " is " + number_text(value) + ": " + rule);
  }

  [[noreturn]] void fail_text(const std::string& key, const std::string& value,
                              const std::string& rule) const {
    throw Error(ErrorCode::kInvalidData,
                "key '" + key + "' in " + source_ + " is '" + value + "': " + rule);
  }

  // A count or width: at least `low`, at most `high`.
  void in_range(const std::string& key, long long value, long long low, long long high) const {
    if (value < low) {
      fail(key, static_cast<double>(value), "it must be at least " + std::to_string(low));
    }
    if (value > high) {
      fail(key, static_cast<double>(value),
           "it must be at most " + std::to_string(high) + " (larger is no model this library runs)");
    }
  }

  void dimension(const std::string& key, long long value) const {
    in_range(key, value, 1, kMaxConfigDimension);
  }

  void finite_at_least(const std::string& key, double value, double low) const {
    if (!std::isfinite(value) || value < low) {
      fail(key, value, "it must be a finite number of at least " + number_text(low));
    }
  }

  // Attention: the heads split the width evenly, and RoPE rotates each head's dimensions in
  // pairs, so the head width must be even.
  void attention(const std::string& prefix, long long d_model, long long num_heads) const {
    dimension(prefix + ".d_model", d_model);
    in_range(prefix + ".num_heads", num_heads, 1, d_model);
    if (d_model % num_heads != 0) {
      fail(prefix + ".num_heads", static_cast<double>(num_heads),
           "it must divide " + prefix + ".d_model (" + std::to_string(d_model) +
               "): each attention head takes an equal part of the width");
    }
    if ((d_model / num_heads) % 2 != 0) {
      fail(prefix + ".num_heads", static_cast<double>(num_heads),
           "the head width " + prefix + ".d_model / num_heads = " +
               std::to_string(d_model / num_heads) +
               " must be even (rotary embeddings turn the dimensions in pairs)");
    }
  }

 private:
  const std::string& source_;
};

void validate_flow_lm(const ConfigChecker& check, const FlowLmConfig& c) {
  const auto& t = c.transformer;
  check.attention("flow_lm.transformer", t.d_model, t.num_heads);
  check.in_range("flow_lm.transformer.num_layers", t.num_layers, 1, kMaxConfigLayers);
  check.in_range("flow_lm.transformer.hidden_scale", t.hidden_scale, 1,
                 kMaxConfigDimension / t.d_model);
  check.in_range("flow_lm.transformer.max_period", t.max_period, 1, 1 << 30);
  check.dimension("flow_lm.flow.dim", c.flow.dim);
  check.in_range("flow_lm.flow.depth", c.flow.depth, 1, kMaxConfigLayers);
  check.dimension("flow_lm.lookup_table.n_bins", c.lookup_table.n_bins);
  check.dimension("flow_lm.lookup_table.dim", c.lookup_table.dim);
  if (c.lookup_table.dim != t.d_model) {
    check.fail("flow_lm.lookup_table.dim", c.lookup_table.dim,
               "it must equal flow_lm.transformer.d_model (" + std::to_string(t.d_model) +
                   "): the text embeddings are the transformer's input");
  }
}

void validate_seanet(const ConfigChecker& check, const SeanetConfig& s) {
  check.dimension("mimi.seanet.dimension", s.dimension);
  check.dimension("mimi.seanet.n_filters", s.n_filters);
  if (s.ratios.empty() || s.ratios.size() > 16) {
    check.fail("mimi.seanet.ratios", static_cast<double>(s.ratios.size()),
               "the number of ratios must be between 1 and 16");
  }
  long long widest = s.n_filters, hop = 1;
  for (size_t i = 0; i < s.ratios.size(); ++i) {
    const std::string key = "mimi.seanet.ratios[" + std::to_string(i) + "]";
    check.in_range(key, s.ratios[i], 1, 1024);
    hop *= s.ratios[i];
    check.in_range("the product of mimi.seanet.ratios", hop, 1, kMaxConfigDimension);
    widest *= 2;  // each downsampling doubles the channels
    check.in_range("mimi.seanet.n_filters * 2^(number of ratios)", widest, 1, kMaxConfigDimension);
  }
  check.in_range("mimi.seanet.n_residual_layers", s.n_residual_layers, 0, 64);
  check.in_range("mimi.seanet.kernel_size", s.kernel_size, 1, 4096);
  check.in_range("mimi.seanet.residual_kernel_size", s.residual_kernel_size, 1, 4096);
  check.in_range("mimi.seanet.last_kernel_size", s.last_kernel_size, 1, 4096);
  check.in_range("mimi.seanet.dilation_base", s.dilation_base, 1, 1024);
  long long dilation = 1;
  for (int j = 1; j < s.n_residual_layers; ++j) {
    dilation *= s.dilation_base;
    check.in_range("mimi.seanet.dilation_base^(n_residual_layers - 1)", dilation, 1, 1 << 16);
  }
  // The residual blocks narrow the channels by `compress`; the narrowest has n_filters.
  check.in_range("mimi.seanet.compress", s.compress, 1, s.n_filters);
  if (s.pad_mode != "constant" && s.pad_mode != "replicate") {
    check.fail_text("mimi.seanet.pad_mode", s.pad_mode, "it must be 'constant' or 'replicate'");
  }
  if (s.channels != 1) {
    check.fail("mimi.seanet.channels", s.channels,
               "only mono models (1 channel) are supported", ErrorCode::kUnsupported);
  }
}

void validate_mimi(const ConfigChecker& check, const MimiConfig& c) {
  check.in_range("mimi.sample_rate", c.sample_rate, 1, kMaxConfigDimension);
  if (c.channels != 1) {
    check.fail("mimi.channels", c.channels, "only mono models (1 channel) are supported",
               ErrorCode::kUnsupported);
  }
  validate_seanet(check, c.seanet);
  // One model frame is a whole number of samples and of encoder frames: sample_rate /
  // frame_rate samples, downsampled by the product of the ratios, then by the stride.
  check.finite_at_least("mimi.frame_rate", c.frame_rate, 1e-3);
  const double frame_size = c.sample_rate / c.frame_rate;
  if (frame_size != std::floor(frame_size) || frame_size < 1) {
    check.fail("mimi.frame_rate", c.frame_rate,
               "mimi.sample_rate / frame_rate = " + number_text(frame_size) +
                   " must be a whole number of samples per frame");
  }
  long long hop = 1;
  for (int r : c.seanet.ratios) hop *= r;
  const auto samples = static_cast<long long>(frame_size);
  if (samples % hop != 0) {
    check.fail("mimi.frame_rate", c.frame_rate,
               "a frame of " + std::to_string(samples) +
                   " samples must be a whole number of encoder steps of " + std::to_string(hop) +
                   " samples (the product of mimi.seanet.ratios)");
  }

  const auto& t = c.transformer;
  check.attention("mimi.transformer", t.d_model, t.num_heads);
  check.in_range("mimi.transformer.num_layers", t.num_layers, 0, kMaxConfigLayers);
  check.dimension("mimi.transformer.dim_feedforward", t.dim_feedforward);
  check.dimension("mimi.transformer.context", t.context);
  check.finite_at_least("mimi.transformer.max_period", t.max_period, 1);
  if (!std::isfinite(t.layer_scale)) {
    check.fail("mimi.transformer.layer_scale", t.layer_scale, "it must be a finite number");
  }
  check.dimension("mimi.transformer.input_dimension", t.input_dimension);
  for (size_t i = 0; i < t.output_dimensions.size(); ++i) {
    check.dimension("mimi.transformer.output_dimensions[" + std::to_string(i) + "]",
                    t.output_dimensions[i]);
  }
  check.dimension("mimi.quantizer.dimension", c.quantizer.dimension);
  check.dimension("mimi.quantizer.output_dimension", c.quantizer.output_dimension);
  if (c.inner_dim) check.dimension("mimi.inner_dim", *c.inner_dim);
  if (c.outer_dim) check.dimension("mimi.outer_dim", *c.outer_dim);
}

}  // namespace

void validate_config(const Config& config) {
  const ConfigChecker check(config);
  validate_flow_lm(check, config.flow_lm);
  validate_mimi(check, config.mimi);
  if (config.model_recommended_frames_after_eos) {
    check.in_range("model_recommended_frames_after_eos", *config.model_recommended_frames_after_eos,
                   0, 10000);
  }
}

}  // namespace pockettts
