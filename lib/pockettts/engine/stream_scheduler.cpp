#include "engine/stream_scheduler.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <thread>
#include <vector>

#include "kernels/worker_pool.h"

namespace pockettts {

StreamScheduler::StreamScheduler(const FlowLm& flow_lm, const Mimi& mimi, int cores)
    : flow_lm_(flow_lm), mimi_(mimi), cores_(cores > 0 ? cores : kernels::usable_cores()) {}

StreamScheduler::Session::Session(StreamScheduler& scheduler) : scheduler_(scheduler) {
  std::lock_guard<std::mutex> lock(scheduler_.mutex_);
  ++scheduler_.active_;
}

StreamScheduler::Session::~Session() {
  {
    std::lock_guard<std::mutex> lock(scheduler_.mutex_);
    --scheduler_.active_;
  }
  scheduler_.changed_.notify_all();  // a gathering batch need not wait for this stream any more
}

FlowStep StreamScheduler::step(const at::Tensor& previous_latent, FlowLmState& state,
                               const SamplingOptions& sampling, at::Generator& rng) {
  Pending me{{&previous_latent, &state, &sampling, &rng}, {}, nullptr, false};
  std::unique_lock<std::mutex> lock(mutex_);
  queue_.push_back(&me);
  changed_.notify_all();
  while (!me.done) {
    if (running_) {
      changed_.wait(lock);
    } else {
      run_batch(lock);
    }
  }
  if (me.error) std::rethrow_exception(me.error);
  return std::move(me.result);
}

void StreamScheduler::decode(const float* latent, MimiDecoderState& state, float* out) {
  PendingFrame me{{latent, &state, out}, nullptr, false};
  std::unique_lock<std::mutex> lock(mutex_);
  frames_.push_back(&me);
  while (!me.done) {
    if (decoding_) {
      decode_changed_.wait(lock);
    } else {
      run_decode_batch(lock);
    }
  }
  if (me.error) std::rethrow_exception(me.error);
}

void StreamScheduler::run_decode_batch(std::unique_lock<std::mutex>& lock) {
  decoding_ = true;
  frame_batch_.clear();
  frame_requests_.clear();
  while (!frames_.empty() && frame_batch_.size() < kMaxFrames) {
    frame_batch_.push_back(frames_.front());
    frame_requests_.push_back(frames_.front()->frame);
    frames_.pop_front();
  }
  lock.unlock();
  std::exception_ptr error;
  try {
    kernels::ComputeScope scope(kernels::compute_threads());  // the step's cores too, once free
    mimi_.decode_frames(frame_requests_.data(), frame_requests_.size());
  } catch (...) {
    error = std::current_exception();
  }
  lock.lock();
  for (PendingFrame* frame : frame_batch_) {
    frame->error = error;
    frame->done = true;
  }
  ++decode_batches_;
  frames_decoded_ += frame_batch_.size();
  decoding_ = false;
  decode_changed_.notify_all();
}

void StreamScheduler::set_gather_wait(std::chrono::microseconds wait) {
  std::lock_guard<std::mutex> lock(mutex_);
  gather_wait_ = wait;
}

void StreamScheduler::run_batch(std::unique_lock<std::mutex>& lock) {
  running_ = true;
  const size_t max_rows = kMaxBatch;
  // Let the active streams that are between two steps join (see the header).
  changed_.wait_for(lock, gather_wait_,
                    [&] { return queue_.size() >= std::min(active_, max_rows); });
  batch_.clear();
  requests_.clear();
  while (!queue_.empty() && batch_.size() < max_rows) {
    batch_.push_back(queue_.front());
    requests_.push_back(queue_.front()->request);
    queue_.pop_front();
  }
  lock.unlock();
  std::exception_ptr error;
  try {
    kernels::ComputeScope scope(cores_);
    flow_lm_.step(requests_, workspace_, results_);
  } catch (...) {
    error = std::current_exception();
  }
  lock.lock();
  for (size_t i = 0; i < batch_.size(); ++i) {
    if (error) {
      batch_[i]->error = error;
    } else {
      batch_[i]->result = std::move(results_[i]);
    }
    batch_[i]->done = true;
  }
  ++batches_;
  rows_ += batch_.size();
  running_ = false;
  changed_.notify_all();
}

size_t StreamScheduler::batches_run() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return batches_;
}

size_t StreamScheduler::rows_run() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return rows_;
}

size_t StreamScheduler::decode_batches_run() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return decode_batches_;
}

size_t StreamScheduler::frames_decoded() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return frames_decoded_;
}

}  // namespace pockettts
