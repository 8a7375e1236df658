// An unbounded multi-producer queue whose waits end when it is cancelled.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>

namespace pockettts {

template <typename T>
class BlockingQueue {
 public:
  void push(T item) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (cancelled_) return;
      items_.push_back(std::move(item));
    }
    ready_.notify_one();
  }

  // Waits for an item; nullopt once the queue is cancelled.
  std::optional<T> pop() {
    std::unique_lock<std::mutex> lock(mutex_);
    ready_.wait(lock, [&] { return cancelled_ || !items_.empty(); });
    if (cancelled_) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    return item;
  }

  void cancel() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      cancelled_ = true;
      items_.clear();
    }
    ready_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<T> items_;
  bool cancelled_ = false;
};

}  // namespace pockettts
