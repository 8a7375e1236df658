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

}  // namespace

VoiceFile read_voice_file(const std::string& path, const FlowLm& flow_lm) {
  std::map<std::string, at::Tensor> tensors = load_tensors(path);
  VoiceFile voice;
  auto prompt = tensors.find("audio_prompt");
  if (prompt != tensors.end()) {
    const at::Tensor& p = prompt->second;
    if (p.dim() != 3 || p.size(0) != 1 || p.size(1) < 1 || p.size(2) != flow_lm.d_model()) {
      throw Error(ErrorCode::kInvalidData, "voice file " + path + ": audio_prompt has shape " +
                                               shape_string(p.sizes()) +
                                               " but this model needs [1, frames, " +
                                               std::to_string(flow_lm.d_model()) + "]");
    }
    voice.audio_prompt = p.to(at::kFloat).contiguous();
    return voice;
  }

  // Model-state format: one KV cache per layer.
  const int64_t heads = flow_lm.num_heads(), head_dim = flow_lm.d_model() / heads;
  int64_t length = -1;
  for (int64_t i = 0; i < flow_lm.num_layers(); ++i) {
    auto cache = tensors.find(layer_key(i) + "/cache");
    auto end = tensors.find(layer_key(i) + "/current_end");
    if (cache == tensors.end() || end == tensors.end()) {
      throw Error(ErrorCode::kInvalidData,
                  "voice file " + path +
                      " has neither an 'audio_prompt' tensor nor the model "
                      "state of layer " +
                      std::to_string(i) + " ('" + layer_key(i) +
                      "/cache'): it is not a Pocket TTS voice for this model");
    }
    const at::Tensor& c = cache->second;
    const int64_t n = end->second.numel();  // the reference encodes the position as a length
    if (c.dim() != 5 || c.size(0) != 2 || c.size(1) != 1 || c.size(2) < n || c.size(3) != heads ||
        c.size(4) != head_dim || (length >= 0 && n != length) || n < 1) {
      throw Error(ErrorCode::kInvalidData,
                  "voice file " + path + ": '" + cache->first + "' has shape " +
                      shape_string(c.sizes()) + " for " + std::to_string(n) +
                      " positions; this model needs [2, 1, T, " + std::to_string(heads) + ", " +
                      std::to_string(head_dim) + "] with the same T in every layer");
    }
    length = n;
    voice.state.layers.push_back({c.to(at::kFloat).contiguous(), n});
  }
  voice.has_state = true;
  return voice;
}

void write_audio_prompt(const std::string& path, const at::Tensor& prompt) {
  save_tensors(path, {{"audio_prompt", prompt.contiguous()}});
}

void write_voice_state(const std::string& path, const FlowLmState& state) {
  std::map<std::string, at::Tensor> tensors;
  for (size_t i = 0; i < state.layers.size(); ++i) {
    const FlowKvCache& layer = state.layers[i];
    tensors[layer_key(i) + "/cache"] = layer.cache.narrow(2, 0, layer.end).contiguous();
    tensors[layer_key(i) + "/current_end"] = at::zeros({layer.end}, at::kFloat);
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
