// A streaming WAV writer: the header first with sizes patched at the end when the output can
// seek, "unknown length" on a pipe.
#include <pockettts/wav_writer.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include <pockettts/audio.h>
#include <pockettts/error.h>

namespace pockettts {

namespace {

constexpr uint32_t kUnknownSize = 0xFFFFFFFFu;

void put_u16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v & 0xFF));
  out.push_back(static_cast<uint8_t>(v >> 8));
}

void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>((v >> (8 * i)) & 0xFF));
}

void put_tag(std::vector<uint8_t>& out, const char* tag) { out.insert(out.end(), tag, tag + 4); }

}  // namespace

struct WavWriter::Impl {
  std::string path;
  FILE* file = nullptr;
  bool is_stdout = false;
  bool seekable = false;
  bool finished = false;
  int channels = 0;
  WavFormat format = WavFormat::kS16;
  uint64_t data_bytes = 0;
  long riff_size_offset = 4;
  long fact_offset = -1;  // position of the fact chunk's sample count (F32 only)
  long data_size_offset = 0;
  std::vector<uint8_t> scratch;

  size_t bytes_per_sample() const { return format == WavFormat::kS16 ? 2 : 4; }

  void write_bytes(const uint8_t* data, size_t size) {
    if (size && std::fwrite(data, 1, size, file) != size) {
      throw Error(ErrorCode::kInternal,
                  "cannot write to " + path + ": " + std::string(std::strerror(errno)));
    }
  }

  void flush() {
    if (std::fflush(file) != 0) {
      throw Error(ErrorCode::kInternal,
                  "cannot write to " + path + ": " + std::string(std::strerror(errno)));
    }
  }

  void write_u32_at(long offset, uint32_t value) {
    std::vector<uint8_t> bytes;
    put_u32(bytes, value);
    if (std::fseek(file, offset, SEEK_SET) != 0) {
      throw Error(ErrorCode::kInternal, "cannot seek in " + path + ": " + std::strerror(errno));
    }
    write_bytes(bytes.data(), bytes.size());
  }
};

WavWriter::WavWriter(const std::string& path, int sample_rate, int channels, WavFormat format)
    : impl_(std::make_unique<Impl>()) {
  if (sample_rate <= 0 || channels <= 0 || channels > 65535) {
    throw Error(ErrorCode::kInvalidArgument, "WAV needs a positive sample rate and channel count");
  }
  Impl& w = *impl_;
  w.path = path;
  w.channels = channels;
  w.format = format;
  if (path == "-") {
    w.file = stdout;
    w.is_stdout = true;
    w.path = "stdout";
  } else {
    w.file = std::fopen(path.c_str(), "wb");
    if (!w.file) {
      throw Error(ErrorCode::kNotFound,
                  "cannot create " + path + ": " + std::string(std::strerror(errno)));
    }
  }
  // Only a regular file can have its header patched; a pipe, a terminal or a character
  // device gets the "unknown length" sizes that streaming players accept.
  struct stat st;
  w.seekable = fstat(fileno(w.file), &st) == 0 && S_ISREG(st.st_mode) &&
               lseek(fileno(w.file), 0, SEEK_CUR) != -1;

  const uint32_t unknown = kUnknownSize;
  const uint16_t bytes = static_cast<uint16_t>(w.bytes_per_sample());
  const uint16_t block_align = static_cast<uint16_t>(bytes * channels);
  std::vector<uint8_t> h;
  put_tag(h, "RIFF");
  put_u32(h, w.seekable ? 0 : unknown);  // patched by finish()
  put_tag(h, "WAVE");
  put_tag(h, "fmt ");
  if (format == WavFormat::kS16) {
    put_u32(h, 16);
    put_u16(h, 1);  // WAVE_FORMAT_PCM
  } else {
    put_u32(h, 18);
    put_u16(h, 3);  // WAVE_FORMAT_IEEE_FLOAT
  }
  put_u16(h, static_cast<uint16_t>(channels));
  put_u32(h, static_cast<uint32_t>(sample_rate));
  put_u32(h, static_cast<uint32_t>(sample_rate) * block_align);
  put_u16(h, block_align);
  put_u16(h, static_cast<uint16_t>(bytes * 8));
  if (format == WavFormat::kF32) {
    // Non-PCM formats carry cbSize and a fact chunk (frame count), as the WAV spec asks.
    put_u16(h, 0);
    put_tag(h, "fact");
    put_u32(h, 4);
    w.fact_offset = static_cast<long>(h.size());
    put_u32(h, w.seekable ? 0 : unknown);
  }
  put_tag(h, "data");
  w.data_size_offset = static_cast<long>(h.size());
  put_u32(h, w.seekable ? 0 : unknown);
  try {
    w.write_bytes(h.data(), h.size());
    if (!w.seekable) w.flush();
  } catch (...) {
    if (!w.is_stdout) std::fclose(w.file);
    throw;
  }
}

WavWriter::~WavWriter() {
  try {
    finish();
  } catch (...) {
    // A destructor must not throw; callers wanting the error call finish() themselves.
  }
}

void WavWriter::write(const float* samples, size_t count) {
  Impl& w = *impl_;
  if (w.finished) throw Error(ErrorCode::kInvalidArgument, "WavWriter: write after finish()");
  if (count % static_cast<size_t>(w.channels) != 0) {
    throw Error(ErrorCode::kInvalidArgument,
                "WavWriter: sample count is not a multiple of the channel count");
  }
  if (count == 0) return;
  w.scratch.clear();
  w.scratch.reserve(count * w.bytes_per_sample());
  if (w.format == WavFormat::kS16) {
    for (size_t i = 0; i < count; ++i)
      put_u16(w.scratch, static_cast<uint16_t>(float_to_s16(samples[i])));
  } else {
    for (size_t i = 0; i < count; ++i) {
      uint32_t bits;
      std::memcpy(&bits, &samples[i], 4);
      put_u32(w.scratch, bits);
    }
  }
  w.write_bytes(w.scratch.data(), w.scratch.size());
  w.data_bytes += w.scratch.size();
  // A listener on a pipe should hear audio as it is generated.
  if (!w.seekable) w.flush();
}

void WavWriter::finish() {
  Impl& w = *impl_;
  if (w.finished) return;
  w.finished = true;
  struct Closer {
    Impl& w;
    ~Closer() {
      if (!w.is_stdout && w.file) std::fclose(w.file);
      w.file = nullptr;
    }
  } closer{w};
  if (w.seekable) {
    // Sizes past 4 GiB cannot be represented: leave them "unknown" as on a stream.
    const uint64_t header = static_cast<uint64_t>(w.data_size_offset) + 4;
    const uint64_t riff = header - 8 + w.data_bytes;
    w.write_u32_at(w.riff_size_offset,
                   riff > kUnknownSize ? kUnknownSize : static_cast<uint32_t>(riff));
    if (w.fact_offset >= 0) {
      const uint64_t frames = w.data_bytes / (w.bytes_per_sample() * w.channels);
      w.write_u32_at(w.fact_offset,
                     frames > kUnknownSize ? kUnknownSize : static_cast<uint32_t>(frames));
    }
    w.write_u32_at(w.data_size_offset, w.data_bytes > kUnknownSize
                                           ? kUnknownSize
                                           : static_cast<uint32_t>(w.data_bytes));
  }
  w.flush();
  if (!w.is_stdout) {
    FILE* file = w.file;
    w.file = nullptr;
    if (std::fclose(file) != 0) {
      throw Error(ErrorCode::kInternal,
                  "cannot write to " + w.path + ": " + std::string(std::strerror(errno)));
    }
  }
}

void write_wav(const std::string& path, const Audio& audio, WavFormat format) {
  if (audio.channels <= 0 || audio.samples.size() % static_cast<size_t>(audio.channels) != 0) {
    throw Error(ErrorCode::kInvalidArgument, "write_wav: samples do not fill whole frames");
  }
  WavWriter writer(path, audio.sample_rate, audio.channels, format);
  const size_t frames = audio.frames();
  const size_t channels = static_cast<size_t>(audio.channels);
  // Audio is channel-major; WAV frames are interleaved. Converted a block at a time.
  constexpr size_t kBlock = 4096;
  std::vector<float> block;
  for (size_t start = 0; start < frames; start += kBlock) {
    const size_t n = std::min(kBlock, frames - start);
    block.resize(n * channels);
    for (size_t f = 0; f < n; ++f) {
      for (size_t c = 0; c < channels; ++c) {
        block[f * channels + c] = audio.samples[c * frames + start + f];
      }
    }
    writer.write(block.data(), block.size());
  }
  writer.finish();
}

}  // namespace pockettts
