// Writing WAV files incrementally, as audio is generated.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include <pockettts/audio.h>

namespace pockettts {

enum class WavFormat { kS16, kF32 };

// On a seekable output the header's sizes are patched by finish(); on a pipe (stdout) they say
// "unknown length" (0xFFFFFFFF data size), which players accept for streams. S16 goes through
// float_to_s16 (clamp to [-1, 1], scale by 32767), as the reference does.
class WavWriter {
 public:
  // path "-" writes to stdout. Throws Error(kNotFound) when the file cannot be created.
  WavWriter(const std::string& path, int sample_rate, int channels, WavFormat format);
  ~WavWriter();  // finishes if finish() was not called (errors swallowed)
  WavWriter(const WavWriter&) = delete;
  WavWriter& operator=(const WavWriter&) = delete;

  void write(const float* samples, size_t count);  // interleaved samples; flushes on a pipe
  void finish();                                   // patches the header, closes the file

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Convenience: a whole Audio to a WAV file.
void write_wav(const std::string& path, const Audio& audio, WavFormat format);

}  // namespace pockettts
