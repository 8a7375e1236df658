// Errors thrown by libpockettts. Every failure a user can cause (a missing file, a corrupt
// checkpoint, bad text) arrives as a pockettts::Error whose message says what to fix.
#pragma once

#include <stdexcept>
#include <string>

namespace pockettts {

enum class ErrorCode {
  kNotFound,          // a file, voice or resource does not exist
  kInvalidData,       // a file exists but its content is corrupt, truncated or mis-shaped
  kInvalidArgument,   // the caller passed something unusable (empty text, bad option)
  kUnsupported,       // the request is valid but cannot be served (e.g. no voice cloning)
  kCancelled,         // the operation was cancelled by the caller
  kInternal,          // a bug or an unexpected failure in a lower library
  kPermissionDenied,  // the server refused access (HTTP 401/403: a gated or private repository)
  kNetwork,           // a remote file could not be fetched (unreachable, timeout, cut, 5xx)
};

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

}  // namespace pockettts
