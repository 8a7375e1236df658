// Model weights by name, loaded strictly: every tensor the model asks for must be in the file
// with the expected shape, and every tensor in the file must be asked for.
#pragma once

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace pockettts {

class SafetensorsFile;

class Weights {
 public:
  // Opens a checkpoint. F32 tensors are used in place from the file mapping (no copy);
  // BF16/F16 are converted to F32 once.
  static std::shared_ptr<Weights> load(const std::string& path);
  // Random weights in any shape asked for (benchmarks): N(0, 1/fan_in) matrices, unit norm
  // gains, zero biases, small layer scales, the reference's time-embedding frequencies.
  static std::shared_ptr<Weights> random(uint64_t seed);

  // The tensor `name` as F32 with exactly `shape`; Error(kInvalidData) naming the key, the
  // file and both shapes otherwise.
  at::Tensor take(const std::string& name, const std::vector<int64_t>& shape);
  // Error(kInvalidData) listing the tensors nobody took (an extra key means a wrong model).
  void check_all_taken() const;
  const std::string& path() const;

 private:
  at::Tensor random_tensor(const std::string& name, const std::vector<int64_t>& shape);

  std::shared_ptr<const SafetensorsFile> file_;  // null for random weights
  std::optional<at::Generator> rng_;
  std::set<std::string> taken_;
};

// A tensor taken from a checkpoint has been copied into another form (packed, compressed) and
// its data will not be read again: its pages of the mapped file leave the resident memory
// (SafetensorsFile::release_pages). Nothing happens for tensors not mapped from a file.
void release_pages(const at::Tensor& tensor);

// A name prefix into Weights, so module code spells the checkpoint's key names:
// vb.pp("layers").pp(i).take("linear1.weight", {ff, d}).
class WeightPath {
 public:
  WeightPath(Weights& weights, std::string prefix)
      : weights_(&weights), prefix_(std::move(prefix)) {}
  WeightPath pp(const std::string& name) const { return {*weights_, join(name)}; }
  WeightPath pp(int index) const { return pp(std::to_string(index)); }
  at::Tensor take(const std::string& name, const std::vector<int64_t>& shape) const {
    return weights_->take(join(name), shape);
  }

 private:
  std::string join(const std::string& name) const {
    return prefix_.empty() ? name : prefix_ + "." + name;
  }
  Weights* weights_;
  std::string prefix_;
};

}  // namespace pockettts
