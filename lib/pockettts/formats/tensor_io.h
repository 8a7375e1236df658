// Safetensors <-> ATen tensors.
#pragma once

#include <ATen/core/Tensor.h>

#include <map>
#include <memory>
#include <string>

namespace pockettts {

class SafetensorsFile;
struct TensorInfo;

// `info` as an F32 tensor. F32 data is used in place (the tensor keeps `file` mapped and
// must not be written); BF16 and F16 are converted.
at::Tensor tensor_as_float(const std::shared_ptr<const SafetensorsFile>& file,
                           const TensorInfo& info);

// The index (in row-major order) of the first NaN or infinite value of a floating-point tensor,
// or -1 when all are finite. A checkpoint or voice with one is corrupt: it would turn the whole
// output into NaN (or, in a prompt, into the NaN that marks the start of speech).
int64_t first_non_finite(const at::Tensor& tensor);

// Loads every tensor of a file (F32; I64 kept as I64). Throws as SafetensorsFile::open.
std::map<std::string, at::Tensor> load_tensors(const std::string& path);

// Writes contiguous CPU tensors (F32 or I64) to a safetensors file.
void save_tensors(const std::string& path, const std::map<std::string, at::Tensor>& tensors);

}  // namespace pockettts
