// From a voice source to the FlowLM state a generation starts from (internal): predefined
// names, voice files in both formats, audio files and URLs, audio in memory.
#pragma once

#include <ATen/core/Tensor.h>

#include <string>

#include <pockettts/audio.h>
#include <pockettts/download.h>

#include "engine/engine.h"

namespace pockettts {

// A predefined voice name, a `.safetensors` voice file (either format), or audio (a path, URI
// or URL) encoded by Mimi. `truncate` keeps the first 30 s of audio.
FlowLmState voice_state_for_source(const Engine& engine, const std::string& source, bool truncate,
                                   const DownloadOptions& download = {});
// Audio at the model rate (channels averaged).
FlowLmState voice_state_for_audio(const Engine& engine, const Audio& audio, bool truncate);

// The prompt [1, T, d_model] of audio at the model rate (channels averaged).
at::Tensor prompt_for_audio(const Engine& engine, const Audio& audio);
// A voice source as mono audio at the model rate (first 30 s when truncating).
Audio read_voice_audio(const Engine& engine, const std::string& source, bool truncate,
                       const DownloadOptions& download = {});

// Whether `name` is a predefined voice of the model's pack (of any pack when it has none: such a
// name is then refused with a message rather than looked for as a file).
bool is_predefined_voice_of(const Engine& engine, const std::string& name);

// Throws Error(kUnsupported), saying how to get access, when the model has no voice cloning.
void require_voice_cloning(const Engine& engine);

}  // namespace pockettts
