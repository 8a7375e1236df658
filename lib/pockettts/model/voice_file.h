// Voice files: the `audio_prompt` format ({"audio_prompt": [1, T, d_model]}, written by
// save_audio_prompt and used by the predefined voices) and the exported model-state format
// ("<module>/<key>" tensors: the FlowLM KV caches after the prompt).
#pragma once

#include <ATen/core/Tensor.h>

#include <string>

#include "model/flow_lm.h"

namespace pockettts {

struct VoiceFile {
  at::Tensor audio_prompt;  // defined for the audio_prompt format
  FlowLmState state;        // filled for the model-state format
  bool has_state = false;
};

// Reads either format and checks it against the model's dimensions; Error(kInvalidData)
// names the file and what does not fit.
VoiceFile read_voice_file(const std::string& path, const FlowLm& flow_lm);

void write_audio_prompt(const std::string& path, const at::Tensor& prompt);
void write_voice_state(const std::string& path, const FlowLmState& state);

// Python's Path.with_suffix(".safetensors"): replaces the last suffix, adds one if none.
std::string with_safetensors_suffix(const std::string& path);

}  // namespace pockettts
