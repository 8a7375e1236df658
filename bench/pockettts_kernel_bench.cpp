// pockettts-kernel-bench: the linear kernels (kernels/quantized_linear.h, kernels/dense_linear.h)
// against ATen's f32 paths, on a 4096x1024 layer (out x in) as in the flow-LM's MLP. Prints ms per
// call and GB/s of weight bytes read.
//
// Two regimes: "hot" times one layer over and over (its weights stay in cache), "stream" rotates
// over enough copies of the layer to total --stream-mb (default 340: one fp32 flow-LM step's
// weights), which is what a generation step sees: every weight read once per step.
//
// Not installed; links the library (for ATen) but times only single-threaded work.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "kernels/dense_linear.h"
#include "kernels/quantized_linear.h"

using pockettts::QuantizedLinear;
using pockettts::WeightFormat;

namespace {

constexpr int64_t kOut = 4096, kIn = 1024;

// Median over `repeats` rounds of `calls_per_round` calls, ms per call.
double time_calls(int repeats, int calls_per_round, const std::function<void(int)>& call) {
  for (int i = 0; i < calls_per_round; ++i) call(i);  // warm-up
  std::vector<double> per_call;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < calls_per_round; ++i) call(i);
    const auto t1 = std::chrono::steady_clock::now();
    per_call.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count() /
                       calls_per_round);
  }
  std::sort(per_call.begin(), per_call.end());
  return per_call[per_call.size() / 2];
}

void report(const char* what, int64_t rows, const char* regime, double ms, double bytes) {
  std::printf("%-28s rows=%-2ld %-6s %8.3f ms  %7.2f GB/s\n", what, static_cast<long>(rows), regime,
              ms, bytes / (ms * 1e-3) / 1e9);
}

}  // namespace

int main(int argc, char** argv) {
  double stream_mb = 340;
  int repeats = 7;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--stream-mb" && i + 1 < argc) {
      stream_mb = std::atof(argv[++i]);
    } else if (a == "--repeats" && i + 1 < argc) {
      repeats = std::max(1, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: %s [--stream-mb MB] [--repeats N]\n", argv[0]);
      return 2;
    }
  }
  at::set_num_threads(1);
  c10::InferenceMode guard;
  std::printf(
      "kernel: %s; layer %ldx%ld (out x in); single thread; stream = rotating over %.0f MB\n",
      QuantizedLinear::kernel_name(), static_cast<long>(kOut), static_cast<long>(kIn), stream_mb);

  std::mt19937 rng(7);
  std::normal_distribution<float> dist(0.0f, 0.05f);
  std::vector<float> w(static_cast<size_t>(kOut * kIn));
  for (auto& e : w) e = dist(rng);
  std::vector<float> x(64 * kIn), y(64 * kOut);
  for (auto& e : x) e = dist(rng);

  auto copies_for = [&](double bytes) {
    return std::max(1, static_cast<int>(stream_mb * 1e6 / bytes + 0.999));
  };
  const at::Tensor w0 = at::from_blob(w.data(), {kOut, kIn}, at::kFloat).clone();

  // f32 through ATen: at::mv (rows=1) and at::linear on [rows, 1024] (what the model does today).
  {
    const double bytes = 4.0 * kOut * kIn;
    const int n = copies_for(bytes);
    std::vector<at::Tensor> ws(static_cast<size_t>(n));
    for (auto& t : ws) t = w0.clone();
    const at::Tensor x1 = at::from_blob(x.data(), {kIn}, at::kFloat);
    for (int regime = 0; regime < 2; ++regime) {
      const int k = regime == 0 ? 1 : n;
      const char* name = regime == 0 ? "hot" : "stream";
      double ms = time_calls(repeats, std::max(k, 20), [&](int i) {
        volatile float sink = at::mv(ws[static_cast<size_t>(i % k)], x1).data_ptr<float>()[0];
        (void)sink;
      });
      report("f32 at::mv", 1, name, ms, bytes);
      // The exact mode's own kernel on the same row-major tensors (kernels/dense_linear.h).
      for (int64_t rows : {1, 4, 8, 16, 32, 64}) {
        ms = time_calls(repeats, std::max(k, 20), [&](int i) {
          pockettts::kernels::dense_linear(ws[static_cast<size_t>(i % k)].data_ptr<float>(),
                                           nullptr, kOut, kIn, x.data(), rows, y.data());
        });
        report("f32 dense_linear", rows, name, ms, bytes);
      }
      for (int64_t rows : {1, 4, 16, 32, 64}) {
        const at::Tensor xr = at::from_blob(x.data(), {rows, kIn}, at::kFloat);
        ms = time_calls(repeats, std::max(k, 20), [&](int i) {
          volatile float sink = at::linear(xr, ws[static_cast<size_t>(i % k)]).data_ptr<float>()[0];
          (void)sink;
        });
        report("f32 at::linear", rows, name, ms, bytes);
      }
    }
  }

  // The transposed shape (1024 x 4096, the feed-forward's second layer): long rows of x.
  {
    std::vector<float> xt(64 * 4096), yt(64 * 1024);
    for (auto& e : xt) e = dist(rng);
    const at::Tensor wt = at::from_blob(w.data(), {kIn, kOut}, at::kFloat).clone();
    for (int64_t rows : {1, 8, 16, 32, 64}) {
      const double ms = time_calls(repeats, 20, [&](int) {
        pockettts::kernels::dense_linear(wt.data_ptr<float>(), nullptr, kIn, kOut, xt.data(), rows,
                                         yt.data());
      });
      report("f32 dense_linear 1024x4096", rows, "hot", ms, 4.0 * kOut * kIn);
      const at::Tensor xr = at::from_blob(xt.data(), {rows, kOut}, at::kFloat);
      const double ms2 = time_calls(repeats, 20, [&](int) {
        volatile float sink = at::linear(xr, wt).data_ptr<float>()[0];
        (void)sink;
      });
      report("f32 at::linear 1024x4096", rows, "hot", ms2, 4.0 * kOut * kIn);
    }
  }

  for (WeightFormat f : {WeightFormat::kBF16, WeightFormat::kInt8}) {
    const char* label = f == WeightFormat::kInt8 ? "int8 QuantizedLinear" : "bf16 QuantizedLinear";
    const double bytes = (f == WeightFormat::kInt8 ? 1.0 : 2.0) * kOut * kIn;
    const int n = copies_for(bytes);
    std::vector<std::unique_ptr<QuantizedLinear>> layers;
    for (int i = 0; i < n; ++i)
      layers.push_back(std::make_unique<QuantizedLinear>(w.data(), kOut, kIn, nullptr, f));
    for (int regime = 0; regime < 2; ++regime) {
      const int k = regime == 0 ? 1 : n;
      const char* name = regime == 0 ? "hot" : "stream";
      for (int64_t rows : {1, 4}) {
        const double ms = time_calls(repeats, std::max(k, 20), [&](int i) {
          layers[static_cast<size_t>(i % k)]->forward(x.data(), rows, y.data());
        });
        report(label, rows, name, ms, bytes);
      }
    }
  }
  return 0;
}
