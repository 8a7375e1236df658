#include "formats/tensor_io.h"

#include <ATen/ATen.h>

#include <cmath>
#include <cstring>

#include <pockettts/error.h>
#include "formats/safetensors.h"

namespace pockettts {

at::Tensor tensor_as_float(const std::shared_ptr<const SafetensorsFile>& file,
                           const TensorInfo& info) {
  auto opts = at::TensorOptions().device(at::kCPU);
  std::vector<int64_t> shape(info.shape.begin(), info.shape.end());
  void* data = const_cast<uint8_t*>(info.data);
  switch (info.dtype) {
    case DType::kF32: {
      if (reinterpret_cast<uintptr_t>(data) % alignof(float) == 0) {
        auto keep = file;  // the mapping lives as long as any tensor viewing it
        return at::from_blob(
            data, shape, [keep](void*) {}, opts.dtype(at::kFloat));
      }
      at::Tensor copy = at::empty(shape, opts.dtype(at::kFloat));
      std::memcpy(copy.data_ptr(), data, info.nbytes);
      return copy;
    }
    case DType::kBF16:
      return at::from_blob(data, shape, opts.dtype(at::kBFloat16)).to(at::kFloat);
    case DType::kF16:
      return at::from_blob(data, shape, opts.dtype(at::kHalf)).to(at::kFloat);
    case DType::kF64:
      return at::from_blob(data, shape, opts.dtype(at::kDouble)).to(at::kFloat);
    default:
      throw Error(ErrorCode::kInvalidData, "tensor '" + info.name + "' in " + file->path() +
                                               " has dtype " + dtype_name(info.dtype) +
                                               ", expected a floating-point type");
  }
}

int64_t first_non_finite(const at::Tensor& tensor) {
  if (!at::isFloatingType(tensor.scalar_type())) return -1;
  const at::Tensor t = tensor.to(at::kFloat).contiguous();
  const float* p = t.data_ptr<float>();
  const int64_t n = t.numel();
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(p[i])) return i;
  }
  return -1;
}

std::map<std::string, at::Tensor> load_tensors(const std::string& path) {
  auto file = SafetensorsFile::open(path);
  std::map<std::string, at::Tensor> out;
  for (const auto& info : file->tensors()) {
    if (info.dtype == DType::kI64) {
      std::vector<int64_t> shape(info.shape.begin(), info.shape.end());
      out[info.name] = at::from_blob(const_cast<uint8_t*>(info.data), shape,
                                     at::TensorOptions().dtype(at::kLong))
                           .clone();
    } else {
      out[info.name] = tensor_as_float(file, info).clone();
    }
  }
  return out;
}

void save_tensors(const std::string& path, const std::map<std::string, at::Tensor>& tensors) {
  std::vector<at::Tensor> keep;
  std::vector<TensorToWrite> items;
  for (const auto& [name, tensor] : tensors) {
    at::Tensor t = tensor.contiguous().cpu();
    DType dtype;
    if (t.scalar_type() == at::kFloat) {
      dtype = DType::kF32;
    } else if (t.scalar_type() == at::kLong) {
      dtype = DType::kI64;
    } else {
      t = t.to(at::kFloat);
      dtype = DType::kF32;
    }
    keep.push_back(t);
    items.push_back(
        {name, dtype, std::vector<int64_t>(t.sizes().begin(), t.sizes().end()), t.data_ptr()});
  }
  write_safetensors(path, items);
}

}  // namespace pockettts
