// The cores of the machine for the big products (internal).
//
// A stream keeps two threads of its own: one steps the flow LM, one decodes with Mimi. Each opens
// a ComputeScope around its work: the thread is then busy (it holds a core), and its big
// products may be split over the pool's helpers. A helper only takes a part on a core no busy
// thread holds. So while the decoder decodes, the step has one core, and the moment it is done
// the step's products run on both; the same the other way round when the step is the shorter
// (int8). Both may have products in the pool at once; the helpers take parts of either. No
// thread ever waits for a core another one holds, and more threads never oversubscribe the
// machine.
// Each output is computed exactly as on one thread: the split never changes a bit.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace pockettts::kernels {

// The cores this process may run on (its CPU affinity), at least 1.
int usable_cores();

// The most cores one product may be split over, and the most threads busy at once before the
// pool's helpers stand back: pockettts::set_compute_threads (default usable_cores()).
int compute_threads();
void set_compute_threads(int threads);

// While it lives, this thread is busy computing and its products may use up to `cores` cores
// (at most compute_threads()). Scopes nest: the innermost gives the cores, the outermost marks
// the thread busy.
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

// The threads computing now: those in a ComputeScope and the helpers running a part.
int busy_threads();

class WorkerPool {
 public:
  // How long a helper with a free core waits awake for the next product before sleeping.
  static constexpr std::chrono::microseconds kSpinWait{200};

  // The process's pool: one helper thread per usable core but one, started on first use.
  static WorkerPool& shared();
  ~WorkerPool();

  // Runs fn(context, 0) .. fn(context, parts - 1) on the calling thread and on helpers that
  // find a free core, and returns when all are done. fn must not throw. Several callers may run
  // at once (a stream's step and its decoder's frame): helpers take parts from any of them.
  using PartFn = void (*)(void* context, int part);
  void run(int parts, PartFn fn, void* context);
  template <class Fn>
  void run(int parts, Fn&& fn) {
    using F = std::remove_reference_t<Fn>;
    run(parts, [](void* f, int part) { (*static_cast<F*>(f))(part); },
        const_cast<void*>(static_cast<const void*>(&fn)));
  }
  int threads() const { return static_cast<int>(helpers_.size()) + 1; }

  // A busy thread became idle: a waiting helper may take a part on its core.
  void core_freed();

 private:
  // One call in progress.
  struct Job {
    PartFn fn = nullptr;
    void* context = nullptr;
    int next = 0, parts = 0, pending = 0;
  };
  // Calls in progress at once; a call that finds every slot taken runs its parts alone.
  static constexpr int kSlots = 8;

  explicit WorkerPool(int helpers);
  void helper_loop();
  Job* job_with_parts();   // with mutex_ held; null if none
  bool core_free() const;

  std::mutex mutex_;
  std::condition_variable work_, finished_;
  Job slots_[kSlots];
  int active_ = 0;                         // slots in use
  std::atomic<uint64_t> jobs_started_{0};  // read by helpers spinning without mutex_
  bool stop_ = false;
  std::vector<std::thread> helpers_;
};

constexpr int kPiecesPerCore = 4;

// Splits [0, n) into up to `parts` * kPiecesPerCore contiguous ranges (`parts`: the cores to use),
// multiples of `align` except the last, and runs fn(begin, end) for each through the shared pool.
// Allocates nothing.
template <class Fn>
void parallel_ranges(int64_t n, int64_t align, int parts, const Fn& fn) {
  if (parts <= 1 || n <= align) {
    fn(int64_t{0}, n);
    return;
  }
  const int64_t units = (n + align - 1) / align;
  // Several pieces per core, taken as they come: a helper that wakes late (tens of
  // microseconds on a busy machine) or finds its core taken leaves its share to the caller.
  const int pieces = static_cast<int>(std::min<int64_t>(int64_t{parts} * kPiecesPerCore, units));
  if (pieces <= 1) {
    fn(int64_t{0}, n);
    return;
  }
  auto piece = [&](int p) {
    const int64_t begin = units * p / pieces * align;
    const int64_t end = std::min(n, units * (p + 1) / pieces * align);
    if (begin < end) fn(begin, end);
  };
  WorkerPool::shared().run(pieces, piece);
}

}  // namespace pockettts::kernels
