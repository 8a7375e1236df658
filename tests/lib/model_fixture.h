// Shared pieces of the model test suites: loading the tiny golden model and its tensors, and
// the tolerance measure every parity test uses.
#pragma once

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include <pockettts/tts_model.h>
#include "engine/engine.h"
#include "formats/tensor_io.h"
#include "test_util.h"

namespace pockettts_test {

// fp32 parity bound: max |a - b| over the RMS of the reference. The reference itself moves by
// up to 2.8e-5 on the tiny cases (4ae9fb2) and 9.6e-6 on the tiny-v2 ones (9514983) when run
// with 2 threads instead of 1 (their manifest.json, "noise"), so 1e-4 is a few times the
// reference's own run-to-run noise.
constexpr double kParityTolerance = 1e-4;

inline double relative_error(const at::Tensor& got, const at::Tensor& want) {
  at::Tensor g = got.to(at::kDouble).reshape({-1}), w = want.to(at::kDouble).reshape({-1});
  ck_assert_msg(g.numel() == w.numel(), "size %ld vs expected %ld", (long)g.numel(),
                (long)w.numel());
  const double rms = w.pow(2).mean().sqrt().item<double>();
  const double max_abs = (g - w).abs().max().item<double>();
  return max_abs / (rms > 0 ? rms : 1.0);
}

#define ASSERT_CLOSE(got, want, tolerance, what)                                                 \
  do {                                                                                           \
    const double err_ = pockettts_test::relative_error((got), (want));                           \
    ck_assert_msg(err_ <= (tolerance), "%s: max-abs/rms %.3g > %.3g", std::string(what).c_str(), \
                  err_, (double)(tolerance));                                                    \
  } while (0)

inline std::map<std::string, at::Tensor> golden(const std::string& relative) {
  return pockettts::load_tensors(data_path("tiny/" + relative));
}

inline nlohmann::json manifest() {
  return nlohmann::json::parse(read_text_file(data_path("tiny/manifest.json")));
}

inline nlohmann::json manifest_case(const std::string& name) {
  const nlohmann::json all = manifest();
  for (const auto& c : all["cases"]) {
    if (c["name"] == name) return c;
  }
  ck_abort_msg("no case %s in manifest.json", name.c_str());
  return {};
}

// The tiny-v2 set: the same kind of model and golden data, made by the reference at 9514983
// (tests/data/tiny-v2/README.md).
inline std::map<std::string, at::Tensor> golden_v2(const std::string& relative) {
  return pockettts::load_tensors(data_path("tiny-v2/" + relative));
}

inline nlohmann::json manifest_v2() {
  return nlohmann::json::parse(read_text_file(data_path("tiny-v2/manifest.json")));
}

inline nlohmann::json manifest_v2_case(const std::string& name) {
  const nlohmann::json all = manifest_v2();
  for (const auto& c : all["cases"]) {
    if (c["name"] == name) return c;
  }
  ck_abort_msg("no case %s in tiny-v2/manifest.json", name.c_str());
  return {};
}

inline std::shared_ptr<const pockettts::TTSModel> load_tiny(
    const std::string& config = "config.yaml", float temp = 0.0f, int lsd = 1,
    float eos_threshold = -4.0f) {
  pockettts::LoadOptions options;
  options.config = data_path("tiny/" + config);
  options.sampling.temp = temp;
  options.sampling.lsd_decode_steps = lsd;
  options.sampling.eos_threshold = eos_threshold;
  return pockettts::TTSModel::load_model(options);
}

inline std::shared_ptr<const pockettts::TTSModel> load_tiny_v2(
    const std::string& config = "config.yaml", float temp = 0.0f, int lsd = 1,
    float eos_threshold = -4.0f) {
  pockettts::LoadOptions options;
  options.config = data_path("tiny-v2/" + config);
  options.sampling.temp = temp;
  options.sampling.lsd_decode_steps = lsd;
  options.sampling.eos_threshold = eos_threshold;
  return pockettts::TTSModel::load_model(options);
}

inline std::string voice_wav_v2() { return data_path("tiny-v2/voice/voice_s16.wav"); }

// Runs `f`, which must throw pockettts::Error with `code`; returns the message.
inline std::string expect_error(const std::function<void()>& f, pockettts::ErrorCode code,
                                const std::string& what) {
  try {
    f();
  } catch (const pockettts::Error& e) {
    ck_assert_msg(e.code() == code, "%s: error code %d, expected %d: %s", what.c_str(),
                  static_cast<int>(e.code()), static_cast<int>(code), e.what());
    std::printf("  %s -> %s\n", what.c_str(), e.what());
    return e.what();
  }
  ck_abort_msg("%s: no error thrown", what.c_str());
  return {};
}

inline void assert_contains(const std::string& text, const std::string& part) {
  ck_assert_msg(text.find(part) != std::string::npos, "'%s' not found in '%s'", part.c_str(),
                text.c_str());
}

inline std::string voice_wav() { return data_path("tiny/voice/voice_s16.wav"); }

}  // namespace pockettts_test
