#include "weights.h"

#include <ATen/ATen.h>

#include <sstream>

#include "error.h"
#include "safetensors.h"
#include "tensor_io.h"

namespace pockettts {

namespace {
std::string shape_string(at::IntArrayRef shape) {
  std::ostringstream out;
  out << "[";
  for (size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  out << "]";
  return out.str();
}
}  // namespace

std::shared_ptr<Weights> Weights::load(const std::string& path) {
  auto weights = std::make_shared<Weights>();
  weights->file_ = SafetensorsFile::open(path);
  return weights;
}

const std::string& Weights::path() const { return file_->path(); }

at::Tensor Weights::take(const std::string& name, const std::vector<int64_t>& shape) {
  const TensorInfo* info = file_->find(name);
  if (!info) {
    throw Error(ErrorCode::kInvalidData, "weights file " + path() + " has no tensor '" + name +
                                             "' (expected shape " + shape_string(shape) +
                                             "): it is not a checkpoint of this model config");
  }
  if (info->shape != shape) {
    throw Error(ErrorCode::kInvalidData, "tensor '" + name + "' in " + path() + " has shape " +
                                             shape_string(info->shape) + " but the config needs " +
                                             shape_string(shape));
  }
  taken_.insert(name);
  return tensor_as_float(file_, *info);
}

void Weights::check_all_taken() const {
  std::vector<std::string> extra;
  for (const auto& t : file_->tensors()) {
    if (!taken_.count(t.name)) extra.push_back(t.name);
  }
  if (extra.empty()) return;
  std::string list;
  for (size_t i = 0; i < extra.size() && i < 5; ++i) list += (i ? ", '" : "'") + extra[i] + "'";
  if (extra.size() > 5) list += ", ... (" + std::to_string(extra.size()) + " in all)";
  throw Error(ErrorCode::kInvalidData, "weights file " + path() +
                                           " has tensors the config does "
                                           "not use: " +
                                           list + ": it is not a checkpoint of this model config");
}

}  // namespace pockettts
