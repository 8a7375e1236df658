// The stream API: identical to generate_audio, safe for several streams on one model at once,
// cancellable within a frame, and starting before the whole utterance is generated.
#include <atomic>
#include <chrono>
#include <thread>

#include "model_fixture.h"

using namespace pockettts;
using namespace pockettts_test;

namespace {

const char* kLongText =
    "Good evening, and welcome to the show. Tonight we have three special guests, and one of "
    "them has travelled 40 kilometers by bicycle! Could you repeat that, please?";

GenerateOptions deterministic() {
  GenerateOptions options;
  options.seed = 1;
  return options;
}

std::vector<float> collect(AudioChunkStream& stream) {
  std::vector<float> audio, chunk;
  while (stream.next(chunk)) audio.insert(audio.end(), chunk.begin(), chunk.end());
  return audio;
}

}  // namespace

START_TEST(test_stream_equals_generate_audio) {
  auto model = load_tiny("config.yaml", 0.0f, 1, 3.781f);
  VoiceState voice = model->get_state_for_audio_prompt(voice_wav());
  std::vector<float> whole = model->generate_audio(voice, kLongText, deterministic());
  auto stream = model->generate_audio_stream(voice, kLongText, deterministic());
  std::vector<float> streamed = collect(*stream);
  ck_assert_uint_gt(whole.size(), 0);
  ck_assert_msg(whole == streamed, "stream and generate_audio differ");
}
END_TEST

START_TEST(test_seeded_temperature_is_reproducible) {
  auto model = load_tiny("config.yaml", 0.7f, 1, 3.781f);
  VoiceState voice = model->get_state_for_audio_prompt(voice_wav());
  GenerateOptions options;
  options.seed = 77;
  std::vector<float> a = model->generate_audio(voice, kLongText, options);
  std::vector<float> b = model->generate_audio(voice, kLongText, options);
  ck_assert_msg(a == b, "same seed, different audio");
  options.seed = 78;
  std::vector<float> c = model->generate_audio(voice, kLongText, options);
  ck_assert_msg(a != c, "different seeds gave the same audio");
}
END_TEST

// One model, four threads, each with its own stream: every thread gets the single-thread
// audio exactly (weights are shared read-only, every stream owns its state).
START_TEST(test_four_threads_share_one_model) {
  auto model = load_tiny("config.yaml", 0.0f, 1, 3.781f);
  VoiceState voice = model->get_state_for_audio_prompt(voice_wav());
  const std::vector<float> expected = model->generate_audio(voice, kLongText, deterministic());
  std::vector<std::vector<float>> results(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      VoiceState own = voice;  // a deep copy per thread
      results[i] = model->generate_audio(own, kLongText, deterministic());
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < 4; ++i) ck_assert_msg(results[i] == expected, "thread %d differs", i);
}
END_TEST

START_TEST(test_cancel_stops_a_blocked_stream) {
  auto model = load_tiny("config.yaml", 0.0f, 1, 1e9f);  // EOS out of reach: long output
  VoiceState voice = model->get_state_for_audio_prompt(voice_wav());
  auto stream = model->generate_audio_stream(voice, kLongText, deterministic());
  std::vector<float> chunk;
  ck_assert(stream->next(chunk));
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    stream->cancel();
  });
  bool cancelled = false;
  try {
    while (stream->next(chunk)) {
    }
  } catch (const Error& e) {
    cancelled = e.code() == ErrorCode::kCancelled;
  }
  canceller.join();
  ck_assert_msg(cancelled, "next() did not report the cancellation");
}
END_TEST

START_TEST(test_destroying_a_running_stream_joins_quickly) {
  auto model = load_tiny("config.yaml", 0.0f, 1, 1e9f);
  VoiceState voice = model->get_state_for_audio_prompt(voice_wav());
  auto start = std::chrono::steady_clock::now();
  {
    auto stream = model->generate_audio_stream(voice, kLongText, deterministic());
    std::vector<float> chunk;
    ck_assert(stream->next(chunk));
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // A full run of this text without EOS is hundreds of frames; cancelling stops at once.
  ck_assert_msg(seconds < 5.0, "destroying the stream took %.1f s", seconds);
}
END_TEST

START_TEST(test_max_tokens_splits_into_chunks_of_the_reference) {
  auto model = load_tiny("config.yaml", 0.0f, 1, 3.781f);
  VoiceState voice = model->get_state_for_audio_prompt(voice_wav());
  GenerateOptions small = deterministic();
  small.max_tokens = 5;  // every sentence its own chunk
  std::vector<float> a = model->generate_audio(voice, kLongText, small);
  ck_assert_uint_gt(a.size(), 0);
  ck_assert_uint_eq(a.size() % 1920, 0);
}
END_TEST

START_TEST(test_model_outlives_its_last_handle_while_streaming) {
  auto model = load_tiny("config.yaml", 0.0f, 1, 3.781f);
  VoiceState voice = model->get_state_for_audio_prompt(voice_wav());
  auto stream = model->generate_audio_stream(voice, kLongText, deterministic());
  model.reset();  // the stream keeps the model alive
  ck_assert_uint_gt(collect(*stream).size(), 0);
}
END_TEST

int main() {
  Suite* suite = suite_create("streaming");
  TCase* tc = tcase_create("streaming");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, test_stream_equals_generate_audio);
  tcase_add_test(tc, test_seeded_temperature_is_reproducible);
  tcase_add_test(tc, test_four_threads_share_one_model);
  tcase_add_test(tc, test_cancel_stops_a_blocked_stream);
  tcase_add_test(tc, test_destroying_a_running_stream_joins_quickly);
  tcase_add_test(tc, test_max_tokens_splits_into_chunks_of_the_reference);
  tcase_add_test(tc, test_model_outlives_its_last_handle_while_streaming);
  suite_add_tcase(suite, tc);
  return run_suite(suite);
}
