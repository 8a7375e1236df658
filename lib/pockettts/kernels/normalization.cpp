#include "kernels/normalization.h"

#include <cmath>

namespace pockettts::kernels {
namespace {

struct Moments {
  float mean, variance;
};

// Two passes in double: the mean, then the squared deviations from it (biased variance).
Moments moments(const float* x, int64_t width) {
  double sum = 0;
  for (int64_t i = 0; i < width; ++i) sum += x[i];
  const double mean = sum / static_cast<double>(width);
  double squares = 0;
  for (int64_t i = 0; i < width; ++i) {
    const double d = x[i] - mean;
    squares += d * d;
  }
  return {static_cast<float>(mean), static_cast<float>(squares / static_cast<double>(width))};
}

}  // namespace

void layer_norm(const float* x, int64_t rows, int64_t width, const float* weight, const float* bias,
                float eps, float* y) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * width;
    float* yr = y + r * width;
    const Moments m = moments(xr, width);
    const float rstd = 1.0f / std::sqrt(m.variance + eps);
    if (weight != nullptr) {
      for (int64_t i = 0; i < width; ++i) yr[i] = (xr[i] - m.mean) * rstd * weight[i] + bias[i];
    } else {
      for (int64_t i = 0; i < width; ++i) yr[i] = (xr[i] - m.mean) * rstd;
    }
  }
}

}  // namespace pockettts::kernels
