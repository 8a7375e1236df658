#include "kernels/dispatch.h"

#include <atomic>
#include <cstdlib>
#include <string>

#include "kernels/matvec.h"

namespace pockettts::kernels {

namespace {

enum Variant : int { kUnresolved = 0, kPortable = 1, kAvx512 = 2 };
std::atomic<int> g_variant{kUnresolved};

bool avx512_available() {
#if defined(__x86_64__)
  return avx512_usable();
#else
  return false;
#endif
}

Variant best_variant() { return avx512_available() ? kAvx512 : kPortable; }

Variant current_variant() {
  int v = g_variant.load(std::memory_order_acquire);
  if (v != kUnresolved) return static_cast<Variant>(v);
  const char* env = std::getenv("POCKETTTS_KERNEL");
  Variant chosen = (env != nullptr && std::string(env) == "portable") ? kPortable : best_variant();
  int expected = kUnresolved;
  // Another thread may have resolved (or a test forced) it meanwhile: its choice wins.
  g_variant.compare_exchange_strong(expected, chosen, std::memory_order_acq_rel);
  return static_cast<Variant>(g_variant.load(std::memory_order_acquire));
}

}  // namespace

bool avx512_selected() { return current_variant() == kAvx512; }

const char* selected_kernel_name() { return avx512_selected() ? "avx512" : "portable"; }

bool select_kernel(const char* name) {
  const std::string n = name != nullptr ? name : "";
  Variant v;
  if (n == "portable") {
    v = kPortable;
  } else if (n == "avx512") {
    if (!avx512_available()) return false;
    v = kAvx512;
  } else if (n == "auto") {
    v = best_variant();
  } else {
    return false;
  }
  g_variant.store(v, std::memory_order_release);
  return true;
}

}  // namespace pockettts::kernels
