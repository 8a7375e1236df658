#include "formats/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <limits>
#include <mutex>
#include <random>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

#include <pockettts/error.h>

namespace pockettts {
namespace {

struct DTypeEntry {
  DType dtype;
  const char* name;
  size_t size;
  int sort_rank;  // the Rust crate's enum order, which decides the order tensors are written in
};

constexpr DTypeEntry kDTypes[] = {
    {DType::kBool, "BOOL", 1, 0}, {DType::kU8, "U8", 1, 1},    {DType::kI8, "I8", 1, 2},
    {DType::kI16, "I16", 2, 5},   {DType::kF16, "F16", 2, 7},  {DType::kBF16, "BF16", 2, 8},
    {DType::kI32, "I32", 4, 9},   {DType::kF32, "F32", 4, 11}, {DType::kF64, "F64", 8, 12},
    {DType::kI64, "I64", 8, 13},
};

const DTypeEntry& entry_of(DType dtype) {
  for (const auto& e : kDTypes) {
    if (e.dtype == dtype) return e;
  }
  throw Error(ErrorCode::kInvalidArgument, "unknown safetensors dtype");
}

const DTypeEntry* entry_named(const std::string& name) {
  for (const auto& e : kDTypes) {
    if (name == e.name) return &e;
  }
  return nullptr;
}

// Multiplies the shape and the element size; false when the result does not fit in size_t.
bool byte_length(const std::vector<int64_t>& shape, size_t element_size, size_t* out) {
  size_t n = element_size;
  for (int64_t dim : shape) {
    if (dim < 0) return false;
    const auto d = static_cast<size_t>(dim);
    if (d != 0 && n > std::numeric_limits<size_t>::max() / d) return false;
    n *= d;
  }
  *out = n;
  return true;
}

[[noreturn]] void fail(const std::string& path, const std::string& problem) {
  throw Error(ErrorCode::kInvalidData, "invalid safetensors file '" + path + "': " + problem);
}

std::string in_quotes(const std::string& name) { return "'" + name + "'"; }

std::string errno_text(int err) { return std::strerror(err); }

// The header as parsed: the tensors in header order plus the metadata.
struct ParsedHeader {
  std::vector<TensorInfo> tensors;
  std::vector<std::pair<size_t, size_t>> offsets;  // [begin, end) in the data section
  std::map<std::string, std::string> metadata;
};

uint64_t read_u64_le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

ParsedHeader parse_header(const std::string& path, const char* text, size_t length,
                          size_t data_size) {
  using Json = nlohmann::ordered_json;
  // The JSON library keeps only the last of two equal keys; the callback sees them all.
  std::set<std::string> seen;
  std::string duplicate;
  const Json::parser_callback_t on_event = [&](int depth, Json::parse_event_t event, Json& parsed) {
    if (event == Json::parse_event_t::key && depth == 1) {
      const std::string key = parsed.get<std::string>();
      if (!seen.insert(key).second && duplicate.empty()) duplicate = key;
    }
    return true;
  };
  Json header;
  try {
    header = Json::parse(text, text + length, on_event);
  } catch (const Json::exception& e) {
    fail(path, std::string("the header is not valid JSON (") + e.what() + ")");
  }
  if (!duplicate.empty()) fail(path, "the header names tensor " + in_quotes(duplicate) + " twice");
  if (!header.is_object()) fail(path, "the header is not a JSON object");

  ParsedHeader out;
  for (const auto& [name, value] : header.items()) {
    if (name == "__metadata__") {
      if (!value.is_object()) fail(path, "__metadata__ is not an object");
      for (const auto& [key, v] : value.items()) {
        if (!v.is_string()) fail(path, "__metadata__ value " + in_quotes(key) + " is not a string");
        out.metadata[key] = v.get<std::string>();
      }
      continue;
    }
    const std::string what = "tensor " + in_quotes(name);
    if (!value.is_object()) fail(path, what + " is not described by a JSON object");
    for (const auto& [key, unused] : value.items()) {
      (void)unused;
      if (key != "dtype" && key != "shape" && key != "data_offsets") {
        fail(path, what + " has an unknown field " + in_quotes(key));
      }
    }
    for (const char* key : {"dtype", "shape", "data_offsets"}) {
      if (!value.contains(key)) fail(path, what + " has no '" + key + "'");
    }
    const Json& dtype_json = value["dtype"];
    if (!dtype_json.is_string()) fail(path, what + " has a dtype that is not a string");
    const DTypeEntry* dtype = entry_named(dtype_json.get<std::string>());
    if (dtype == nullptr) {
      fail(path, what + " has unknown dtype " + in_quotes(dtype_json.get<std::string>()));
    }

    const Json& shape_json = value["shape"];
    if (!shape_json.is_array()) fail(path, what + " has a shape that is not a list");
    std::vector<int64_t> shape;
    for (const Json& dim : shape_json) {
      if (!dim.is_number_unsigned() ||
          dim.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        fail(path, what + " has shape " + shape_json.dump() +
                       ", whose dimensions are not all non-negative integers");
      }
      shape.push_back(static_cast<int64_t>(dim.get<uint64_t>()));
    }

    const Json& offsets_json = value["data_offsets"];
    if (!offsets_json.is_array() || offsets_json.size() != 2 ||
        !offsets_json[0].is_number_unsigned() || !offsets_json[1].is_number_unsigned()) {
      fail(path, what + " has data_offsets " + offsets_json.dump() +
                     " instead of two non-negative integers [begin, end]");
    }
    const uint64_t begin = offsets_json[0].get<uint64_t>();
    const uint64_t end = offsets_json[1].get<uint64_t>();
    if (begin > end) {
      fail(path, what + " begins at byte " + std::to_string(begin) + " after its end at byte " +
                     std::to_string(end));
    }
    if (end > data_size) {
      fail(path, what + " ends at byte " + std::to_string(end) +
                     " but the file's data section has " + std::to_string(data_size) +
                     " bytes: the file is truncated");
    }
    size_t expected = 0;
    if (!byte_length(shape, dtype->size, &expected)) {
      fail(path, what + " has shape " + shape_json.dump() + ", too large to address");
    }
    if (expected != end - begin) {
      fail(path, what + " has shape " + shape_json.dump() + " of " + dtype->name +
                     ", which takes " + std::to_string(expected) +
                     " bytes, but its data_offsets span " + std::to_string(end - begin) + " bytes");
    }
    TensorInfo info;
    info.name = name;
    info.dtype = dtype->dtype;
    info.shape = std::move(shape);
    info.nbytes = expected;
    out.tensors.push_back(std::move(info));
    out.offsets.emplace_back(static_cast<size_t>(begin), static_cast<size_t>(end));
  }

  // Overlaps: after sorting by begin, each non-empty range must start at or after the previous
  // non-empty one's end. Empty tensors occupy no bytes and cannot overlap anything.
  std::vector<size_t> order(out.tensors.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return out.offsets[a].first < out.offsets[b].first; });
  const size_t none = std::numeric_limits<size_t>::max();
  size_t previous = none;
  for (size_t i : order) {
    if (out.offsets[i].first == out.offsets[i].second) continue;
    if (previous != none && out.offsets[i].first < out.offsets[previous].second) {
      fail(path, "tensors " + in_quotes(out.tensors[previous].name) + " (bytes " +
                     std::to_string(out.offsets[previous].first) + "-" +
                     std::to_string(out.offsets[previous].second) + ") and " +
                     in_quotes(out.tensors[i].name) + " (bytes " +
                     std::to_string(out.offsets[i].first) + "-" +
                     std::to_string(out.offsets[i].second) + ") overlap");
    }
    previous = i;
  }
  // File order is data order; header order breaks ties (it is the data order for any file
  // written by the reference's library).
  ParsedHeader sorted;
  sorted.metadata = std::move(out.metadata);
  for (size_t i : order) {
    sorted.tensors.push_back(std::move(out.tensors[i]));
    sorted.offsets.push_back(out.offsets[i]);
  }
  return sorted;
}

// Writes all of `size` bytes or returns the errno of the failure.
int write_all(int fd, const void* data, size_t size) {
  const auto* p = static_cast<const uint8_t*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
  return 0;
}

ErrorCode code_for_errno(int err) {
  return (err == ENOENT || err == ENOTDIR) ? ErrorCode::kNotFound : ErrorCode::kInternal;
}

// A new file next to `path` (same filesystem, so rename is atomic), created with the usual
// 0666 & ~umask permissions rather than mkstemp's 0600.
int create_temp_next_to(const std::string& path, std::string* temp_path) {
  static std::atomic<unsigned> counter{0};
  std::random_device random;
  for (int attempt = 0; attempt < 100; ++attempt) {
    *temp_path = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) +
                 "-" + std::to_string(random() % 1000000);
    const int fd = ::open(temp_path->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0 || errno != EEXIST) return fd;
  }
  errno = EEXIST;
  return -1;
}

}  // namespace

const char* dtype_name(DType dtype) { return entry_of(dtype).name; }

size_t dtype_size(DType dtype) { return entry_of(dtype).size; }

int64_t TensorInfo::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

namespace {

// The open mappings, so release_pages() never touches memory that is not one of them.
std::mutex g_mappings_mutex;
std::set<std::pair<uintptr_t, size_t>> g_mappings;

}  // namespace

std::shared_ptr<const SafetensorsFile> SafetensorsFile::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    throw Error(ErrorCode::kNotFound,
                "cannot open safetensors file '" + path + "': " + errno_text(err));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(ErrorCode::kNotFound,
                "cannot open safetensors file '" + path + "': it is not a regular file");
  }
  const auto file_size = static_cast<size_t>(st.st_size);
  if (file_size < 8) {
    ::close(fd);
    fail(path, "the file has " + std::to_string(file_size) +
                   " bytes, fewer than the 8 of the header length: the file is truncated");
  }
  void* mapping = ::mmap(nullptr, file_size, PROT_READ, MAP_PRIVATE, fd, 0);
  const int map_err = errno;
  ::close(fd);  // the mapping keeps the file alive
  if (mapping == MAP_FAILED) {
    throw Error(ErrorCode::kInternal,
                "cannot map safetensors file '" + path + "': " + errno_text(map_err));
  }
  // Owned from here on, so every validation failure below unmaps it.
  std::shared_ptr<SafetensorsFile> file(new SafetensorsFile());
  file->path_ = path;
  file->mapping_ = mapping;
  file->mapping_size_ = file_size;
  {
    std::lock_guard<std::mutex> lock(g_mappings_mutex);
    g_mappings.insert({reinterpret_cast<uintptr_t>(mapping), file_size});
  }

  const auto* bytes = static_cast<const uint8_t*>(mapping);
  const uint64_t header_length = read_u64_le(bytes);
  if (header_length > file_size - 8) {
    fail(path, "the header length is " + std::to_string(header_length) +
                   " bytes but the file has " + "only " + std::to_string(file_size - 8) +
                   " bytes after the length field: the file is truncated or not safetensors");
  }
  const size_t data_begin = 8 + static_cast<size_t>(header_length);
  ParsedHeader header = parse_header(path, reinterpret_cast<const char*>(bytes + 8),
                                     static_cast<size_t>(header_length), file_size - data_begin);
  file->metadata_ = std::move(header.metadata);
  file->tensors_ = std::move(header.tensors);
  for (size_t i = 0; i < file->tensors_.size(); ++i) {
    file->tensors_[i].data = bytes + data_begin + header.offsets[i].first;
    file->index_[file->tensors_[i].name] = i;
  }
  return file;
}

SafetensorsFile::~SafetensorsFile() {
  if (mapping_ == nullptr) return;
  std::lock_guard<std::mutex> lock(g_mappings_mutex);
  g_mappings.erase({reinterpret_cast<uintptr_t>(mapping_), mapping_size_});
  ::munmap(mapping_, mapping_size_);
}

void SafetensorsFile::release_pages(const void* data, size_t bytes) {
  const auto begin = reinterpret_cast<uintptr_t>(data), end = begin + bytes;
  const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t first = (begin + page - 1) / page * page, last = end / page * page;
  if (last <= first) return;
  std::lock_guard<std::mutex> lock(g_mappings_mutex);
  auto it = g_mappings.upper_bound({begin, std::numeric_limits<size_t>::max()});
  if (it == g_mappings.begin()) return;
  --it;
  if (begin < it->first || end > it->first + it->second) return;
  // Private, read-only file pages: dropping them loses nothing.
  ::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
}

const TensorInfo* SafetensorsFile::find(const std::string& name) const {
  const auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

namespace {

float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t mantissa = h & 0x3ffu;
  uint32_t bits = 0;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);  // inf / nan
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else {
    // Subnormal half: normalise it, since every half subnormal is a normal float.
    exponent = 113;
    while ((mantissa & 0x400u) == 0) {
      mantissa <<= 1;
      --exponent;
    }
    bits = sign | (exponent << 23) | ((mantissa & 0x3ffu) << 13);
  }
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

template <typename T>
void widen(const uint8_t* data, size_t count, float* out) {
  for (size_t i = 0; i < count; ++i) {
    T v;
    std::memcpy(&v, data + i * sizeof(T), sizeof(T));
    out[i] = static_cast<float>(v);
  }
}

}  // namespace

std::vector<float> to_float32(const TensorInfo& tensor) {
  const size_t count = tensor.nbytes / dtype_size(tensor.dtype);
  std::vector<float> out(count);
  const uint8_t* p = tensor.data;
  switch (tensor.dtype) {
    case DType::kF32:
      if (count > 0) std::memcpy(out.data(), p, count * sizeof(float));
      break;
    case DType::kBF16:
      for (size_t i = 0; i < count; ++i) {
        uint16_t h;
        std::memcpy(&h, p + 2 * i, 2);
        const uint32_t bits = static_cast<uint32_t>(h) << 16;
        std::memcpy(&out[i], &bits, sizeof(float));
      }
      break;
    case DType::kF16:
      for (size_t i = 0; i < count; ++i) {
        uint16_t h;
        std::memcpy(&h, p + 2 * i, 2);
        out[i] = half_to_float(h);
      }
      break;
    case DType::kF64:
      widen<double>(p, count, out.data());
      break;
    case DType::kI64:
      widen<int64_t>(p, count, out.data());
      break;
    case DType::kI32:
      widen<int32_t>(p, count, out.data());
      break;
    case DType::kI16:
      widen<int16_t>(p, count, out.data());
      break;
    case DType::kI8:
      widen<int8_t>(p, count, out.data());
      break;
    case DType::kU8:
    case DType::kBool:
      widen<uint8_t>(p, count, out.data());
      break;
  }
  return out;
}

void write_safetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  const auto invalid = [&](const std::string& problem) {
    return Error(ErrorCode::kInvalidArgument,
                 "cannot write safetensors file '" + path + "': " + problem);
  };
  std::vector<const TensorToWrite*> order;
  std::vector<size_t> sizes;
  std::set<std::string> names;
  for (const auto& t : tensors) {
    if (t.name == "__metadata__") throw invalid("'__metadata__' is not a valid tensor name");
    if (!names.insert(t.name).second) throw invalid("tensor " + in_quotes(t.name) + " given twice");
    size_t n = 0;
    if (!byte_length(t.shape, dtype_size(t.dtype), &n)) {
      throw invalid("tensor " + in_quotes(t.name) + " has a negative or too large shape");
    }
    if (n > 0 && t.data == nullptr) throw invalid("tensor " + in_quotes(t.name) + " has no data");
    order.push_back(&t);
  }
  // The Rust crate's order: dtype by descending enum rank, then name.
  std::stable_sort(order.begin(), order.end(), [](const TensorToWrite* a, const TensorToWrite* b) {
    const int ra = entry_of(a->dtype).sort_rank;
    const int rb = entry_of(b->dtype).sort_rank;
    return ra != rb ? ra > rb : a->name < b->name;
  });

  // Built by hand because the key order (dtype, shape, data_offsets) is part of the format's
  // byte layout; nlohmann only escapes the strings, the same way Python's json and serde do.
  const auto json_string = [&](const std::string& s) {
    try {
      return nlohmann::json(s).dump();
    } catch (const nlohmann::json::exception&) {
      throw invalid("name or metadata " + in_quotes(s) + " is not valid UTF-8");
    }
  };
  std::string header = "{";
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    bool first = true;
    for (const auto& [key, value] : metadata) {
      if (!first) header += ",";
      first = false;
      header += json_string(key) + ":" + json_string(value);
    }
    header += "}";
  }
  size_t offset = 0;
  for (const TensorToWrite* t : order) {
    size_t n = 0;
    byte_length(t->shape, dtype_size(t->dtype), &n);
    sizes.push_back(n);
    if (header.size() > 1) header += ",";
    header += json_string(t->name) + ":{\"dtype\":\"" + dtype_name(t->dtype) + "\",\"shape\":[";
    for (size_t i = 0; i < t->shape.size(); ++i) {
      if (i > 0) header += ",";
      header += std::to_string(t->shape[i]);
    }
    header +=
        "],\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(offset + n) + "]}";
    offset += n;
  }
  header += "}";
  header.append((8 - header.size() % 8) % 8, ' ');

  uint8_t length_field[8];
  uint64_t length = header.size();
  for (int i = 0; i < 8; ++i) length_field[i] = static_cast<uint8_t>(length >> (8 * i));

  std::string temp_path;
  const int fd = create_temp_next_to(path, &temp_path);
  if (fd < 0) {
    const int err = errno;
    throw Error(code_for_errno(err),
                "cannot write safetensors file '" + path +
                    "': cannot create a file in its folder: " + errno_text(err));
  }
  int err = write_all(fd, length_field, sizeof(length_field));
  if (err == 0) err = write_all(fd, header.data(), header.size());
  for (size_t i = 0; i < order.size() && err == 0; ++i) {
    err = write_all(fd, order[i]->data, sizes[i]);
  }
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err == 0 && ::rename(temp_path.c_str(), path.c_str()) != 0) err = errno;
  if (err != 0) {
    ::unlink(temp_path.c_str());
    throw Error(code_for_errno(err),
                "cannot write safetensors file '" + path + "': " + errno_text(err));
  }
}

}  // namespace pockettts
