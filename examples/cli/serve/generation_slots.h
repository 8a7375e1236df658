// How many generations run at once (--max-concurrent) and how many requests may wait for one
// (--max-queue). The model batches the steps of all running generations, so more slots raise
// throughput until the CPU is full; the queue keeps a burst from starting hundreds of threads.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>

namespace pockettts_serve {

class GenerationSlots {
 public:
  GenerationSlots(int max_running, int max_queued);

  // A place in the queue, taken when the request arrives; false when the queue is full (503).
  bool enqueue();
  // Waits for a running slot (the caller holds a queue place). Returns false, leaving the
  // queue, when `cancelled` becomes true (checked at every wake-up: call wake() after setting it).
  bool start(const std::atomic<bool>& cancelled);
  void leave_queue();  // gives up a queue place without running
  void finish();       // gives back a running slot
  void wake();         // lets waiting callers look at their cancel flags

  int running() const;
  int queued() const;
  // Called with (running, queued) after every change, for the metrics.
  void on_change(std::function<void(int, int)> callback) { on_change_ = std::move(callback); }

 private:
  void changed();
  const int max_running_;
  const int max_queued_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  int running_ = 0;
  int queued_ = 0;
  std::function<void(int, int)> on_change_;
};

// A running slot held for a scope.
class GenerationSlot {
 public:
  explicit GenerationSlot(GenerationSlots& slots) : slots_(slots) {}
  ~GenerationSlot() { slots_.finish(); }
  GenerationSlot(const GenerationSlot&) = delete;
  GenerationSlot& operator=(const GenerationSlot&) = delete;

 private:
  GenerationSlots& slots_;
};

}  // namespace pockettts_serve
