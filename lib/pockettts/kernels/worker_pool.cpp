#include "kernels/worker_pool.h"

#include <sched.h>

#include <algorithm>

namespace pockettts::kernels {
namespace {

thread_local int t_scope_cores = 1;

}  // namespace

int usable_cores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

ComputeScope::ComputeScope(int cores) : previous_(t_scope_cores) {
  t_scope_cores = std::max(1, cores);
}
ComputeScope::~ComputeScope() { t_scope_cores = previous_; }
int ComputeScope::current() { return t_scope_cores; }

WorkerPool& WorkerPool::shared() {
  static WorkerPool pool(usable_cores() - 1);
  return pool;
}

WorkerPool::WorkerPool(int helpers) {
  for (int i = 0; i < helpers; ++i) helpers_.emplace_back([this] { helper_loop(); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  work_.notify_all();
  for (std::thread& t : helpers_) t.join();
}

bool WorkerPool::take_part(int& part) {
  if (job_ == nullptr || next_ >= parts_) return false;
  part = next_++;
  return true;
}

void WorkerPool::helper_loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    int part = 0;
    work_.wait(lock, [&] { return stop_ || (job_ != nullptr && next_ < parts_); });
    if (stop_) return;
    while (take_part(part)) {
      const std::function<void(int)>* job = job_;
      lock.unlock();
      (*job)(part);
      lock.lock();
      if (--pending_ == 0) finished_.notify_all();
    }
  }
}

void WorkerPool::run(int parts, const std::function<void(int)>& fn) {
  std::unique_lock<std::mutex> call(call_mutex_, std::try_to_lock);
  if (parts <= 1 || helpers_.empty() || !call.owns_lock()) {
    for (int p = 0; p < parts; ++p) fn(p);
    return;
  }
  std::unique_lock<std::mutex> lock(mutex_);
  job_ = &fn;
  next_ = 0;
  parts_ = parts;
  pending_ = parts;
  work_.notify_all();
  int part = 0;
  while (take_part(part)) {  // the caller works too
    lock.unlock();
    fn(part);
    lock.lock();
    --pending_;
  }
  finished_.wait(lock, [&] { return pending_ == 0; });
  job_ = nullptr;
}

void parallel_ranges_on_pool(int64_t n, int64_t align, int parts,
                             const std::function<void(int64_t, int64_t)>& fn) {
  const int64_t units = (n + align - 1) / align;
  // Several pieces per core, taken as they come: a helper that wakes late (tens of
  // microseconds on a busy machine) still gets its share instead of leaving it to the caller.
  parts = static_cast<int>(std::min<int64_t>(int64_t{parts} * kPiecesPerCore, units));
  if (parts <= 1) {
    fn(0, n);
    return;
  }
  WorkerPool::shared().run(parts, [&](int p) {
    const int64_t begin = units * p / parts * align;
    const int64_t end = std::min(n, units * (p + 1) / parts * align);
    if (begin < end) fn(begin, end);
  });
}

}  // namespace pockettts::kernels
