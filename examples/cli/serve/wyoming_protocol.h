// The Wyoming protocol's framing (Home Assistant's voice services), from its public
// specification: an event is a JSON header line {"type", "data"?, "data_length"?,
// "payload_length"?, "version"?} ending in '\n', then data_length bytes of JSON merged into
// "data", then payload_length bytes of payload (audio).
//
// Pure functions on bytes, no sockets: a libFuzzer target can feed a reader directly.
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace pockettts_serve {

inline constexpr const char* kWyomingVersion = "1.5.2";

struct WyomingEvent {
  std::string type;
  nlohmann::json data = nlohmann::json::object();
  std::string payload;
};

class WyomingProtocolError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reads events out of a byte stream fed in pieces of any size.
class WyomingEventReader {
 public:
  WyomingEventReader(size_t max_header_bytes = 64 * 1024, size_t max_data_bytes = 1024 * 1024,
                     size_t max_payload_bytes = 16 * 1024 * 1024);
  void feed(const char* bytes, size_t size);
  // The next complete event, or nothing until more bytes come. Throws WyomingProtocolError for
  // a frame that breaks the specification or a limit; the stream cannot be read further then.
  std::optional<WyomingEvent> next();
  size_t buffered() const { return buffer_.size(); }

 private:
  size_t max_header_, max_data_, max_payload_;
  std::string buffer_;
  bool broken_ = false;
};

// The bytes of an event: its data in a block of its own (data_length), as the reference
// implementation writes it.
std::string encode_wyoming_event(const WyomingEvent& event);

}  // namespace pockettts_serve
