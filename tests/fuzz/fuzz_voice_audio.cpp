// libFuzzer target: a voice prompt's audio file, as the library reads one (read_audio with the
// model's rate, mono, with and without the 30 s truncation of voice_prompt.cpp) on any bytes:
// GStreamer's typefinding and decoders behind our pipeline, bus and conversion handling. A file
// that is not audio must give Error(kInvalidData); what decodes must be mono at the asked rate and
// within max_seconds (NaN samples pass: the voice prompt refuses them, test_bad_input); nothing may
// crash or hang.
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <pockettts/audio_decoder.h>
#include <pockettts/error.h>

namespace {

constexpr int kRate = 24000;  // the model's rate: the conversion the voice prompt asks for

// One file, rewritten for every input (uridecodebin reads files, not memory).
const std::string& input_path() {
  static const std::string path = [] {
    const char* dir = std::getenv("TMPDIR");
    std::string pattern = std::string(dir ? dir : "/tmp") + "/pockettts-fuzz-voice-XXXXXX";
    const int fd = mkstemp(pattern.data());
    if (fd < 0) std::abort();
    close(fd);
    return pattern;
  }();
  return path;
}

void write_input(const uint8_t* data, size_t size) {
  FILE* f = std::fopen(input_path().c_str(), "wb");
  if (f == nullptr) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  write_input(data, size);
  pockettts::AudioReadOptions options;
  options.sample_rate = kRate;
  options.channels = 1;
  // The first byte picks the truncation: a short limit makes the cut-off path reachable.
  const bool truncate = size > 0 && (data[0] & 1);
  if (truncate) options.max_seconds = 0.01;
  try {
    const pockettts::Audio audio = pockettts::read_audio(input_path(), options);
    if (audio.sample_rate != kRate || audio.channels != 1) std::abort();
    if (truncate && audio.frames() > static_cast<size_t>(std::llround(0.01 * kRate))) std::abort();
  } catch (const pockettts::Error& e) {
    if (e.code() != pockettts::ErrorCode::kInvalidData) std::abort();
  }
  return 0;
}
