// The one place that picks which implementation of every kernel runs (internal): AVX-512 where
// the CPU has it, portable C++ otherwise, chosen once per process at first use.
// POCKETTTS_KERNEL=portable forces the portable kernels; tests switch at run time.
#pragma once

namespace pockettts::kernels {

// Whether the AVX-512 variants are the ones in use.
bool avx512_selected();
// "avx512" or "portable".
const char* selected_kernel_name();
// Forces an implementation ("avx512", "portable", or "auto" for the CPU's best); false (and no
// change) when the name is unknown or the CPU lacks it.
bool select_kernel(const char* name);

}  // namespace pockettts::kernels
