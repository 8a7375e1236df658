// Library logging through GLib's structured log (domain "pockettts"): silent unless the
// application asks for it (G_MESSAGES_DEBUG=pockettts) or installs a handler.
#pragma once

#include <string>

namespace pockettts {

void log_debug(const std::string& message);
void log_info(const std::string& message);
void log_warning(const std::string& message);

// Which BLAS libtorch's matrix products go through, e.g. "OpenBLAS 0.3.21 (.../libblas.so.3)".
// Logged once per process at the first model load (a slow reference BLAS is a warning).
std::string blas_description();
void log_runtime_once();

}  // namespace pockettts
