// Downloads: what the library fetches from the Hugging Face hub and plain URLs, how a caller
// watches (progress) and stops them, and fetching ahead of time for offline use.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace pockettts {

struct DownloadProgress {
  enum class Stage {
    kStart,    // the transfer begins (total known for hub files: their metadata has it)
    kReceive,  // more bytes arrived
    kDone,     // the file is complete, verified and in its final place
    kFailed,   // the transfer stopped; `error` says why
  };
  Stage stage = Stage::kStart;
  std::string file;               // what is fetched, e.g. "kyutai/pocket-tts/tokenizer.model"
  std::string url;                // where it is fetched from (before redirects)
  uint64_t bytes = 0;             // received so far
  std::optional<uint64_t> total;  // the file's size, when known
  std::string error;              // kFailed only
};

// Called on the downloading thread; files found in a cache report nothing.
using DownloadProgressCallback = std::function<void(const DownloadProgress&)>;

struct DownloadOptions {
  DownloadProgressCallback progress;
  // Set from any thread to stop a download between two chunks (Error(kCancelled)); the
  // network timeouts bound how long that takes when the server is silent.
  const std::atomic<bool>* cancel = nullptr;
};

// Makes `uri` a local file and returns its path: a local path or file:// as it is, hf:// in the
// Hugging Face hub cache and http(s):// in pockettts' cache ($XDG_CACHE_HOME/pockettts),
// downloaded when missing unless HF_HUB_OFFLINE=1 (docs/models-and-voices.md). Throws Error:
// kNotFound, kPermissionDenied (gated or private), kNetwork, kInvalidData, kCancelled.
std::string fetch_resource(const std::string& uri, const DownloadOptions& options = {});

struct FetchedFile {
  std::string role;  // "config", "tokenizer", "weights", "weights without voice cloning", "voice"
  std::string reference;  // as the config names it (hf://..., a path)
  std::string path;       // where it is on this machine
};

// Fetches what a model config needs for offline use: the config itself when remote, its
// tokenizer and weights (the voice-cloning weights when they can be had, and the public ones
// the reference falls back to). A gated file that is refused is skipped when a fallback exists.
std::vector<FetchedFile> download_model_files(const std::string& config,
                                              const DownloadOptions& options = {});
// Fetches a voice: a predefined name of b6369a24 (its prompt file), an hf:// or http(s):// URL.
FetchedFile download_voice(const std::string& voice, const DownloadOptions& options = {});
// The same with the predefined voices of a model pack (<pockettts/model_packs.h>, voices.h).
FetchedFile download_voice(const std::string& voice, const std::string& model_pack,
                           const DownloadOptions& options);

}  // namespace pockettts
