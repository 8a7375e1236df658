// The tiny model loaded from a Hugging Face hub on loopback (test_hub.h) with an http:// voice,
// as a user loads the real one: generation equal to the golden audio from an empty cache, then
// again offline with the hub stopped; gated weights that fall back to the public ones; a model
// pack chosen by its language, with the tiny-v2 model and a predefined voice at the hub paths
// and revisions the shipped pack configs name.
// Everything test_hub.h needs before model_fixture.h brings in check.h (its `fail` macro).
#include <libsoup/soup.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "model_fixture.h"
#include "test_hub.h"

using namespace pockettts;
using namespace pockettts_test;

namespace {

// The tiny test config with its files on the hub instead of beside it.
std::string hub_config(const std::string& dir, const std::string& weights,
                       const std::string& fallback_weights) {
  std::string yaml = read_text_file(data_path("tiny/config.yaml"));
  const auto replace = [&](const std::string& from, const std::string& to) {
    const size_t at = yaml.find(from);
    ck_assert_msg(at != std::string::npos, "no '%s' in the tiny config", from.c_str());
    yaml.replace(at, from.size(), to);
  };
  std::string weights_lines = "weights_path: " + weights + "\n";
  if (!fallback_weights.empty()) {
    weights_lines += "weights_path_without_voice_cloning: " + fallback_weights + "\n";
  }
  replace("weights_path: weights.safetensors\n", weights_lines);
  replace("tokenizer_path: tokenizer.model", "tokenizer_path: hf://org/tiny/tokenizer.model");
  const std::string path = dir + "/config.yaml";
  write_bytes(path, yaml);
  return path;
}

struct HubModel {
  TestHub hub;
  std::string dir;
  std::string voice_url;

  HubModel() {
    dir = make_temp_dir();
    setenv("HF_HOME", (dir + "/hf-home").c_str(), 1);
    setenv("XDG_CACHE_HOME", (dir + "/xdg").c_str(), 1);
    setenv("HF_ENDPOINT", hub.endpoint().c_str(), 1);
    setenv("HF_HUB_OFFLINE", "0", 1);
    setenv("HF_HUB_ETAG_TIMEOUT", "5", 1);
    setenv("HF_HUB_DOWNLOAD_TIMEOUT", "5", 1);
    for (const char* name :
         {"HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_TOKEN", "http_proxy", "https_proxy",
          "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"}) {
      unsetenv(name);
    }
    setenv("no_proxy", "127.0.0.1,127.0.0.2", 1);
    hub.add("org/tiny/weights.safetensors", read_text_file(data_path("tiny/weights.safetensors")),
            true);
    hub.add("org/tiny/tokenizer.model", read_text_file(data_path("tiny/tokenizer.model")), true);
    hub.add("org/voices/prompt/voice_s16.wav", read_text_file(voice_wav()));
    voice_url = hub.endpoint() + "/org/voices/resolve/main/prompt/voice_s16.wav";
  }
};

std::shared_ptr<const TTSModel> load(const std::string& config, const nlohmann::json& meta) {
  LoadOptions options;
  options.config = config;
  options.sampling.temp = meta["temp"].get<float>();
  options.sampling.lsd_decode_steps = meta["lsd_decode_steps"].get<int>();
  options.sampling.eos_threshold = meta["eos_threshold"].get<float>();
  return TTSModel::load_model(options);
}

void assert_golden_audio(const TTSModel& model, const std::string& voice,
                         const nlohmann::json& meta) {
  GenerateOptions options;
  options.max_tokens = meta["max_tokens"].get<int>();
  VoiceState state = model.get_state_for_audio_prompt(voice);
  const std::vector<float> audio =
      model.generate_audio(state, meta["text"].get<std::string>(), options);
  const at::Tensor want = golden("gen/short.safetensors")["audio"];
  ck_assert_int_eq(static_cast<int64_t>(audio.size()), want.numel());
  ASSERT_CLOSE(at::tensor(audio), want, kParityTolerance, "audio of the model from the hub");
}

std::vector<std::string> g_logged;

void record_log(const gchar*, GLogLevelFlags, const gchar* message, gpointer) {
  g_logged.emplace_back(message);
}

}  // namespace

START_TEST(test_model_from_the_hub_generates_the_golden_audio_then_offline) {
  HubModel h;
  const nlohmann::json meta = manifest_case("short");
  const std::string config_name = meta["config"].get<std::string>();  // check keeps the pointer
  ck_assert_str_eq(config_name.c_str(), "config.yaml");
  const std::string config = hub_config(h.dir, "hf://org/tiny/weights.safetensors", "");
  {
    auto model = load(config, meta);
    ck_assert(model->has_voice_cloning());
    assert_golden_audio(*model, h.voice_url, meta);
  }
  // The weights came through the storage host, the voice straight from its URL.
  ck_assert_int_eq(h.hub.storage().count("GET"), 2);

  h.hub.stop();
  setenv("HF_HUB_OFFLINE", "1", 1);
  auto model = load(config, meta);
  assert_golden_audio(*model, h.voice_url, meta);
}
END_TEST

START_TEST(test_gated_weights_fall_back_to_the_public_ones) {
  HubModel h;
  h.hub.add("org/gated/weights.safetensors", "never served", true);
  h.hub.set_status("org/gated/weights.safetensors", 401);
  const nlohmann::json meta = manifest_case("short");
  const std::string config =
      hub_config(h.dir, "hf://org/gated/weights.safetensors", "hf://org/tiny/weights.safetensors");
  g_log_set_handler("pockettts", G_LOG_LEVEL_INFO, record_log, nullptr);
  auto model = load(config, meta);
  ck_assert(!model->has_voice_cloning());
  bool reason_logged = false;
  for (const auto& line : g_logged) {
    reason_logged |= line.find("hf://org/gated/weights.safetensors") != std::string::npos &&
                     line.find("401") != std::string::npos;
  }
  ck_assert_msg(reason_logged, "the fallback's reason was not logged");

  const std::string message =
      expect_error([&] { model->get_state_for_audio_prompt(h.voice_url); }, ErrorCode::kUnsupported,
                   "cloning without the gated weights");
  assert_contains(message, "accept the terms");
  assert_contains(message, "HF_TOKEN");
  assert_contains(message, "huggingface-cli login");
}
END_TEST

namespace {

constexpr const char* kPackRevision = "39592ff23c9ef80098bb74895d104c26275fe2c9";
constexpr const char* kPublicRevision = "d29db7978e464fb90cb3359ee0c69a273b9142cc";
constexpr const char* kVoiceRevision = "e041936c75475d350b405bc870bcf7c22da4e9e6";

// A config folder whose german.yaml is the tiny-v2 model with its files where the shipped
// german.yaml has them on the hub.
std::string german_config_dir(const std::string& dir) {
  std::string yaml = read_text_file(data_path("tiny-v2/config.yaml"));
  const auto replace = [&](const std::string& from, const std::string& to) {
    const size_t at = yaml.find(from);
    ck_assert_msg(at != std::string::npos, "no '%s' in the tiny-v2 config", from.c_str());
    yaml.replace(at, from.size(), to);
  };
  replace("weights_path: weights.safetensors\n",
          std::string("weights_path: hf://kyutai/pocket-tts/languages/german/model.safetensors@") +
              kPackRevision +
              "\nweights_path_without_voice_cloning: "
              "hf://kyutai/pocket-tts-without-voice-cloning/languages/german/model.safetensors@" +
              kPublicRevision + "\n");
  replace("tokenizer_path: tokenizer.model",
          std::string("tokenizer_path: hf://kyutai/pocket-tts-without-voice-cloning/languages/"
                      "german/tokenizer.model@") +
              kPublicRevision);
  const std::string folder = dir + "/configs";
  ck_assert_int_eq(g_mkdir_with_parents(folder.c_str(), 0700), 0);
  write_bytes(folder + "/german.yaml", yaml);
  return folder;
}

void add_german_pack(TestHub& hub) {
  const std::string weights = read_text_file(data_path("tiny-v2/weights.safetensors"));
  hub.add_at_commit("kyutai/pocket-tts/languages/german/model.safetensors", kPackRevision, weights,
                    true);
  hub.add_at_commit("kyutai/pocket-tts-without-voice-cloning/languages/german/tokenizer.model",
                    kPublicRevision, read_text_file(data_path("tiny-v2/tokenizer.model")), true);
  // The pack's voice is an exported model state, as the reference's are.
  hub.add_at_commit(
      "kyutai/pocket-tts-without-voice-cloning/languages/german/embeddings/juergen.safetensors",
      kVoiceRevision, read_text_file(data_path("tiny-v2/voice/voice_state.safetensors")), true);
}

std::shared_ptr<const TTSModel> load_language(const std::string& language,
                                              const nlohmann::json& meta) {
  LoadOptions options;
  options.language = language;
  options.sampling.temp = meta["temp"].get<float>();
  options.sampling.eos_threshold = meta["eos_threshold"].get<float>();
  return TTSModel::load_model(options);
}

void assert_golden_v2_audio(const TTSModel& model, const std::string& voice,
                            const nlohmann::json& meta) {
  GenerateOptions options;
  options.max_tokens = meta["max_tokens"].get<int>();
  VoiceState state = model.get_state_for_audio_prompt(voice);
  const std::vector<float> audio =
      model.generate_audio(state, meta["text"].get<std::string>(), options);
  const at::Tensor want = golden_v2("gen/short.safetensors")["audio"];
  ck_assert_int_eq(static_cast<int64_t>(audio.size()), want.numel());
  ASSERT_CLOSE(at::tensor(audio), want, kParityTolerance, "audio of the pack from the hub");
}

}  // namespace

START_TEST(test_language_pack_and_its_voice_come_from_the_hub_then_offline) {
  HubModel h;
  add_german_pack(h.hub);
  setenv("POCKETTTS_CONFIG_DIR", german_config_dir(h.dir).c_str(), 1);
  const nlohmann::json meta = manifest_v2_case("short");
  {
    auto model = load_language("german", meta);
    ASSERT_STR_EQ(model->variant(), "german");
    ASSERT_STR_EQ(model->options().config, "german");
    ASSERT_STR_EQ(model->reference_version(), "9514983");
    ck_assert(model->has_voice_cloning());
    ASSERT_STR_EQ(model->default_voice(), "juergen");
    ck_assert_uint_eq(model->predefined_voices().size(), 26);
    assert_golden_v2_audio(*model, "juergen", meta);
    // Another of the pack's voices is looked for in the pack's folder, at its revision.
    const std::string message = expect_error([&] { model->get_state_for_audio_prompt("lola"); },
                                             ErrorCode::kNotFound, "a voice the hub does not have");
    assert_contains(message, "languages/german/embeddings/lola.safetensors");
    const FetchedFile fetched = download_voice("juergen", "german", {});
    assert_contains(fetched.path, std::string("snapshots/") + kVoiceRevision +
                                      "/languages/german/embeddings/juergen.safetensors");
  }
  h.hub.stop();
  setenv("HF_HUB_OFFLINE", "1", 1);
  auto model = load_language("german", meta);
  assert_golden_v2_audio(*model, "juergen", meta);
}
END_TEST

START_TEST(test_language_errors) {
  const nlohmann::json meta = manifest_v2_case("short");
  std::string message =
      expect_error([&] { load_language("french", meta); }, ErrorCode::kNotFound, "french");
  assert_contains(message, "french_24l");
  LoadOptions both;
  both.language = "german";
  both.config = data_path("tiny-v2/config.yaml");
  message = expect_error([&] { TTSModel::load_model(both); }, ErrorCode::kInvalidArgument,
                         "language and config");
  assert_contains(message, "choose one");
}
END_TEST

int main() {
  Suite* suite = suite_create("hub_model");
  TCase* tc = tcase_create("hub_model");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, test_model_from_the_hub_generates_the_golden_audio_then_offline);
  tcase_add_test(tc, test_gated_weights_fall_back_to_the_public_ones);
  tcase_add_test(tc, test_language_pack_and_its_voice_come_from_the_hub_then_offline);
  tcase_add_test(tc, test_language_errors);
  suite_add_tcase(suite, tc);
  return pockettts_test::run_suite(suite);
}
