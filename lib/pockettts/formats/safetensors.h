// Reading and writing the safetensors format (https://github.com/huggingface/safetensors):
// an 8-byte little-endian header length, a JSON header, then the raw tensor bytes.
// The reader maps the file and validates the header before anything is used; no libtorch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace pockettts {

enum class DType { kF64, kF32, kF16, kBF16, kI64, kI32, kI16, kI8, kU8, kBool };

const char* dtype_name(DType dtype);  // "F32", "BF16", ... as in the file format
size_t dtype_size(DType dtype);

struct TensorInfo {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  const uint8_t* data = nullptr;  // points into the mapping; valid while the file is open
  size_t nbytes = 0;
  int64_t numel() const;
};

class SafetensorsFile {
 public:
  // Maps and validates `path`. Throws Error(kNotFound) when it cannot be opened and
  // Error(kInvalidData) naming the file and the problem when it is not valid safetensors.
  static std::shared_ptr<const SafetensorsFile> open(const std::string& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& path() const { return path_; }
  const std::vector<TensorInfo>& tensors() const { return tensors_; }  // in file order
  const TensorInfo* find(const std::string& name) const;               // nullptr when absent
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

  // For data copied out of a mapped file (weights repacked or compressed at load) that will not
  // be read there again: the pages wholly inside [data, data + bytes) leave the process's
  // resident memory (madvise MADV_DONTNEED; read again from the file if ever touched). Does
  // nothing unless the range lies inside the mapping of an open SafetensorsFile.
  static void release_pages(const void* data, size_t bytes);

 private:
  SafetensorsFile() = default;
  std::string path_;
  void* mapping_ = nullptr;
  size_t mapping_size_ = 0;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, size_t> index_;
  std::map<std::string, std::string> metadata_;
};

// The tensor's values as float32, whatever its dtype (F16 and BF16 widen exactly). Reads
// through memcpy, so the data need not be aligned. Assumes a little-endian host.
std::vector<float> to_float32(const TensorInfo& tensor);

struct TensorToWrite {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  const void* data;  // numel * dtype_size bytes, little-endian
};

// Writes the tensors the way the reference's Rust library does (sorted by dtype then name,
// compact JSON header padded with spaces to a multiple of 8). Written to a temporary file
// first and renamed, so a failure never leaves a half-written file behind.
void write_safetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace pockettts
