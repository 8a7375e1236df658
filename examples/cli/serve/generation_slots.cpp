#include "generation_slots.h"

#include <algorithm>

namespace pockettts_serve {

GenerationSlots::GenerationSlots(int max_running, int max_queued)
    : max_running_(max_running), max_queued_(max_queued) {}

bool GenerationSlots::enqueue() {
  std::unique_lock<std::mutex> lock(mutex_);
  // A request that can start at once never counts against the queue.
  if (queued_ >= max_queued_ + std::max(0, max_running_ - running_)) return false;
  ++queued_;
  lock.unlock();
  changed();
  return true;
}

bool GenerationSlots::start(const std::atomic<bool>& cancelled) {
  std::unique_lock<std::mutex> lock(mutex_);
  wake_.wait(lock, [&] { return cancelled.load() || running_ < max_running_; });
  --queued_;
  const bool started = !cancelled.load();
  if (started) ++running_;
  lock.unlock();
  changed();
  return started;
}

void GenerationSlots::leave_queue() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    --queued_;
  }
  changed();
}

void GenerationSlots::finish() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    --running_;
  }
  wake_.notify_all();
  changed();
}

void GenerationSlots::wake() {
  std::lock_guard<std::mutex> lock(mutex_);
  wake_.notify_all();
}

int GenerationSlots::running() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return running_;
}

int GenerationSlots::queued() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return queued_;
}

void GenerationSlots::changed() {
  if (on_change_) on_change_(running(), queued());
}

}  // namespace pockettts_serve
