#include "audio_encoder.h"

#include <cstdint>
#include <cstring>
#include <vector>

#include <pockettts/audio.h>

namespace pockettts_serve {

namespace {

void put_u32(std::string& out, uint32_t value) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}
void put_u16(std::string& out, uint16_t value) {
  out.push_back(static_cast<char>(value & 0xff));
  out.push_back(static_cast<char>(value >> 8));
}

std::string s16_bytes(const float* samples, size_t count) {
  std::vector<int16_t> s16(count);
  pockettts::float_to_s16(samples, count, s16.data());
  std::string bytes(count * 2, '\0');
  for (size_t i = 0; i < count; ++i) {
    const auto value = static_cast<uint16_t>(s16[i]);
    bytes[2 * i] = static_cast<char>(value & 0xff);
    bytes[2 * i + 1] = static_cast<char>(value >> 8);
  }
  return bytes;
}

class PcmEncoder : public AudioEncoder {
 public:
  const char* content_type() const override { return "audio/pcm"; }
  std::string write(const float* samples, size_t count) override {
    return s16_bytes(samples, count);
  }
  std::string finish() override { return ""; }
};

class WavStreamEncoder : public AudioEncoder {
 public:
  WavStreamEncoder(int sample_rate, double trailing_silence_seconds)
      : header_(reference_wav_header(sample_rate)),
        silence_samples_(static_cast<size_t>(sample_rate * trailing_silence_seconds)) {}
  const char* content_type() const override { return "audio/wav"; }
  std::string write(const float* samples, size_t count) override {
    std::string bytes;
    bytes.swap(header_);  // the header goes out with the first samples
    return bytes + s16_bytes(samples, count);
  }
  std::string finish() override {
    std::string bytes;
    bytes.swap(header_);
    return bytes + std::string(silence_samples_ * 2, '\0');
  }

 private:
  std::string header_;
  size_t silence_samples_;
};

}  // namespace

std::string reference_wav_header(int sample_rate) {
  // Python's wave module with setnframes(1_000_000_000), mono, 16-bit: what the reference's
  // server sends, sizes included (its header is never patched on a stream).
  constexpr uint32_t kDeclaredFrames = 1000000000u;
  const uint32_t data_bytes = kDeclaredFrames * 2u;
  std::string header = "RIFF";
  put_u32(header, 36u + data_bytes);
  header += "WAVEfmt ";
  put_u32(header, 16);
  put_u16(header, 1);  // PCM
  put_u16(header, 1);  // channels
  put_u32(header, static_cast<uint32_t>(sample_rate));
  put_u32(header, static_cast<uint32_t>(sample_rate) * 2u);
  put_u16(header, 2);
  put_u16(header, 16);
  header += "data";
  put_u32(header, data_bytes);
  return header;
}

std::unique_ptr<AudioEncoder> make_wav_encoder(int sample_rate, double trailing_silence_seconds) {
  return std::make_unique<WavStreamEncoder>(sample_rate, trailing_silence_seconds);
}

std::unique_ptr<AudioEncoder> make_pcm_encoder() { return std::make_unique<PcmEncoder>(); }

// make_encoder and missing_encoder_elements: gst_audio_encoder.cpp.

}  // namespace pockettts_serve
