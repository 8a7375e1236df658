// Optional libtorch overloads of the API, for code that already works with tensors (the
// Python API takes and returns tensors in these places). Requires libtorch's headers.
#pragma once

#include <ATen/core/Tensor.h>

#include <string>

#include <pockettts/tts_model.h>

namespace pockettts {

// audio: float [channels, samples] at the model rate (the Python API's tensor voice prompt).
VoiceState get_state_for_audio_prompt(const TTSModel& model, const at::Tensor& audio,
                                      bool truncate = false);

// generate_audio as a float tensor [samples].
at::Tensor generate_audio_tensor(const TTSModel& model, VoiceState& state, const std::string& text,
                                 const GenerateOptions& options = {});

// The audio_prompt tensor [1, T, d_model] of float audio [channels, samples] at the model rate.
at::Tensor encode_audio_prompt(const TTSModel& model, const at::Tensor& audio);

}  // namespace pockettts
