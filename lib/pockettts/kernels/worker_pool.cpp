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

bool WorkerPool::core_free() const { return busy_threads() < compute_threads(); }

WorkerPool::Job* WorkerPool::job_with_parts() {
  if (active_ == 0) return nullptr;
  for (Job& job : slots_) {
    if (job.fn != nullptr && job.next < job.parts) return &job;
  }
  return nullptr;
}

void WorkerPool::core_freed() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (job_with_parts() != nullptr) work_.notify_one();
}

void WorkerPool::helper_loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  const auto ready = [&] { return stop_ || (job_with_parts() != nullptr && core_free()); };
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
    while (core_free()) {
      Job* job = job_with_parts();
      if (job == nullptr) break;
      const int part = job->next++;
      g_busy.fetch_add(1, std::memory_order_relaxed);
      lock.unlock();
      job->fn(job->context, part);
      lock.lock();
      g_busy.fetch_sub(1, std::memory_order_relaxed);
      if (--job->pending == 0) finished_.notify_all();
    }
  }
}

void WorkerPool::run(int parts, PartFn fn, void* context) {
  std::unique_lock<std::mutex> lock(mutex_);
  Job* job = nullptr;
  if (parts > 1 && !helpers_.empty()) {
    for (Job& slot : slots_) {
      if (slot.fn == nullptr) {
        job = &slot;
        break;
      }
    }
  }
  if (job == nullptr) {
    lock.unlock();
    for (int p = 0; p < parts; ++p) fn(context, p);
    return;
  }
  *job = Job{fn, context, 0, parts, parts};
  ++active_;
  jobs_started_.fetch_add(1, std::memory_order_release);
  if (core_free()) work_.notify_all();
  while (job->next < job->parts) {  // the caller works too
    const int part = job->next++;
    lock.unlock();
    fn(context, part);
    lock.lock();
    --job->pending;
  }
  finished_.wait(lock, [&] { return job->pending == 0; });
  job->fn = nullptr;
  --active_;
}

}  // namespace pockettts::kernels
