// The element loading its model and voice from a Hugging Face hub on loopback (tests/lib/
// test_hub.h), as it does from the real one: PROGRESS messages while it downloads and loads,
// speech once loaded, offline from the cache afterwards; load errors a person can act on; the
// language property choosing a model pack (the tiny-v2 model where the shipped german pack has
// its files).
// Everything test_hub.h uses before gstcheck: check.h's `fail` macro breaks the C++ and GLib
// headers included after it (gstcheck's copy of check.h then stands for test_hub.h's).
#include <libsoup/soup.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#include "../../lib/test_hub.h"

using pockettts_test::data_path;
using pockettts_test::make_temp_dir;
using pockettts_test::read_text_file;
using pockettts_test::TestHub;
using pockettts_test::write_bytes;

namespace {

struct Progress {
  GstProgressType type;
  std::string code;
  std::string text;
  int percent;
};

// A hub serving the tiny model, an empty cache, and the network allowed (loopback only).
struct Hub {
  TestHub hub;
  std::string dir = make_temp_dir();
  std::string voice_url;

  Hub() {
    setenv("HF_HOME", (dir + "/hf-home").c_str(), 1);
    setenv("XDG_CACHE_HOME", (dir + "/xdg").c_str(), 1);
    setenv("HF_ENDPOINT", hub.endpoint().c_str(), 1);
    setenv("HF_HUB_OFFLINE", "0", 1);
    setenv("HF_HUB_DOWNLOAD_TIMEOUT", "5", 1);
    for (const char* name : {"HF_HUB_CACHE", "HF_TOKEN", "http_proxy", "https_proxy", "all_proxy",
                             "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"})
      unsetenv(name);
    setenv("no_proxy", "127.0.0.1,127.0.0.2", 1);
    hub.add("org/tiny/weights.safetensors", read_text_file(data_path("tiny/weights.safetensors")),
            true);
    hub.add("org/tiny/tokenizer.model", read_text_file(data_path("tiny/tokenizer.model")), true);
    hub.add("org/voices/prompt/voice_s16.wav",
            read_text_file(data_path("tiny/voice/voice_s16.wav")));
    voice_url = hub.endpoint() + "/org/voices/resolve/main/prompt/voice_s16.wav";
  }

  // The tiny config with its tokenizer and weights on the hub.
  std::string config() const {
    std::string yaml = read_text_file(data_path("tiny/config.yaml"));
    const auto replace = [&](const std::string& from, const std::string& to) {
      const size_t at = yaml.find(from);
      fail_unless(at != std::string::npos, "no '%s' in the tiny config", from.c_str());
      yaml.replace(at, from.size(), to);
    };
    replace("weights_path: weights.safetensors", "weights_path: hf://org/tiny/weights.safetensors");
    replace("tokenizer_path: tokenizer.model", "tokenizer_path: hf://org/tiny/tokenizer.model");
    const std::string path = dir + "/config.yaml";
    write_bytes(path, yaml);
    return path;
  }
};

GstElement* make_element(const std::string& config, const std::string& voice) {
  GstElement* tts = gst_element_factory_make("pockettts", nullptr);
  fail_unless(tts != nullptr, "pockettts not found (GST_PLUGIN_PATH?)");
  g_object_set(tts, "model", config.c_str(), "voice", voice.c_str(), "temperature", 0.0f,
               nullptr);
  return tts;
}

// Every PROGRESS message on `bus` so far, in order; `error` gets the first error's.
std::vector<Progress> drain(GstBus* bus, GError** error = nullptr) {
  std::vector<Progress> out;
  while (GstMessage* msg = gst_bus_pop(bus)) {
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_PROGRESS) {
      GstProgressType type;
      gchar *code, *text;
      gint percent = -1;
      gst_message_parse_progress(msg, &type, &code, &text);
      gst_structure_get_int(gst_message_get_structure(msg), "percent", &percent);
      out.push_back({type, code, text, percent});
      g_free(code);
      g_free(text);
    } else if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR && error && !*error) {
      gst_message_parse_error(msg, error, nullptr);
    }
    gst_message_unref(msg);
  }
  return out;
}

std::vector<Progress> of_code(const std::vector<Progress>& all, const std::string& code) {
  std::vector<Progress> out;
  for (const Progress& p : all)
    if (p.code == code) out.push_back(p);
  return out;
}

// START, then CONTINUE messages whose percentages rise to 100 per file, then `last`.
void check_sequence(const std::vector<Progress>& messages, GstProgressType last,
                    size_t min_downloads) {
  fail_unless(messages.size() >= 2, "%zu progress messages", messages.size());
  fail_unless_equals_int(messages.front().type, GST_PROGRESS_TYPE_START);
  fail_unless_equals_int(messages.back().type, last);
  size_t downloaded = 0;
  int percent = -1;
  for (size_t i = 1; i + 1 < messages.size(); ++i) {
    const Progress& p = messages[i];
    fail_unless_equals_int(p.type, GST_PROGRESS_TYPE_CONTINUE);
    if (p.text.rfind("Downloaded ", 0) == 0) {
      ++downloaded;
      fail_unless_equals_int(p.percent, 100);
      percent = -1;
      continue;
    }
    if (p.percent >= 0) {
      fail_unless(p.percent >= percent, "progress went back: %s", p.text.c_str());
      percent = p.percent;
    }
  }
  fail_unless(downloaded >= min_downloads, "%zu files downloaded, not %zu", downloaded,
              min_downloads);
}

// Speaks `text` in source mode and returns the number of samples.
size_t speak(GstElement* tts, const char* text) {
  g_object_set(tts, "text", text, nullptr);
  GstHarness* h = gst_harness_new_with_element(tts, nullptr, "src");
  gst_harness_play(h);
  size_t samples = 0;
  GstBuffer* buf = nullptr;
  while (true) {
    fail_unless(gst_harness_pull_until_eos(h, &buf), "timed out waiting for audio");
    if (!buf) break;
    samples += gst_buffer_get_size(buf) / sizeof(float);
    gst_buffer_unref(buf);
  }
  gst_harness_teardown(h);
  return samples;
}

}  // namespace

// From an empty cache: the model's three files (config is local) and the voice are downloaded
// with PROGRESS messages, then the element speaks; again offline with the hub stopped, from the
// cache: no download, the same speech.
GST_START_TEST(test_progress_while_downloading_then_offline) {
  Hub h;
  const std::string config = h.config();
  size_t first = 0;
  {
    GstElement* tts = make_element(config, h.voice_url);
    GstBus* bus = gst_bus_new();
    gst_element_set_bus(tts, bus);
    fail_unless_equals_int(gst_element_set_state(tts, GST_STATE_READY), GST_STATE_CHANGE_SUCCESS);
    const std::vector<Progress> all = drain(bus);
    const auto model = of_code(all, "model");
    const auto voice = of_code(all, "voice");
    check_sequence(model, GST_PROGRESS_TYPE_COMPLETE, 2);  // tokenizer, weights
    check_sequence(voice, GST_PROGRESS_TYPE_COMPLETE, 1);
    fail_unless(model.front().text.find(config) != std::string::npos, "%s",
                model.front().text.c_str());
    // The model is loaded before the voice is prepared.
    fail_unless_equals_string(all.front().code.c_str(), "model");
    fail_unless_equals_string(all.back().code.c_str(), "voice");
    gst_element_set_state(tts, GST_STATE_NULL);
    first = speak(tts, "Hello from the hub.");
    fail_unless(first > 0, "no speech");
    gst_object_unref(bus);
  }
  h.hub.stop();
  setenv("HF_HUB_OFFLINE", "1", 1);
  GstElement* tts = make_element(config, h.voice_url);
  GstBus* bus = gst_bus_new();
  gst_element_set_bus(tts, bus);
  fail_unless_equals_int(gst_element_set_state(tts, GST_STATE_READY), GST_STATE_CHANGE_SUCCESS);
  const std::vector<Progress> all = drain(bus);
  check_sequence(of_code(all, "model"), GST_PROGRESS_TYPE_COMPLETE, 0);
  for (const Progress& p : all) fail_if(p.type == GST_PROGRESS_TYPE_CONTINUE, "%s", p.text.c_str());
  gst_element_set_state(tts, GST_STATE_NULL);
  fail_unless_equals_uint64(speak(tts, "Hello from the hub."), first);
  gst_object_unref(bus);
}
GST_END_TEST

// READY fails with an error that names what is missing and why, and PROGRESS says ERROR.
GST_START_TEST(test_load_errors_are_actionable) {
  Hub h;
  const std::string config = h.config();
  struct Case {
    std::string voice;
    bool offline;
    const char* code;
    const char* must_say;
  };
  const std::vector<Case> cases = {
      {h.hub.endpoint() + "/org/voices/resolve/main/missing.wav", false, "voice", "404"},
      {h.voice_url, true, "model", "offline"},
  };
  for (const Case& c : cases) {
    setenv("HF_HUB_OFFLINE", c.offline ? "1" : "0", 1);
    if (c.offline) setenv("HF_HOME", (make_temp_dir() + "/empty").c_str(), 1);
    GstElement* tts = make_element(config, c.voice);
    GstBus* bus = gst_bus_new();
    gst_element_set_bus(tts, bus);
    fail_unless_equals_int(gst_element_set_state(tts, GST_STATE_READY), GST_STATE_CHANGE_FAILURE);
    GError* error = nullptr;
    const auto progress = of_code(drain(bus, &error), c.code);
    fail_unless(error != nullptr, "no error posted");
    fail_unless_equals_int(error->domain, GST_RESOURCE_ERROR);
    fail_unless(strstr(error->message, c.must_say) != nullptr, "%s", error->message);
    fail_unless(!progress.empty(), "no PROGRESS for %s", c.code);
    fail_unless_equals_int(progress.back().type, GST_PROGRESS_TYPE_ERROR);
    fail_unless(progress.back().text.find(c.must_say) != std::string::npos, "%s",
                progress.back().text.c_str());
    g_error_free(error);
    gst_element_set_state(tts, GST_STATE_NULL);
    gst_object_unref(tts);
    gst_object_unref(bus);
  }
}
GST_END_TEST

constexpr const char* kPackRevision = "39592ff23c9ef80098bb74895d104c26275fe2c9";
constexpr const char* kPublicRevision = "d29db7978e464fb90cb3359ee0c69a273b9142cc";
constexpr const char* kVoiceRevision = "e041936c75475d350b405bc870bcf7c22da4e9e6";

// language=german: the pack is loaded (tiny-v2 at the shipped german pack's hub paths and
// revisions) and speaks with its own default voice, the voice property being left empty.
// Asking for french says only french_24l exists; language with a model is refused.
GST_START_TEST(test_language_property) {
  Hub h;
  std::string yaml = read_text_file(data_path("tiny-v2/config.yaml"));
  const auto replace = [&](const std::string& from, const std::string& to) {
    const size_t at = yaml.find(from);
    fail_unless(at != std::string::npos, "no '%s' in the tiny-v2 config", from.c_str());
    yaml.replace(at, from.size(), to);
  };
  replace("weights_path: weights.safetensors\n",
          std::string("weights_path: hf://kyutai/pocket-tts/languages/german/model.safetensors@") +
              kPackRevision + "\n");
  replace("tokenizer_path: tokenizer.model",
          std::string("tokenizer_path: hf://kyutai/pocket-tts-without-voice-cloning/languages/"
                      "german/tokenizer.model@") +
              kPublicRevision);
  const std::string folder = h.dir + "/configs";
  fail_unless_equals_int(g_mkdir_with_parents(folder.c_str(), 0700), 0);
  write_bytes(folder + "/german.yaml", yaml);
  setenv("POCKETTTS_CONFIG_DIR", folder.c_str(), 1);
  h.hub.add_at_commit("kyutai/pocket-tts/languages/german/model.safetensors", kPackRevision,
                      read_text_file(data_path("tiny-v2/weights.safetensors")), true);
  h.hub.add_at_commit("kyutai/pocket-tts-without-voice-cloning/languages/german/tokenizer.model",
                      kPublicRevision, read_text_file(data_path("tiny-v2/tokenizer.model")), true);
  h.hub.add_at_commit(
      "kyutai/pocket-tts-without-voice-cloning/languages/german/embeddings/juergen.safetensors",
      kVoiceRevision, read_text_file(data_path("tiny-v2/voice/voice_state.safetensors")), true);

  GstElement* tts = gst_element_factory_make("pockettts", nullptr);
  g_object_set(tts, "language", "german", "temperature", 0.0f, nullptr);
  GstBus* bus = gst_bus_new();
  gst_element_set_bus(tts, bus);
  const GstStateChangeReturn ret = gst_element_set_state(tts, GST_STATE_READY);
  GError* error = nullptr;
  const auto voice = of_code(drain(bus, &error), "voice");
  fail_unless(error == nullptr, "%s", error ? error->message : "");
  fail_unless_equals_int(ret, GST_STATE_CHANGE_SUCCESS);
  fail_unless(!voice.empty(), "no PROGRESS for the voice");
  fail_unless(voice.front().text.find("juergen") != std::string::npos, "%s",
              voice.front().text.c_str());
  gst_element_set_state(tts, GST_STATE_NULL);
  fail_unless(speak(tts, "Guten Tag.") > 0, "no speech");
  gst_object_unref(bus);

  struct Case {
    const char* language;
    const char* model;
    GstResourceError code;
    const char* must_say;
  };
  for (const Case& c : {Case{"french", nullptr, GST_RESOURCE_ERROR_NOT_FOUND, "french_24l"},
                        Case{"german", "b6369a24-elsewhere.yaml", GST_RESOURCE_ERROR_SETTINGS,
                             "language"}}) {
    GstElement* bad = gst_element_factory_make("pockettts", nullptr);
    g_object_set(bad, "language", c.language, nullptr);
    if (c.model) g_object_set(bad, "model", c.model, nullptr);
    GstBus* bad_bus = gst_bus_new();
    gst_element_set_bus(bad, bad_bus);
    fail_unless_equals_int(gst_element_set_state(bad, GST_STATE_READY), GST_STATE_CHANGE_FAILURE);
    GError* error = nullptr;
    drain(bad_bus, &error);
    fail_unless(error != nullptr, "no error posted");
    fail_unless(g_error_matches(error, GST_RESOURCE_ERROR, c.code), "%s", error->message);
    fail_unless(strstr(error->message, c.must_say) != nullptr, "%s", error->message);
    g_error_free(error);
    gst_element_set_state(bad, GST_STATE_NULL);
    gst_object_unref(bad);
    gst_object_unref(bad_bus);
  }
}
GST_END_TEST

static Suite* pockettts_loading_suite(void) {
  Suite* s = suite_create("pockettts_loading");
  TCase* tc = tcase_create("loading");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_progress_while_downloading_then_offline);
  tcase_add_test(tc, test_load_errors_are_actionable);
  tcase_add_test(tc, test_language_property);
  return s;
}

GST_CHECK_MAIN(pockettts_loading);
