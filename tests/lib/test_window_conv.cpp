// The channels-last streaming convolutions of Mimi's decoder (modules/window_conv.h) against
// libtorch's conv1d / conv_transpose1d on the whole signal: fed piece by piece, each must give
// the whole-signal output (left-padded as the reference's streaming layers). The tiny golden
// model only has constant padding, dilation 1 and kernel = 2 * stride; this covers the rest.
#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <pockettts/error.h>
#include "formats/safetensors.h"
#include "formats/weights.h"
#include "model/modules/window_conv.h"
#include "test_util.h"

using namespace pockettts;

namespace {

constexpr int64_t kPieces = 5;

// A checkpoint holding `weight` and `bias` under prefix.conv / prefix.convtr.
std::shared_ptr<Weights> checkpoint(const std::string& layer, const at::Tensor& weight,
                                    const at::Tensor& bias) {
  const std::string path = pockettts_test::make_temp_dir() + "/w.safetensors";
  write_safetensors(
      path,
      {{"x." + layer + ".weight", DType::kF32, weight.sizes().vec(), weight.data_ptr<float>()},
       {"x." + layer + ".bias", DType::kF32, bias.sizes().vec(), bias.data_ptr<float>()}});
  return Weights::load(path);
}

// x [T, C] channels-last through the layer in kPieces calls of T / kPieces steps.
at::Tensor stream(const WindowConv& conv, const at::Tensor& x) {
  const int64_t steps = x.size(0) / kPieces, C = x.size(1);
  std::vector<float> window = conv.init_window(steps), scratch;
  std::vector<at::Tensor> out;
  for (int64_t p = 0; p < kPieces; ++p) {
    std::memcpy(window.data() + conv.context() * C, x.data_ptr<float>() + p * steps * C,
                static_cast<size_t>(steps * C) * sizeof(float));
    at::Tensor y = at::full({steps * conv.upsampling(), conv.out_channels()}, NAN);
    conv.forward(window, steps, p == 0, y.data_ptr<float>(), nullptr, scratch);
    out.push_back(y);
  }
  return at::cat(out, 0);
}

void check_conv(int64_t c_in, int64_t c_out, int64_t kernel, int64_t dilation, bool replicate) {
  c10::InferenceMode guard;
  at::manual_seed(kernel * 10 + dilation);
  const at::Tensor w = at::randn({c_out, c_in, kernel}), b = at::randn({c_out});
  auto weights = checkpoint("conv", w, b);
  const WindowConv conv = WindowConv::conv(
      WeightPath(*weights, "x"), c_in, c_out, kernel, dilation,
      replicate ? StreamingConv1d::PadMode::kReplicate : StreamingConv1d::PadMode::kConstant);
  ck_assert_int_eq(conv.context(), (kernel - 1) * dilation);
  const at::Tensor x = at::randn({kPieces * 4, c_in});
  // The reference pads the left with the history: zeros, or the first sample repeated.
  const at::Tensor xt = x.t().unsqueeze(0);
  const int64_t pad = (kernel - 1) * dilation;
  const at::Tensor padded = at::cat(
      {replicate ? xt.narrow(2, 0, 1).expand({1, c_in, pad}) : at::zeros({1, c_in, pad}), xt}, 2);
  const at::Tensor want =
      at::conv1d(padded, w, b, at::IntArrayRef{1}, at::IntArrayRef{0}, at::IntArrayRef{dilation})[0]
          .t();
  const at::Tensor got = stream(conv, x);
  const double err = (got - want).abs().max().item<double>();
  ck_assert_msg(err <= 1e-5 * want.abs().max().item<double>(),
                "conv k=%ld d=%ld replicate=%d: max error %g", kernel, dilation, replicate, err);
}

void check_transposed(int64_t c_in, int64_t c_out, int64_t kernel, int64_t stride) {
  c10::InferenceMode guard;
  at::manual_seed(kernel * 10 + stride);
  const at::Tensor w = at::randn({c_in, c_out, kernel}), b = at::randn({c_out});
  auto weights = checkpoint("convtr", w, b);
  const WindowConv conv =
      WindowConv::transposed(WeightPath(*weights, "x"), c_in, c_out, kernel, stride);
  ck_assert_int_eq(conv.upsampling(), stride);
  const at::Tensor x = at::randn({kPieces * 3, c_in});
  // The reference's streaming output: the whole-signal output without its last kernel - stride
  // steps (still partial sums).
  const at::Tensor whole =
      at::conv_transpose1d(x.t().unsqueeze(0), w, b, at::IntArrayRef{stride})[0].t();
  const at::Tensor want = whole.narrow(0, 0, x.size(0) * stride);
  const at::Tensor got = stream(conv, x);
  const double err = (got - want).abs().max().item<double>();
  ck_assert_msg(err <= 1e-5 * want.abs().max().item<double>(),
                "transposed k=%ld s=%ld: max error %g", kernel, stride, err);
}

}  // namespace

START_TEST(test_conv_constant_padding) { check_conv(6, 5, 3, 1, false); }
END_TEST

START_TEST(test_conv_dilated) {
  check_conv(6, 5, 3, 2, false);
  check_conv(4, 70, 5, 3, false);
}
END_TEST

START_TEST(test_conv_replicate_padding) {
  check_conv(6, 5, 7, 1, true);
  check_conv(3, 9, 3, 2, true);
}
END_TEST

START_TEST(test_transposed) {
  check_transposed(8, 4, 8, 4);   // kernel = 2 * stride, as in Mimi
  check_transposed(5, 3, 9, 3);   // three input steps per output
  check_transposed(4, 20, 7, 4);  // kernel not a multiple of the stride
  check_transposed(6, 2, 2, 2);   // no overlap, no history
}
END_TEST

START_TEST(test_transposed_needs_kernel_at_least_stride) {
  c10::InferenceMode guard;
  auto weights = checkpoint("convtr", at::randn({2, 2, 2}), at::randn({2}));
  bool threw = false;
  try {
    WindowConv::transposed(WeightPath(*weights, "x"), 2, 2, 2, 3);
  } catch (const Error& e) {
    threw = e.code() == ErrorCode::kUnsupported;
  }
  ck_assert(threw);
}
END_TEST

int main() {
  Suite* suite = suite_create("window_conv");
  TCase* tc = tcase_create("window_conv");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_conv_constant_padding);
  tcase_add_test(tc, test_conv_dilated);
  tcase_add_test(tc, test_conv_replicate_padding);
  tcase_add_test(tc, test_transposed);
  tcase_add_test(tc, test_transposed_needs_kernel_at_least_stride);
  suite_add_tcase(suite, tc);
  return pockettts_test::run_suite(suite);
}
