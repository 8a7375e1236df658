// Mimi's decoder runs the frames of up to kMaxFrames concurrent streams in one pass over its
// weights (Mimi::decode_frames, batched by engine/stream_scheduler.h): every layer's product
// serves all of them, the rest runs stream by stream. The per-call lists of the streams' rows
// live on the stack (PerFrame), so a batch allocates nothing.
#pragma once

#include <array>
#include <cstddef>

namespace pockettts {

constexpr size_t kMaxFrames = 8;

template <class T>
using PerFrame = std::array<T, kMaxFrames>;

}  // namespace pockettts
