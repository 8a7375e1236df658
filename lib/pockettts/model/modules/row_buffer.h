// A float buffer reused by the plain-row paths (a generation step, a decoded frame): it grows to
// the largest size asked and never shrinks, so once the first step has sized it, the steady
// state allocates nothing.
#pragma once

#include <cstdint>
#include <vector>

namespace pockettts {

class RowBuffer {
 public:
  // At least n floats; the contents are whatever the last user left.
  float* get(int64_t n) {
    if (static_cast<int64_t>(data_.size()) < n) data_.resize(static_cast<size_t>(n));
    return data_.data();
  }

 private:
  std::vector<float> data_;
};

}  // namespace pockettts
