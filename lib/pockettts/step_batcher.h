// Many streams, one model: the generation steps of concurrent streams run together.
//
// A flow-LM step reads every weight of the transformer and the flow MLP once (341 MB in fp32) to
// compute a single row; the same read serves up to Linear::kMaxDenseRows rows at little extra
// cost. So the streams' generator threads hand their steps to one StepBatcher per model, which
// runs whatever is waiting as one FlowLm::step over all of it (flat combining: the thread that
// finds no batch running runs the next one itself; no extra thread, no timer for one stream).
//
// Streams in their step loop are "active" (Session). A batch about to start waits, at most
// kGatherWait, for active streams that have not queued yet: without that, batches that happen to
// split ({A}, {B, C, D}, {A}, ...) would stay split, each paying its own weight read.
//
// Each row gets the bits it would get alone (FlowLm::step), so batching changes the timing only.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <mutex>

#include "flow_lm.h"

namespace pockettts {

class StepBatcher {
 public:
  static constexpr std::chrono::microseconds kGatherWait{2000};

  explicit StepBatcher(const FlowLm& flow_lm);
  StepBatcher(const StepBatcher&) = delete;
  StepBatcher& operator=(const StepBatcher&) = delete;

  // Marks a stream active for its lifetime (around a stream's step loop).
  class Session {
   public:
    explicit Session(StepBatcher& batcher);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

   private:
    StepBatcher& batcher_;
  };

  // FlowLm::step for one stream, run in a batch with the steps other threads are waiting for.
  // Blocks until done; rethrows the batch's error, if any.
  FlowStep step(const at::Tensor& previous_latent, FlowLmState& state, const Sampling& sampling,
                at::Generator& rng);

  // For tests and the benchmark: batches run and rows stepped so far.
  size_t batches_run() const;
  size_t rows_run() const;

 private:
  struct Pending {
    StepRequest request;
    FlowStep result;
    std::exception_ptr error;
    bool done = false;
  };
  void run_batch(std::unique_lock<std::mutex>& lock);

  const FlowLm& flow_lm_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Pending*> queue_;
  bool running_ = false;
  size_t active_ = 0;
  size_t batches_ = 0, rows_ = 0;
};

}  // namespace pockettts
