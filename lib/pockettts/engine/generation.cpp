#include "engine/generation.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <limits>
#include <random>
#include <thread>
#include <variant>

#include <pockettts/text.h>
#include "common/log.h"
#include "engine/blocking_queue.h"
#include "engine/torch_errors.h"
#include "kernels/worker_pool.h"

namespace pockettts {

int max_generation_length(int token_count, double frame_rate) {
  const double seconds = token_count / 3.0 + 2.0;
  return static_cast<int>(std::ceil(seconds * frame_rate));
}

namespace {

struct TextChunk {
  std::vector<int64_t> tokens;
  int frames_after_eos;
};

// Silence between chunks (an SSML break), in samples.
struct Pause {
  int64_t samples;
};

// What a stream says, in order.
using ScriptItem = std::variant<TextChunk, Pause>;

// Between the two threads: a new text chunk (new decoder state), a latent, a pause, the end,
// an error.
struct ChunkStart {};
struct Finished {};
using LatentItem = std::variant<ChunkStart, at::Tensor, Pause, Finished, std::exception_ptr>;
using AudioItem = std::variant<std::vector<float>, Pause, Finished, std::exception_ptr>;

class GenerationStream final : public AudioChunkStream {
 public:
  GenerationStream(std::shared_ptr<const Engine> engine, FlowLmState& voice,
                   std::vector<ScriptItem> items, const GenerateOptions& options)
      : engine_(std::move(engine)),
        model_(*engine_),
        voice_(voice),
        items_(std::move(items)),
        copy_state_(options.copy_state),
        base_(options.copy_state ? voice_.clone() : FlowLmState{}),
        sampling_(model_.sampling(options.sampling)) {
    const uint64_t seed = options.seed ? *options.seed : std::random_device{}();
    rng_ = at::make_generator<at::CPUGeneratorImpl>(seed);
    generator_ = std::thread([this] { run_generator(); });
    decoder_ = std::thread([this] { run_decoder(); });
  }

  ~GenerationStream() override {
    cancel();
    generator_.join();
    decoder_.join();
  }

  bool next(std::vector<float>& chunk) override {
    if (finished_) return false;
    if (silence_left_ > 0) return next_silence(chunk);
    std::optional<AudioItem> item = audio_.pop();
    if (!item) throw Error(ErrorCode::kCancelled, "generation was cancelled");
    if (auto* samples = std::get_if<std::vector<float>>(&*item)) {
      chunk = std::move(*samples);
      return true;
    }
    if (auto* pause = std::get_if<Pause>(&*item)) {
      silence_left_ = pause->samples * model_.mimi->channels();
      return next_silence(chunk);
    }
    finished_ = true;
    if (auto* error = std::get_if<std::exception_ptr>(&*item)) std::rethrow_exception(*error);
    return false;
  }

  void cancel() override {
    cancelled_ = true;
    silence_left_ = 0;  // a pause being given out ends too
    latents_.cancel();
    audio_.cancel();
  }

 private:
  // The zeros of a pause, made as they are taken (a queue of them could hold hours of
  // silence): a frame at a time, the last chunk the remainder.
  bool next_silence(std::vector<float>& chunk) {
    if (cancelled_) throw Error(ErrorCode::kCancelled, "generation was cancelled");
    const int64_t frame = model_.mimi->frame_size() * model_.mimi->channels();
    const int64_t n = std::min<int64_t>(silence_left_, frame);
    chunk.assign(static_cast<size_t>(n), 0.0f);
    silence_left_ -= n;
    return true;
  }

  void run_generator() {
    try {
      c10::InferenceMode guard;
      size_t last_text = items_.size();
      for (size_t i = 0; i < items_.size(); ++i) {
        if (std::holds_alternative<TextChunk>(items_[i])) last_text = i;
      }
      for (size_t i = 0; i < items_.size(); ++i) {
        if (cancelled_) return;
        if (const auto* pause = std::get_if<Pause>(&items_[i])) {
          latents_.push(*pause);
          continue;
        }
        const TextChunk& chunk = std::get<TextChunk>(items_[i]);
        latents_.push(ChunkStart{});
        if (!copy_state_) {
          generate_chunk(chunk, voice_);
        } else if (i == last_text) {
          generate_chunk(chunk, base_);  // the last chunk may consume the copy
        } else {
          FlowLmState copy = base_.clone();  // every chunk starts from the voice alone
          generate_chunk(chunk, copy);
        }
      }
      latents_.push(Finished{});
    } catch (...) {
      latents_.push(current_exception_translated());
    }
  }

  void generate_chunk(const TextChunk& chunk, FlowLmState& state) {
    const FlowLm& flow_lm = *model_.flow_lm;
    const int n_tokens = static_cast<int>(chunk.tokens.size());
    const int max_gen_len = max_generation_length(n_tokens, model_.config.mimi.frame_rate);
    state.reserve(state.length() + n_tokens + max_gen_len);

    at::Tensor tokens = at::tensor(chunk.tokens, at::kLong);
    {
      // The decoder has nothing to do yet: the prompt may take both cores.
      kernels::ComputeScope scope(kernels::compute_threads());
      flow_lm.prompt_text(tokens, state, sampling_, &rng_);
    }

    at::Tensor latent =
        at::full({1, flow_lm.latent_dim()}, std::numeric_limits<float>::quiet_NaN(), at::kFloat);
    std::optional<int> eos_step;
    StreamScheduler::Session session(*model_.scheduler);  // generating: steps batched with others
    for (int step = 0; step < max_gen_len; ++step) {
      if (cancelled_) return;
      FlowStep out = model_.scheduler->step(latent, state, sampling_, rng_);
      if (out.is_eos && !eos_step) eos_step = step;
      if (eos_step && step >= *eos_step + chunk.frames_after_eos) return;
      latents_.push(out.latent);
      latent = out.latent;
    }
    log_warning("maximum generation length (" + std::to_string(max_gen_len) +
                " frames) reached without end of speech; this often indicates an error");
  }

  void run_decoder() {
    try {
      c10::InferenceMode guard;
      const Mimi& mimi = *model_.mimi;
      MimiDecoderState state = mimi.init_decoder_state();
      std::vector<float> denormalized(static_cast<size_t>(mimi.latent_dim()));
      while (true) {
        std::optional<LatentItem> item = latents_.pop();
        if (!item) return;  // cancelled
        if (std::holds_alternative<ChunkStart>(*item)) {
          state = mimi.init_decoder_state();  // a new decoder state per text chunk
        } else if (auto* latent = std::get_if<at::Tensor>(&*item)) {
          // The frame's samples are the one allocation: they are handed to the consumer.
          std::vector<float> samples(static_cast<size_t>(mimi.frame_size() * mimi.channels()));
          model_.flow_lm->denormalize(latent->data_ptr<float>(), denormalized.data());
          // Batched with the frames of the streams decoding meanwhile (stream_scheduler.h).
          model_.scheduler->decode(denormalized.data(), state, samples.data());
          audio_.push(std::move(samples));
        } else if (auto* pause = std::get_if<Pause>(&*item)) {
          audio_.push(*pause);  // in order with the frames; next() makes the zeros
        } else if (auto* error = std::get_if<std::exception_ptr>(&*item)) {
          audio_.push(*error);
          return;
        } else {
          audio_.push(Finished{});
          return;
        }
      }
    } catch (...) {
      audio_.push(current_exception_translated());
    }
  }

  std::shared_ptr<const Engine> engine_;  // keeps the weights alive while threads run
  const Engine& model_;
  FlowLmState& voice_;
  std::vector<ScriptItem> items_;
  bool copy_state_;
  FlowLmState base_;  // copy_state: the voice as it was when the stream started
  SamplingOptions sampling_;
  at::Generator rng_;
  BlockingQueue<LatentItem> latents_;
  BlockingQueue<AudioItem> audio_;
  std::atomic<bool> cancelled_{false};
  bool finished_ = false;
  std::atomic<int64_t> silence_left_{0};  // samples of the current pause not yet given out
  std::thread generator_, decoder_;
};

}  // namespace

namespace {

void check_options(const GenerateOptions& options) {
  if (options.max_tokens < 1) {
    throw Error(ErrorCode::kInvalidArgument, "max_tokens must be at least 1");
  }
  if (options.frames_after_eos && *options.frames_after_eos < 0) {
    throw Error(ErrorCode::kInvalidArgument, "frames_after_eos must not be negative");
  }
}

// Plain text as the reference speaks it: split into chunks, each tokenized as split.
void append_text_chunks(const Engine& model, const std::string& text,
                        const GenerateOptions& options, std::vector<ScriptItem>& items) {
  for (const std::string& chunk_text : split_into_best_sentences(
           *model.tokenizer, text, options.max_tokens, model.behaviour.text)) {
    // The reference feeds the chunk as split, not its prepared form: kept, the golden data
    // depends on it. Preparing it only gives the frames-after-EOS guess.
    TextChunk chunk;
    for (int id : model.tokenizer->encode(chunk_text)) chunk.tokens.push_back(id);
    chunk.frames_after_eos = model.frames_after_eos(options.frames_after_eos, chunk_text);
    items.push_back(std::move(chunk));
  }
}

}  // namespace

std::unique_ptr<AudioChunkStream> start_generation(std::shared_ptr<const Engine> engine,
                                                   FlowLmState& voice, const std::string& text,
                                                   const GenerateOptions& options) {
  if (options.text_format == TextFormat::kSsml) {
    const SpeechScript script = parse_ssml(text);
    for (const std::string& warning : script.warnings) log_warning(warning);
    return start_generation(std::move(engine), voice, script, options);
  }
  check_options(options);
  std::vector<ScriptItem> items;
  append_text_chunks(*engine, text, options, items);
  return std::make_unique<GenerationStream>(std::move(engine), voice, std::move(items), options);
}

std::unique_ptr<AudioChunkStream> start_generation(std::shared_ptr<const Engine> engine,
                                                   FlowLmState& voice, const SpeechScript& script,
                                                   const GenerateOptions& options) {
  check_options(options);
  const Engine& model = *engine;
  std::vector<ScriptItem> items;
  for (const SpeechSegment& segment : script.segments) {
    if (segment.kind == SpeechSegment::Kind::kText) {
      // Between two breaks, text of no-break spaces and the like says nothing: no error.
      if (has_words(segment.text)) append_text_chunks(model, segment.text, options, items);
      continue;
    }
    if (!(segment.break_milliseconds >= 0) || segment.break_milliseconds > kMaxBreakMilliseconds) {
      throw Error(ErrorCode::kInvalidArgument,
                  "a break of " + std::to_string(segment.break_milliseconds) +
                      " ms: breaks are 0 to " +
                      std::to_string(static_cast<int>(kMaxBreakMilliseconds)) + " ms long");
    }
    const int64_t samples =
        break_samples(segment.break_milliseconds, model.config.mimi.sample_rate);
    if (samples > 0) items.push_back(Pause{samples});
  }
  if (items.empty()) {
    throw Error(ErrorCode::kInvalidArgument,
                "the text has nothing to say: no words and no pause of a sample or more");
  }
  return std::make_unique<GenerationStream>(std::move(engine), voice, std::move(items), options);
}

}  // namespace pockettts
