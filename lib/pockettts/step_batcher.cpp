#include "step_batcher.h"

#include <ATen/ATen.h>

#include <vector>

#include "modules/linear.h"

namespace pockettts {

StepBatcher::StepBatcher(const FlowLm& flow_lm) : flow_lm_(flow_lm) {}

StepBatcher::Session::Session(StepBatcher& batcher) : batcher_(batcher) {
  std::lock_guard<std::mutex> lock(batcher_.mutex_);
  ++batcher_.active_;
}

StepBatcher::Session::~Session() {
  {
    std::lock_guard<std::mutex> lock(batcher_.mutex_);
    --batcher_.active_;
  }
  batcher_.changed_.notify_all();  // a gathering batch need not wait for this stream any more
}

FlowStep StepBatcher::step(const at::Tensor& previous_latent, FlowLmState& state,
                           const Sampling& sampling, at::Generator& rng) {
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

void StepBatcher::run_batch(std::unique_lock<std::mutex>& lock) {
  running_ = true;
  const size_t max_rows = static_cast<size_t>(Linear::kMaxDenseRows);
  // Let the active streams that are between two steps join (see the header).
  changed_.wait_for(lock, kGatherWait,
                    [&] { return queue_.size() >= std::min(active_, max_rows); });
  std::vector<Pending*> batch;
  std::vector<StepRequest> requests;
  while (!queue_.empty() && batch.size() < max_rows) {
    batch.push_back(queue_.front());
    requests.push_back(queue_.front()->request);
    queue_.pop_front();
  }
  lock.unlock();
  std::vector<FlowStep> results;
  std::exception_ptr error;
  try {
    results = flow_lm_.step(requests);
  } catch (...) {
    error = std::current_exception();
  }
  lock.lock();
  for (size_t i = 0; i < batch.size(); ++i) {
    if (error) {
      batch[i]->error = error;
    } else {
      batch[i]->result = std::move(results[i]);
    }
    batch[i]->done = true;
  }
  ++batches_;
  rows_ += batch.size();
  running_ = false;
  changed_.notify_all();
}

size_t StepBatcher::batches_run() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return batches_;
}

size_t StepBatcher::rows_run() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return rows_;
}

}  // namespace pockettts
