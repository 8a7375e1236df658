// libFuzzer target: an HTML form (multipart/form-data with a boundary, or urlencoded, chosen by
// the input's first byte) on any bytes, as POST /tts and POST /v1/audio/voices read it. It must
// give a form or throw FormError, never crash.
#include <cstdint>
#include <string>

#include "form_data.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string content_type = data[0] % 2 ? "multipart/form-data; boundary=XyZ"
                                               : "application/x-www-form-urlencoded";
  const std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    pockettts_serve::parse_form(content_type, body);
  } catch (const pockettts_serve::FormError&) {
  }
  return 0;
}
