// Start-up facts worth logging: the BLAS in use decides most of the speed on CPU.
#include <dlfcn.h>
#include <glib.h>

#include <mutex>
#include <string>

#include "common/log.h"

namespace pockettts {

void log_debug(const std::string& message) {
  g_log("pockettts", G_LOG_LEVEL_DEBUG, "%s", message.c_str());
}
void log_info(const std::string& message) {
  g_log("pockettts", G_LOG_LEVEL_INFO, "%s", message.c_str());
}
void log_warning(const std::string& message) {
  g_log("pockettts", G_LOG_LEVEL_WARNING, "%s", message.c_str());
}

std::string blas_description() {
  // libtorch resolves sgemm_ from libblas.so.3; dladdr tells which file that really is.
  void* sgemm = dlsym(RTLD_DEFAULT, "sgemm_");
  std::string file = "unknown";
  Dl_info info{};
  if (sgemm && dladdr(sgemm, &info) && info.dli_fname) file = info.dli_fname;
  using ConfigFn = char* (*)();
  auto openblas_config = reinterpret_cast<ConfigFn>(dlsym(RTLD_DEFAULT, "openblas_get_config"));
  if (openblas_config) return std::string("OpenBLAS ") + openblas_config() + " (" + file + ")";
  return "reference or unknown BLAS (" + file + ")";
}

void log_runtime_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    std::string blas = blas_description();
    if (blas.rfind("OpenBLAS", 0) == 0) {
      log_info("BLAS: " + blas);
    } else {
      log_warning("BLAS: " + blas +
                  ": matrix products will be several times slower than with OpenBLAS "
                  "(install libopenblas0-pthread)");
    }
  });
}

}  // namespace pockettts
