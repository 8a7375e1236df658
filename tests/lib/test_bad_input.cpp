// The bad-input matrix of docs/reliability.md: checkpoints, tokenizers, voices and text a user can
// give, each wrong in one way, give exactly this pockettts::Error (code and message) and never a
// crash or a hang. Bad files are made here, in temporary folders. The config rows are in
// test_config.cpp (bad derived sizes) and the safetensors header rows in test_safetensors.cpp.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>

#include <pockettts/audio_decoder.h>
#include <pockettts/wav_writer.h>
#include "model_fixture.h"

using namespace pockettts;
using namespace pockettts_test;

namespace fs = std::filesystem;

namespace {

// Runs `f`, which must throw Error(code) whose message is exactly `message`.
void expect_exact(const std::function<void()>& f, ErrorCode code, const std::string& message) {
  const std::string got = expect_error(f, code, message);
  ASSERT_STR_EQ(got, message);
}

// A model folder with the tiny config and tokenizer, and `weights` as its checkpoint.
std::string model_with_weights(const std::map<std::string, at::Tensor>& weights,
                               std::string* weights_path) {
  const std::string dir = make_temp_dir();
  fs::copy_file(data_path("tiny/config.yaml"), dir + "/config.yaml");
  fs::create_symlink(data_path("tiny/tokenizer.model"), dir + "/tokenizer.model");
  *weights_path = dir + "/weights.safetensors";
  save_tensors(*weights_path, weights);
  return dir + "/config.yaml";
}

std::shared_ptr<const TTSModel> load_model_at(const std::string& config) {
  LoadOptions options;
  options.config = config;
  options.sampling.temp = 0;
  return TTSModel::load_model(options);
}

std::string write_voice(const std::map<std::string, at::Tensor>& tensors) {
  const std::string path = make_temp_dir() + "/voice.safetensors";
  save_tensors(path, tensors);
  return path;
}

std::string write_wave(int rate, int channels, size_t frames) {
  Audio audio{rate, channels, std::vector<float>(frames * static_cast<size_t>(channels))};
  for (size_t i = 0; i < audio.samples.size(); ++i) {
    audio.samples[i] = 0.3f * std::sin(static_cast<float>(i) * 0.05f);
  }
  const std::string path = make_temp_dir() + "/voice.wav";
  write_wav(path, audio, WavFormat::kS16);
  return path;
}

VoiceState tiny_voice(const TTSModel& model) {
  return model.get_state_for_audio_prompt(data_path("tiny/voice/voice_prompt.safetensors"));
}

// The tiny model with an end-of-speech threshold its random head never reaches: generation
// runs to its length limit, so each chunk has audio.
std::shared_ptr<const TTSModel> load_talkative() { return load_tiny("config.yaml", 0, 1, 100.0f); }

// Generates from `text` for at most `chunks` chunks of audio, then cancels: long texts are split,
// tokenized and started without the test waiting for all of their speech.
size_t speak_briefly(const TTSModel& model, const std::string& text, int chunks) {
  VoiceState voice = tiny_voice(model);
  GenerateOptions options;
  options.seed = 0;
  options.frames_after_eos = 0;
  auto stream = model.generate_audio_stream(voice, text, options);
  std::vector<float> chunk;
  size_t samples = 0;
  for (int i = 0; i < chunks && stream->next(chunk); ++i) samples += chunk.size();
  stream->cancel();
  return samples;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Checkpoints: NaN or Inf in weights, a missing or extra key, a wrong shape.

START_TEST(test_nan_in_weights_is_refused) {
  c10::InferenceMode guard;
  auto weights = load_tensors(data_path("tiny/weights.safetensors"));
  weights["flow_lm.out_norm.weight"] = weights["flow_lm.out_norm.weight"].clone();
  weights["flow_lm.out_norm.weight"][3] = NAN;
  std::string path;
  const std::string config = model_with_weights(weights, &path);
  expect_exact([&] { load_model_at(config); }, ErrorCode::kInvalidData,
               "tensor 'flow_lm.out_norm.weight' in " + path +
                   " holds NaN at element 3: the weights file is corrupt");
}
END_TEST

START_TEST(test_inf_in_weights_is_refused) {
  c10::InferenceMode guard;
  auto weights = load_tensors(data_path("tiny/weights.safetensors"));
  weights["mimi.quantizer.output_proj.weight"] =
      weights["mimi.quantizer.output_proj.weight"].clone();
  weights["mimi.quantizer.output_proj.weight"].view({-1})[10] = -INFINITY;
  std::string path;
  const std::string config = model_with_weights(weights, &path);
  expect_exact([&] { load_model_at(config); }, ErrorCode::kInvalidData,
               "tensor 'mimi.quantizer.output_proj.weight' in " + path +
                   " holds an infinite value at element 10: the weights file is corrupt");
}
END_TEST

START_TEST(test_wrong_shape_missing_and_extra_keys_are_named) {
  c10::InferenceMode guard;
  auto weights = load_tensors(data_path("tiny/weights.safetensors"));
  std::string path;
  auto shaped = weights;
  shaped["flow_lm.bos_emb"] = at::zeros({9});
  std::string config = model_with_weights(shaped, &path);
  expect_exact([&] { load_model_at(config); }, ErrorCode::kInvalidData,
               "tensor 'flow_lm.bos_emb' in " + path + " has shape [9] but the config needs [8]");

  auto missing = weights;
  missing.erase("flow_lm.bos_emb");
  config = model_with_weights(missing, &path);
  expect_exact([&] { load_model_at(config); }, ErrorCode::kInvalidData,
               "weights file " + path +
                   " has no tensor 'flow_lm.bos_emb' (expected shape [8]): it is not a "
                   "checkpoint of this model config");

  auto extra = weights;
  extra["flow_lm.unused"] = at::zeros({2});
  config = model_with_weights(extra, &path);
  expect_exact([&] { load_model_at(config); }, ErrorCode::kInvalidData,
               "weights file " + path +
                   " has tensors the config does not use: 'flow_lm.unused': it is not a "
                   "checkpoint of this model config");
}
END_TEST

START_TEST(test_empty_weights_file_is_refused) {
  const std::string dir = make_temp_dir();
  fs::copy_file(data_path("tiny/config.yaml"), dir + "/config.yaml");
  fs::create_symlink(data_path("tiny/tokenizer.model"), dir + "/tokenizer.model");
  write_bytes(dir + "/weights.safetensors", "");
  expect_exact([&] { load_model_at(dir + "/config.yaml"); }, ErrorCode::kInvalidData,
               "invalid safetensors file '" + dir +
                   "/weights.safetensors': the file has 0 bytes, fewer than the 8 of the header "
                   "length: the file is truncated");
}
END_TEST

// ---------------------------------------------------------------------------------------------
// Tokenizer: not a sentencepiece model.

START_TEST(test_tokenizer_that_is_not_sentencepiece_is_refused) {
  const std::string dir = make_temp_dir();
  fs::copy_file(data_path("tiny/config.yaml"), dir + "/config.yaml");
  fs::create_symlink(data_path("tiny/weights.safetensors"), dir + "/weights.safetensors");
  write_bytes(dir + "/tokenizer.model", "this is not a sentencepiece model\n");
  const std::string message = expect_error([&] { load_model_at(dir + "/config.yaml"); },
                                           ErrorCode::kInvalidData, "text tokenizer");
  assert_contains(message, dir + "/tokenizer.model");
  write_bytes(dir + "/tokenizer.model", "");
  expect_error([&] { load_model_at(dir + "/config.yaml"); }, ErrorCode::kInvalidData,
               "empty tokenizer");
}
END_TEST

// ---------------------------------------------------------------------------------------------
// Voices.

START_TEST(test_empty_and_non_audio_voice_files_are_refused) {
  auto model = load_tiny();
  const std::string dir = make_temp_dir();
  write_bytes(dir + "/empty.wav", "");
  expect_error([&] { model->get_state_for_audio_prompt(dir + "/empty.wav"); },
               ErrorCode::kInvalidData, "empty voice file");
  write_bytes(dir + "/text.wav", std::string(5000, 'x'));
  expect_error([&] { model->get_state_for_audio_prompt(dir + "/text.wav"); },
               ErrorCode::kInvalidData, "voice file that is not audio");
  write_bytes(dir + "/empty.safetensors", "");
  expect_exact([&] { model->get_state_for_audio_prompt(dir + "/empty.safetensors"); },
               ErrorCode::kInvalidData,
               "invalid safetensors file '" + dir +
                   "/empty.safetensors': the file has 0 bytes, fewer than the 8 of the header "
                   "length: the file is truncated");
}
END_TEST

START_TEST(test_wav_of_zero_samples_is_refused) {
  auto model = load_tiny();
  const std::string path = write_wave(24000, 1, 0);
  expect_exact([&] { model->get_state_for_audio_prompt(path); }, ErrorCode::kInvalidData,
               "cannot decode audio from " + path + ": it contains no audio samples");
}
END_TEST

START_TEST(test_odd_rates_and_8_channels_are_converted) {
  auto model = load_tiny();
  // 8 channels at 11025 Hz and mono at 7 kHz: decoded, mixed down and resampled to the model's.
  VoiceState eight = model->get_state_for_audio_prompt(write_wave(11025, 8, 11025));
  VoiceState odd = model->get_state_for_audio_prompt(write_wave(7000, 1, 7000));
  GenerateOptions options;
  options.seed = 0;
  options.frames_after_eos = 0;
  ck_assert_uint_gt(model->generate_audio(eight, "Hi.", options).size(), 0);
  ck_assert_uint_gt(model->generate_audio(odd, "Hi.", options).size(), 0);
}
END_TEST

START_TEST(test_ten_minute_voice_with_and_without_truncate) {
  auto model = load_tiny();
  const std::string path = write_wave(24000, 1, 24000 * 600);
  VoiceState truncated = model->get_state_for_audio_prompt(path, true);
  VoiceState whole = model->get_state_for_audio_prompt(path, false);
  // 12.5 frames a second: 375 for the first 30 s, 7500 for all ten minutes.
  ck_assert_int_ge(truncated.length(), 375);
  ck_assert_int_lt(truncated.length(), 400);
  ck_assert_int_ge(whole.length(), 7500);
}
END_TEST

START_TEST(test_non_finite_audio_prompt_samples_are_refused) {
  auto model = load_tiny();
  Audio audio{24000, 1, std::vector<float>(24000, 0.1f)};
  audio.samples[100] = NAN;
  expect_exact([&] { model->get_state_for_audio_prompt(audio); }, ErrorCode::kInvalidArgument,
               "the voice prompt audio holds NaN or an infinite value at sample 100: give finite "
               "samples (-1 to 1)");
}
END_TEST

START_TEST(test_safetensors_voice_of_wrong_width_dtype_or_nan_is_refused) {
  c10::InferenceMode guard;
  auto model = load_tiny();
  std::string path = write_voice({{"audio_prompt", at::zeros({1, 5, 48})}});
  expect_exact([&] { model->get_state_for_audio_prompt(path); }, ErrorCode::kInvalidData,
               "voice file " + path +
                   ": audio_prompt has shape [1, 5, 48] but this model needs [1, frames, 64] (a "
                   "voice made for a model of width 48; this model's width is 64)");

  path = write_voice({{"audio_prompt", at::zeros({1, 5, 64}, at::kLong)}});
  expect_exact([&] { model->get_state_for_audio_prompt(path); }, ErrorCode::kInvalidData,
               "voice file " + path +
                   ": 'audio_prompt' holds integers (Long), not floating-point values");

  at::Tensor nan_prompt = at::zeros({1, 5, 64});
  nan_prompt[0][2][7] = NAN;
  path = write_voice({{"audio_prompt", nan_prompt}});
  expect_exact([&] { model->get_state_for_audio_prompt(path); }, ErrorCode::kInvalidData,
               "voice file " + path +
                   ": 'audio_prompt' holds NaN or an infinite value at element 135: the file is "
                   "corrupt");

  // A state whose used positions hold NaN (past its end they may, as the reference leaves them).
  VoiceState state = tiny_voice(*model);
  const std::string exported = make_temp_dir() + "/state.safetensors";
  model->export_voice_state(state, exported);
  auto tensors = load_tensors(exported);
  const std::string key = "transformer.layers.1.self_attn/cache";
  tensors[key] = tensors[key].clone();
  tensors[key][0][0][0][0][0] = INFINITY;
  path = write_voice(tensors);
  expect_exact([&] { model->get_state_for_audio_prompt(path); }, ErrorCode::kInvalidData,
               "voice file " + path + ": '" + key +
                   "' holds NaN or an infinite value at element 0: the file is corrupt");
}
END_TEST

// ---------------------------------------------------------------------------------------------
// Text.

START_TEST(test_text_without_words_is_refused) {
  auto model = load_talkative();
  VoiceState voice = tiny_voice(*model);
  for (const char* text : {"", "   \t\n  "}) {
    expect_exact([&] { model->generate_audio(voice, text); }, ErrorCode::kInvalidArgument,
                 "Text prompt cannot be empty (it has no characters other than whitespace)");
  }
}
END_TEST

START_TEST(test_punctuation_only_text_speaks_or_fails_cleanly) {
  auto model = load_talkative();
  // Punctuation has tokens, so the reference speaks it; what matters is a bounded run.
  for (const char* text : {"...", "?!,;:", "\xe2\x80\xa6 \xe2\x80\x94 \xc2\xbf"}) {
    speak_briefly(*model, text, 3);
  }
}
END_TEST

START_TEST(test_invalid_utf8_and_nul_bytes_are_refused) {
  auto model = load_talkative();
  VoiceState voice = tiny_voice(*model);
  expect_error([&] { model->generate_audio(voice, "Hello \xff there."); },
               ErrorCode::kInvalidArgument, "invalid UTF-8");
  // NUL is a character to Python, and so to the reference: it is spoken, not refused.
  ck_assert_uint_gt(speak_briefly(*model, std::string("Hello\0there.", 12), 2), 0);
}
END_TEST

// One line of 1 MB, in sentences. (One unbroken sentence of 1 MB is one chunk, as in the
// reference, and its prefill is quadratic in its length: see docs/reliability.md.)
START_TEST(test_one_megabyte_line_is_split_and_spoken) {
  auto model = load_talkative();
  std::string line;
  while (line.size() < (1u << 20)) line += "Some words in a row. ";
  ck_assert_uint_gt(speak_briefly(*model, line, 2), 0);
}
END_TEST

START_TEST(test_ten_thousand_sentences_are_split_and_spoken) {
  auto model = load_talkative();
  std::string text;
  for (int i = 0; i < 10000; ++i) text += "This is sentence " + std::to_string(i) + ". ";
  ck_assert_uint_gt(speak_briefly(*model, text, 2), 0);
}
END_TEST

START_TEST(test_emoji_rtl_and_combining_marks_are_spoken) {
  auto model = load_talkative();
  const char* texts[] = {
      "Hello \xf0\x9f\x98\x80 world \xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd.",      // emoji, skin tone
      "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xd8\xb3\xd9\x84\xd8\xa7\xd9\x85.",  // Hebrew, Arabic
      "e\xcc\x81\xcc\x81\xcc\x81 a\xcc\x8a Zalgo\xcd\x9c\xcd\xa1.",          // combining marks
  };
  for (const char* text : texts) ck_assert_uint_gt(speak_briefly(*model, text, 3), 0);
}
END_TEST

// ---------------------------------------------------------------------------------------------
// Option values out of range.

START_TEST(test_out_of_range_options_are_refused) {
  auto model = load_talkative();
  VoiceState voice = tiny_voice(*model);
  GenerateOptions options;
  options.max_tokens = 0;
  expect_error([&] { model->generate_audio(voice, "Hi.", options); }, ErrorCode::kInvalidArgument,
               "max_tokens 0");
  options = GenerateOptions{};
  options.sampling = SamplingOptions{};
  options.sampling->temp = NAN;
  expect_exact([&] { model->generate_audio(voice, "Hi.", options); }, ErrorCode::kInvalidArgument,
               "temperature must not be negative (and must be a finite number), not nan");
  options.sampling = SamplingOptions{};
  options.sampling->lsd_decode_steps = -3;
  expect_error([&] { model->generate_audio(voice, "Hi.", options); }, ErrorCode::kInvalidArgument,
               "lsd_decode_steps -3");
  options.sampling = SamplingOptions{};
  options.sampling->eos_threshold = NAN;
  expect_exact([&] { model->generate_audio(voice, "Hi.", options); }, ErrorCode::kInvalidArgument,
               "eos_threshold must be a number, not NaN");
  options.sampling = SamplingOptions{};
  options.sampling->noise_clamp = NAN;
  expect_error([&] { model->generate_audio(voice, "Hi.", options); }, ErrorCode::kInvalidArgument,
               "noise_clamp NaN");
  options = GenerateOptions{};
  options.frames_after_eos = -5;
  expect_error([&] { model->generate_audio(voice, "Hi.", options); }, ErrorCode::kInvalidArgument,
               "frames_after_eos -5");
}
END_TEST

int main() {
  Suite* suite = suite_create("bad_input");
  TCase* weights = tcase_create("weights");
  tcase_add_test(weights, test_nan_in_weights_is_refused);
  tcase_add_test(weights, test_inf_in_weights_is_refused);
  tcase_add_test(weights, test_wrong_shape_missing_and_extra_keys_are_named);
  tcase_add_test(weights, test_empty_weights_file_is_refused);
  tcase_add_test(weights, test_tokenizer_that_is_not_sentencepiece_is_refused);
  suite_add_tcase(suite, weights);
  TCase* voices = tcase_create("voices");
  tcase_add_test(voices, test_empty_and_non_audio_voice_files_are_refused);
  tcase_add_test(voices, test_wav_of_zero_samples_is_refused);
  tcase_add_test(voices, test_odd_rates_and_8_channels_are_converted);
  tcase_add_test(voices, test_ten_minute_voice_with_and_without_truncate);
  tcase_add_test(voices, test_non_finite_audio_prompt_samples_are_refused);
  tcase_add_test(voices, test_safetensors_voice_of_wrong_width_dtype_or_nan_is_refused);
  suite_add_tcase(suite, voices);
  TCase* text = tcase_create("text");
  tcase_add_test(text, test_text_without_words_is_refused);
  tcase_add_test(text, test_punctuation_only_text_speaks_or_fails_cleanly);
  tcase_add_test(text, test_invalid_utf8_and_nul_bytes_are_refused);
  tcase_add_test(text, test_one_megabyte_line_is_split_and_spoken);
  tcase_add_test(text, test_ten_thousand_sentences_are_split_and_spoken);
  tcase_add_test(text, test_emoji_rtl_and_combining_marks_are_spoken);
  tcase_add_test(text, test_out_of_range_options_are_refused);
  suite_add_tcase(suite, text);
  return run_suite(suite);
}
