// libFuzzer target: the config loader (YAML schema and the checks of every derived size) on any
// text. It either gives a Config that passed validate_config or throws pockettts::Error.
#include <cstdint>
#include <string>

#include <pockettts/error.h>
#include "formats/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const pockettts::Config config = pockettts::parse_config(text, "/fuzz", "/fuzz/config.yaml");
    // What the model would derive first: products of validated sizes must not overflow.
    volatile long long hidden = static_cast<long long>(config.flow_lm.transformer.d_model) *
                                config.flow_lm.transformer.hidden_scale;
    (void)hidden;
  } catch (const pockettts::Error&) {
  }
  return 0;
}
