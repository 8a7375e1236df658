// Every size the model derives from a config, checked before anything is built from it. The
// schema reader (config.cpp) only checks that each key is there with the right type; one wrong
// number that passes it (5 heads on a width of 64) would otherwise reach the kernels as a buffer
// of the wrong size and corrupt the heap. Here each dimension is checked to be positive and
// within bounds (so that no product of them overflows), and each relation the model relies on
// (heads divide the width, ratios make the frame rate, widths that must agree) to hold.
#pragma once

#include "formats/config.h"

namespace pockettts {

// The largest width, length or count a config may give (all published configs are far below:
// widths of 1024, 24 layers, a context of 250). Products of two such numbers fit in int64.
constexpr int kMaxConfigDimension = 1 << 20;
constexpr int kMaxConfigLayers = 1024;

// Throws Error(kInvalidData) naming `config.source`, the key, its value and the rule it breaks;
// Error(kUnsupported) for a valid shape this library does not implement (not mono).
void validate_config(const Config& config);

}  // namespace pockettts
