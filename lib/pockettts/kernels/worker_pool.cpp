#include "kernels/worker_pool.h"

#include <sched.h>

#include <atomic>
#include <chrono>

namespace pockettts::kernels {
namespace {

thread_local int t_scope_cores = 1;
thread_local int t_scope_depth = 0;
std::atomic<int> g_compute_threads{0};  // 0: usable_cores()
std::atomic<int> g_busy{0};
std::atomic<WorkerPool*> g_pool{nullptr};  // once shared() made it

}  // namespace

int usable_cores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

int compute_threads() {
  const int n = g_compute_threads.load(std::memory_order_relaxed);
  if (n > 0) return n;
  static const int cores = usable_cores();
  return cores;
}

void set_compute_threads(int threads) { g_compute_threads = std::max(1, threads); }

int busy_threads() { return g_busy.load(std::memory_order_relaxed); }

ComputeScope::ComputeScope(int cores) : previous_(t_scope_cores) {
  t_scope_cores = std::max(1, cores);
  if (t_scope_depth++ == 0) g_busy.fetch_add(1, std::memory_order_relaxed);
}

ComputeScope::~ComputeScope() {
  t_scope_cores = previous_;
  if (--t_scope_depth == 0) {
    g_busy.fetch_sub(1, std::memory_order_relaxed);
    if (WorkerPool* pool = g_pool.load(std::memory_order_acquire)) pool->core_freed();
  }
}

int ComputeScope::current() { return std::min(t_scope_cores, compute_threads()); }

WorkerPool& WorkerPool::shared() {
  static WorkerPool pool(usable_cores() - 1);
  g_pool.store(&pool, std::memory_order_release);
  return pool;
}

WorkerPool::WorkerPool(int helpers) {
  for (int i = 0; i < helpers; ++i) helpers_.emplace_back([this] { helper_loop(); });
}

WorkerPool::~WorkerPool() {
  g_pool = nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  work_.notify_all();
  for (std::thread& t : helpers_) t.join();
}

bool WorkerPool::part_left() const { return fn_ != nullptr && next_ < parts_; }

bool WorkerPool::core_free() const { return busy_threads() < compute_threads(); }

bool WorkerPool::take_part(int& part) {
  if (!part_left()) return false;
  part = next_++;
  return true;
}

void WorkerPool::core_freed() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (part_left()) work_.notify_one();
}

void WorkerPool::helper_loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  const auto ready = [&] { return stop_ || (part_left() && core_free()); };
  while (true) {
    if (!ready() && core_free()) {
      // A step or a frame is a chain of products microseconds apart: while its core is free,
      // the helper waits for the next one awake for a moment (a futex wake-up costs tens of
      // microseconds, a product's piece not many more).
      const uint64_t seen = jobs_started_.load(std::memory_order_relaxed);
      lock.unlock();
      const auto until = std::chrono::steady_clock::now() + kSpinWait;
      while (jobs_started_.load(std::memory_order_acquire) == seen && core_free() &&
             std::chrono::steady_clock::now() < until) {
#if defined(__x86_64__)
        __builtin_ia32_pause();
#endif
      }
      lock.lock();
    }
    work_.wait(lock, ready);
    if (stop_) return;
    int part = 0;
    while (core_free() && take_part(part)) {
      const PartFn fn = fn_;
      void* const context = context_;
      g_busy.fetch_add(1, std::memory_order_relaxed);
      lock.unlock();
      fn(context, part);
      lock.lock();
      g_busy.fetch_sub(1, std::memory_order_relaxed);
      if (--pending_ == 0) finished_.notify_all();
    }
  }
}

void WorkerPool::run(int parts, PartFn fn, void* context) {
  std::unique_lock<std::mutex> call(call_mutex_, std::try_to_lock);
  if (parts <= 1 || helpers_.empty() || !call.owns_lock()) {
    for (int p = 0; p < parts; ++p) fn(context, p);
    return;
  }
  std::unique_lock<std::mutex> lock(mutex_);
  fn_ = fn;
  context_ = context;
  next_ = 0;
  parts_ = parts;
  pending_ = parts;
  jobs_started_.fetch_add(1, std::memory_order_release);
  if (core_free()) work_.notify_all();
  int part = 0;
  while (take_part(part)) {  // the caller works too
    lock.unlock();
    fn(context, part);
    lock.lock();
    --pending_;
  }
  finished_.wait(lock, [&] { return pending_ == 0; });
  fn_ = nullptr;
}

}  // namespace pockettts::kernels
