// libFuzzer target: the safetensors reader on any bytes. Every input either opens (and then each
// tensor's bytes can be read) or throws pockettts::Error; anything else is a finding.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include <pockettts/error.h>
#include "formats/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The reader maps a file: the input goes to one in memory-backed /dev/shm when there is one.
  static const std::string path = [] {
    const char* dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    return std::string(dir) + "/pockettts-fuzz-" + std::to_string(getpid()) + ".safetensors";
  }();
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return 0;
  if (size > 0) std::fwrite(data, 1, size, f);
  std::fclose(f);
  try {
    auto file = pockettts::SafetensorsFile::open(path);
    for (const auto& t : file->tensors()) {
      volatile float sink = 0;
      for (float v : pockettts::to_float32(t)) sink = sink + v;
      (void)file->find(t.name);
    }
  } catch (const pockettts::Error&) {
  }
  return 0;
}
