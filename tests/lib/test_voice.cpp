// Voice prompts: every way of getting a FlowLM state (audio_prompt files, exported states, WAV
// files, Audio structs, predefined voices through the hub cache), exporting it again, and the
// errors a user can cause with a bad voice; for the 9514983 packs (tiny-v2) the state that
// starts with bos_before_voice, the "/offset" state format, and voices made for another pack.

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>

#include <pockettts/audio_decoder.h>
#include <pockettts/wav_writer.h>
#include "formats/safetensors.h"
#include "model/voice_file.h"
#include "model_fixture.h"

using namespace pockettts;
using namespace pockettts_test;

namespace fs = std::filesystem;

namespace {

constexpr int kLayers = 2;  // tiny model: flow_lm.transformer.num_layers

std::string cache_key(int layer) {
  return "transformer.layers." + std::to_string(layer) + ".self_attn/cache";
}

// The state's cache of `layer` as the reference exports it: [2, 1, T, heads, head_dim].
at::Tensor state_cache(const VoiceState& state, int layer) {
  const FlowKvCache& kv = flow_state(state).layers.at(static_cast<size_t>(layer));
  return kv.cache.narrow(2, 0, kv.end);
}

void assert_state_matches_reference(const VoiceState& state, const std::string& what) {
  c10::InferenceMode guard;
  auto want = golden("voice/voice_state.safetensors");
  ck_assert_uint_eq(flow_state(state).layers.size(), kLayers);
  for (int i = 0; i < kLayers; ++i) {
    at::Tensor w = want.at(cache_key(i));
    at::Tensor got = state_cache(state, i);
    ck_assert_msg(got.sizes() == w.sizes(), "%s: layer %d cache shape differs", what.c_str(), i);
    ASSERT_CLOSE(got, w, kParityTolerance, what + " layer " + std::to_string(i));
  }
  ck_assert_int_eq(state.length(), want.at(cache_key(0)).size(2));
}

void assert_states_equal(const VoiceState& a, const VoiceState& b, const std::string& what) {
  c10::InferenceMode guard;
  ck_assert_int_eq(a.length(), b.length());
  ck_assert_uint_eq(flow_state(a).layers.size(), flow_state(b).layers.size());
  for (int i = 0; i < static_cast<int>(flow_state(a).layers.size()); ++i) {
    ck_assert_msg(at::equal(state_cache(a, i), state_cache(b, i)), "%s: layer %d differs",
                  what.c_str(), i);
  }
}

// The "short" generation case of the golden data.
struct ShortCase {
  nlohmann::json meta = manifest_case("short");
  std::shared_ptr<const TTSModel> model =
      load_tiny(meta["config"].get<std::string>(), meta["temp"].get<float>(),
                meta["lsd_decode_steps"].get<int>(), meta["eos_threshold"].get<float>());
  GenerateOptions options = [&] {
    GenerateOptions o;
    o.max_tokens = meta["max_tokens"].get<int>();
    o.seed = 0;
    return o;
  }();
  std::string text = meta["text"].get<std::string>();
};

void assert_short_audio(const std::vector<float>& audio, const std::string& what) {
  c10::InferenceMode guard;
  at::Tensor want = golden("gen/short.safetensors").at("audio");
  ck_assert_int_eq(static_cast<int64_t>(audio.size()), want.numel());
  ASSERT_CLOSE(at::tensor(audio), want, kParityTolerance, what);
}

Audio read_voice(int channels = 1) {
  return read_audio(voice_wav(), AudioReadOptions{24000, channels, std::nullopt});
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// States from prompts and files.

START_TEST(test_audio_prompt_file_gives_reference_state) {
  auto model = load_tiny();
  VoiceState state =
      model->get_state_for_audio_prompt(data_path("tiny/voice/voice_prompt.safetensors"));
  assert_state_matches_reference(state, "voice_prompt.safetensors");
}
END_TEST

START_TEST(test_wav_file_gives_reference_state) {
  auto model = load_tiny();
  VoiceState state = model->get_state_for_audio_prompt(voice_wav());
  assert_state_matches_reference(state, "voice_s16.wav");
}
END_TEST

START_TEST(test_state_file_loads_and_generates_reference_audio) {
  ShortCase c;
  VoiceState state =
      c.model->get_state_for_audio_prompt(data_path("tiny/voice/voice_state.safetensors"));
  assert_state_matches_reference(state, "voice_state.safetensors");
  assert_short_audio(c.model->generate_audio(state, c.text, c.options),
                     "short audio from voice_state.safetensors");
}
END_TEST

// ---------------------------------------------------------------------------------------------
// Exporting states and prompts.

START_TEST(test_exported_state_reloads_with_same_caches_and_audio) {
  ShortCase c;
  const std::string dir = make_temp_dir();
  VoiceState state = c.model->get_state_for_audio_prompt(voice_wav());
  c.model->export_voice_state(state, dir + "/state");
  ck_assert(fs::exists(dir + "/state.safetensors"));
  VoiceState reloaded = c.model->get_state_for_audio_prompt(dir + "/state.safetensors");
  assert_states_equal(state, reloaded, "exported state");

  std::vector<float> from_original = c.model->generate_audio(state, c.text, c.options);
  std::vector<float> from_reloaded = c.model->generate_audio(reloaded, c.text, c.options);
  ck_assert_msg(from_original == from_reloaded, "audio from the reloaded state differs");
  assert_short_audio(from_reloaded, "short audio from the exported state");
}
END_TEST

START_TEST(test_exported_state_has_reference_layout) {
  auto model = load_tiny();
  const std::string dir = make_temp_dir();
  VoiceState state = model->get_state_for_audio_prompt(voice_wav());
  model->export_voice_state(state, dir + "/state.safetensors");
  auto got = SafetensorsFile::open(dir + "/state.safetensors");
  auto want = SafetensorsFile::open(data_path("tiny/voice/voice_state.safetensors"));
  ck_assert_uint_eq(got->tensors().size(), want->tensors().size());
  for (const TensorInfo& w : want->tensors()) {
    const TensorInfo* g = got->find(w.name);
    ck_assert_msg(g != nullptr, "exported state has no '%s'", w.name.c_str());
    ck_assert_msg(g->dtype == w.dtype, "'%s': dtype %s, reference %s", w.name.c_str(),
                  dtype_name(g->dtype), dtype_name(w.dtype));
    ck_assert_msg(g->shape == w.shape, "'%s': shape differs from the reference's", w.name.c_str());
  }
  // Same writer conventions: the header is byte for byte the reference file's.
  const std::string got_bytes = read_text_file(dir + "/state.safetensors");
  const std::string want_bytes = read_text_file(data_path("tiny/voice/voice_state.safetensors"));
  ck_assert_uint_eq(got_bytes.size(), want_bytes.size());
  uint64_t header = 0;
  std::memcpy(&header, want_bytes.data(), sizeof(header));
  ck_assert_msg(got_bytes.compare(0, 8 + header, want_bytes, 0, 8 + header) == 0,
                "exported header differs from the reference's");
}
END_TEST

START_TEST(test_export_path_gets_safetensors_suffix_like_python) {
  struct {
    const char* in;
    const char* out;
  } cases[] = {
      {"x", "x.safetensors"},
      {"x.wav", "x.safetensors"},
      {"x.safetensors", "x.safetensors"},
      {"dir/x.tar.gz", "dir/x.tar.safetensors"},
      {"dir.d/x", "dir.d/x.safetensors"},
      {".hidden", ".hidden.safetensors"},
      {"dir/.hidden", "dir/.hidden.safetensors"},
      {"x.", "x..safetensors"},
      {"dir/x/", "dir/x.safetensors"},
  };
  for (const auto& c : cases) {
    const std::string got = with_safetensors_suffix(c.in);
    ck_assert_msg(got == c.out, "with_safetensors_suffix(%s) = %s, expected %s", c.in, got.c_str(),
                  c.out);
  }

  auto model = load_tiny();
  const std::string dir = make_temp_dir();
  VoiceState state =
      model->get_state_for_audio_prompt(data_path("tiny/voice/voice_state.safetensors"));
  model->export_voice_state(state, dir + "/a");
  model->export_voice_state(state, dir + "/b.wav");
  ck_assert(fs::exists(dir + "/a.safetensors"));
  ck_assert(fs::exists(dir + "/b.safetensors"));
  ck_assert(!fs::exists(dir + "/a"));
  ck_assert(!fs::exists(dir + "/b.wav"));
}
END_TEST

START_TEST(test_save_audio_prompt_writes_reference_prompt) {
  c10::InferenceMode guard;
  auto model = load_tiny();
  const std::string dir = make_temp_dir();
  Audio audio = model->save_audio_prompt(voice_wav(), dir + "/v");
  ck_assert_int_eq(audio.sample_rate, 24000);
  ck_assert_int_eq(audio.channels, 1);
  ck_assert_uint_eq(audio.frames(), 36000);
  ck_assert(fs::exists(dir + "/v.safetensors"));
  auto got = load_tensors(dir + "/v.safetensors");
  ck_assert_uint_eq(got.size(), 1);
  at::Tensor want = golden("voice/voice_prompt.safetensors").at("audio_prompt");
  ck_assert_msg(got.at("audio_prompt").sizes() == want.sizes(), "audio_prompt shape differs");
  ASSERT_CLOSE(got.at("audio_prompt"), want, kParityTolerance, "saved audio_prompt");

  // The returned audio is what was encoded: encoding it again gives the same prompt.
  FloatTensor again = model->encode_audio_prompt(audio);
  ASSERT_CLOSE(at::tensor(again.data).reshape(again.shape), got.at("audio_prompt"), 0,
               "prompt of the returned audio");
}
END_TEST

// ---------------------------------------------------------------------------------------------
// Predefined voices through the Hugging Face cache.

// A fresh, empty HF_HOME that alone decides where the hub cache is; returns its path.
std::string empty_hf_home() {
  const std::string home = make_temp_dir();
  ck_assert_int_eq(setenv("HF_HOME", home.c_str(), 1), 0);
  unsetenv("HF_HUB_CACHE");
  unsetenv("HUGGINGFACE_HUB_CACHE");
  return home;
}

START_TEST(test_predefined_voice_resolves_through_hf_cache) {
  const std::string home = empty_hf_home();
  const fs::path folder = fs::path(home) / "hub" /
                          "models--kyutai--pocket-tts-without-voice-cloning" / "snapshots" /
                          "d4fdd22ae8c8e1cb3634e150ebeff1dab2d16df3" / "embeddings";
  fs::create_directories(folder);
  fs::copy_file(data_path("tiny/voice/voice_prompt.safetensors"), folder / "alba.safetensors");

  auto model = load_tiny();
  VoiceState state = model->get_state_for_audio_prompt("alba");
  assert_state_matches_reference(state, "alba (cached voice_prompt)");
}
END_TEST

START_TEST(test_predefined_voice_missing_from_cache_names_the_path) {
  const std::string home = empty_hf_home();
  auto model = load_tiny();
  const std::string message = expect_error([&] { model->get_state_for_audio_prompt("alba"); },
                                           ErrorCode::kNotFound, "alba absent from the cache");
  assert_contains(message, home +
                               "/hub/models--kyutai--pocket-tts-without-voice-cloning/"
                               "snapshots/d4fdd22ae8c8e1cb3634e150ebeff1dab2d16df3/"
                               "embeddings/alba.safetensors");
}
END_TEST

// ---------------------------------------------------------------------------------------------
// Audio struct input.

START_TEST(test_audio_struct_gives_same_state_as_wav_path) {
  auto model = load_tiny();
  Audio audio = read_voice();
  ck_assert_int_eq(audio.sample_rate, 24000);
  VoiceState from_audio = model->get_state_for_audio_prompt(audio);
  VoiceState from_path = model->get_state_for_audio_prompt(voice_wav());
  assert_states_equal(from_audio, from_path, "Audio vs path");
  assert_state_matches_reference(from_audio, "Audio struct");
}
END_TEST

START_TEST(test_stereo_audio_averages_channels) {
  auto model = load_tiny();
  Audio mono = read_voice();
  // Left 2x, right silent: the average is exactly the mono signal.
  Audio stereo{mono.sample_rate, 2, {}};
  for (float s : mono.samples) stereo.samples.push_back(2 * s);
  stereo.samples.insert(stereo.samples.end(), mono.frames(), 0.0f);
  VoiceState from_stereo = model->get_state_for_audio_prompt(stereo);
  VoiceState from_mono = model->get_state_for_audio_prompt(mono);
  c10::InferenceMode guard;
  for (int i = 0; i < kLayers; ++i) {
    ASSERT_CLOSE(state_cache(from_stereo, i), state_cache(from_mono, i), 1e-6,
                 "stereo vs mono layer " + std::to_string(i));
  }
}
END_TEST

// A stereo file is averaged to mono, as the reference's convert_audio does (mean of channels).
START_TEST(test_stereo_file_averages_channels) {
  auto model = load_tiny();
  Audio mono = read_voice();
  Audio stereo{mono.sample_rate, 2, {}};
  for (float s : mono.samples) stereo.samples.push_back(0.75f * s);
  for (float s : mono.samples) stereo.samples.push_back(1.25f * s);
  const std::string path = make_temp_dir() + "/stereo.wav";
  write_wav(path, stereo, WavFormat::kF32);
  VoiceState from_stereo = model->get_state_for_audio_prompt(path);
  VoiceState from_mono = model->get_state_for_audio_prompt(mono);
  c10::InferenceMode guard;
  for (int i = 0; i < kLayers; ++i) {
    ASSERT_CLOSE(state_cache(from_stereo, i), state_cache(from_mono, i), kParityTolerance,
                 "stereo file vs mono layer " + std::to_string(i));
  }
}
END_TEST

// Channel-major samples that do not fill whole frames cannot be split into channels.
START_TEST(test_audio_with_partial_frame_is_rejected) {
  auto model = load_tiny();
  Audio audio = read_voice();
  audio.channels = 2;
  audio.samples.push_back(0.0f);  // 36001 samples: not a whole number of stereo frames
  expect_error([&] { model->get_state_for_audio_prompt(audio); }, ErrorCode::kInvalidArgument,
               "36001 samples in 2 channels");
  // Also when it is long enough to be truncated first.
  Audio long_audio{24000, 2, std::vector<float>(2 * 31 * 24000 + 1, 0.1f)};
  expect_error([&] { model->get_state_for_audio_prompt(long_audio, true); },
               ErrorCode::kInvalidArgument, "31 s stereo plus one sample, truncated");
}
END_TEST

START_TEST(test_audio_at_wrong_sample_rate_is_rejected) {
  auto model = load_tiny();
  Audio audio = read_voice();
  audio.sample_rate = 16000;
  const std::string message = expect_error([&] { model->get_state_for_audio_prompt(audio); },
                                           ErrorCode::kInvalidArgument, "16 kHz Audio");
  assert_contains(message, "16000");
  assert_contains(message, "24000");
  expect_error(
      [&] {
        model->get_state_for_audio_prompt(Audio{24000, 1, {}});
      },
      ErrorCode::kInvalidArgument, "empty Audio");
}
END_TEST

// 31 s of audio: truncate keeps 30 s = ceil(30 * 24000 / 1920) = 375 positions.
START_TEST(test_truncate_keeps_first_30_seconds) {
  auto model = load_tiny();
  Audio voice = read_voice();
  Audio long_audio{24000, 1, {}};
  while (long_audio.samples.size() < 31u * 24000u) {
    long_audio.samples.insert(long_audio.samples.end(), voice.samples.begin(), voice.samples.end());
  }
  long_audio.samples.resize(31u * 24000u);
  VoiceState truncated = model->get_state_for_audio_prompt(long_audio, true);
  ck_assert_int_eq(truncated.length(), 375);

  Audio first_30{24000, 1, {}};
  first_30.samples.assign(long_audio.samples.begin(), long_audio.samples.begin() + 30 * 24000);
  assert_states_equal(truncated, model->get_state_for_audio_prompt(first_30), "truncated Audio");

  // The same through a file path (the decoder stops after 30 s).
  const std::string dir = make_temp_dir();
  write_wav(dir + "/long.wav", long_audio, WavFormat::kF32);
  ck_assert_int_eq(model->get_state_for_audio_prompt(dir + "/long.wav", true).length(), 375);
  // Without truncation all 31 s count: ceil(31 * 24000 / 1920) = 388.
  ck_assert_int_eq(model->get_state_for_audio_prompt(long_audio, false).length(), 388);
}
END_TEST

// ---------------------------------------------------------------------------------------------
// copy_state.

START_TEST(test_copy_state_false_advances_the_state) {
  ShortCase c;
  VoiceState state = c.model->get_state_for_audio_prompt(voice_wav());
  const int64_t before = state.length();
  c.options.copy_state = false;
  std::vector<float> audio = c.model->generate_audio(state, c.text, c.options);
  // Advanced by the text tokens and every generation step that ran (frames + the final one).
  const int tokens = c.meta["chunks"][0]["n_tokens"].get<int>();
  const int steps = c.meta["chunks"][0]["n_flow_steps"].get<int>();
  ck_assert_int_eq(state.length(), before + tokens + steps);
  // The first generation is still the reference's; the state it left behind is not the voice's.
  assert_short_audio(audio, "copy_state=false audio");
}
END_TEST

START_TEST(test_copy_state_true_leaves_the_state_unchanged) {
  ShortCase c;
  VoiceState state = c.model->get_state_for_audio_prompt(voice_wav());
  const VoiceState before = state;
  c.options.copy_state = true;
  std::vector<float> first = c.model->generate_audio(state, c.text, c.options);
  assert_states_equal(state, before, "state after copy_state=true");
  std::vector<float> second = c.model->generate_audio(state, c.text, c.options);
  ck_assert_msg(first == second, "a second generation from the same state differs");
}
END_TEST

// Without the voice-cloning weights (weights_path absent, the fallback present), audio cannot be
// encoded from files, but prompt files, states and predefined voices still work.
START_TEST(test_without_voice_cloning_only_voice_files_work) {
  const std::string dir = make_temp_dir();
  std::string yaml = read_text_file(data_path("tiny/config.yaml"));
  const std::string key = "weights_path: weights.safetensors\n";
  yaml.replace(yaml.find(key), key.size(),
               "weights_path: absent.safetensors\n"
               "weights_path_without_voice_cloning: " +
                   data_path("tiny/weights.safetensors") + "\n");
  write_bytes(dir + "/config.yaml", yaml);
  fs::create_symlink(data_path("tiny/tokenizer.model"), dir + "/tokenizer.model");
  LoadOptions options;
  options.config = dir + "/config.yaml";
  auto model = TTSModel::load_model(options);
  ck_assert(!model->has_voice_cloning());

  const std::string message = expect_error([&] { model->get_state_for_audio_prompt(voice_wav()); },
                                           ErrorCode::kUnsupported, "wav without voice cloning");
  assert_contains(message, "voice cloning");
  expect_error([&] { model->save_audio_prompt(voice_wav(), dir + "/v"); }, ErrorCode::kUnsupported,
               "save_audio_prompt without voice cloning");
  assert_state_matches_reference(
      model->get_state_for_audio_prompt(data_path("tiny/voice/voice_prompt.safetensors")),
      "voice_prompt.safetensors without voice cloning");
  assert_state_matches_reference(
      model->get_state_for_audio_prompt(data_path("tiny/voice/voice_state.safetensors")),
      "voice_state.safetensors without voice cloning");
}
END_TEST

// ---------------------------------------------------------------------------------------------
// Errors.

START_TEST(test_missing_voice_file_is_not_found) {
  auto model = load_tiny();
  const std::string dir = make_temp_dir();
  std::string message =
      expect_error([&] { model->get_state_for_audio_prompt(dir + "/absent.wav"); },
                   ErrorCode::kNotFound, "absent .wav");
  assert_contains(message, dir + "/absent.wav");
  message = expect_error([&] { model->get_state_for_audio_prompt(dir + "/absent.safetensors"); },
                         ErrorCode::kNotFound, "absent .safetensors");
  assert_contains(message, dir + "/absent.safetensors");
}
END_TEST

START_TEST(test_random_bytes_wav_is_invalid_data) {
  auto model = load_tiny();
  const std::string path = make_temp_dir() + "/noise.wav";
  std::mt19937 rng(3);
  std::string bytes(8192, '\0');
  for (char& b : bytes) b = static_cast<char>(rng() & 0xff);
  write_bytes(path, bytes);
  const std::string message = expect_error([&] { model->get_state_for_audio_prompt(path); },
                                           ErrorCode::kInvalidData, "random .wav");
  assert_contains(message, path);
}
END_TEST

START_TEST(test_safetensors_without_prompt_or_state_is_invalid_data) {
  c10::InferenceMode guard;
  auto model = load_tiny();
  const std::string path = make_temp_dir() + "/other.safetensors";
  save_tensors(path, {{"something_else", at::zeros({3, 4})}});
  const std::string message = expect_error([&] { model->get_state_for_audio_prompt(path); },
                                           ErrorCode::kInvalidData, "no prompt, no state");
  assert_contains(message, path);
  assert_contains(message, "audio_prompt");
}
END_TEST

START_TEST(test_audio_prompt_with_wrong_width_names_shapes) {
  c10::InferenceMode guard;
  auto model = load_tiny();
  const std::string path = make_temp_dir() + "/narrow.safetensors";
  save_tensors(path, {{"audio_prompt", at::zeros({1, 5, 32})}});
  const std::string message = expect_error([&] { model->get_state_for_audio_prompt(path); },
                                           ErrorCode::kInvalidData, "audio_prompt [1, 5, 32]");
  assert_contains(message, path);
  assert_contains(message, "[1, 5, 32]");
  assert_contains(message, "64]");
}
END_TEST

START_TEST(test_state_file_for_another_model_is_invalid_data) {
  c10::InferenceMode guard;
  auto model = load_tiny();
  auto tensors = golden("voice/voice_state.safetensors");
  tensors[cache_key(1)] = at::zeros({2, 1, 19, 2, 16});  // 2 heads instead of 4
  const std::string path = make_temp_dir() + "/state.safetensors";
  save_tensors(path, tensors);
  const std::string message = expect_error([&] { model->get_state_for_audio_prompt(path); },
                                           ErrorCode::kInvalidData, "state with 2 heads");
  assert_contains(message, cache_key(1));
  assert_contains(message, "[2, 1, 19, 2, 16]");
}
END_TEST

// ---------------------------------------------------------------------------------------------
// tiny-v2: the reference at 9514983.

void assert_v2_state_matches_reference(const VoiceState& state, const std::string& what) {
  c10::InferenceMode guard;
  auto want = golden_v2("voice/voice_state.safetensors");
  for (int i = 0; i < kLayers; ++i) {
    at::Tensor w = want.at(cache_key(i));
    at::Tensor got = state_cache(state, i);
    ck_assert_msg(got.sizes() == w.sizes(), "%s: layer %d cache shape differs", what.c_str(), i);
    ASSERT_CLOSE(got, w, kParityTolerance, what + " layer " + std::to_string(i));
  }
  // 19 audio frames and bos_before_voice.
  ck_assert_int_eq(state.length(), 20);
}

START_TEST(test_v2_wav_gives_the_reference_state_with_bos_before_voice) {
  auto model = load_tiny_v2();
  assert_v2_state_matches_reference(model->get_state_for_audio_prompt(voice_wav_v2()),
                                    "v2 voice_s16.wav");
  assert_v2_state_matches_reference(
      model->get_state_for_audio_prompt(data_path("tiny-v2/voice/voice_state.safetensors")),
      "v2 voice_state.safetensors (offset format)");
}
END_TEST

START_TEST(test_v2_exported_state_has_the_reference_layout) {
  auto model = load_tiny_v2();
  const std::string dir = make_temp_dir();
  VoiceState state = model->get_state_for_audio_prompt(voice_wav_v2());
  model->export_voice_state(state, dir + "/state.safetensors");
  auto got = SafetensorsFile::open(dir + "/state.safetensors");
  auto want = SafetensorsFile::open(data_path("tiny-v2/voice/voice_state.safetensors"));
  ck_assert_uint_eq(got->tensors().size(), want->tensors().size());
  for (const TensorInfo& w : want->tensors()) {
    const TensorInfo* g = got->find(w.name);
    ck_assert_msg(g != nullptr, "exported state has no '%s'", w.name.c_str());
    ck_assert_msg(g->dtype == w.dtype && g->shape == w.shape, "'%s' differs from the reference's",
                  w.name.c_str());
  }
  const std::string got_bytes = read_text_file(dir + "/state.safetensors");
  const std::string want_bytes = read_text_file(data_path("tiny-v2/voice/voice_state.safetensors"));
  uint64_t header = 0;
  std::memcpy(&header, want_bytes.data(), sizeof(header));
  ck_assert_msg(got_bytes.compare(0, 8 + header, want_bytes, 0, 8 + header) == 0,
                "exported header differs from the reference's");
  // The offsets hold the position: 20.
  c10::InferenceMode guard;
  ck_assert_int_eq(load_tensors(dir + "/state.safetensors")
                       .at("transformer.layers.0.self_attn/offset")
                       .item<int64_t>(),
                   20);
  assert_states_equal(state, model->get_state_for_audio_prompt(dir + "/state.safetensors"),
                      "v2 export reloaded");
}
END_TEST

// As the reference at 9514983 (_import_model_state): 4ae9fb2's "/current_end" layout loads too.
START_TEST(test_v2_model_reads_the_current_end_layout) {
  c10::InferenceMode guard;
  auto model = load_tiny_v2();
  auto tensors = golden_v2("voice/voice_state.safetensors");
  for (int i = 0; i < kLayers; ++i) {
    const std::string layer = "transformer.layers." + std::to_string(i) + ".self_attn";
    tensors.erase(layer + "/offset");
    tensors[layer + "/current_end"] = at::zeros({20});
  }
  const std::string path = make_temp_dir() + "/old_layout.safetensors";
  save_tensors(path, tensors);
  assert_v2_state_matches_reference(model->get_state_for_audio_prompt(path), "current_end layout");
}
END_TEST

// Our audio_prompt files hold the prompt without bos_before_voice; loading one prefills both.
START_TEST(test_v2_audio_prompt_file_gets_bos_before_voice) {
  auto model = load_tiny_v2();
  const std::string dir = make_temp_dir();
  model->save_audio_prompt(voice_wav_v2(), dir + "/v");
  c10::InferenceMode guard;
  ck_assert_int_eq(load_tensors(dir + "/v.safetensors").at("audio_prompt").size(1), 19);
  assert_v2_state_matches_reference(model->get_state_for_audio_prompt(dir + "/v.safetensors"),
                                    "v2 audio_prompt file");
}
END_TEST

START_TEST(test_voice_state_of_another_layer_count_is_refused) {
  c10::InferenceMode guard;
  auto model = load_tiny_v2();
  auto tensors = golden_v2("voice/voice_state.safetensors");
  tensors["transformer.layers.2.self_attn/cache"] = tensors.at(cache_key(1)).clone();
  tensors["transformer.layers.2.self_attn/offset"] = at::full({1}, 20, at::kLong);
  const std::string dir = make_temp_dir();
  save_tensors(dir + "/three.safetensors", tensors);
  std::string message =
      expect_error([&] { model->get_state_for_audio_prompt(dir + "/three.safetensors"); },
                   ErrorCode::kInvalidData, "3-layer voice on a 2-layer model");
  assert_contains(message, "holds the state of a 3-layer model; this model has 2 layers");
  assert_contains(message, "made for one model pack");
  tensors.erase("transformer.layers.2.self_attn/cache");
  tensors.erase("transformer.layers.2.self_attn/offset");
  tensors.erase(cache_key(1));
  save_tensors(dir + "/one.safetensors", tensors);
  message = expect_error([&] { model->get_state_for_audio_prompt(dir + "/one.safetensors"); },
                         ErrorCode::kInvalidData, "1-layer voice on a 2-layer model");
  assert_contains(message, "1-layer model; this model has 2 layers");
}
END_TEST

START_TEST(test_voice_of_another_width_is_refused_saying_so) {
  c10::InferenceMode guard;
  auto model = load_tiny_v2();
  auto tensors = golden_v2("voice/voice_state.safetensors");
  for (int i = 0; i < kLayers; ++i) tensors[cache_key(i)] = at::zeros({2, 1, 20, 8, 16});
  const std::string dir = make_temp_dir();
  save_tensors(dir + "/wide.safetensors", tensors);
  std::string message =
      expect_error([&] { model->get_state_for_audio_prompt(dir + "/wide.safetensors"); },
                   ErrorCode::kInvalidData, "a state of width 128");
  assert_contains(message, "a voice made for a model of width 128 in 8 heads");
  assert_contains(message, "this model's width is 64 in 4 heads");
  save_tensors(dir + "/prompt.safetensors", {{"audio_prompt", at::zeros({1, 5, 1024})}});
  message = expect_error([&] { model->get_state_for_audio_prompt(dir + "/prompt.safetensors"); },
                         ErrorCode::kInvalidData, "a prompt of width 1024");
  assert_contains(message, "a voice made for a model of width 1024; this model's width is 64");
  auto bad_offset = golden_v2("voice/voice_state.safetensors");
  bad_offset["transformer.layers.0.self_attn/offset"] = at::full({1}, 20.0f);
  save_tensors(dir + "/float_offset.safetensors", bad_offset);
  message =
      expect_error([&] { model->get_state_for_audio_prompt(dir + "/float_offset.safetensors"); },
                   ErrorCode::kInvalidData, "a float offset");
  assert_contains(message, "must hold one integer");
}
END_TEST

// As in the reference at 9514983: predefined voices belong to a pack loaded by its id.
START_TEST(test_v2_config_from_a_path_has_no_predefined_voices) {
  auto model = load_tiny_v2();
  ck_assert(model->predefined_voices().empty());
  ck_assert(model->default_voice().empty());
  const std::string message = expect_error([&] { model->get_state_for_audio_prompt("juergen"); },
                                           ErrorCode::kInvalidArgument, "juergen without a pack");
  assert_contains(message, "not by a pack id");
  assert_contains(message, data_path("tiny-v2/config.yaml"));
  // A 4ae9fb2 config keeps b6369a24's voices wherever it comes from.
  auto old = load_tiny();
  ck_assert_uint_eq(old->predefined_voices().size(), 8);
  ASSERT_STR_EQ(old->default_voice(), "alba");
}
END_TEST

START_TEST(test_empty_voice_is_invalid_argument) {
  auto model = load_tiny();
  expect_error([&] { model->get_state_for_audio_prompt(std::string()); },
               ErrorCode::kInvalidArgument, "empty voice");
}
END_TEST

int main() {
  Suite* suite = suite_create("voice");
  TCase* tc = tcase_create("voice");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, test_audio_prompt_file_gives_reference_state);
  tcase_add_test(tc, test_wav_file_gives_reference_state);
  tcase_add_test(tc, test_state_file_loads_and_generates_reference_audio);
  tcase_add_test(tc, test_exported_state_reloads_with_same_caches_and_audio);
  tcase_add_test(tc, test_exported_state_has_reference_layout);
  tcase_add_test(tc, test_export_path_gets_safetensors_suffix_like_python);
  tcase_add_test(tc, test_save_audio_prompt_writes_reference_prompt);
  tcase_add_test(tc, test_predefined_voice_resolves_through_hf_cache);
  tcase_add_test(tc, test_v2_wav_gives_the_reference_state_with_bos_before_voice);
  tcase_add_test(tc, test_v2_exported_state_has_the_reference_layout);
  tcase_add_test(tc, test_v2_model_reads_the_current_end_layout);
  tcase_add_test(tc, test_v2_audio_prompt_file_gets_bos_before_voice);
  tcase_add_test(tc, test_voice_state_of_another_layer_count_is_refused);
  tcase_add_test(tc, test_voice_of_another_width_is_refused_saying_so);
  tcase_add_test(tc, test_v2_config_from_a_path_has_no_predefined_voices);
  tcase_add_test(tc, test_predefined_voice_missing_from_cache_names_the_path);
  tcase_add_test(tc, test_audio_struct_gives_same_state_as_wav_path);
  tcase_add_test(tc, test_stereo_audio_averages_channels);
  tcase_add_test(tc, test_stereo_file_averages_channels);
  tcase_add_test(tc, test_audio_with_partial_frame_is_rejected);
  tcase_add_test(tc, test_audio_at_wrong_sample_rate_is_rejected);
  tcase_add_test(tc, test_truncate_keeps_first_30_seconds);
  tcase_add_test(tc, test_copy_state_false_advances_the_state);
  tcase_add_test(tc, test_copy_state_true_leaves_the_state_unchanged);
  tcase_add_test(tc, test_without_voice_cloning_only_voice_files_work);
  tcase_add_test(tc, test_missing_voice_file_is_not_found);
  tcase_add_test(tc, test_random_bytes_wav_is_invalid_data);
  tcase_add_test(tc, test_safetensors_without_prompt_or_state_is_invalid_data);
  tcase_add_test(tc, test_audio_prompt_with_wrong_width_names_shapes);
  tcase_add_test(tc, test_state_file_for_another_model_is_invalid_data);
  tcase_add_test(tc, test_empty_voice_is_invalid_argument);
  suite_add_tcase(suite, tc);
  return run_suite(suite);
}
