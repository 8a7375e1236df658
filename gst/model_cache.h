// Loaded models shared between element instances.
//
// A model is immutable once loaded and serves any number of streams, so every element that
// asks for the same model on the same device gets the same instance. The cache holds only
// weak references: the model is freed when the last element using it goes back to NULL.
#pragma once

#include <memory>
#include <string>

#include <pockettts/download.h>
#include <pockettts/tts_model.h>

namespace pockettts_gst {

struct ModelRequest {
  std::string config;    // variant id or YAML path
  std::string language;  // a model pack by the reference's language (config left default)
  std::string device;
  pockettts::Precision precision = pockettts::Precision::kFp32;
};

// Returns the loaded model for `request`, loading it when no element holds it (`download`
// watches and stops its downloads). `shared` tells whether an already loaded instance was
// returned. Throws pockettts::Error as load_model does. Sampling options are not part of the
// key: the element passes them with every generation.
std::shared_ptr<const pockettts::TTSModel> acquire_model(
    const ModelRequest& request, const pockettts::DownloadOptions& download = {},
    bool* shared = nullptr);

// The key two requests share a model under: YAML paths made absolute, variant ids as given,
// the language, device and precision.
std::string model_cache_key(const ModelRequest& request);

}  // namespace pockettts_gst
