// One error type at the library's boundary: failures raised inside libtorch (c10::Error, e.g.
// a TORCH_CHECK or a shape mismatch in an ATen op) become pockettts::Error, so the element, the
// CLI and applications see a code and a message, never a bare std::exception.
#pragma once

#include <c10/util/Exception.h>

#include <exception>
#include <utility>

#include <pockettts/error.h>

namespace pockettts {

Error error_from_torch(const c10::Error& error);

// The current exception, with a c10::Error translated (for errors handed between threads).
std::exception_ptr current_exception_translated();

// Runs `f`, translating c10 errors.
template <typename F>
auto translate_torch_errors(F&& f) -> decltype(f()) {
  try {
    return std::forward<F>(f)();
  } catch (const c10::Error& error) {
    throw error_from_torch(error);
  }
}

}  // namespace pockettts
