// Rotary position embedding, computed exactly as the reference's `apply_rope`.
#pragma once

#include <ATen/core/Tensor.h>

#include <utility>

namespace pockettts {

// q, k: [B, T, H, D] (may be strided views). `offset`: the position of the first step, an
// integer or a [B] long tensor (Mimi). Returns rotated (q, k) as [B, T, H, D].
std::pair<at::Tensor, at::Tensor> apply_rope(const at::Tensor& q, const at::Tensor& k,
                                             const at::Tensor& offset, double max_period);
std::pair<at::Tensor, at::Tensor> apply_rope(const at::Tensor& q, const at::Tensor& k,
                                             int64_t offset, double max_period);

}  // namespace pockettts
