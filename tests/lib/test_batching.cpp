// Many streams, one model (StreamScheduler, FlowLm::step and Mimi::decode_frames over several
// streams): a batched step or frame gives every stream the bits it gets alone, in every precision
// and with mixed sampling settings, and concurrent streams are really batched.
#include <ATen/CPUGeneratorImpl.h>

#include <atomic>
#include <chrono>
#include <limits>
#include <thread>

#include "model_fixture.h"

using namespace pockettts;
using namespace pockettts_test;

namespace {

std::shared_ptr<const TTSModel> load(Precision precision) {
  LoadOptions options;
  options.config = data_path("tiny/config.yaml");
  options.precision = precision;
  return TTSModel::load_model(options);
}

// Three streams in different places: a fresh voice at its first step (NaN latent), and two that
// already spoke different texts, with their own generators, temperatures and LSD steps.
struct Streams {
  std::vector<FlowLmState> states;
  std::vector<at::Tensor> latents;
  std::vector<SamplingOptions> sampling;
  std::vector<at::Generator> rngs;
};

Streams make_streams(const TTSModel& model, const VoiceState& voice) {
  const FlowLm& lm = *engine_of(model).flow_lm;
  Streams s;
  const char* texts[] = {"", "Hello there.", "A longer sentence, with a comma and more words."};
  for (int i = 0; i < 3; ++i) {
    FlowLmState state = flow_state(voice).clone();
    SamplingOptions sampling;
    sampling.temp = i == 0 ? 0.0 : 0.7;
    sampling.lsd_decode_steps = i == 2 ? 4 : 1;
    if (i == 1) sampling.noise_clamp = 1.5;
    at::Generator rng = at::make_generator<at::CPUGeneratorImpl>(100 + i);
    at::Tensor latent =
        at::full({1, lm.latent_dim()}, std::numeric_limits<float>::quiet_NaN(), at::kFloat);
    if (texts[i][0] != '\0') {
      std::vector<int64_t> ids;
      for (int id : engine_of(model).tokenizer->encode(texts[i])) ids.push_back(id);
      state.reserve(state.length() + static_cast<int64_t>(ids.size()) + 8);
      lm.prompt_text(at::tensor(ids, at::kLong), state, sampling, &rng);
      for (int k = 0; k <= i; ++k) latent = lm.step(latent, state, sampling, rng).latent;
    }
    s.states.push_back(std::move(state));
    s.latents.push_back(latent);
    s.sampling.push_back(sampling);
    s.rngs.push_back(rng);
  }
  return s;
}

void check_batched_equals_alone(Precision precision) {
  c10::InferenceMode guard;
  auto model = load(precision);
  const FlowLm& lm = *engine_of(*model).flow_lm;
  VoiceState voice = model->get_state_for_audio_prompt(voice_wav());
  Streams alone = make_streams(*model, voice), batched = make_streams(*model, voice);

  std::vector<StepRequest> requests;
  for (size_t i = 0; i < 3; ++i)
    requests.push_back(
        {&batched.latents[i], &batched.states[i], &batched.sampling[i], &batched.rngs[i]});
  FlowStepWorkspace workspace;  // reused from step to step, as the scheduler does
  std::vector<FlowStep> together;
  for (int step = 0; step < 3; ++step) {
    lm.step(requests, workspace, together);
    for (size_t i = 0; i < 3; ++i) {
      FlowStep one = lm.step(alone.latents[i], alone.states[i], alone.sampling[i], alone.rngs[i]);
      ck_assert_msg(at::equal(together[i].latent, one.latent),
                    "%s step %d stream %zu: batched latent differs from the stream alone",
                    precision_name(precision), step, i);
      ck_assert_msg(together[i].eos_logit == one.eos_logit, "%s: EOS logit differs",
                    precision_name(precision));
      const int64_t end = alone.states[i].length();
      ck_assert_int_eq(batched.states[i].length(), end);
      for (size_t l = 0; l < alone.states[i].layers.size(); ++l)
        ck_assert(at::equal(batched.states[i].layers[l].cache.narrow(2, 0, end),
                            alone.states[i].layers[l].cache.narrow(2, 0, end)));
      alone.latents[i] = one.latent;
      batched.latents[i] = together[i].latent;
    }
  }
}

}  // namespace

START_TEST(test_batched_step_equals_steps_alone_fp32) {
  check_batched_equals_alone(Precision::kFp32);
}
END_TEST

START_TEST(test_batched_step_equals_steps_alone_int8) {
  check_batched_equals_alone(Precision::kInt8);
}
END_TEST

// Four streams at once through the public API: each gets the audio it gets alone, and the
// batcher ran fewer batches than steps (several streams shared weight reads).
START_TEST(test_concurrent_streams_are_batched) {
  auto model = load_tiny("config.yaml", 0.7f, 1, 1e9f);  // EOS out of reach: 4 long runs
  VoiceState voice = model->get_state_for_audio_prompt(voice_wav());
  const char* text = "Four voices speak at the same time, one model serves them all.";
  std::vector<std::vector<float>> expected, results(4);
  for (int i = 0; i < 4; ++i) {
    GenerateOptions options;
    options.seed = 10 + i;
    expected.push_back(model->generate_audio(voice, text, options));
  }
  StreamScheduler& batcher = *engine_of(*model).scheduler;
  // A batch waits up to 2 ms for the other active streams; on a loaded machine a thread can miss
  // that window at every step. Waiting longer here makes the assertion below independent of load
  // (the streams are all active while they generate, so a batch never waits the whole second).
  batcher.set_gather_wait(std::chrono::seconds(1));
  const size_t batches0 = batcher.batches_run(), rows0 = batcher.rows_run();
  // The four start together: on a loaded machine the main thread could otherwise be kept from
  // starting the next thread until the first stream has finished (no overlap, nothing to batch).
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      ++ready;
      while (ready.load() < 4) std::this_thread::yield();
      GenerateOptions options;
      options.seed = 10 + i;
      results[i] = model->generate_audio(voice, text, options);
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < 4; ++i) ck_assert_msg(results[i] == expected[i], "stream %d differs", i);
  const size_t batches = batcher.batches_run() - batches0, rows = batcher.rows_run() - rows0;
  std::printf("4 streams: %zu steps in %zu batches\n", rows, batches);
  ck_assert_msg(batches < rows, "no step was batched (%zu steps, %zu batches)", rows, batches);
}
END_TEST

// Streams cancelled or destroyed while others are batched with them: the others finish with
// their own audio, nobody waits forever (a hang fails by the suite's timeout).
START_TEST(test_cancelling_some_streams_leaves_the_others_exact) {
  auto model = load_tiny("config.yaml", 0.7f, 1, 1e9f);
  VoiceState voice = model->get_state_for_audio_prompt(voice_wav());
  const char* text = "Two of us stop early, two of us go on to the very end of this sentence.";
  std::vector<std::vector<float>> expected;
  for (int i = 0; i < 2; ++i) {
    GenerateOptions options;
    options.seed = 20 + i;
    expected.push_back(model->generate_audio(voice, text, options));
  }
  std::vector<std::vector<float>> results(2);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      GenerateOptions options;
      options.seed = 20 + i;
      auto stream = model->generate_audio_stream(voice, text, options);
      std::vector<float> chunk;
      if (i >= 2) {  // read a few chunks, then cancel (i == 2) or just drop the stream (i == 3)
        for (int k = 0; k < 3 && stream->next(chunk); ++k) {
        }
        if (i == 2) stream->cancel();
        return;
      }
      while (stream->next(chunk)) results[i].insert(results[i].end(), chunk.begin(), chunk.end());
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < 2; ++i) ck_assert_msg(results[i] == expected[i], "stream %d differs", i);
}
END_TEST

// Mimi's frames of several streams decoded at once (Mimi::decode_frames): streams that start at
// different frames (fresh states, states past the context), each frame equal to the bits of the
// same stream decoded alone. Both reference versions' decoder caches.
void check_batched_frames_equal_frames_alone(const TTSModel& model) {
  c10::InferenceMode guard;
  const Mimi& mimi = *engine_of(model).mimi;
  const FlowLm& lm = *engine_of(model).flow_lm;
  constexpr int kStreams = 4, kFrames = 24;
  const int starts[kStreams] = {0, 1, 3, 9};  // round at which each stream decodes its first frame
  at::Generator rng = at::make_generator<at::CPUGeneratorImpl>(7);
  at::Tensor latents = at::randn({kStreams, kFrames, lm.latent_dim()}, rng);
  const size_t frame = static_cast<size_t>(mimi.frame_size() * mimi.channels());
  const auto latent_of = [&](int s, int k) {
    return lm.denormalize(latents[s][k].view({1, -1})).contiguous();
  };
  std::vector<std::vector<float>> alone(kStreams), batched(kStreams);
  for (int s = 0; s < kStreams; ++s) {
    MimiDecoderState state = mimi.init_decoder_state();
    alone[s].resize(kFrames * frame);
    for (int k = 0; k < kFrames; ++k) {
      mimi.decode_frame(latent_of(s, k).data_ptr<float>(), state, alone[s].data() + k * frame);
    }
  }
  std::vector<MimiDecoderState> states;
  for (int s = 0; s < kStreams; ++s) {
    states.push_back(mimi.init_decoder_state());
    batched[s].resize(kFrames * frame);
  }
  std::vector<at::Tensor> held;  // the round's denormalized latents
  for (int round = 0; round < starts[kStreams - 1] + kFrames; ++round) {
    std::vector<Mimi::Frame> frames;
    held.clear();
    for (int s = 0; s < kStreams; ++s) {
      const int k = round - starts[s];
      if (k < 0 || k >= kFrames) continue;
      held.push_back(latent_of(s, k));
      frames.push_back({held.back().data_ptr<float>(), &states[s], batched[s].data() + k * frame});
    }
    mimi.decode_frames(frames.data(), frames.size());
  }
  for (int s = 0; s < kStreams; ++s) {
    ck_assert_msg(alone[s] == batched[s], "stream %d: batched frames differ from alone", s);
  }
  // More frames than a batch holds is an error, not an overflow.
  std::vector<MimiDecoderState> many(kMaxFrames + 1, mimi.init_decoder_state());
  std::vector<std::vector<float>> out(kMaxFrames + 1, std::vector<float>(frame));
  at::Tensor z = latent_of(0, 0);
  std::vector<Mimi::Frame> frames;
  for (size_t i = 0; i <= kMaxFrames; ++i)
    frames.push_back({z.data_ptr<float>(), &many[i], out[i].data()});
  expect_error([&] { mimi.decode_frames(frames.data(), frames.size()); },
               ErrorCode::kInvalidArgument, "at most 8 frames");
}

START_TEST(test_batched_frames_equal_frames_alone) {
  check_batched_frames_equal_frames_alone(*load(Precision::kFp32));
  check_batched_frames_equal_frames_alone(*load_tiny_v2());
}
END_TEST

// Concurrent decoders through the scheduler: every frame exact, and frames really batched (four
// threads decoding back to back overlap whatever the machine's load).
START_TEST(test_concurrent_decoders_are_batched) {
  c10::InferenceMode guard;
  auto model = load(Precision::kFp32);
  const Mimi& mimi = *engine_of(*model).mimi;
  StreamScheduler scheduler(*engine_of(*model).flow_lm, mimi, 2);
  constexpr int kStreams = 4, kFrames = 40;
  at::Generator rng = at::make_generator<at::CPUGeneratorImpl>(11);
  at::Tensor latents = at::randn({kStreams, kFrames, mimi.latent_dim()}, rng).contiguous();
  const size_t frame = static_cast<size_t>(mimi.frame_size() * mimi.channels());
  std::vector<std::vector<float>> alone(kStreams), batched(kStreams);
  for (int s = 0; s < kStreams; ++s) {
    MimiDecoderState state = mimi.init_decoder_state();
    alone[s].resize(kFrames * frame);
    for (int k = 0; k < kFrames; ++k)
      mimi.decode_frame(latents[s][k].data_ptr<float>(), state, alone[s].data() + k * frame);
  }
  std::vector<std::thread> threads;
  for (int s = 0; s < kStreams; ++s) {
    threads.emplace_back([&, s] {
      c10::InferenceMode thread_guard;
      MimiDecoderState state = mimi.init_decoder_state();
      batched[s].resize(kFrames * frame);
      for (int k = 0; k < kFrames; ++k)
        scheduler.decode(latents[s][k].data_ptr<float>(), state, batched[s].data() + k * frame);
    });
  }
  for (auto& t : threads) t.join();
  for (int s = 0; s < kStreams; ++s) ck_assert_msg(alone[s] == batched[s], "stream %d differs", s);
  ck_assert_uint_eq(scheduler.frames_decoded(), kStreams * kFrames);
  ck_assert_msg(scheduler.decode_batches_run() < scheduler.frames_decoded(),
                "%zu batches for %zu frames: never batched", scheduler.decode_batches_run(),
                scheduler.frames_decoded());
}
END_TEST

int main() {
  Suite* suite = suite_create("batching");
  TCase* tc = tcase_create("batching");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, test_batched_step_equals_steps_alone_fp32);
  tcase_add_test(tc, test_batched_step_equals_steps_alone_int8);
  tcase_add_test(tc, test_concurrent_streams_are_batched);
  tcase_add_test(tc, test_cancelling_some_streams_leaves_the_others_exact);
  tcase_add_test(tc, test_batched_frames_equal_frames_alone);
  tcase_add_test(tc, test_concurrent_decoders_are_batched);
  suite_add_tcase(suite, tc);
  return run_suite(suite);
}
