#include "engine/torch_errors.h"

#include <string>

namespace pockettts {

Error error_from_torch(const c10::Error& error) {
  // what() carries a C++ backtrace in this libtorch; the message alone names the check, the
  // shapes or the index that failed.
  const std::string message = error.what_without_backtrace();
  const bool bad_value = dynamic_cast<const c10::IndexError*>(&error) != nullptr ||
                         dynamic_cast<const c10::ValueError*>(&error) != nullptr ||
                         dynamic_cast<const c10::TypeError*>(&error) != nullptr;
  return Error(bad_value ? ErrorCode::kInvalidData : ErrorCode::kInternal, "libtorch: " + message);
}

std::exception_ptr current_exception_translated() {
  try {
    throw;
  } catch (const c10::Error& error) {
    return std::make_exception_ptr(error_from_torch(error));
  } catch (...) {
    return std::current_exception();
  }
}

}  // namespace pockettts
