// What `pockettts serve` is started with: the command line's choices, apart from the model's
// LoadOptions (the CLI parses those as for `generate` and loads the model once).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include <pockettts/options.h>

namespace pockettts_serve {

struct ServeOptions {
  std::string host = "localhost";
  int port = 8000;
  std::optional<int> wyoming_port;  // unset: no Wyoming server
  std::string voice;                // default voice; empty: the model's default
  // The generation options of `generate`, applied to every request (so a seeded server is
  // deterministic: every request of the same text and voice gives the same audio).
  pockettts::GenerateOptions generate;
  std::string api_key;       // empty: no authentication
  std::string default_text;  // what the page's text box starts with

  // Many clients at once.
  int max_concurrent = 4;                      // generations running at once (their steps batch)
  int max_queue = 32;                          // requests waiting for a slot; more get 503
  size_t max_text_bytes = 10000;               // longer text: 413
  size_t max_upload_bytes = 20 * 1024 * 1024;  // larger request bodies: 413
  int client_timeout_seconds = 30;  // a client that reads nothing for this long is dropped
  size_t voice_cache_size = 16;     // voice states kept (URLs, names, uploads by content hash)
  size_t max_uploaded_voices = 64;  // voices kept by POST /v1/audio/voices
  bool quiet = false;
};

}  // namespace pockettts_serve
