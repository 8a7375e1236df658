// Float samples to 16-bit integers, as the reference's WAV writer converts them.
#include <pockettts/audio.h>

#include <algorithm>
#include <cmath>

namespace pockettts {

int16_t float_to_s16(float x) {
  if (std::isnan(x)) return 0;
  const float v = std::min(std::max(x, -1.0f), 1.0f) * 32767.0f;
  return static_cast<int16_t>(v);
}

void float_to_s16(const float* in, size_t count, int16_t* out) {
  for (size_t i = 0; i < count; ++i) out[i] = float_to_s16(in[i]);
}

}  // namespace pockettts
