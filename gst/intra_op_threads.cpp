#include "intra_op_threads.h"

#include <ATen/Parallel.h>

namespace pockettts_gst {

void set_intra_op_threads(int n) {
  if (n > 0 && at::get_num_threads() != n) at::set_num_threads(n);
}

}  // namespace pockettts_gst
