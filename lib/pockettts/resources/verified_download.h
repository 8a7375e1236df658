// One HTTP download into its final place, never leaving a broken file there: the body goes to a
// temporary file beside the destination, renamed into place only when the transfer completed and
// its size (and sha256, when known) match what the server announced.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <pockettts/download.h>
#include "resources/http_client.h"

namespace pockettts {

struct ExpectedContent {
  std::optional<uint64_t> size;  // else the response's Content-Length, when it has one
  std::string sha256;            // lowercase hex; not checked when empty
};

// GETs `request` into `destination` (whose folder must exist), reporting progress as `file`.
// Errors: the HTTP status (http_status_error), kNetwork for a transfer cut short ("cut after N
// of M bytes"), kInvalidData for a complete transfer of the wrong size or sha256, kCancelled.
void download_verified(HttpClient& client, const HttpRequest& request,
                       const std::filesystem::path& destination, const ExpectedContent& expected,
                       const std::string& file, const DownloadOptions& options);

}  // namespace pockettts
