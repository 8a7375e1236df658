// Loading a model: every way config, checkpoint or tokenizer can be wrong gives a
// pockettts::Error with the right code and a message that says what to fix; the same for bad
// generation arguments. Also: BF16 checkpoints, memory-mapped weights, concurrent loads.

#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <thread>

#include "formats/safetensors.h"
#include "formats/weights.h"
#include "model_fixture.h"

using namespace pockettts;
using namespace pockettts_test;

namespace fs = std::filesystem;

namespace {

std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  ck_assert_msg(at != std::string::npos, "'%s' not in the config", from.c_str());
  return text.replace(at, from.size(), to);
}

// A model folder: the tiny config (edited by `edit`) with links to the tiny tokenizer and,
// unless `weights` is given, the tiny weights. Returns the config path.
std::string model_dir(const std::function<std::string(std::string)>& edit = nullptr,
                      const std::string& weights = {}) {
  const std::string dir = make_temp_dir();
  std::string yaml = read_text_file(data_path("tiny/config.yaml"));
  if (edit) yaml = edit(yaml);
  write_bytes(dir + "/config.yaml", yaml);
  fs::create_symlink(data_path("tiny/tokenizer.model"), dir + "/tokenizer.model");
  if (weights.empty()) {
    fs::create_symlink(data_path("tiny/weights.safetensors"), dir + "/weights.safetensors");
  } else {
    write_bytes(dir + "/weights.safetensors", weights);
  }
  return dir + "/config.yaml";
}

// The tiny weights with `change` applied, as a file's bytes.
std::string modified_weights(
    const std::function<void(std::map<std::string, at::Tensor>&)>& change) {
  c10::InferenceMode guard;
  auto tensors = load_tensors(data_path("tiny/weights.safetensors"));
  change(tensors);
  const std::string path = make_temp_dir() + "/weights.safetensors";
  save_tensors(path, tensors);
  return read_text_file(path);
}

std::shared_ptr<const TTSModel> load(const std::string& config) {
  LoadOptions options;
  options.config = config;
  options.sampling.temp = 0;
  return TTSModel::load_model(options);
}

std::string expect_load_error(const std::string& config, ErrorCode code, const std::string& what) {
  return expect_error([&] { load(config); }, code, what);
}

std::vector<float> generate_short(const TTSModel& model) {
  VoiceState voice =
      model.get_state_for_audio_prompt(data_path("tiny/voice/voice_prompt.safetensors"));
  GenerateOptions options;
  options.seed = 0;
  return model.generate_audio(voice, "Hello there, friend", options);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Config and tokenizer.

START_TEST(test_missing_config_is_not_found) {
  const std::string path = make_temp_dir() + "/absent.yaml";
  const std::string message = expect_load_error(path, ErrorCode::kNotFound, "absent config");
  assert_contains(message, path);
  expect_load_error("no-such-variant", ErrorCode::kNotFound, "unknown variant");
}
END_TEST

START_TEST(test_unknown_config_key_names_the_key) {
  const std::string config = model_dir([](std::string yaml) {
    return replace_once(yaml, "    depth: 2\n", "    depth: 2\n    bogus_knob: 3\n");
  });
  const std::string message =
      expect_load_error(config, ErrorCode::kInvalidData, "unknown config key");
  assert_contains(message, "bogus_knob");
  assert_contains(message, config);
}
END_TEST

START_TEST(test_missing_tokenizer_is_not_found) {
  const std::string config = model_dir([](std::string yaml) {
    return replace_once(yaml, "tokenizer_path: tokenizer.model", "tokenizer_path: absent.model");
  });
  const std::string message = expect_load_error(config, ErrorCode::kNotFound, "absent tokenizer");
  assert_contains(message, "absent.model");
}
END_TEST

// n_bins 401 also mismatches the embedding table [401, 64], but the tokenizer loads first, so
// the error is about the vocabulary, as in the reference.
START_TEST(test_tokenizer_vocabulary_mismatch_is_reported_first) {
  const std::string config =
      model_dir([](std::string yaml) { return replace_once(yaml, "n_bins: 400", "n_bins: 401"); });
  const std::string message =
      expect_load_error(config, ErrorCode::kInvalidData, "vocabulary mismatch");
  assert_contains(message, "tokenizer.model");
  assert_contains(message, "vocab size=400");
  assert_contains(message, "nbins=401");
}
END_TEST

START_TEST(test_cuda_device_is_unsupported) {
  LoadOptions options;
  options.config = data_path("tiny/config.yaml");
  options.device = "cuda";
  const std::string message =
      expect_error([&] { TTSModel::load_model(options); }, ErrorCode::kUnsupported, "device cuda");
  assert_contains(message, "cuda");
}
END_TEST

START_TEST(test_invalid_load_sampling_options_are_rejected) {
  LoadOptions options;
  options.config = data_path("tiny/config.yaml");
  options.sampling.lsd_decode_steps = 0;
  expect_error([&] { TTSModel::load_model(options); }, ErrorCode::kInvalidArgument,
               "load with lsd_decode_steps 0");
  options.sampling.lsd_decode_steps = 1;
  options.sampling.temp = -0.5f;
  expect_error([&] { TTSModel::load_model(options); }, ErrorCode::kInvalidArgument,
               "load with temp -0.5");
}
END_TEST

// ---------------------------------------------------------------------------------------------
// Checkpoint files.

START_TEST(test_missing_weights_file_is_not_found) {
  const std::string config = model_dir([](std::string yaml) {
    return replace_once(yaml, "weights_path: weights.safetensors",
                        "weights_path: absent.safetensors");
  });
  const std::string message = expect_load_error(config, ErrorCode::kNotFound, "absent weights");
  assert_contains(message, "absent.safetensors");
}
END_TEST

START_TEST(test_truncated_weights_are_invalid_data) {
  std::string bytes = read_text_file(data_path("tiny/weights.safetensors"));
  bytes.resize(bytes.size() - 1000);
  const std::string config = model_dir(nullptr, bytes);
  const std::string message =
      expect_load_error(config, ErrorCode::kInvalidData, "truncated weights");
  assert_contains(message, "weights.safetensors");
  assert_contains(message, "truncated");
}
END_TEST

START_TEST(test_garbage_weights_are_invalid_data) {
  std::mt19937 rng(7);
  std::string bytes(4096, '\0');
  for (char& b : bytes) b = static_cast<char>(rng() & 0xff);
  std::string message = expect_load_error(model_dir(nullptr, bytes), ErrorCode::kInvalidData,
                                          "random bytes as weights");
  assert_contains(message, "weights.safetensors");

  // A plausible header length followed by bytes that are not JSON.
  std::string header(64, '\0');
  for (char& b : header) b = static_cast<char>(rng() & 0xff);
  std::string file(8, '\0');
  file[0] = 64;
  file += header + std::string(256, '\0');
  message = expect_load_error(model_dir(nullptr, file), ErrorCode::kInvalidData,
                              "garbage header as weights");
  assert_contains(message, "weights.safetensors");
  assert_contains(message, "JSON");
}
END_TEST

START_TEST(test_wrong_tensor_shape_names_key_and_shapes) {
  const std::string config = model_dir(
      nullptr, modified_weights([](auto& t) { t["flow_lm.out_norm.weight"] = at::ones({63}); }));
  const std::string message = expect_load_error(config, ErrorCode::kInvalidData, "shape [63]");
  assert_contains(message, "'flow_lm.out_norm.weight'");
  assert_contains(message, "[63]");
  assert_contains(message, "[64]");
  assert_contains(message, "weights.safetensors");
}
END_TEST

START_TEST(test_missing_tensor_names_the_key) {
  const std::string config = model_dir(
      nullptr, modified_weights([](auto& t) { t.erase("mimi.quantizer.output_proj.weight"); }));
  const std::string message = expect_load_error(config, ErrorCode::kInvalidData, "missing tensor");
  assert_contains(message, "'mimi.quantizer.output_proj.weight'");
}
END_TEST

START_TEST(test_extra_tensor_names_the_key) {
  const std::string config = model_dir(
      nullptr, modified_weights([](auto& t) { t["flow_lm.unexpected.bias"] = at::zeros({4}); }));
  const std::string message = expect_load_error(config, ErrorCode::kInvalidData, "extra tensor");
  assert_contains(message, "'flow_lm.unexpected.bias'");
}
END_TEST

START_TEST(test_integer_tensor_names_key_and_dtype) {
  const std::string config = model_dir(nullptr, modified_weights([](auto& t) {
                                         t["flow_lm.out_norm.bias"] = at::zeros({64}, at::kLong);
                                       }));
  const std::string message = expect_load_error(config, ErrorCode::kInvalidData, "I64 tensor");
  assert_contains(message, "'flow_lm.out_norm.bias'");
  assert_contains(message, "I64");
}
END_TEST

// The BF16 checkpoint holds the F32 values rounded to BF16 (round to nearest even); loaded, it
// gives exactly those rounded values.
START_TEST(test_bf16_checkpoint_loads_as_rounded_f32_values) {
  c10::InferenceMode guard;
  auto model = load_tiny("config_bf16.yaml");
  ck_assert_int_eq(model->sample_rate(), 24000);

  auto f32 = Weights::load(data_path("tiny/weights.safetensors"));
  auto bf16 = Weights::load(data_path("tiny/weights_bf16.safetensors"));
  auto file = SafetensorsFile::open(data_path("tiny/weights.safetensors"));
  ck_assert_uint_eq(file->tensors().size(), 129);
  for (const TensorInfo& info : file->tensors()) {
    at::Tensor want = f32->take(info.name, info.shape).to(at::kBFloat16).to(at::kFloat);
    at::Tensor got = bf16->take(info.name, info.shape);
    ck_assert_msg(got.scalar_type() == at::kFloat, "%s is not F32", info.name.c_str());
    ck_assert_msg(at::equal(got, want), "%s differs from the F32 value rounded to BF16",
                  info.name.c_str());
  }
  bf16->check_all_taken();
}
END_TEST

// ---------------------------------------------------------------------------------------------
// Memory-mapped weights.

START_TEST(test_model_loads_twice_from_the_same_mapping_file) {
  auto a = load_tiny();
  auto b = load_tiny();
  std::vector<float> audio_a = generate_short(*a);
  std::vector<float> audio_b = generate_short(*b);
  ck_assert_uint_gt(audio_a.size(), 0);
  ck_assert_msg(audio_a == audio_b, "two loads of the same checkpoint generate different audio");
}
END_TEST

// The mapping keeps the data: deleting the checkpoint after loading changes nothing.
START_TEST(test_model_keeps_working_after_weights_file_is_removed) {
  const std::string config =
      model_dir(nullptr, read_text_file(data_path("tiny/weights.safetensors")));
  auto model = load(config);
  const std::vector<float> before = generate_short(*model);
  fs::remove(fs::path(config).parent_path() / "weights.safetensors");
  ck_assert_msg(generate_short(*model) == before, "audio changed after the file was removed");
  ck_assert_msg(generate_short(*load_tiny()) == before, "audio differs from the tiny model's");
}
END_TEST

START_TEST(test_concurrent_loads_from_two_threads) {
  std::shared_ptr<const TTSModel> models[2];
  std::exception_ptr errors[2];
  std::vector<float> audio[2];
  std::thread threads[2];
  for (int i = 0; i < 2; ++i) {
    threads[i] = std::thread([&, i] {
      try {
        models[i] = load_tiny();
        audio[i] = generate_short(*models[i]);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < 2; ++i) {
    if (errors[i]) {
      try {
        std::rethrow_exception(errors[i]);
      } catch (const std::exception& e) {
        ck_abort_msg("thread %d: %s", i, e.what());
      }
    }
  }
  ck_assert_uint_gt(audio[0].size(), 0);
  ck_assert_msg(audio[0] == audio[1], "concurrently loaded models generate different audio");
}
END_TEST

// ---------------------------------------------------------------------------------------------
// Generation arguments.

START_TEST(test_empty_or_whitespace_text_is_invalid_argument) {
  auto model = load_tiny();
  VoiceState voice =
      model->get_state_for_audio_prompt(data_path("tiny/voice/voice_prompt.safetensors"));
  expect_error([&] { model->generate_audio(voice, ""); }, ErrorCode::kInvalidArgument,
               "empty text");
  expect_error([&] { model->generate_audio(voice, " \t\n\r  \xc2\xa0"); },
               ErrorCode::kInvalidArgument, "whitespace text");
  expect_error([&] { model->generate_audio_stream(voice, "   "); }, ErrorCode::kInvalidArgument,
               "whitespace text (stream)");
}
END_TEST

START_TEST(test_invalid_utf8_text_is_invalid_argument) {
  auto model = load_tiny();
  VoiceState voice =
      model->get_state_for_audio_prompt(data_path("tiny/voice/voice_prompt.safetensors"));
  const std::string message = expect_error([&] { model->generate_audio(voice, "Hello \xff\xfe"); },
                                           ErrorCode::kInvalidArgument, "invalid UTF-8");
  assert_contains(message, "UTF-8");
  expect_error([&] { model->generate_audio(voice, "caf\xc3"); }, ErrorCode::kInvalidArgument,
               "truncated UTF-8 sequence");
}
END_TEST

START_TEST(test_invalid_generate_options_are_invalid_argument) {
  auto model = load_tiny();
  VoiceState voice =
      model->get_state_for_audio_prompt(data_path("tiny/voice/voice_prompt.safetensors"));
  GenerateOptions options;
  options.sampling = SamplingOptions{};
  options.sampling->lsd_decode_steps = 0;
  std::string message = expect_error([&] { model->generate_audio(voice, "Hello.", options); },
                                     ErrorCode::kInvalidArgument, "lsd_decode_steps 0");
  assert_contains(message, "lsd_decode_steps");

  options.sampling = SamplingOptions{};
  options.sampling->temp = -0.1f;
  message = expect_error([&] { model->generate_audio(voice, "Hello.", options); },
                         ErrorCode::kInvalidArgument, "temperature -0.1");
  assert_contains(message, "temperature");

  options.sampling = SamplingOptions{};
  options.sampling->noise_clamp = 0.0f;
  message = expect_error([&] { model->generate_audio(voice, "Hello.", options); },
                         ErrorCode::kInvalidArgument, "noise_clamp 0");
  assert_contains(message, "noise_clamp");

  options.sampling.reset();
  options.frames_after_eos = -1;
  message = expect_error([&] { model->generate_audio(voice, "Hello.", options); },
                         ErrorCode::kInvalidArgument, "frames_after_eos -1");
  assert_contains(message, "frames_after_eos");

  options.frames_after_eos.reset();
  options.max_tokens = 0;
  message = expect_error([&] { model->generate_audio(voice, "Hello.", options); },
                         ErrorCode::kInvalidArgument, "max_tokens 0");
  assert_contains(message, "max_tokens");
  options.max_tokens = -3;
  expect_error([&] { model->generate_audio(voice, "Hello.", options); },
               ErrorCode::kInvalidArgument, "max_tokens -3");

  // The voice is untouched by the failed calls.
  ck_assert_int_eq(voice.length(), 19);
}
END_TEST

int main() {
  Suite* suite = suite_create("weights");
  TCase* tc = tcase_create("weights");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, test_missing_config_is_not_found);
  tcase_add_test(tc, test_unknown_config_key_names_the_key);
  tcase_add_test(tc, test_missing_tokenizer_is_not_found);
  tcase_add_test(tc, test_tokenizer_vocabulary_mismatch_is_reported_first);
  tcase_add_test(tc, test_cuda_device_is_unsupported);
  tcase_add_test(tc, test_invalid_load_sampling_options_are_rejected);
  tcase_add_test(tc, test_missing_weights_file_is_not_found);
  tcase_add_test(tc, test_truncated_weights_are_invalid_data);
  tcase_add_test(tc, test_garbage_weights_are_invalid_data);
  tcase_add_test(tc, test_wrong_tensor_shape_names_key_and_shapes);
  tcase_add_test(tc, test_missing_tensor_names_the_key);
  tcase_add_test(tc, test_extra_tensor_names_the_key);
  tcase_add_test(tc, test_integer_tensor_names_key_and_dtype);
  tcase_add_test(tc, test_bf16_checkpoint_loads_as_rounded_f32_values);
  tcase_add_test(tc, test_model_loads_twice_from_the_same_mapping_file);
  tcase_add_test(tc, test_model_keeps_working_after_weights_file_is_removed);
  tcase_add_test(tc, test_concurrent_loads_from_two_threads);
  tcase_add_test(tc, test_empty_or_whitespace_text_is_invalid_argument);
  tcase_add_test(tc, test_invalid_utf8_text_is_invalid_argument);
  tcase_add_test(tc, test_invalid_generate_options_are_invalid_argument);
  suite_add_tcase(suite, tc);
  return run_suite(suite);
}
