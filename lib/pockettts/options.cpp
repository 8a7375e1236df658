#include <cmath>
#include <string>

#include <pockettts/error.h>
#include <pockettts/options.h>

namespace pockettts {

const char* precision_name(Precision precision) {
  switch (precision) {
    case Precision::kBf16:
      return "bf16";
    case Precision::kInt8:
      return "int8";
    default:
      return "fp32";
  }
}

Precision parse_precision(const std::string& name) {
  for (Precision p : {Precision::kFp32, Precision::kBf16, Precision::kInt8}) {
    if (name == precision_name(p)) return p;
  }
  throw Error(ErrorCode::kInvalidArgument,
              "unknown precision '" + name + "' (expected fp32, bf16 or int8)");
}

void validate(const SamplingOptions& s) {
  // Written so that NaN fails too (every comparison with it is false).
  if (!(s.temp >= 0) || !std::isfinite(s.temp)) {
    throw Error(ErrorCode::kInvalidArgument,
                "temperature must not be negative (and must be a finite number), not " +
                    std::to_string(s.temp));
  }
  if (std::isnan(s.eos_threshold)) {
    throw Error(ErrorCode::kInvalidArgument, "eos_threshold must be a number, not NaN");
  }
  if (s.lsd_decode_steps < 1) {
    throw Error(ErrorCode::kInvalidArgument, "lsd_decode_steps must be at least 1");
  }
  if (s.noise_clamp && !(*s.noise_clamp > 0)) {
    throw Error(ErrorCode::kInvalidArgument, "noise_clamp must be positive when set");
  }
}

}  // namespace pockettts
