// What a download reports while it runs, and how a caller stops it: plain C++ so the CLI, the
// element and applications can show progress without seeing the HTTP library.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

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

}  // namespace pockettts
