#include "formats/weights.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

#include <sstream>

#include <pockettts/error.h>
#include "formats/safetensors.h"
#include "formats/tensor_io.h"

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

std::shared_ptr<Weights> Weights::random(uint64_t seed) {
  auto weights = std::make_shared<Weights>();
  weights->rng_ = at::make_generator<at::CPUGeneratorImpl>(seed);
  return weights;
}

const std::string& Weights::path() const {
  static const std::string kRandom = "<random weights>";
  return file_ ? file_->path() : kRandom;
}

at::Tensor Weights::random_tensor(const std::string& name, const std::vector<int64_t>& shape) {
  auto ends_with = [&](const std::string& suffix) {
    return name.size() >= suffix.size() &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends_with(".freqs")) {
    const int64_t half = shape[0];
    return at::exp(-std::log(10000.0) * at::arange(half, at::kFloat) / half);
  }
  if (ends_with(".bias") || ends_with("emb_mean")) return at::zeros(shape, at::kFloat);
  if (ends_with(".scale")) return at::full(shape, 0.01, at::kFloat);
  if (shape.size() == 1) return at::ones(shape, at::kFloat);  // norm gains, emb_std, alphas
  int64_t fan_in = 1;
  for (size_t i = 1; i < shape.size(); ++i) fan_in *= shape[i];
  at::Tensor t = at::empty(shape, at::kFloat);
  t.normal_(0.0, 1.0 / std::sqrt(static_cast<double>(fan_in)), *rng_);
  return t;
}

at::Tensor Weights::take(const std::string& name, const std::vector<int64_t>& shape) {
  if (!file_) {
    taken_.insert(name);
    return random_tensor(name, shape);
  }
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
  at::Tensor tensor = tensor_as_float(file_, *info);
  const int64_t bad = first_non_finite(tensor);
  if (bad >= 0) {
    const float value = tensor.reshape({-1})[bad].item<float>();
    throw Error(ErrorCode::kInvalidData, "tensor '" + name + "' in " + path() + " holds " +
                                             (std::isnan(value) ? "NaN" : "an infinite value") +
                                             " at element " + std::to_string(bad) +
                                             ": the weights file is corrupt");
  }
  // The check read every page: give them back, so only what the model goes on reading (every
  // step reads the flow LM's transformer; the text table a few rows a prompt) stays resident.
  release_pages(tensor);
  return tensor;
}

void release_pages(const at::Tensor& tensor) {
  if (tensor.defined() && tensor.is_cpu() && tensor.is_contiguous()) {
    SafetensorsFile::release_pages(tensor.data_ptr(), tensor.nbytes());
  }
}

void Weights::check_all_taken() const {
  if (!file_) return;
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
