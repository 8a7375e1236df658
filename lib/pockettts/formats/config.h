// The model configuration: the YAML schema of the reference's `config/b6369a24.yaml`.
// Unknown keys are errors, as in the reference (pydantic extra="forbid").
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace pockettts {

struct FlowConfig {
  int dim = 0;
  int depth = 0;
};

struct FlowLmTransformerConfig {
  int hidden_scale = 0;
  int max_period = 0;
  int d_model = 0;
  int num_heads = 0;
  int num_layers = 0;
};

struct LookupTableConfig {
  int dim = 0;
  int n_bins = 0;
  std::string tokenizer;
  std::string tokenizer_path;  // resolved: absolute path or URI
};

struct FlowLmConfig {
  std::string dtype;
  FlowConfig flow;
  FlowLmTransformerConfig transformer;
  LookupTableConfig lookup_table;
  std::optional<std::string> weights_path;
};

struct SeanetConfig {
  int dimension = 0;
  int channels = 0;
  int n_filters = 0;
  int n_residual_layers = 0;
  std::vector<int> ratios;
  int kernel_size = 0;
  int residual_kernel_size = 0;
  int last_kernel_size = 0;
  int dilation_base = 0;
  std::string pad_mode;
  int compress = 0;
};

struct MimiTransformerConfig {
  int d_model = 0;
  int input_dimension = 0;
  std::vector<int> output_dimensions;
  int num_heads = 0;
  int num_layers = 0;
  double layer_scale = 0;
  int context = 0;
  double max_period = 10000.0;  // optional in the YAML
  int dim_feedforward = 0;
};

struct QuantizerConfig {
  int dimension = 0;
  int output_dimension = 0;
};

struct MimiConfig {
  std::string dtype;
  int sample_rate = 0;
  int channels = 0;
  double frame_rate = 0;
  SeanetConfig seanet;
  MimiTransformerConfig transformer;
  QuantizerConfig quantizer;
  std::optional<std::string> weights_path;
};

struct Config {
  FlowLmConfig flow_lm;
  MimiConfig mimi;
  std::optional<std::string> weights_path;                        // resolved
  std::optional<std::string> weights_path_without_voice_cloning;  // resolved
  std::string source;                                             // the YAML file this came from
};

// `variant_or_path`: a variant id ("b6369a24") looked up in the config directories, or a path
// to a YAML file (anything ending in .yaml/.yml or containing a '/'). Relative weights and
// tokenizer paths resolve against the YAML's folder; hf://, http(s):// and absolute paths are
// kept. Throws Error(kNotFound) / Error(kInvalidData) naming the file and the key.
Config load_config(const std::string& variant_or_path);

// Parses YAML text; `base_dir` is where relative paths resolve; `source` names it in errors.
Config parse_config(const std::string& yaml_text, const std::string& base_dir,
                    const std::string& source);

// Where variant ids are looked up, in order: $POCKETTTS_CONFIG_DIR, the installed data
// directory, the source tree's lib/pockettts/formats/variants (for uninstalled builds).
std::vector<std::string> config_search_dirs();

}  // namespace pockettts
