#include "model/voice_file.h"

#include <ATen/ATen.h>

#include <map>

#include <pockettts/error.h>
#include "formats/tensor_io.h"

namespace pockettts {

namespace {

std::string layer_key(size_t layer) {
  return "transformer.layers." + std::to_string(layer) + ".self_attn";
}

std::string shape_string(at::IntArrayRef shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// Voice tensors are floating point and finite (past a state's end aside, which is never read).
void check_values(const std::string& path, const std::string& name, const at::Tensor& t) {
  if (!at::isFloatingType(t.scalar_type())) {
    throw Error(ErrorCode::kInvalidData, "voice file " + path + ": '" + name + "' holds integers (" +
                                             std::string(c10::toString(t.scalar_type())) +
                                             "), not floating-point values");
  }
  const int64_t bad = first_non_finite(t);
  if (bad >= 0) {
    throw Error(ErrorCode::kInvalidData, "voice file " + path + ": '" + name +
                                             "' holds NaN or an infinite value at element " +
                                             std::to_string(bad) + ": the file is corrupt");
  }
}

}  // namespace

VoiceFile read_voice_file(const std::string& path, const FlowLm& flow_lm) {
  std::map<std::string, at::Tensor> tensors = load_tensors(path);
  VoiceFile voice;
  const int64_t d_model = flow_lm.d_model();
  auto prompt = tensors.find("audio_prompt");
  if (prompt != tensors.end()) {
    const at::Tensor& p = prompt->second;
    if (p.dim() != 3 || p.size(0) != 1 || p.size(1) < 1 || p.size(2) != d_model) {
      std::string made_for;
      if (p.dim() == 3 && p.size(2) != d_model) {
        made_for = " (a voice made for a model of width " + std::to_string(p.size(2)) +
                   "; this model's width is " + std::to_string(d_model) + ")";
      }
      throw Error(ErrorCode::kInvalidData, "voice file " + path + ": audio_prompt has shape " +
                                               shape_string(p.sizes()) +
                                               " but this model needs [1, frames, " +
                                               std::to_string(d_model) + "]" + made_for);
    }
    check_values(path, "audio_prompt", p);
    voice.audio_prompt = p.to(at::kFloat).contiguous();
    return voice;
  }

  // Model-state format: one KV cache per layer, with its length as 4ae9fb2 ("current_end") or
  // 9514983 ("offset") writes it.
  const int64_t heads = flow_lm.num_heads(), head_dim = d_model / heads;
  const int64_t layers = flow_lm.num_layers();
  int64_t file_layers = 0;
  while (tensors.count(layer_key(static_cast<size_t>(file_layers)) + "/cache")) ++file_layers;
  const std::string model_shape = "[2, 1, T, " + std::to_string(heads) + ", " +
                                  std::to_string(head_dim) + "] in each of its " +
                                  std::to_string(layers) + " layers";
  if (file_layers == 0) {
    throw Error(ErrorCode::kInvalidData,
                "voice file " + path +
                    " has neither an 'audio_prompt' tensor nor a model state ('" + layer_key(0) +
                    "/cache'): it is not a Pocket TTS voice");
  }
  if (file_layers != layers) {
    throw Error(ErrorCode::kInvalidData,
                "voice file " + path + " holds the state of a " + std::to_string(file_layers) +
                    "-layer model; this model has " + std::to_string(layers) +
                    " layers: a voice state is made for one model pack (load it with the pack it "
                    "was exported from, or make it again from audio)");
  }
  int64_t length = -1;
  for (int64_t i = 0; i < layers; ++i) {
    const std::string key = layer_key(static_cast<size_t>(i));
    const at::Tensor& c = tensors.at(key + "/cache");
    int64_t n = -1;
    auto end = tensors.find(key + "/current_end");
    auto offset = tensors.find(key + "/offset");
    if (offset != tensors.end()) {
      const at::Tensor& o = offset->second;
      if (o.numel() != 1 || at::isFloatingType(o.scalar_type())) {
        throw Error(ErrorCode::kInvalidData, "voice file " + path + ": '" + offset->first +
                                                 "' must hold one integer, not a tensor of shape " +
                                                 shape_string(o.sizes()));
      }
      n = o.to(at::kLong).item<int64_t>();
    } else if (end != tensors.end()) {
      n = end->second.numel();  // 4ae9fb2 encodes the position as a length
    } else {
      throw Error(ErrorCode::kInvalidData, "voice file " + path + " has '" + key +
                                               "/cache' but neither '" + key + "/offset' nor '" +
                                               key + "/current_end'");
    }
    if (c.dim() != 5 || c.size(0) != 2 || c.size(1) != 1 || c.size(3) != heads ||
        c.size(4) != head_dim) {
      std::string made_for;
      if (c.dim() == 5) {
        made_for = " (a voice made for a model of width " + std::to_string(c.size(3) * c.size(4)) +
                   " in " + std::to_string(c.size(3)) + " heads; this model's width is " +
                   std::to_string(d_model) + " in " + std::to_string(heads) + " heads)";
      }
      throw Error(ErrorCode::kInvalidData, "voice file " + path + ": '" + key +
                                               "/cache' has shape " + shape_string(c.sizes()) +
                                               "; this model needs " + model_shape + made_for);
    }
    if (n < 1 || c.size(2) < n || (length >= 0 && n != length)) {
      throw Error(ErrorCode::kInvalidData,
                  "voice file " + path + ": '" + key + "/cache' has shape " +
                      shape_string(c.sizes()) + " for " + std::to_string(n) +
                      " positions; this model needs " + model_shape +
                      ", at least as long as its position, the same in every layer");
    }
    length = n;
    // Positions past the state's end are never read (the reference leaves NaN there).
    const at::Tensor used = c.narrow(2, 0, n);
    check_values(path, key + "/cache", used);
    voice.state.layers.push_back({used.to(at::kFloat).contiguous(), n});
  }
  voice.has_state = true;
  return voice;
}

void write_audio_prompt(const std::string& path, const at::Tensor& prompt) {
  save_tensors(path, {{"audio_prompt", prompt.contiguous()}});
}

void write_voice_state(const std::string& path, const FlowLmState& state, VoiceStateFormat format) {
  std::map<std::string, at::Tensor> tensors;
  for (size_t i = 0; i < state.layers.size(); ++i) {
    const FlowKvCache& layer = state.layers[i];
    tensors[layer_key(i) + "/cache"] = layer.cache.narrow(2, 0, layer.end).contiguous();
    if (format == VoiceStateFormat::kOffset) {
      tensors[layer_key(i) + "/offset"] = at::full({1}, layer.end, at::kLong);
    } else {
      tensors[layer_key(i) + "/current_end"] = at::zeros({layer.end}, at::kFloat);
    }
  }
  save_tensors(path, tensors);
}

std::string with_safetensors_suffix(const std::string& export_path) {
  // Python's Path drops trailing slashes: "dir/x/" names the file "x".
  std::string path = export_path;
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  const size_t slash = path.find_last_of('/');
  const size_t name_start = slash == std::string::npos ? 0 : slash + 1;
  const size_t dot = path.find_last_of('.');
  // A leading dot (".hidden") is not a suffix, as in Python.
  if (dot != std::string::npos && dot > name_start && dot + 1 < path.size()) {
    return path.substr(0, dot) + ".safetensors";
  }
  return path + ".safetensors";
}

}  // namespace pockettts
