// Fast modes (bf16 / int8 flow-LM weights) against exact fp32: their error is bounded, and
// exact mode is untouched by their existence.
#include <cmath>
#include <cstdio>

#include "model_fixture.h"

using namespace pockettts;
using namespace pockettts_test;

namespace {

// The golden "medium" case, generated with `precision`.
at::Tensor medium_audio(Precision precision) {
  const nlohmann::json meta = manifest_case("medium");
  LoadOptions options;
  options.config = data_path("tiny/config.yaml");
  options.sampling.temp = 0.0f;
  options.sampling.eos_threshold = meta["eos_threshold"].get<float>();
  options.precision = precision;
  auto model = TTSModel::load_model(options);
  VoiceState voice = model->get_state_for_audio_prompt(voice_wav());
  GenerateOptions generate;
  generate.frames_after_eos = meta["frames_after_eos_arg"].get<int>();
  generate.seed = 0;
  return at::tensor(model->generate_audio(voice, meta["text"].get<std::string>(), generate));
}

// Error as signal-to-noise ratio of the fast audio against the exact audio, in dB. The
// autoregressive loop feeds every rounding error back, so the audio error is much larger than
// one layer's (~1e-3 bf16, ~1e-2 int8). Bounds: a few dB under what was measured on this model
// (printed below, and in docs/performance.md); a broken kernel gives ~0 dB.
constexpr double kBf16MinSnrDb = 32.0;  // measured 37.5 dB
constexpr double kInt8MinSnrDb = 24.0;  // measured 28.6 dB

double snr_db(const at::Tensor& got, const at::Tensor& want) {
  const double noise = (got - want).pow(2).sum().item<double>();
  const double signal = want.pow(2).sum().item<double>();
  return 10.0 * std::log10(signal / noise);
}

// The fast audio against the golden exact audio: same EOS step and length, SNR above the bound,
// and not the exact audio itself (which would mean the fast path never ran).
void check_fast_error(Precision precision, double min_snr_db) {
  const char* name = precision_name(precision);
  at::Tensor want = golden("gen/medium.safetensors")["audio"];
  at::Tensor audio = medium_audio(precision);
  ck_assert_int_eq(audio.numel(), want.numel());  // same EOS step, same length
  const double snr = snr_db(audio, want);
  std::printf("%s audio vs exact: SNR %.1f dB, max-abs/rms %.3g\n", name, snr,
              relative_error(audio, want));
  ck_assert_msg(snr >= min_snr_db, "%s SNR %.1f dB < %.1f dB", name, snr, min_snr_db);
  ck_assert_msg(std::isfinite(snr), "%s gave the exact audio: the fast path did not run", name);
}

}  // namespace

START_TEST(test_exact_mode_matches_reference) {
  at::Tensor audio = medium_audio(Precision::kFp32);
  ASSERT_CLOSE(audio, golden("gen/medium.safetensors")["audio"], kParityTolerance, "fp32");
}
END_TEST

START_TEST(test_bf16_error_is_bounded) { check_fast_error(Precision::kBf16, kBf16MinSnrDb); }
END_TEST

START_TEST(test_int8_error_is_bounded) { check_fast_error(Precision::kInt8, kInt8MinSnrDb); }
END_TEST

START_TEST(test_precision_names_round_trip) {
  for (Precision p : {Precision::kFp32, Precision::kBf16, Precision::kInt8}) {
    ck_assert(parse_precision(precision_name(p)) == p);
  }
  bool threw = false;
  try {
    parse_precision("fp8");
  } catch (const Error& e) {
    threw = e.code() == ErrorCode::kInvalidArgument;
  }
  ck_assert(threw);
}
END_TEST

int main() {
  Suite* suite = suite_create("precision");
  TCase* tc = tcase_create("precision");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, test_exact_mode_matches_reference);
  tcase_add_test(tc, test_bf16_error_is_bounded);
  tcase_add_test(tc, test_int8_error_is_bounded);
  tcase_add_test(tc, test_precision_names_round_trip);
  suite_add_tcase(suite, tc);
  return run_suite(suite);
}
