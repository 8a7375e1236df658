// The number of threads libtorch uses inside one operation (the `num-threads` property).
#pragma once

namespace pockettts_gst {

// Process-wide: libtorch has one intra-op pool shared by every model and element.
// n <= 0 leaves libtorch's default. The public pockettts API has no such setting yet, so this
// is the one place the plugin talks to libtorch directly.
void set_intra_op_threads(int n);

}  // namespace pockettts_gst
