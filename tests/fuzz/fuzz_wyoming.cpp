// libFuzzer target: the server's Wyoming event reader on any bytes, fed in pieces whose sizes the
// input's first byte chooses. It must give events or throw WyomingProtocolError, never crash,
// and never buffer past its limits; every event it reads encodes and reads back the same.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "wyoming_protocol.h"

using pockettts_serve::WyomingEvent;
using pockettts_serve::WyomingEventReader;
using pockettts_serve::WyomingProtocolError;

namespace {

void check_round_trip(const WyomingEvent& event) {
  WyomingEventReader again;
  const std::string bytes = pockettts_serve::encode_wyoming_event(event);
  again.feed(bytes.data(), bytes.size());
  const auto back = again.next();
  if (!back || back->type != event.type || back->data != event.data ||
      back->payload != event.payload)
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t piece = 1 + data[0] % 64;
  // Small limits, so that the fuzzer reaches them.
  WyomingEventReader reader(512, 1024, 4096);
  try {
    for (size_t at = 1; at < size; at += piece) {
      reader.feed(reinterpret_cast<const char*>(data) + at, std::min(piece, size - at));
      while (auto event = reader.next()) check_round_trip(*event);
      if (reader.buffered() > 512 + 1024 + 4096 + piece) std::abort();
    }
  } catch (const WyomingProtocolError&) {
  }
  return 0;
}
