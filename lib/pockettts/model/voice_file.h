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

// How an exported state records its length: 4ae9fb2 writes "<module>/current_end", a tensor
// whose length is the position; 9514983 writes "<module>/offset", int64 [1] holding it. Both are
// read; each pack writes its reference's.
enum class VoiceStateFormat { kCurrentEnd, kOffset };

// Reads either format and checks it against the model's widths and layer count:
// Error(kInvalidData) names the file, what it was made for and what this model needs (a voice
// made for another pack whose widths differ cannot be used).
VoiceFile read_voice_file(const std::string& path, const FlowLm& flow_lm);

void write_audio_prompt(const std::string& path, const at::Tensor& prompt);
void write_voice_state(const std::string& path, const FlowLmState& state,
                       VoiceStateFormat format = VoiceStateFormat::kCurrentEnd);

// Python's Path.with_suffix(".safetensors"): replaces the last suffix, adds one if none.
std::string with_safetensors_suffix(const std::string& path);

}  // namespace pockettts
