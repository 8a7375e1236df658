// Many streams, one model: how the per-frame work of concurrent streams shares the CPU.
//
// Steps. A flow-LM step reads every weight of the transformer and the flow MLP (341 MB in fp32)
// to compute a single row; the same read serves up to kMaxBatch rows at little extra cost. So the
// streams' generator threads hand their steps to the model's scheduler, which runs whatever is
// waiting as one FlowLm::step over all of it (flat combining: the thread that finds no batch
// running runs the next one itself; no extra thread, no timer for a single stream). Streams in
// their step loop are "active" (Session); a batch about to start waits, at most kGatherWait, for
// active streams that have not queued yet: without that, batches that happen to split ({A}, {B, C,
// D}, {A}, ...) would stay split, each paying its own weight read. Each row gets the bits it would
// get alone (FlowLm::step), so batching changes timing only.
//
// Decoding. Every stream decodes its latents with Mimi on a thread of its own, and hands each
// frame to the scheduler, which decodes whatever frames are waiting as one Mimi::decode_frames
// (flat combining again, at most one batch at a time): one read of Mimi's decoder weights (about
// 40 MB) serves every stream's frame, each getting the bits it would get alone. One batch at a
// time also leaves the step the other cores. No gathering wait: frames wait only while a batch
// runs, so they batch where decoding lags, which is where it pays.
//
// Cores. A batch and a frame each run in a kernels::ComputeScope: their big products take the
// cores no other busy thread holds (kernels/worker_pool.h). One stream thus steps on both cores
// while its decoder waits for the next latent, and on one while it decodes.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <mutex>
#include <vector>

#include "model/flow_lm.h"
#include "model/mimi.h"

namespace pockettts {

class StreamScheduler {
 public:
  static constexpr std::chrono::microseconds kGatherWait{2000};
  // Rows per batch: 8 rows cost 1.8x one row (pockettts-kernel-bench, 4096x1024 streamed).
  static constexpr size_t kMaxBatch = 8;

  // `cores`: the CPUs this process may use (0: ask the OS).
  StreamScheduler(const FlowLm& flow_lm, const Mimi& mimi, int cores = 0);
  StreamScheduler(const StreamScheduler&) = delete;
  StreamScheduler& operator=(const StreamScheduler&) = delete;

  // Marks a stream active (generating) for its lifetime: around a stream's step loop.
  class Session {
   public:
    explicit Session(StreamScheduler& scheduler);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

   private:
    StreamScheduler& scheduler_;
  };

  // FlowLm::step for one stream, run in a batch with the steps other threads are waiting for.
  // Blocks until done; rethrows the batch's error, if any.
  FlowStep step(const at::Tensor& previous_latent, FlowLmState& state,
                const SamplingOptions& sampling, at::Generator& rng);

  // Mimi::decode_frame for one stream, decoded in a batch with the frames other streams' decoders
  // are waiting for. Blocks until done; rethrows the batch's error, if any.
  void decode(const float* latent, MimiDecoderState& state, float* out);

  // For tests: how long a batch waits for the active streams (default kGatherWait). A test that
  // asserts batching lengthens it, so that a loaded machine cannot split every batch.
  void set_gather_wait(std::chrono::microseconds wait);

  // For tests and the benchmark: batches run and rows stepped so far.
  size_t batches_run() const;
  size_t rows_run() const;
  // For tests and the benchmark: decoding batches run and frames decoded so far.
  size_t decode_batches_run() const;
  size_t frames_decoded() const;

 private:
  struct Pending {
    StepRequest request;
    FlowStep result;
    std::exception_ptr error;
    bool done = false;
  };
  struct PendingFrame {
    Mimi::Frame frame;
    std::exception_ptr error;
    bool done = false;
  };
  void run_batch(std::unique_lock<std::mutex>& lock);
  void run_decode_batch(std::unique_lock<std::mutex>& lock);

  const FlowLm& flow_lm_;
  const Mimi& mimi_;
  const int cores_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;         // queue, running_, active_
  std::condition_variable decode_changed_;  // frames_, decoding_
  std::deque<Pending*> queue_;
  std::deque<PendingFrame*> frames_;
  bool running_ = false;
  bool decoding_ = false;
  size_t active_ = 0;
  size_t batches_ = 0, rows_ = 0;
  size_t decode_batches_ = 0, frames_decoded_ = 0;
  std::chrono::microseconds gather_wait_ = kGatherWait;
  // Used by the thread running a batch only (running_): kept from batch to batch, so the
  // steady state allocates nothing here.
  FlowStepWorkspace workspace_;
  std::vector<Pending*> batch_;
  std::vector<StepRequest> requests_;
  std::vector<FlowStep> results_;
  // Used by the thread running a decoding batch only (decoding_).
  std::vector<PendingFrame*> frame_batch_;
  std::vector<Mimi::Frame> frame_requests_;
};

}  // namespace pockettts
