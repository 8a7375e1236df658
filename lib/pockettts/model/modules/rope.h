// Rotary position embedding, computed exactly as the reference's `apply_rope`.
#pragma once

#include <ATen/core/Tensor.h>

#include <utility>

namespace pockettts {

// One attention layer's rotary embedding. The frequencies exp(arange(D/2) * (-log(max_period) *
// 2 / D)) are computed once, with the reference's float32 ops (the same values it recomputes on
// every call); each call then only computes the angles of its own positions.
class Rope {
 public:
  Rope(int64_t head_dim, double max_period);

  // q, k: [B, T, H, D] (may be strided views). `offset`: the position of the first step. Returns
  // rotated (q, k) as [B, T, H, D].
  std::pair<at::Tensor, at::Tensor> apply(const at::Tensor& q, const at::Tensor& k,
                                          int64_t offset) const;
  // One position's rotation in place on plain rows (the steady state: no tensors): q [q_heads,
  // D] and k [k_heads, D], contiguous. The angles are freqs * position in float32, as above.
  void rotate(float* q, int64_t q_heads, float* k, int64_t k_heads, float position) const;

 private:
  std::pair<at::Tensor, at::Tensor> rotate(const at::Tensor& q, const at::Tensor& k,
                                           const at::Tensor& ts_flat) const;
  at::Tensor freqs_;  // [D / 2] float32, contiguous
};

}  // namespace pockettts
