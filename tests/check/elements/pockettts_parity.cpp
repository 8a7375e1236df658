// The element's samples are exactly TTSModel::generate_audio's for the same inputs
// (temperature 0, tiny random-weight model): the element adds no processing of its own.
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#include <cstring>
#include <string>
#include <vector>

#include <pockettts/tts_model.h>

namespace {

std::string data_path(const char* relative) {
  const char* data = g_getenv("POCKETTTS_TEST_DATA");
  fail_unless(data != nullptr, "POCKETTTS_TEST_DATA is not set");
  return std::string(data) + "/" + relative;
}

std::vector<float> element_samples(const std::string& text, int max_tokens, bool ssml) {
  GstElement* tts = gst_element_factory_make("pockettts", nullptr);
  fail_unless(tts != nullptr, "pockettts not found (GST_PLUGIN_PATH?)");
  g_object_set(tts, "model", data_path("tiny/config.yaml").c_str(), "voice",
               data_path("tiny/voice/voice_s16.wav").c_str(), "temperature", 0.0f, "text",
               text.c_str(), "max-tokens", max_tokens, "ssml", ssml, nullptr);
  GstHarness* h = gst_harness_new_with_element(tts, nullptr, "src");
  gst_harness_play(h);
  std::vector<float> samples;
  GstBuffer* buf = nullptr;
  while (true) {
    fail_unless(gst_harness_pull_until_eos(h, &buf), "timed out waiting for audio");
    if (!buf) break;
    GstMapInfo map;
    gst_buffer_map(buf, &map, GST_MAP_READ);
    const auto* f = reinterpret_cast<const float*>(map.data);
    samples.insert(samples.end(), f, f + map.size / sizeof(float));
    gst_buffer_unmap(buf, &map);
    gst_buffer_unref(buf);
  }
  gst_harness_teardown(h);
  return samples;
}

std::vector<float> library_samples(const std::string& text, int max_tokens, bool ssml) {
  pockettts::LoadOptions load;
  load.config = data_path("tiny/config.yaml");
  load.sampling.temp = 0.0f;
  auto model = pockettts::TTSModel::load_model(load);
  auto voice = model->get_state_for_audio_prompt(data_path("tiny/voice/voice_s16.wav"));
  pockettts::GenerateOptions options;
  options.max_tokens = max_tokens;
  if (ssml) options.text_format = pockettts::TextFormat::kSsml;
  return model->generate_audio(voice, text, options);
}

void check_parity(const std::string& text, int max_tokens, bool ssml = false) {
  const std::vector<float> expected = library_samples(text, max_tokens, ssml);
  const std::vector<float> got = element_samples(text, max_tokens, ssml);
  fail_unless(!expected.empty(), "generate_audio returned no audio");
  fail_unless_equals_uint64(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    if (got[i] != expected[i])
      fail("sample %zu differs: element %.9g, generate_audio %.9g", i, got[i], expected[i]);
  }
}

}  // namespace

GST_START_TEST(test_samples_equal_generate_audio) {
  check_parity("Hello world.", pockettts::kDefaultMaxTokensPerChunk);
}
GST_END_TEST

// Several text chunks (max-tokens small): the element streams them back to back.
GST_START_TEST(test_samples_equal_generate_audio_chunked) {
  check_parity("The first sentence is here. A second one follows it. And then a third.", 8);
}
GST_END_TEST

// ssml=true: breaks, sentences and substitutions as the library speaks them (its own tests
// check the silences are sample-exact).
GST_START_TEST(test_ssml_samples_equal_generate_audio) {
  check_parity(
      "<speak>Hello there.<break time=\"500ms\"/><s>A second sentence.</s>"
      "<break strength=\"weak\"/><sub alias=\"World Wide Web\">WWW</sub></speak>",
      pockettts::kDefaultMaxTokensPerChunk, true);
}
GST_END_TEST

static Suite* pockettts_parity_suite(void) {
  Suite* s = suite_create("pockettts_parity");
  TCase* tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_samples_equal_generate_audio);
  tcase_add_test(tc, test_samples_equal_generate_audio_chunked);
  tcase_add_test(tc, test_ssml_samples_equal_generate_audio);
  return s;
}

GST_CHECK_MAIN(pockettts_parity);
