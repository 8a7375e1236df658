// FlowLM and whole-pipeline parity with the reference on every generation case of the golden
// data: token ids per chunk, every latent and EOS logit, the EOS step, the final audio, and the
// chunking of the stream.
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <cstdio>

#include "engine/generation.h"
#include "model_fixture.h"

using namespace pockettts;
using namespace pockettts_test;

namespace {

const char* kCases[] = {"short", "medium", "long", "medium_lsd4", "medium_bf16", "short_temp07"};

struct Case {
  nlohmann::json meta;
  std::shared_ptr<const TTSModel> model;
  std::map<std::string, at::Tensor> golden;
  GenerateOptions options;
};

Case load_case(const std::string& name) {
  Case c;
  c.meta = manifest_case(name);
  c.model = load_tiny(c.meta["config"].get<std::string>(), c.meta["temp"].get<float>(),
                      c.meta["lsd_decode_steps"].get<int>(), c.meta["eos_threshold"].get<float>());
  c.golden = golden("gen/" + name + ".safetensors");
  if (!c.meta["frames_after_eos_arg"].is_null()) {
    c.options.frames_after_eos = c.meta["frames_after_eos_arg"].get<int>();
  }
  c.options.max_tokens = c.meta["max_tokens"].get<int>();
  c.options.seed = c.meta["seed"].is_null() ? 0 : c.meta["seed"].get<uint64_t>();
  return c;
}

}  // namespace

START_TEST(test_chunk_tokens_match_reference) {
  Case c = load_case(kCases[_i]);
  const auto& impl = engine_of(*c.model);
  auto chunks = split_into_best_sentences(*impl.tokenizer, c.meta["text"].get<std::string>(),
                                          c.options.max_tokens);
  ck_assert_uint_eq(chunks.size(), c.meta["chunks"].size());
  for (size_t i = 0; i < chunks.size(); ++i) {
    const std::string want_text = c.meta["chunks"][i]["text"].get<std::string>();
    ck_assert_str_eq(chunks[i].c_str(), want_text.c_str());
    std::vector<int> ids = impl.tokenizer->encode(chunks[i]);
    at::Tensor want = c.golden["chunk" + std::to_string(i) + ".tokens"];
    ck_assert_int_eq(static_cast<int64_t>(ids.size()), want.numel());
    for (size_t k = 0; k < ids.size(); ++k) ck_assert_int_eq(ids[k], want[k].item<int64_t>());
  }
}
END_TEST

// Drives FlowLM step by step, as the generation thread does, and compares every latent and
// EOS logit the reference produced (including the final step, which is not emitted).
START_TEST(test_latents_and_eos_logits_match_reference) {
  c10::InferenceMode guard;
  Case c = load_case(kCases[_i]);
  const auto& impl = engine_of(*c.model);
  VoiceState voice = c.model->get_state_for_audio_prompt(voice_wav());
  SamplingOptions sampling = impl.sampling(std::nullopt);
  at::Generator rng = at::make_generator<at::CPUGeneratorImpl>(*c.options.seed);
  const double ldim = impl.flow_lm->latent_dim();
  for (size_t i = 0; i < c.meta["chunks"].size(); ++i) {
    const std::string prefix = "chunk" + std::to_string(i) + ".";
    FlowLmState state = flow_state(voice).clone();
    at::Tensor tokens = c.golden[prefix + "tokens"];
    state.reserve(state.length() + tokens.numel() + 100);
    impl.flow_lm->prompt_text(tokens, state, sampling, &rng);
    at::Tensor want_latents = c.golden[prefix + "latents"];
    at::Tensor want_logits = c.golden[prefix + "eos_logits"];
    at::Tensor latent = at::full({1, (int64_t)ldim}, NAN);
    int eos_step = -1;
    for (int64_t step = 0; step < want_latents.size(0); ++step) {
      FlowStep out = impl.flow_lm->step(latent, state, sampling, rng);
      ASSERT_CLOSE(out.latent, want_latents[step], kParityTolerance,
                   prefix + "latent " + std::to_string(step));
      const float want_logit = want_logits[step].item<float>();
      ck_assert_msg(std::fabs(out.eos_logit - want_logit) <= 1e-4 * (1 + std::fabs(want_logit)),
                    "%seos logit %ld: %g vs %g", prefix.c_str(), (long)step, out.eos_logit,
                    want_logit);
      if (out.is_eos && eos_step < 0) eos_step = static_cast<int>(step);
      latent = out.latent;
    }
    ck_assert_int_eq(eos_step, c.meta["chunks"][i]["eos_step"].get<int>());
  }
}
END_TEST

START_TEST(test_generate_audio_matches_reference) {
  Case c = load_case(kCases[_i]);
  VoiceState voice = c.model->get_state_for_audio_prompt(voice_wav());
  std::vector<float> audio =
      c.model->generate_audio(voice, c.meta["text"].get<std::string>(), c.options);
  at::Tensor want = c.golden["audio"];
  ck_assert_int_eq(static_cast<int64_t>(audio.size()), want.numel());
  ASSERT_CLOSE(at::tensor(audio), want, kParityTolerance, std::string(kCases[_i]) + " audio");
  std::printf("%s: audio max-abs/rms %.3g\n", kCases[_i], relative_error(at::tensor(audio), want));
}
END_TEST

START_TEST(test_stream_chunk_sizes_match_reference) {
  Case c = load_case(kCases[_i]);
  VoiceState voice = c.model->get_state_for_audio_prompt(voice_wav());
  auto stream = c.model->generate_audio_stream(voice, c.meta["text"].get<std::string>(), c.options);
  std::vector<float> chunk;
  std::vector<int> sizes;
  while (stream->next(chunk)) sizes.push_back(static_cast<int>(chunk.size()));
  const auto& want = c.meta["chunk_sizes"];
  ck_assert_uint_eq(sizes.size(), want.size());
  for (size_t i = 0; i < sizes.size(); ++i) ck_assert_int_eq(sizes[i], want[i].get<int>());
}
END_TEST

// The reference seeds torch's global generator; we seed a per-stream generator of the same
// kind (mt19937) and draw in the same order (one draw per prompt call and per step).
START_TEST(test_seeded_temperature_is_bit_exact) {
  Case c = load_case("short_temp07");
  VoiceState voice = c.model->get_state_for_audio_prompt(voice_wav());
  std::vector<float> audio =
      c.model->generate_audio(voice, c.meta["text"].get<std::string>(), c.options);
  at::Tensor want = c.golden["audio"];
  ck_assert_int_eq(static_cast<int64_t>(audio.size()), want.numel());
  const double err = relative_error(at::tensor(audio), want);
  ck_assert_msg(err <= kParityTolerance, "seeded temp 0.7: %.3g", err);
  // Same noise draws as the reference: what differs is only fp32 rounding in the network.
  std::printf("short_temp07: max-abs/rms %.3g (%s)\n", err,
              err == 0 ? "bit-exact" : "not bit-exact");
}
END_TEST

START_TEST(test_max_generation_length_formula) {
  // ceil((tokens / 3 + 2) * 12.5), e.g. the short case: 10 tokens -> 67 frames.
  ck_assert_int_eq(max_generation_length(10, 12.5), 67);
  ck_assert_int_eq(max_generation_length(0, 12.5), 25);
  ck_assert_int_eq(max_generation_length(39, 12.5), 188);
}
END_TEST

int main() {
  Suite* suite = suite_create("generation");
  TCase* tc = tcase_create("parity");
  tcase_set_timeout(tc, 300);
  const int n = sizeof(kCases) / sizeof(kCases[0]);
  tcase_add_loop_test(tc, test_chunk_tokens_match_reference, 0, n);
  tcase_add_loop_test(tc, test_latents_and_eos_logits_match_reference, 0, n);
  tcase_add_loop_test(tc, test_generate_audio_matches_reference, 0, n);
  tcase_add_loop_test(tc, test_stream_chunk_sizes_match_reference, 0, n);
  tcase_add_test(tc, test_seeded_temperature_is_bit_exact);
  tcase_add_test(tc, test_max_generation_length_formula);
  suite_add_tcase(suite, tc);
  return run_suite(suite);
}
