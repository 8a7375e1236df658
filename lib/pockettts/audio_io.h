// Decoding audio files and URIs with GStreamer (any format it can play), converted to float
// samples at a chosen rate and channel count. No GStreamer type appears here.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include <pockettts/tts_model.h>

namespace pockettts {

struct AudioReadOptions {
  std::optional<int> sample_rate;     // resample to this rate (GStreamer audioresample)
  std::optional<int> channels;        // downmix/upmix to this many channels
  std::optional<double> max_seconds;  // stop decoding after this much audio
};

// Throws Error(kNotFound) when the file does not exist and Error(kInvalidData) when GStreamer
// cannot decode it (the message says which format or plugin is missing).
Audio read_audio(const std::string& path_or_uri, const AudioReadOptions& options = {});

enum class WavFormat { kS16, kF32 };

// Writes a WAV file incrementally, as audio is generated. On a seekable output the header's
// sizes are patched by finish(); on a pipe (stdout) they say "unknown length" (0xFFFFFFFF
// data size), which players accept for streams. S16 clamps to [-1, 1] and scales by 32767,
// as the reference does.
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
