#include "formats/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

#include <pockettts/error.h>
#include "formats/config_validation.h"

namespace fs = std::filesystem;

namespace pockettts {
namespace {

std::string line_of(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  return mark.line >= 0 ? " (line " + std::to_string(mark.line + 1) + ")" : "";
}

// Reads one YAML mapping against the schema: each accessor marks its key as known, and
// finish() rejects whatever was not asked for (the reference forbids extra keys).
class MappingReader {
 public:
  MappingReader(const YAML::Node& node, std::string key_path, const std::string& source)
      : node_(node), key_path_(std::move(key_path)), source_(source) {
    if (!node.IsMap()) {
      if (key_path_.empty()) fail_invalid(source_ + " does not contain a YAML mapping");
      fail_invalid("key '" + key_path_ + "' in " + source_ + " must be a mapping" + line_of(node));
    }
  }

  int integer(const std::string& key) { return to_int(required(key), full(key)); }

  // An optional integer that must be at least `low` when given.
  std::optional<int> optional_integer_at_least(const std::string& key, int low) {
    const std::optional<int> value = optional_integer(key);
    if (value && *value < low) fail_value(key, "must be at least " + std::to_string(low));
    return value;
  }

  double number(const std::string& key) { return to_double(required(key), full(key)); }

  std::optional<double> optional_number(const std::string& key) {
    const YAML::Node value = optional(key);
    if (!value || value.IsNull()) return std::nullopt;
    return to_double(value, full(key));
  }

  std::optional<int> optional_integer(const std::string& key) {
    const YAML::Node value = optional(key);
    if (!value || value.IsNull()) return std::nullopt;
    return to_int(value, full(key));
  }

  std::optional<bool> optional_boolean(const std::string& key) {
    const YAML::Node value = optional(key);
    if (!value || value.IsNull()) return std::nullopt;
    bool b = false;
    if (!value.IsScalar() || !YAML::convert<bool>::decode(value, b)) {
      type_error(value, full(key), "true or false");
    }
    return b;
  }

  std::string text(const std::string& key) { return to_string(required(key), full(key)); }

  std::optional<std::string> optional_text(const std::string& key) {
    const YAML::Node value = optional(key);
    if (!value || value.IsNull()) return std::nullopt;
    return to_string(value, full(key));
  }

  std::vector<int> integers(const std::string& key) {
    const YAML::Node value = required(key);
    if (!value.IsSequence()) type_error(value, full(key), "a list of integers");
    std::vector<int> out;
    for (size_t i = 0; i < value.size(); ++i) {
      out.push_back(to_int(value[i], full(key) + "[" + std::to_string(i) + "]"));
    }
    return out;
  }

  MappingReader child(const std::string& key) {
    return MappingReader(required(key), full(key), source_);
  }

  void finish() const {
    for (const auto& entry : node_) {
      const std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "?";
      if (known_.count(key) == 0) {
        fail_invalid("unknown key '" + full(key) + "' in " + source_ + line_of(entry.first));
      }
    }
  }

 private:
  std::string full(const std::string& key) const {
    return key_path_.empty() ? key : key_path_ + "." + key;
  }

  YAML::Node optional(const std::string& key) {
    known_.insert(key);
    const YAML::Node& node = node_;  // the const operator[] never inserts the key
    return node[key];
  }

  YAML::Node required(const std::string& key) {
    const YAML::Node value = optional(key);
    if (!value) fail_invalid("missing key '" + full(key) + "' in " + source_);
    return value;
  }

  [[noreturn]] void fail_value(const std::string& key, const std::string& why) const {
    fail_invalid("key '" + full(key) + "' in " + source_ + " " + why);
  }

  [[noreturn]] void type_error(const YAML::Node& value, const std::string& key,
                               const std::string& expected) const {
    const std::string found = value.IsScalar()     ? "'" + value.Scalar() + "'"
                              : value.IsNull()     ? "nothing"
                              : value.IsSequence() ? "a list"
                                                   : "a mapping";
    fail_invalid("key '" + key + "' in " + source_ + " must be " + expected + ", not " + found +
                 line_of(value));
  }

  int to_int(const YAML::Node& value, const std::string& key) const {
    if (value.IsScalar()) {
      int i = 0;
      if (YAML::convert<int>::decode(value, i)) return i;
      // As in the reference (pydantic), a float with no fractional part is an integer.
      double d = 0;
      if (YAML::convert<double>::decode(value, d) && std::isfinite(d) && d == std::floor(d) &&
          std::fabs(d) < 2147483648.0) {
        return static_cast<int>(d);
      }
    }
    type_error(value, key, "an integer");
  }

  double to_double(const YAML::Node& value, const std::string& key) const {
    double d = 0;
    if (value.IsScalar() && YAML::convert<double>::decode(value, d)) return d;
    type_error(value, key, "a number");
  }

  std::string to_string(const YAML::Node& value, const std::string& key) const {
    if (!value.IsScalar()) type_error(value, key, "a string");
    return value.Scalar();
  }

  [[noreturn]] static void fail_invalid(const std::string& message) {
    throw Error(ErrorCode::kInvalidData, message);
  }

  YAML::Node node_;
  std::string key_path_;
  const std::string& source_;
  std::set<std::string> known_;
};

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Plain relative paths are relative to the YAML's folder (not the working directory, unlike the
// reference) so that a config and its weights can be moved together.
std::string resolve_path(const std::string& value, const fs::path& base_dir) {
  for (const char* scheme : {"hf://", "http://", "https://", "file://"}) {
    if (starts_with(value, scheme)) return value;
  }
  if (value.empty() || fs::path(value).is_absolute()) return value;
  return (base_dir / value).lexically_normal().string();
}

std::optional<std::string> resolve_optional(const std::optional<std::string>& value,
                                            const fs::path& base_dir) {
  if (!value) return std::nullopt;
  return resolve_path(*value, base_dir);
}

FlowLmConfig read_flow_lm(MappingReader m, const fs::path& base_dir) {
  FlowLmConfig c;
  c.dtype = m.text("dtype");
  {
    MappingReader f = m.child("flow");
    c.flow.dim = f.integer("dim");
    c.flow.depth = f.integer("depth");
    f.finish();
  }
  {
    MappingReader t = m.child("transformer");
    c.transformer.hidden_scale = t.integer("hidden_scale");
    c.transformer.max_period = t.integer("max_period");
    c.transformer.d_model = t.integer("d_model");
    c.transformer.num_heads = t.integer("num_heads");
    c.transformer.num_layers = t.integer("num_layers");
    t.finish();
  }
  {
    MappingReader l = m.child("lookup_table");
    c.lookup_table.dim = l.integer("dim");
    c.lookup_table.n_bins = l.integer("n_bins");
    c.lookup_table.tokenizer = l.text("tokenizer");
    c.lookup_table.tokenizer_path = resolve_path(l.text("tokenizer_path"), base_dir);
    l.finish();
  }
  c.weights_path = resolve_optional(m.optional_text("weights_path"), base_dir);
  c.insert_bos_before_voice = m.optional_boolean("insert_bos_before_voice").value_or(false);
  m.finish();
  return c;
}

MimiConfig read_mimi(MappingReader m, const fs::path& base_dir) {
  MimiConfig c;
  c.dtype = m.text("dtype");
  c.sample_rate = m.integer("sample_rate");
  c.channels = m.integer("channels");
  c.frame_rate = m.number("frame_rate");
  {
    MappingReader s = m.child("seanet");
    c.seanet.dimension = s.integer("dimension");
    c.seanet.channels = s.integer("channels");
    c.seanet.n_filters = s.integer("n_filters");
    c.seanet.n_residual_layers = s.integer("n_residual_layers");
    c.seanet.ratios = s.integers("ratios");
    c.seanet.kernel_size = s.integer("kernel_size");
    c.seanet.residual_kernel_size = s.integer("residual_kernel_size");
    c.seanet.last_kernel_size = s.integer("last_kernel_size");
    c.seanet.dilation_base = s.integer("dilation_base");
    c.seanet.pad_mode = s.text("pad_mode");
    c.seanet.compress = s.integer("compress");
    s.finish();
  }
  {
    MappingReader t = m.child("transformer");
    c.transformer.d_model = t.integer("d_model");
    c.transformer.input_dimension = t.integer("input_dimension");
    c.transformer.output_dimensions = t.integers("output_dimensions");
    c.transformer.num_heads = t.integer("num_heads");
    c.transformer.num_layers = t.integer("num_layers");
    c.transformer.layer_scale = t.number("layer_scale");
    c.transformer.context = t.integer("context");
    c.transformer.max_period = t.optional_number("max_period").value_or(10000.0);
    c.transformer.dim_feedforward = t.integer("dim_feedforward");
    t.finish();
  }
  {
    MappingReader q = m.child("quantizer");
    c.quantizer.dimension = q.integer("dimension");
    c.quantizer.output_dimension = q.integer("output_dimension");
    q.finish();
  }
  c.weights_path = resolve_optional(m.optional_text("weights_path"), base_dir);
  c.inner_dim = m.optional_integer_at_least("inner_dim", 1);
  c.outer_dim = m.optional_integer_at_least("outer_dim", 1);
  m.finish();
  return c;
}

// The key at a dotted path, or an undefined node (const lookups never insert).
YAML::Node find_key(const YAML::Node& root, const std::string& dotted) {
  YAML::Node node = root;
  size_t start = 0;
  while (true) {
    const size_t dot = dotted.find('.', start);
    if (!node.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
    const YAML::Node& parent = node;
    YAML::Node child = parent[dotted.substr(start, dot - start)];
    if (!child) return YAML::Node(YAML::NodeType::Undefined);
    node.reset(child);
    if (dot == std::string::npos) return node;
    start = dot + 1;
  }
}

ConfigSchema schema_of(const YAML::Node& root) {
  for (const char* key : kSchema9514983Keys) {
    if (find_key(root, key)) return ConfigSchema::k9514983;
  }
  return ConfigSchema::k4ae9fb2;
}

bool is_a_file(const fs::path& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in.good() && !in.eof()) {
    throw Error(ErrorCode::kNotFound, "cannot read config file " + path.string());
  }
  return text.str();
}

Config load_yaml_file(const fs::path& path) {
  const fs::path absolute = fs::absolute(path).lexically_normal();
  if (!is_a_file(absolute)) {
    throw Error(ErrorCode::kNotFound, "config file not found: " + absolute.string());
  }
  return parse_config(read_file(absolute), absolute.parent_path().string(), absolute.string());
}

}  // namespace

const char* const kSchema9514983Keys[6] = {"remove_semicolons",
                                           "pad_with_spaces_for_short_inputs",
                                           "model_recommended_frames_after_eos",
                                           "flow_lm.insert_bos_before_voice",
                                           "mimi.inner_dim",
                                           "mimi.outer_dim"};

const char* schema_name(ConfigSchema schema) {
  return schema == ConfigSchema::k9514983 ? "9514983" : "4ae9fb2";
}

Config parse_config(const std::string& yaml_text, const std::string& base_dir,
                    const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw Error(ErrorCode::kInvalidData, "cannot parse " + source + " as YAML: " + e.what());
  }
  const fs::path base = fs::absolute(base_dir.empty() ? fs::path(".") : fs::path(base_dir));
  MappingReader top(root, "", source);
  Config config;
  config.flow_lm = read_flow_lm(top.child("flow_lm"), base);
  config.mimi = read_mimi(top.child("mimi"), base);
  config.weights_path = resolve_optional(top.optional_text("weights_path"), base);
  config.weights_path_without_voice_cloning =
      resolve_optional(top.optional_text("weights_path_without_voice_cloning"), base);
  config.pad_with_spaces_for_short_inputs =
      top.optional_boolean("pad_with_spaces_for_short_inputs").value_or(false);
  config.remove_semicolons = top.optional_boolean("remove_semicolons").value_or(false);
  config.model_recommended_frames_after_eos =
      top.optional_integer_at_least("model_recommended_frames_after_eos", 0);
  top.finish();
  config.schema = schema_of(root);
  config.source = source;
  validate_config(config);
  return config;
}

std::vector<std::string> config_search_dirs() {
  std::vector<std::string> dirs;
  const auto add = [&](const std::string& dir) {
    if (!dir.empty() && std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) {
      dirs.push_back(dir);
    }
  };
  if (const char* env = std::getenv("POCKETTTS_CONFIG_DIR")) add(env);
#ifdef POCKETTTS_CONFIG_DIR
  add(POCKETTTS_CONFIG_DIR);
#endif
#ifdef POCKETTTS_SOURCE_CONFIG_DIR
  add(POCKETTTS_SOURCE_CONFIG_DIR);
#endif
  return dirs;
}

Config load_config(const std::string& variant_or_path) {
  if (variant_or_path.empty()) {
    throw Error(ErrorCode::kInvalidArgument, "no model config given (a variant id or a path)");
  }
  const bool is_path = variant_or_path.find('/') != std::string::npos ||
                       ends_with(variant_or_path, ".yaml") || ends_with(variant_or_path, ".yml");
  if (is_path) return load_yaml_file(variant_or_path);

  const std::vector<std::string> dirs = config_search_dirs();
  for (const std::string& dir : dirs) {
    const fs::path candidate = fs::path(dir) / (variant_or_path + ".yaml");
    if (is_a_file(candidate)) {
      Config config = load_yaml_file(candidate);
      config.variant = variant_or_path;
      return config;
    }
  }
  std::set<std::string> known;
  for (const std::string& dir : dirs) {
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      if (it->path().extension() == ".yaml") known.insert(it->path().stem().string());
    }
  }
  std::string message = "unknown model variant '" + variant_or_path + "': ";
  if (known.empty()) {
    message += "no variants found";
  } else {
    message += "known variants are";
    for (const std::string& id : known) message += " " + id;
  }
  message += " (looked in";
  for (const std::string& dir : dirs) message += " " + dir;
  message += ")";
  throw Error(ErrorCode::kNotFound, message);
}

}  // namespace pockettts
