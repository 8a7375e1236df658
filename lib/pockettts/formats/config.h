// The model configuration: the YAML schema of the reference's configs, at 4ae9fb2
// (`config/b6369a24.yaml`) and at 9514983 (the language packs, `config/<language>.yaml`), which
// adds optional keys. Unknown keys are errors, as in the reference (pydantic extra="forbid").
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
  // 9514983: a learnt position (`flow_lm.bos_before_voice`) is prefilled before the voice.
  bool insert_bos_before_voice = false;
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
  // 9514983: the latent's width out of the downsampling (unset: seanet.dimension) and the
  // quantizer's output width into the upsampling (unset: seanet.dimension).
  std::optional<int> inner_dim;
  std::optional<int> outer_dim;

  int latent_width() const { return inner_dim.value_or(seanet.dimension); }
  int upsample_input_width() const { return outer_dim.value_or(seanet.dimension); }
};

// Which reference version's schema a config is written in. A config that sets any key the
// reference introduced at 9514983 (see kSchema9514983Keys) is a 9514983 config and gets that
// version's behaviour (engine/pack_behaviour.h); one without them, like b6369a24.yaml, keeps
// 4ae9fb2's exactly. Every config the reference publishes at 9514983 sets mimi.inner_dim.
enum class ConfigSchema { k4ae9fb2, k9514983 };
const char* schema_name(ConfigSchema schema);  // "4ae9fb2", "9514983"
extern const char* const kSchema9514983Keys[6];

struct Config {
  FlowLmConfig flow_lm;
  MimiConfig mimi;
  std::optional<std::string> weights_path;                        // resolved
  std::optional<std::string> weights_path_without_voice_cloning;  // resolved
  // 9514983's text options (their defaults are the reference's). The first two change the text
  // preparation and splitting, the third the frames generated after the end of speech.
  bool pad_with_spaces_for_short_inputs = false;
  bool remove_semicolons = false;
  std::optional<int> model_recommended_frames_after_eos;

  ConfigSchema schema = ConfigSchema::k4ae9fb2;
  std::string source;   // the YAML file this came from
  std::string variant;  // the variant id it was loaded by ("german"); empty for a path
};

// `variant_or_path`: a variant id ("b6369a24", "german_24l") looked up in the config directories,
// or a path to a YAML file (anything ending in .yaml/.yml or containing a '/'). Relative weights
// and tokenizer paths resolve against the YAML's folder; hf://, http(s):// and absolute paths are
// kept. Throws Error(kNotFound) / Error(kInvalidData) naming the file and the key.
Config load_config(const std::string& variant_or_path);

// Parses YAML text; `base_dir` is where relative paths resolve; `source` names it in errors.
Config parse_config(const std::string& yaml_text, const std::string& base_dir,
                    const std::string& source);

// Where variant ids are looked up, in order: $POCKETTTS_CONFIG_DIR, the installed data
// directory, the source tree's lib/pockettts/formats/variants (for uninstalled builds).
std::vector<std::string> config_search_dirs();

}  // namespace pockettts
