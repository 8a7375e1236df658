// Spare cores for the big products (internal).
//
// The steady state of generation already keeps two threads busy per stream (steps and
// decoding), so products run on the calling thread. But some work has a core to itself that
// would otherwise idle: the text prompt of a stream whose decoder has nothing to do yet, its
// first step, a voice prompt being encoded while no stream generates. There the caller opens a
// ComputeScope with the cores it may use, and the kernels split their outputs across the pool.
// Each output is computed exactly as on one thread: the split never changes a bit.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace pockettts::kernels {

// The cores this process may run on (its CPU affinity), at least 1.
int usable_cores();

// The cores products on this thread may use while the scope lives (default 1). Scopes nest; the
// innermost wins.
class ComputeScope {
 public:
  explicit ComputeScope(int cores);
  ~ComputeScope();
  ComputeScope(const ComputeScope&) = delete;
  ComputeScope& operator=(const ComputeScope&) = delete;
  static int current();

 private:
  int previous_;
};

class WorkerPool {
 public:
  // The process's pool: one helper thread per usable core but one, started on first use.
  static WorkerPool& shared();
  ~WorkerPool();

  // Runs fn(0) .. fn(parts - 1), spread over the calling thread and the helpers, and returns
  // when all are done. fn must not throw. When another call is in progress, every part runs
  // on the calling thread (nobody waits for a busy pool).
  void run(int parts, const std::function<void(int)>& fn);
  int threads() const { return static_cast<int>(helpers_.size()) + 1; }

 private:
  explicit WorkerPool(int helpers);
  void helper_loop();
  bool take_part(int& part);  // with mutex_ held

  std::mutex call_mutex_;  // one parallel call at a time
  std::mutex mutex_;
  std::condition_variable work_, finished_;
  const std::function<void(int)>* job_ = nullptr;
  int next_ = 0, parts_ = 0, pending_ = 0;
  bool stop_ = false;
  std::vector<std::thread> helpers_;
};

constexpr int kPiecesPerCore = 4;

// Splits [0, n) into up to `parts` * kPiecesPerCore contiguous ranges (`parts`: the cores to use),
// multiples of `align` except the last, and runs fn(begin, end) for each through the shared pool.
void parallel_ranges_on_pool(int64_t n, int64_t align, int parts,
                             const std::function<void(int64_t, int64_t)>& fn);

// The same; with one part (the steady state: products on the calling thread) fn runs directly,
// never wrapped in a std::function, so a per-frame product allocates nothing.
template <class Fn>
void parallel_ranges(int64_t n, int64_t align, int parts, const Fn& fn) {
  if (parts <= 1 || n <= align) {
    fn(int64_t{0}, n);
    return;
  }
  parallel_ranges_on_pool(n, align, parts, fn);
}

}  // namespace pockettts::kernels
