// Audio as the library hands it around, and the one float -> 16-bit conversion every output
// (WAV files, the element's S16LE caps, the server) uses.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace pockettts {

// Audio as float samples, channel-major ([channels][frames] flattened).
struct Audio {
  int sample_rate = 0;
  int channels = 0;
  std::vector<float> samples;
  size_t frames() const { return channels ? samples.size() / static_cast<size_t>(channels) : 0; }
};

// The reference's `(x.clamp(-1, 1) * 32767).short()`: float arithmetic, then truncation toward
// zero. NaN becomes 0.
int16_t float_to_s16(float x);
void float_to_s16(const float* in, size_t count, int16_t* out);

}  // namespace pockettts
