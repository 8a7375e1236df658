// libFuzzer target: the body of POST /v1/audio/speech on any bytes. It must give a request with
// non-empty input or throw SpeechRequestError, never anything else.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "speech_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  try {
    const pockettts_serve::SpeechRequest request = pockettts_serve::parse_speech_request(body);
    if (request.input.empty()) std::abort();
  } catch (const pockettts_serve::SpeechRequestError&) {
  }
  return 0;
}
