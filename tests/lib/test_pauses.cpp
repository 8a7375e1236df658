// Pauses in generation (SSML, <pockettts/ssml.h>): a break is exactly that many zero samples
// between the audio of the text around it, which is the audio that text alone gives; chunks of
// silence are at most a frame; a document without breaks says what its text says as plain
// text; malformed SSML fails before anything runs; a long pause can be cancelled. Both sets'
// models (4ae9fb2 and 9514983 behaviour), at temperature 0.
//
// Tolerance: none. The speech around a break is the same computation as that text alone
// (deterministic at temperature 0), so samples are compared for equality, and the silence is
// exactly that many zeros.
#include <chrono>
#include <fstream>
#include <thread>

#include "model_fixture.h"

using namespace pockettts;
using namespace pockettts_test;

namespace {

struct Model {
  std::shared_ptr<const TTSModel> model;
  VoiceState voice;
};

// Each set's model at temperature 0 (deterministic: equal inputs give equal bits).
Model tiny_model(bool v2) {
  auto model =
      v2 ? load_tiny_v2("config.yaml", 0.0f, 1, 2.003f) : load_tiny("config.yaml", 0.0f, 1, 6.382f);
  VoiceState voice = model->get_state_for_audio_prompt(v2 ? voice_wav_v2() : voice_wav());
  return {model, std::move(voice)};
}

GenerateOptions ssml() {
  GenerateOptions options;
  options.text_format = TextFormat::kSsml;
  options.seed = 0;
  return options;
}

std::vector<float> plain(Model& m, const std::string& text) {
  GenerateOptions options;
  options.seed = 0;
  return m.model->generate_audio(m.voice, text, options);
}

std::vector<float> concat(std::initializer_list<std::vector<float>> parts) {
  std::vector<float> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

void assert_same_samples(const std::vector<float>& got, const std::vector<float>& want,
                         const std::string& what) {
  ck_assert_msg(got.size() == want.size(), "%s: %zu samples, expected %zu", what.c_str(),
                got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    if (got[i] != want[i])
      ck_abort_msg("%s: sample %zu is %g, expected %g", what.c_str(), i, got[i], want[i]);
  }
}

}  // namespace

START_TEST(test_ssml_without_breaks_says_the_plain_text) {
  Model m = tiny_model(_i == 1);
  const std::string text = _i == 1 ? "Merci beaucoup" : "Hello there, friend";
  assert_same_samples(m.model->generate_audio(m.voice, "<speak>" + text + "</speak>", ssml()),
                      plain(m, text), "<speak> text");
}
END_TEST

START_TEST(test_break_is_exact_silence_between_the_texts) {
  Model m = tiny_model(_i == 1);
  const std::vector<float> one = plain(m, "Hello there"), two = plain(m, "Good night");
  const std::vector<float> got = m.model->generate_audio(
      m.voice, "<speak>Hello there<break time=\"500ms\"/>Good night</speak>", ssml());
  assert_same_samples(got, concat({one, std::vector<float>(12000, 0.0f), two}), "500 ms break");

  // Text of Unicode spaces between breaks says nothing (and is no "empty text" error).
  assert_same_samples(
      m.model->generate_audio(
          m.voice,
          "<speak>Hello there<break time=\"250ms\"/>&#160;\u3000<break time=\"250ms\"/>Good "
          "night</speak>",
          ssml()),
      concat({one, std::vector<float>(12000, 0.0f), two}), "two 250 ms breaks around spaces");

  const std::vector<float> strong = m.model->generate_audio(
      m.voice, "<speak><s>Hello there</s><break strength=\"strong\"/><s>Good night</s></speak>",
      ssml());
  assert_same_samples(strong, concat({one, std::vector<float>(24000, 0.0f), two}),
                      "strong break (1 s)");
}
END_TEST

START_TEST(test_silence_comes_in_chunks_of_at_most_a_frame) {
  Model m = tiny_model(false);
  auto stream = m.model->generate_audio_stream(
      m.voice, "<speak><break time=\"0.5s\"/>Hi<break time=\"10ms\"/></speak>", ssml());
  std::vector<size_t> sizes;
  std::vector<float> chunk;
  while (stream->next(chunk)) sizes.push_back(chunk.size());
  // 12000 = 6 frames of 1920 and 480; then Hi's frames; then 240 samples.
  ck_assert_uint_ge(sizes.size(), 9);
  for (size_t i = 0; i < 6; ++i) ck_assert_uint_eq(sizes[i], 1920);
  ck_assert_uint_eq(sizes[6], 480);
  for (size_t i = 7; i + 1 < sizes.size(); ++i) ck_assert_uint_eq(sizes[i], 1920);
  ck_assert_uint_eq(sizes.back(), 240);
}
END_TEST

START_TEST(test_breaks_alone_are_silence) {
  Model m = tiny_model(true);
  const std::vector<float> got = m.model->generate_audio(
      m.voice, "<speak><break time=\"1.25s\"/><break time=\"1ms\"/></speak>", ssml());
  assert_same_samples(got, std::vector<float>(30000 + 24, 0.0f), "breaks only");
}
END_TEST

START_TEST(test_a_built_script_is_spoken_as_parsed) {
  Model m = tiny_model(false);
  SpeechScript script;
  script.segments.push_back({SpeechSegment::Kind::kText, "Hello there", 0});
  script.segments.push_back({SpeechSegment::Kind::kBreak, "", 0.5});  // 12 samples
  script.segments.push_back({SpeechSegment::Kind::kText, "Good night", 0});
  GenerateOptions options;
  options.seed = 0;
  assert_same_samples(
      m.model->generate_audio(m.voice, script, options),
      concat({plain(m, "Hello there"), std::vector<float>(12, 0.0f), plain(m, "Good night")}),
      "built script");
  SpeechScript too_long;
  too_long.segments.push_back({SpeechSegment::Kind::kBreak, "", kMaxBreakMilliseconds + 1});
  expect_error([&] { m.model->generate_audio_stream(m.voice, too_long, options); },
               ErrorCode::kInvalidArgument, "break over the longest");
}
END_TEST

START_TEST(test_malformed_or_empty_ssml_is_an_error_before_generation) {
  Model m = tiny_model(false);
  std::string message =
      expect_error([&] { m.model->generate_audio_stream(m.voice, "<speak>Hello", ssml()); },
                   ErrorCode::kInvalidArgument, "unclosed <speak>");
  assert_contains(message, "malformed SSML");
  expect_error([&] { m.model->generate_audio_stream(m.voice, "<speak> </speak>", ssml()); },
               ErrorCode::kInvalidArgument, "nothing to say");
  // Plain text is never read as SSML: the tags are text.
  GenerateOptions options;
  options.seed = 0;
  ck_assert(!m.model->generate_audio(m.voice, "<speak>Hello", options).empty());
}
END_TEST

START_TEST(test_a_long_pause_is_cancelled_at_once) {
  Model m = tiny_model(false);
  auto stream = m.model->generate_audio_stream(
      m.voice, "<speak><break time=\"20s\"/><break time=\"20s\"/>Hi</speak>", ssml());
  std::vector<float> chunk;
  ck_assert(stream->next(chunk));
  const auto start = std::chrono::steady_clock::now();
  stream->cancel();
  expect_error(
      [&] {
        while (stream->next(chunk)) {
        }
      },
      ErrorCode::kCancelled, "after cancel");
  stream.reset();
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  ck_assert_msg(ms < 5000, "cancelling took %g ms", ms);
}
END_TEST

namespace {

long resident_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

}  // namespace

// 100 breaks of 20 s are 48 million zeros: they are made as the consumer takes them, never
// queued (which would hold 190 MB here, and what a client asks for on a server).
START_TEST(test_pauses_are_made_as_they_are_taken) {
  Model m = tiny_model(false);
  std::string document = "<speak>";
  for (int i = 0; i < 100; ++i) document += "<break time=\"20s\"/>";
  document += "</speak>";
  auto stream = m.model->generate_audio_stream(m.voice, document, ssml());
  std::vector<float> chunk;
  ck_assert(stream->next(chunk));
  const long before = resident_kib();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the threads run ahead
  int64_t samples = static_cast<int64_t>(chunk.size());
  while (stream->next(chunk)) {
    samples += static_cast<int64_t>(chunk.size());
    ck_assert_uint_le(chunk.size(), 1920);
  }
  const long after = resident_kib();
  ck_assert_int_eq(samples, 100LL * 480000);
  ck_assert_msg(after - before < 20 * 1024, "resident memory grew by %ld KiB", after - before);
}
END_TEST

int main() {
  Suite* suite = suite_create("pauses");
  TCase* tc = tcase_create("ssml");
  tcase_set_timeout(tc, 300);
  tcase_add_loop_test(tc, test_ssml_without_breaks_says_the_plain_text, 0, 2);
  tcase_add_loop_test(tc, test_break_is_exact_silence_between_the_texts, 0, 2);
  tcase_add_test(tc, test_silence_comes_in_chunks_of_at_most_a_frame);
  tcase_add_test(tc, test_breaks_alone_are_silence);
  tcase_add_test(tc, test_a_built_script_is_spoken_as_parsed);
  tcase_add_test(tc, test_malformed_or_empty_ssml_is_an_error_before_generation);
  tcase_add_test(tc, test_a_long_pause_is_cancelled_at_once);
  tcase_add_test(tc, test_pauses_are_made_as_they_are_taken);
  suite_add_tcase(suite, tc);
  return run_suite(suite);
}
