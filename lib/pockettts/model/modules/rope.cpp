#include "model/modules/rope.h"

#include <ATen/ATen.h>

#include <cmath>

namespace pockettts {

Rope::Rope(int64_t head_dim, double max_period) {
  at::Tensor ds = at::arange(head_dim / 2, at::dtype(at::kFloat));
  freqs_ = at::exp(ds * (-std::log(max_period) * 2 / static_cast<double>(head_dim)));
}

void Rope::rotate(float* q, int64_t q_heads, float* k, int64_t k_heads, float position) const {
  const float* freqs = freqs_.data_ptr<float>();
  const int64_t half = freqs_.numel(), D = 2 * half;
  for (int64_t i = 0; i < half; ++i) {
    const float angle = freqs[i] * position;
    const float rotr = std::cos(angle), roti = std::sin(angle);
    // (r, i) pairs are interleaved; the products in the reference's order.
    for (int64_t h = 0; h < q_heads; ++h) {
      float* x = q + h * D + 2 * i;
      const float r = x[0], im = x[1];
      x[0] = r * rotr - im * roti;
      x[1] = r * roti + im * rotr;
    }
    for (int64_t h = 0; h < k_heads; ++h) {
      float* x = k + h * D + 2 * i;
      const float r = x[0], im = x[1];
      x[0] = r * rotr - im * roti;
      x[1] = r * roti + im * rotr;
    }
  }
}

// `ts` holds the float positions [T]; the rest follows the reference op for op, so the
// rotation angles round the same way (freqs * ts in float32, then cos/sin).
std::pair<at::Tensor, at::Tensor> Rope::rotate(const at::Tensor& q, const at::Tensor& k,
                                               const at::Tensor& ts_flat) const {
  const int64_t B = q.size(0), T = q.size(1), H = q.size(2), D = q.size(3);
  const int64_t Hk = k.size(2);
  const at::Tensor& freqs = freqs_;
  at::Tensor ts = ts_flat.view({-1, 1, 1});

  at::Tensor qv = q.view({B, T, H, D / 2, 2});
  at::Tensor kv = k.view({B, T, Hk, D / 2, 2});
  at::Tensor qr = qv.select(-1, 0), qi = qv.select(-1, 1);
  at::Tensor kr = kv.select(-1, 0), ki = kv.select(-1, 1);

  at::Tensor angles = freqs * ts;
  at::Tensor rotr = at::cos(angles);
  at::Tensor roti = at::sin(angles);
  at::Tensor qor = qr * rotr - qi * roti;
  at::Tensor qoi = qr * roti + qi * rotr;
  at::Tensor kor = kr * rotr - ki * roti;
  at::Tensor koi = kr * roti + ki * rotr;

  at::Tensor qo = at::stack({qor, qoi}, -1).view({B, T, H, D});
  at::Tensor ko = at::stack({kor, koi}, -1).view({B, T, Hk, D});
  return {qo, ko};
}

std::pair<at::Tensor, at::Tensor> Rope::apply(const at::Tensor& q, const at::Tensor& k,
                                              int64_t offset) const {
  at::Tensor ts = at::arange(q.size(1), q.options().dtype(at::kFloat));
  ts.add_(offset);
  return rotate(q, k, ts);
}

}  // namespace pockettts
