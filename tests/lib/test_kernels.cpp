// Tests of the linear kernels: the weight-compressed layers (kernels/quantized_linear.h), the
// exact mode's f32 products (kernels/dense_linear.h) and the windowed products of the streaming
// convolutions (kernels/panel_product.h). The quantization rule, and every product
// against a double-precision reference with bounds derived from the quantization and from f32
// accumulation, for every kernel variant the CPU can run, on shapes with odd tails; the
// variants agreeing with each other; and each output's bits independent of the number of rows
// computed with it (what batched streams rely on).
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "kernels/activations.h"
#include "kernels/attention.h"
#include "kernels/dense_linear.h"
#include "kernels/elu.h"
#include "kernels/normalization.h"
#include "kernels/panel_product.h"
#include "kernels/quantized_linear.h"
#include "kernels/worker_pool.h"
#include "test_util.h"

using pockettts::QuantizedLinear;
using pockettts::WeightFormat;

// In the hot loops: Check records every passing ck_assert (a write to its pipe), so millions of
// them take minutes; this calls it only on failure.
#define EXPECT_MSG(cond, ...)               \
  do {                                      \
    if (!(cond)) ck_abort_msg(__VA_ARGS__); \
  } while (0)

namespace {

constexpr double kU = 1.0 / (1 << 24);  // f32 unit roundoff

// The quantization rules, written again independently of the library.
float bf16_rne(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  uint32_t lsb = (u >> 16) & 1u;
  u = (u + 0x7fffu + lsb) & 0xffff0000u;
  std::memcpy(&f, &u, 4);
  return f;
}

struct Dequantized {
  std::vector<float> w;  // [out, in] as the kernels must see them
};

Dequantized quantize_ref(const std::vector<float>& w, int64_t out, int64_t in, WeightFormat f) {
  Dequantized d;
  d.w.resize(w.size());
  for (int64_t o = 0; o < out; ++o) {
    if (f == WeightFormat::kBF16) {
      for (int64_t i = 0; i < in; ++i) d.w[o * in + i] = bf16_rne(w[o * in + i]);
      continue;
    }
    float m = 0;
    for (int64_t i = 0; i < in; ++i) m = std::max(m, std::fabs(w[o * in + i]));
    const float s = m / 127.0f;
    for (int64_t i = 0; i < in; ++i) {
      float q = s == 0 ? 0.0f : std::nearbyint(w[o * in + i] / s);
      q = std::min(127.0f, std::max(-127.0f, q));
      d.w[o * in + i] = q * s;
    }
  }
  return d;
}

std::vector<float> random_vector(size_t n, std::mt19937& rng, float lo, float hi) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (auto& e : v) e = dist(rng);
  return v;
}

// Weights whose rows have different magnitudes (as in a trained layer), so per-row scales matter.
std::vector<float> random_weights(int64_t out, int64_t in, std::mt19937& rng) {
  std::vector<float> w = random_vector(static_cast<size_t>(out * in), rng, -1.0f, 1.0f);
  std::uniform_real_distribution<float> mag(-6.0f, 2.0f);
  for (int64_t o = 0; o < out; ++o) {
    const float m = std::exp2(mag(rng));
    for (int64_t i = 0; i < in; ++i) w[o * in + i] *= m;
  }
  return w;
}

std::vector<std::string> variants() {
  std::vector<std::string> v{"portable"};
  if (QuantizedLinear::use_kernel("avx512")) v.push_back("avx512");
  QuantizedLinear::use_kernel("auto");
  return v;
}

const char* name(WeightFormat f) { return f == WeightFormat::kInt8 ? "int8" : "bf16"; }

// One layer, all row counts, all variants: each output against the references, and the variants
// against each other.
void check_shape(int64_t in, int64_t out, WeightFormat f, bool with_bias, std::mt19937& rng,
                 std::initializer_list<int64_t> row_counts = {1, 3, 8, 9}) {
  const std::vector<float> w = random_weights(out, in, rng);
  const std::vector<float> b = random_vector(static_cast<size_t>(out), rng, -0.5f, 0.5f);
  QuantizedLinear layer(w.data(), out, in, with_bias ? b.data() : nullptr, f);
  ck_assert_int_eq(layer.in_features(), in);
  ck_assert_int_eq(layer.out_features(), out);
  ck_assert_uint_eq(layer.weight_bytes(),
                    static_cast<size_t>(out * in) * (f == WeightFormat::kInt8 ? 1 : 2));
  const Dequantized dq = quantize_ref(w, out, in, f);
  // The library quantizes by the documented rule, exactly.
  for (int64_t o = 0; o < out; ++o)
    for (int64_t i = 0; i < in; ++i)
      EXPECT_MSG(layer.dequantized(o, i) == dq.w[o * in + i], "%s %ldx%ld: w[%ld,%ld] %g != %g",
                 name(f), out, in, o, i, layer.dequantized(o, i), dq.w[o * in + i]);

  for (int64_t rows : row_counts) {
    const std::vector<float> x = random_vector(static_cast<size_t>(rows * in), rng, -2.0f, 2.0f);
    // References, once for all variants: with the library's quantized weights (exact_q), with
    // the original ones (exact), and the magnitudes that bound the errors.
    const size_t n = static_cast<size_t>(rows * out);
    std::vector<double> exact_q(n), exact(n), mag(n), mag_w(n), quant(n);
    for (int64_t r = 0; r < rows; ++r) {
      const float* xr = x.data() + r * in;
      for (int64_t o = 0; o < out; ++o) {
        const double bias = with_bias ? b[o] : 0.0;
        double eq = bias, e = bias, m = std::fabs(bias), mw = std::fabs(bias), sum_abs_x = 0;
        float max_w = 0;
        const float* dw = dq.w.data() + o * in;
        const float* ow = w.data() + o * in;
        for (int64_t i = 0; i < in; ++i) {
          const double p = static_cast<double>(dw[i]) * xr[i];
          eq += p;
          e += static_cast<double>(ow[i]) * xr[i];
          m += std::fabs(p);
          mw += std::fabs(static_cast<double>(ow[i]) * xr[i]);
          sum_abs_x += std::fabs(xr[i]);
          max_w = std::max(max_w, std::fabs(ow[i]));
        }
        const size_t at = static_cast<size_t>(r * out + o);
        exact_q[at] = eq;
        exact[at] = e;
        mag[at] = m;
        // int8: each weight off by at most half a step of the row's scale (max|w|/127, a hair
        // more for the float division); bf16: RNE to 8 significant bits, 2^-8 of each weight.
        quant[at] =
            f == WeightFormat::kInt8 ? sum_abs_x * (max_w / 127.0) / 2 * (1 + 1e-6) : mw / 256.0;
      }
    }
    std::vector<std::vector<float>> ys;
    for (const std::string& v : variants()) {
      ck_assert(QuantizedLinear::use_kernel(v.c_str()));
      ck_assert_str_eq(QuantizedLinear::kernel_name(), v.c_str());
      std::vector<float> y(n, NAN);
      layer.forward(x.data(), rows, y.data());
      for (int64_t r = 0; r < rows; ++r) {
        for (int64_t o = 0; o < out; ++o) {
          const size_t at = static_cast<size_t>(r * out + o);
          const double got = y[at];
          // f32 accumulation in any order (n roundings at most on each partial sum), then the
          // scale and the bias: a rigorous bound on the kernels' own error.
          const double slack = (static_cast<double>(in) + 3) * kU * mag[at] + 1e-30;
          EXPECT_MSG(std::fabs(got - exact_q[at]) <= slack,
                     "%s %s in=%ld out=%ld rows=%ld: y[%ld,%ld]=%.9g vs %.9g (slack %g)", v.c_str(),
                     name(f), in, out, rows, r, o, got, exact_q[at], slack);
          // Against the unquantized weights: the quantization's own bound on top.
          EXPECT_MSG(std::fabs(got - exact[at]) <= quant[at] + slack,
                     "%s %s in=%ld out=%ld rows=%ld: y[%ld,%ld]=%.9g vs unquantized %.9g",
                     v.c_str(), name(f), in, out, rows, r, o, got, exact[at]);
        }
      }
      ys.push_back(std::move(y));
    }
    // The variants agree to ~1e-5 of the products' magnitude (only the summation order differs).
    for (size_t k = 1; k < ys.size(); ++k) {
      for (size_t at = 0; at < n; ++at) {
        EXPECT_MSG(std::fabs(ys[k][at] - ys[0][at]) <= 1e-5 * mag[at] + 1e-30,
                   "%s in=%ld out=%ld rows=%ld: variants differ at %zu: %.9g vs %.9g", name(f), in,
                   out, rows, at, ys[k][at], ys[0][at]);
      }
    }
  }
  QuantizedLinear::use_kernel("auto");
}

void check_all_shapes(WeightFormat f) {
  std::mt19937 rng(f == WeightFormat::kInt8 ? 1234 : 5678);
  for (int64_t in : {1, 15, 17, 1000, 1024})
    for (int64_t out : {1, 7, 64, 3072}) check_shape(in, out, f, (in + out) % 2 == 0, rng);
}

// dense_linear on `rows` rows against a double-precision reference; variants agree.
void check_dense_shape(int64_t in, int64_t out, bool with_bias, std::mt19937& rng) {
  const std::vector<float> w = random_weights(out, in, rng);
  const std::vector<float> b = random_vector(static_cast<size_t>(out), rng, -0.5f, 0.5f);
  for (int64_t rows : {1, 3, 8, 11}) {
    const std::vector<float> x = random_vector(static_cast<size_t>(rows * in), rng, -2.0f, 2.0f);
    const size_t n = static_cast<size_t>(rows * out);
    std::vector<double> exact(n), mag(n);
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t o = 0; o < out; ++o) {
        double e = with_bias ? b[o] : 0.0, m = std::fabs(e);
        for (int64_t i = 0; i < in; ++i) {
          const double p = static_cast<double>(w[o * in + i]) * x[r * in + i];
          e += p;
          m += std::fabs(p);
        }
        exact[r * out + o] = e;
        mag[r * out + o] = m;
      }
    }
    std::vector<std::vector<float>> ys;
    for (const std::string& v : variants()) {
      ck_assert(QuantizedLinear::use_kernel(v.c_str()));
      std::vector<float> y(n, NAN);
      pockettts::kernels::dense_linear(w.data(), with_bias ? b.data() : nullptr, out, in, x.data(),
                                       rows, y.data());
      for (size_t at = 0; at < n; ++at) {
        const double slack = (static_cast<double>(in) + 2) * kU * mag[at] + 1e-30;
        EXPECT_MSG(std::fabs(y[at] - exact[at]) <= slack,
                   "%s f32 in=%ld out=%ld rows=%ld: y[%zu]=%.9g vs %.9g (slack %g)", v.c_str(), in,
                   out, rows, at, y[at], exact[at], slack);
      }
      ys.push_back(std::move(y));
    }
    for (size_t k = 1; k < ys.size(); ++k)
      for (size_t at = 0; at < n; ++at)
        EXPECT_MSG(std::fabs(ys[k][at] - ys[0][at]) <= 1e-5 * mag[at] + 1e-30,
                   "f32 in=%ld out=%ld rows=%ld: variants differ at %zu", in, out, rows, at);
  }
  QuantizedLinear::use_kernel("auto");
}

// y of `rows` rows at once must equal, bit for bit, each row computed alone.
template <typename Forward>
void check_rows_independent(const char* what, int64_t in, int64_t out, const Forward& forward,
                            std::mt19937& rng) {
  constexpr int64_t kRows = 37;  // more than one block of kMaxBlockRows (32), with a tail
  const std::vector<float> x = random_vector(static_cast<size_t>(kRows * in), rng, -2.0f, 2.0f);
  for (int64_t rows : {int64_t{2}, int64_t{3}, int64_t{5}, int64_t{8}, int64_t{11}, kRows}) {
    std::vector<float> together(static_cast<size_t>(rows * out)), alone(static_cast<size_t>(out));
    forward(x.data(), rows, together.data());
    for (int64_t r = 0; r < rows; ++r) {
      forward(x.data() + r * in, 1, alone.data());
      EXPECT_MSG(std::memcmp(alone.data(), together.data() + r * out, alone.size() * 4) == 0,
                 "%s in=%ld out=%ld: row %ld of %ld differs from the row alone", what, in, out, r,
                 rows);
    }
  }
}

// PanelWeights::multiply over overlapping windows (x_stride < inputs, as a convolution reads a
// channels-last signal), with and without a residual, against a double-precision reference;
// rows computed together, alone, or split over cores give the same bits; variants agree.
void check_panel_shape(int64_t inputs, int64_t outputs, int64_t x_stride, bool residual,
                       std::mt19937& rng) {
  using pockettts::kernels::ComputeScope;
  using pockettts::kernels::PanelWeights;
  const std::vector<float> w = random_weights(outputs, inputs, rng);  // w[o * inputs + j]
  const std::vector<float> b = random_vector(static_cast<size_t>(outputs), rng, -0.5f, 0.5f);
  const PanelWeights p = PanelWeights::pack(inputs, outputs, b.data(), [&](int64_t j, int64_t o) {
    return w[static_cast<size_t>(o * inputs + j)];
  });
  ck_assert_int_eq(p.inputs(), inputs);
  ck_assert_int_eq(p.outputs(), outputs);
  constexpr int64_t kRows = 29;          // several tiles of every width, with a tail
  const int64_t y_stride = outputs + 3;  // rows of y with a gap that must stay untouched
  const std::vector<float> x =
      random_vector(static_cast<size_t>((kRows - 1) * x_stride + inputs), rng, -2.0f, 2.0f);
  const std::vector<float> res =
      random_vector(static_cast<size_t>(kRows * y_stride), rng, -4.0f, 4.0f);
  std::vector<double> exact(static_cast<size_t>(kRows * outputs)), mag(exact.size());
  for (int64_t r = 0; r < kRows; ++r) {
    for (int64_t o = 0; o < outputs; ++o) {
      double e = b[o], m = std::fabs(e);
      for (int64_t j = 0; j < inputs; ++j) {
        const double v = static_cast<double>(w[o * inputs + j]) * x[r * x_stride + j];
        e += v;
        m += std::fabs(v);
      }
      if (residual) {
        e += res[r * y_stride + o];
        m += std::fabs(res[r * y_stride + o]);
      }
      exact[r * outputs + o] = e;
      mag[r * outputs + o] = m;
    }
  }
  std::vector<std::vector<float>> ys;
  for (const std::string& v : variants()) {
    ck_assert(QuantizedLinear::use_kernel(v.c_str()));
    std::vector<float> y(static_cast<size_t>(kRows * y_stride), -7.0f);
    p.multiply(x.data(), x_stride, kRows, y.data(), y_stride, residual ? res.data() : nullptr,
               y_stride);
    for (int64_t r = 0; r < kRows; ++r) {
      for (int64_t o = 0; o < y_stride; ++o) {
        const float got = y[r * y_stride + o];
        if (o >= outputs) {
          EXPECT_MSG(got == -7.0f, "%s panel: y[%ld, %ld] beyond the outputs was written",
                     v.c_str(), r, o);
          continue;
        }
        const double slack = (static_cast<double>(inputs) + 3) * kU * mag[r * outputs + o];
        EXPECT_MSG(std::fabs(got - exact[r * outputs + o]) <= slack + 1e-30,
                   "%s panel in=%ld out=%ld stride=%ld: y[%ld,%ld]=%.9g vs %.9g", v.c_str(), inputs,
                   outputs, x_stride, r, o, got, exact[r * outputs + o]);
      }
    }
    // Each row alone, a few rows, the rows split over cores, and in place (y = residual).
    for (int64_t rows : {int64_t{1}, int64_t{5}, int64_t{13}}) {
      for (int64_t r0 = 0; r0 + rows <= kRows; r0 += rows) {
        std::vector<float> part(static_cast<size_t>(rows * y_stride), -7.0f);
        p.multiply(x.data() + r0 * x_stride, x_stride, rows, part.data(), y_stride,
                   residual ? res.data() + r0 * y_stride : nullptr, y_stride);
        EXPECT_MSG(std::memcmp(part.data(), y.data() + r0 * y_stride, part.size() * 4) == 0,
                   "%s panel in=%ld out=%ld: rows %ld..%ld alone differ", v.c_str(), inputs,
                   outputs, r0, r0 + rows);
      }
    }
    std::vector<float> split(y.size(), -7.0f);
    if (residual) std::copy(res.begin(), res.end(), split.begin());
    {
      ComputeScope scope(3);
      p.multiply(x.data(), x_stride, kRows, split.data(), y_stride,
                 residual ? split.data() : nullptr, y_stride);
    }
    for (int64_t r = 0; r < kRows; ++r) {
      EXPECT_MSG(std::memcmp(split.data() + r * y_stride, y.data() + r * y_stride,
                             static_cast<size_t>(outputs) * 4) == 0,
                 "%s panel in=%ld out=%ld: split / in place row %ld differs", v.c_str(), inputs,
                 outputs, r);
    }
    // The rows as sets of their own (the frames of several streams, one an empty set), each
    // with its own output buffer: alone and split over cores, the bits of the rows together.
    for (int cores : {1, 3}) {
      const int64_t sizes[] = {1, 5, 0, 13, 10};
      std::vector<std::vector<float>> outs;
      std::vector<PanelWeights::Rows> sets;
      int64_t r0 = 0;
      for (int64_t n : sizes) {
        outs.emplace_back(static_cast<size_t>(std::max<int64_t>(n, 1) * y_stride), -7.0f);
        sets.push_back({x.data() + r0 * x_stride, x_stride, n, outs.back().data(), y_stride,
                        residual ? res.data() + r0 * y_stride : nullptr, y_stride});
        r0 += n;
      }
      ck_assert_int_eq(r0, kRows);
      {
        ComputeScope scope(cores);
        p.multiply(sets.data(), sets.size());
      }
      r0 = 0;
      for (size_t k = 0; k < sets.size(); ++k) {
        const size_t n = static_cast<size_t>(sizes[k] * y_stride);
        EXPECT_MSG(std::memcmp(outs[k].data(), y.data() + r0 * y_stride, n * 4) == 0,
                   "%s panel in=%ld out=%ld: set %zu on %d cores differs", v.c_str(), inputs,
                   outputs, k, cores);
        r0 += sizes[k];
      }
    }
    ys.push_back(std::move(y));
  }
  for (size_t k = 1; k < ys.size(); ++k)
    for (int64_t r = 0; r < kRows; ++r)
      for (int64_t o = 0; o < outputs; ++o)
        EXPECT_MSG(std::fabs(ys[k][r * y_stride + o] - ys[0][r * y_stride + o]) <=
                       1e-5 * mag[r * outputs + o] + 1e-30,
                   "panel in=%ld out=%ld: variants differ at [%ld, %ld]", inputs, outputs, r, o);
  QuantizedLinear::use_kernel("auto");
}

}  // namespace

// Spare cores (worker_pool.h): a product split over the cores gives the bits of one thread.
START_TEST(test_split_products_equal_one_thread) {
  using pockettts::kernels::ComputeScope;
  pockettts::kernels::set_compute_threads(4);  // more than this machine may have
  std::mt19937 rng(7);
  for (int64_t out : {13, 300, 3072}) {
    const int64_t in = 1024, rows = 25;  // above the split threshold
    const std::vector<float> w = random_weights(out, in, rng);
    const std::vector<float> b = random_vector(static_cast<size_t>(out), rng, -0.5f, 0.5f);
    const std::vector<float> x = random_vector(static_cast<size_t>(rows * in), rng, -2.0f, 2.0f);
    std::vector<float> one(static_cast<size_t>(rows * out)), split(one.size());
    pockettts::kernels::dense_linear(w.data(), b.data(), out, in, x.data(), rows, one.data());
    {
      ComputeScope scope(4);  // more parts than the pool has threads: still every output once
      ck_assert_int_eq(ComputeScope::current(), 4);
      pockettts::kernels::dense_linear(w.data(), b.data(), out, in, x.data(), rows, split.data());
    }
    ck_assert_int_eq(ComputeScope::current(), 1);
    ck_assert_msg(std::memcmp(one.data(), split.data(), one.size() * 4) == 0,
                  "f32 out=%ld: split product differs", out);
    for (WeightFormat f : {WeightFormat::kInt8, WeightFormat::kBF16}) {
      QuantizedLinear layer(w.data(), out, in, b.data(), f);
      layer.forward(x.data(), rows, one.data());
      ComputeScope scope(2);
      layer.forward(x.data(), rows, split.data());
      ck_assert_msg(std::memcmp(one.data(), split.data(), one.size() * 4) == 0,
                    "%s out=%ld: split product differs", name(f), out);
    }
  }
}
END_TEST

// The pool runs every part exactly once, also with concurrent callers (whose parts helpers take
// from any of them) and with more parts than threads.
START_TEST(test_worker_pool_runs_every_part_once) {
  auto& pool = pockettts::kernels::WorkerPool::shared();
  ck_assert_int_ge(pool.threads(), 1);
  std::vector<std::thread> callers;
  std::vector<std::vector<int>> counts(3, std::vector<int>(17, 0));
  for (int c = 0; c < 3; ++c) {
    callers.emplace_back([&, c] {
      for (int round = 0; round < 200; ++round)
        pool.run(17, [&](int part) { __atomic_fetch_add(&counts[c][part], 1, __ATOMIC_RELAXED); });
    });
  }
  for (auto& t : callers) t.join();
  for (int c = 0; c < 3; ++c)
    for (int p = 0; p < 17; ++p) ck_assert_int_eq(counts[c][p], 200);
}
END_TEST

// A helper takes a part only on a core no busy thread holds: while another thread computes (its
// ComputeScope), the caller runs every part; once it is done, a waiting helper joins at once.
START_TEST(test_worker_pool_helpers_take_only_free_cores) {
  using Clock = std::chrono::steady_clock;
  auto& pool = pockettts::kernels::WorkerPool::shared();
  if (pool.threads() < 2) return;  // one core: nothing to share
  pockettts::kernels::set_compute_threads(2);
  std::atomic<bool> held{false}, running{false};
  std::atomic<int64_t> released_at{0};
  std::thread other([&] {
    pockettts::kernels::ComputeScope busy(1);
    held = true;
    // Busy until 60 ms into the parts: however late this test's threads run, both cores are
    // held when the call starts, and free for most of its parts.
    while (!running) std::this_thread::yield();
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    released_at = Clock::now().time_since_epoch().count();
  });
  while (!held) std::this_thread::yield();
  const std::thread::id caller = std::this_thread::get_id();
  constexpr int kParts = 24;
  std::vector<std::thread::id> who(kParts);
  std::vector<int64_t> started(kParts);
  {
    pockettts::kernels::ComputeScope scope(2);
    ck_assert_int_eq(pockettts::kernels::busy_threads(), 2);
    pool.run(kParts, [&](int part) {
      running = true;
      started[part] = Clock::now().time_since_epoch().count();
      who[part] = std::this_thread::get_id();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    });
  }
  other.join();
  int helped = 0;
  for (int p = 0; p < kParts; ++p) {
    if (who[p] == caller) continue;
    ++helped;
    ck_assert_msg(started[p] >= released_at, "a helper took part %d while both cores were busy", p);
  }
  // 24 parts of 10 ms: the other core is free for the last ~180 ms of them.
  ck_assert_msg(helped > 0, "no helper joined once a core was free");
  ck_assert_int_eq(pockettts::kernels::busy_threads(), 0);
}
END_TEST

START_TEST(test_dense_shapes) {
  std::mt19937 rng(99);
  for (int64_t in : {1, 15, 17, 32, 1000, 1024})
    for (int64_t out : {1, 7, 64, 3072}) check_dense_shape(in, out, (in + out) % 2 == 1, rng);
}
END_TEST

// Every panel width (1 to 4 vectors, masked tails), window overlaps as in Mimi's decoder (a
// kernel-3 convolution over C channels: inputs 3C, stride C), and products big enough to split.
START_TEST(test_panel_shapes) {
  std::mt19937 rng(31);
  for (int64_t outputs : {1, 15, 16, 40, 64, 100, 130}) {
    check_panel_shape(12, outputs, 4, outputs % 2 == 0, rng);
    check_panel_shape(96, outputs, 32, outputs % 2 == 1, rng);
  }
  // 2^21 multiply-adds or more: split, over panels (4 of them) and over rows (only 2 panels).
  check_panel_shape(384, 256, 128, true, rng);
  check_panel_shape(768, 100, 768, false, rng);
  check_panel_shape(7, 33, 7, false, rng);      // windows that do not overlap
}
END_TEST

// ELU: exact above 0, exp(x) - 1 within 3e-7 below (the reference's Sleef exp is within 1 ulp:
// both are ~1e-7 from the true value), NaN kept, -inf to -1, every tail length, in place.
START_TEST(test_elu) {
  std::mt19937 rng(5);
  std::vector<float> x = random_vector(4099, rng, -20.0f, 3.0f);
  x[7] = NAN;
  x[8] = -INFINITY;
  x[9] = 0.0f;
  x[10] = -1e-30f;
  x[11] = -200.0f;
  for (const std::string& v : variants()) {
    ck_assert(QuantizedLinear::use_kernel(v.c_str()));
    for (int64_t n : {1, 15, 16, 17, 33, 4099}) {
      std::vector<float> y(static_cast<size_t>(n) + 1, 5.0f);
      pockettts::kernels::elu(x.data(), n, y.data());
      ck_assert_float_eq(y[static_cast<size_t>(n)], 5.0f);  // nothing written past n
      for (int64_t i = 0; i < n; ++i) {
        if (std::isnan(x[i])) {
          EXPECT_MSG(std::isnan(y[i]), "%s elu(NaN) = %g", v.c_str(), y[i]);
        } else if (x[i] > 0) {
          EXPECT_MSG(y[i] == x[i], "%s elu(%g) = %g", v.c_str(), x[i], y[i]);
        } else {
          const double want = std::exp(static_cast<double>(x[i])) - 1.0;
          EXPECT_MSG(std::fabs(y[i] - want) <= 3e-7, "%s elu(%.9g) = %.9g, want %.9g", v.c_str(),
                     x[i], y[i], want);
        }
      }
    }
    std::vector<float> in_place(x.begin(), x.begin() + 100), copy(100);
    pockettts::kernels::elu(x.data(), 100, copy.data());
    pockettts::kernels::elu(in_place.data(), 100, in_place.data());
    ck_assert(std::memcmp(in_place.data(), copy.data(), 400) == 0);
  }
  QuantizedLinear::use_kernel("auto");
}
END_TEST

// GELU and SiLU against double precision: within 1e-6 of max(1, |y|) (the AVX-512 erf is within
// 1.5e-7 of the true erf, as libtorch's; exp within ~1 ulp), NaN kept, saturated tails exact in
// sign, every tail length, in place.
START_TEST(test_activations) {
  std::mt19937 rng(6);
  std::vector<float> x = random_vector(4099, rng, -12.0f, 12.0f);
  x[7] = NAN;
  x[8] = -200.0f;
  x[9] = 200.0f;
  x[10] = 0.0f;
  x[11] = -1e-30f;
  const auto gelu = [](double v) { return v * 0.5 * (1.0 + std::erf(v / std::sqrt(2.0))); };
  const auto silu = [](double v) { return v / (1.0 + std::exp(-v)); };
  for (const std::string& v : variants()) {
    ck_assert(QuantizedLinear::use_kernel(v.c_str()));
    for (int64_t n : {1, 15, 16, 17, 4099}) {
      std::vector<float> g(static_cast<size_t>(n) + 1, 5.0f), s(static_cast<size_t>(n) + 1, 5.0f);
      pockettts::kernels::gelu(x.data(), n, g.data());
      pockettts::kernels::silu(x.data(), n, s.data());
      ck_assert_float_eq(g[static_cast<size_t>(n)], 5.0f);  // nothing written past n
      ck_assert_float_eq(s[static_cast<size_t>(n)], 5.0f);
      for (int64_t i = 0; i < n; ++i) {
        if (std::isnan(x[i])) {
          EXPECT_MSG(std::isnan(g[i]) && std::isnan(s[i]), "%s: NaN in, %g / %g out", v.c_str(),
                     g[i], s[i]);
          continue;
        }
        const double want_g = gelu(x[i]), want_s = silu(x[i]);
        EXPECT_MSG(std::fabs(g[i] - want_g) <= 1e-6 * std::max(1.0, std::fabs(want_g)),
                   "%s gelu(%.9g) = %.9g, want %.9g", v.c_str(), x[i], g[i], want_g);
        EXPECT_MSG(std::fabs(s[i] - want_s) <= 1e-6 * std::max(1.0, std::fabs(want_s)),
                   "%s silu(%.9g) = %.9g, want %.9g", v.c_str(), x[i], s[i], want_s);
      }
    }
    std::vector<float> in_place(x.begin(), x.begin() + 100), copy(100);
    pockettts::kernels::gelu(x.data(), 100, copy.data());
    pockettts::kernels::gelu(in_place.data(), 100, in_place.data());
    ck_assert(std::memcmp(in_place.data(), copy.data(), 400) == 0);
  }
  QuantizedLinear::use_kernel("auto");
}
END_TEST

// LayerNorm (with and without affine part) against double precision,
// on rows with a large common offset (where a one-pass variance would lose digits); in place.
START_TEST(test_normalization) {
  std::mt19937 rng(8);
  const int64_t rows = 3, width = 1000;
  std::vector<float> x = random_vector(static_cast<size_t>(rows * width), rng, -3, 3);
  for (int64_t i = 0; i < width; ++i) x[static_cast<size_t>(width + i)] += 100.0f;
  const std::vector<float> w = random_vector(static_cast<size_t>(width), rng, -2, 2);
  const std::vector<float> b = random_vector(static_cast<size_t>(width), rng, -2, 2);
  std::vector<float> ln(x.size()), plain(x.size());
  pockettts::kernels::layer_norm(x.data(), rows, width, w.data(), b.data(), 1e-5f, ln.data());
  pockettts::kernels::layer_norm(x.data(), rows, width, nullptr, nullptr, 1e-6f, plain.data());
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x.data() + r * width;
    double mean = 0, squares = 0;
    for (int64_t i = 0; i < width; ++i) mean += xr[i];
    mean /= width;
    for (int64_t i = 0; i < width; ++i) squares += (xr[i] - mean) * (xr[i] - mean);
    const double var = squares / width;
    for (int64_t i = 0; i < width; ++i) {
      const size_t k = static_cast<size_t>(r * width + i);
      const double normed = (xr[i] - mean) / std::sqrt(var + 1e-5);
      const double want_ln = normed * w[i] + b[i];
      const double want_plain = (xr[i] - mean) / std::sqrt(var + 1e-6);
      EXPECT_MSG(std::fabs(ln[k] - want_ln) <= 2e-6 * std::max(1.0, std::fabs(want_ln)),
                 "layer_norm[%ld, %ld] = %.9g, want %.9g", r, i, ln[k], want_ln);
      EXPECT_MSG(std::fabs(plain[k] - want_plain) <= 2e-6 * std::max(1.0, std::fabs(want_plain)),
                 "layer_norm (no affine)[%ld, %ld] = %.9g, want %.9g", r, i, plain[k], want_plain);
    }
  }
  std::vector<float> in_place = x;
  pockettts::kernels::layer_norm(in_place.data(), rows, width, w.data(), b.data(), 1e-5f,
                                 in_place.data());
  ck_assert(std::memcmp(in_place.data(), ln.data(), ln.size() * sizeof(float)) == 0);
}
END_TEST

// One query against cached positions, in both caches' layouts (FlowLM: positions of all heads
// interleaved, with a gap; Mimi: head by head), with and without a mask, against double precision.
START_TEST(test_attend_one_query) {
  std::mt19937 rng(77);
  for (int64_t positions : {1, 7, 300}) {
    for (int64_t head_dim : {20, 64}) {
      for (bool heads_outer : {false, true}) {
        for (bool masked : {false, true}) {
          const int64_t heads = 3, gap = 5;
          const int64_t position_stride = heads_outer ? head_dim : heads * head_dim + gap;
          const int64_t head_stride = heads_outer ? positions * head_dim + gap : head_dim;
          const size_t size =
              static_cast<size_t>(heads * positions * head_dim + heads * gap + positions * gap);
          const std::vector<float> q =
              random_vector(static_cast<size_t>(heads * head_dim), rng, -2, 2);
          const std::vector<float> k = random_vector(size, rng, -2, 2);
          const std::vector<float> v = random_vector(size, rng, -2, 2);
          // Masked: every third position out of reach, but always the last (as a query's own).
          std::vector<uint8_t> allowed(static_cast<size_t>(positions));
          for (int64_t s = 0; s < positions; ++s)
            allowed[s] = !masked || s % 3 != 1 || s == positions - 1;
          std::vector<float> scratch(static_cast<size_t>(heads * positions)),
              out(static_cast<size_t>(heads * head_dim), NAN);
          const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
          const pockettts::kernels::CachedKeysValues cache{k.data(), v.data(), positions,
                                                           position_stride, head_stride};
          pockettts::kernels::attend_one_query(q.data(), heads, head_dim, cache,
                                               masked ? allowed.data() : nullptr, scale,
                                               scratch.data(), out.data());
          for (int64_t h = 0; h < heads; ++h) {
            std::vector<double> w(static_cast<size_t>(positions));
            double max = -INFINITY, sum = 0;
            for (int64_t s = 0; s < positions; ++s) {
              double dot = 0;
              for (int64_t d = 0; d < head_dim; ++d)
                dot += static_cast<double>(q[h * head_dim + d]) *
                       k[s * position_stride + h * head_stride + d];
              w[s] = allowed[s] ? dot * scale : -INFINITY;
              max = std::max(max, w[s]);
            }
            for (auto& x : w) sum += (x = std::exp(x - max));
            for (int64_t d = 0; d < head_dim; ++d) {
              double want = 0;
              for (int64_t s = 0; s < positions; ++s)
                want += w[s] / sum * v[s * position_stride + h * head_stride + d];
              EXPECT_MSG(std::fabs(out[h * head_dim + d] - want) <= 1e-5,
                         "S=%ld D=%ld heads_outer=%d masked=%d: out[%ld, %ld] = %.7g, want %.7g",
                         positions, head_dim, heads_outer, masked, h, d, out[h * head_dim + d],
                         want);
            }
          }
          // Heads one group at a time (a step splits them over the cores): the same bits.
          std::vector<float> grouped(out.size(), NAN);
          for (int64_t h0 = 0; h0 < heads; h0 += 2) {
            const int64_t n = std::min<int64_t>(2, heads - h0);
            const pockettts::kernels::CachedKeysValues part{k.data() + h0 * head_stride,
                                                            v.data() + h0 * head_stride, positions,
                                                            position_stride, head_stride};
            pockettts::kernels::attend_one_query(
                q.data() + h0 * head_dim, n, head_dim, part, masked ? allowed.data() : nullptr,
                scale, scratch.data() + h0 * positions, grouped.data() + h0 * head_dim);
          }
          EXPECT_MSG(std::memcmp(grouped.data(), out.data(), out.size() * 4) == 0,
                     "S=%ld D=%ld: heads in groups differ from all at once", positions, head_dim);
        }
      }
    }
  }
}
END_TEST

START_TEST(test_rows_are_independent) {
  std::mt19937 rng(2024);
  for (const std::string& v : variants()) {
    ck_assert(QuantizedLinear::use_kernel(v.c_str()));
    for (int64_t in : {17, 32, 256, 1024}) {
      for (int64_t out : {1, 13, 96}) {
        const std::vector<float> w = random_weights(out, in, rng);
        const std::vector<float> b = random_vector(static_cast<size_t>(out), rng, -0.5f, 0.5f);
        check_rows_independent((v + " f32").c_str(), in, out,
                               [&](const float* x, int64_t rows, float* y) {
                                 pockettts::kernels::dense_linear(w.data(), b.data(), out, in, x,
                                                                  rows, y);
                               },
                               rng);
        for (WeightFormat f : {WeightFormat::kInt8, WeightFormat::kBF16}) {
          QuantizedLinear layer(w.data(), out, in, b.data(), f);
          check_rows_independent(
              (v + " " + name(f)).c_str(), in, out,
              [&](const float* x, int64_t rows, float* y) { layer.forward(x, rows, y); }, rng);
        }
      }
    }
  }
  QuantizedLinear::use_kernel("auto");
}
END_TEST

START_TEST(test_int8_shapes) { check_all_shapes(WeightFormat::kInt8); }
END_TEST

START_TEST(test_bf16_shapes) { check_all_shapes(WeightFormat::kBF16); }
END_TEST

// Model-sized layers, both formats, with and without bias (the inputs are multiples of 64: the
// kernels' main loops without padding).
START_TEST(test_model_shapes) {
  std::mt19937 rng(42);
  for (WeightFormat f : {WeightFormat::kInt8, WeightFormat::kBF16}) {
    check_shape(512, 1536, f, true, rng);
    check_shape(4096, 1024, f, false, rng, {1, 4});
    check_shape(1024, 4096, f, true, rng, {1, 8});
  }
}
END_TEST

// Ties round to even, in both formats; an all-zero row has scale 0 and yields the bias.
START_TEST(test_rounding_rules) {
  // int8: max 127 makes the scale exactly 1, so w/scale is w and the halves are ties.
  const float w8[8] = {127.0f, 0.5f, 1.5f, 2.5f, -0.5f, -2.5f, -3.5f, 126.5f};
  QuantizedLinear q8(w8, 1, 8, nullptr, WeightFormat::kInt8);
  const float want8[8] = {127, 0, 2, 2, 0, -2, -4, 126};
  for (int i = 0; i < 8; ++i) ck_assert_float_eq(q8.dequantized(0, i), want8[i]);
  // bf16 keeps 8 significant bits: 1 + 2^-8 is a tie between 1 and 1 + 2^-7.
  const float wb[4] = {1.0f + 1.0f / 256, 1.0f + 3.0f / 256, -(1.0f + 1.0f / 256),
                       1.0f + 1.5f / 256};
  QuantizedLinear qb(wb, 1, 4, nullptr, WeightFormat::kBF16);
  ck_assert_float_eq(qb.dequantized(0, 0), 1.0f);
  ck_assert_float_eq(qb.dequantized(0, 1), 1.0f + 4.0f / 256);
  ck_assert_float_eq(qb.dequantized(0, 2), -1.0f);
  ck_assert_float_eq(qb.dequantized(0, 3), 1.0f + 2.0f / 256);
  // A zero row next to a normal one.
  const float wz[6] = {0, 0, 0, 1, 2, 3};
  const float bz[2] = {0.25f, -1.0f};
  const float x[3] = {1, 1, 1};
  for (const std::string& v : variants()) {
    ck_assert(QuantizedLinear::use_kernel(v.c_str()));
    for (WeightFormat f : {WeightFormat::kInt8, WeightFormat::kBF16}) {
      QuantizedLinear lz(wz, 2, 3, bz, f);
      float y[2];
      lz.forward(x, 1, y);
      ck_assert_float_eq(y[0], 0.25f);
      ck_assert_float_eq(y[1], 5.0f);
    }
  }
  QuantizedLinear::use_kernel("auto");
}
END_TEST

// POCKETTTS_KERNEL=portable chooses the fallback at first use (Check forks each test, so this
// process has not chosen yet).
START_TEST(test_env_forces_portable) {
  setenv("POCKETTTS_KERNEL", "portable", 1);
  ck_assert_str_eq(QuantizedLinear::kernel_name(), "portable");
  ck_assert(!QuantizedLinear::use_kernel("nonsense"));
  ck_assert_str_eq(QuantizedLinear::kernel_name(), "portable");
}
END_TEST

// Without the variable the CPU's best is chosen: AVX-512 where the CPU has it.
START_TEST(test_default_is_best) {
  unsetenv("POCKETTTS_KERNEL");
  const std::string got = QuantizedLinear::kernel_name();
  const bool has = __builtin_cpu_supports("avx512f");
  ck_assert_str_eq(got.c_str(), has ? "avx512" : "portable");
}
END_TEST

START_TEST(test_move_and_errors) {
  const float w[2] = {1, 2};
  QuantizedLinear a(w, 1, 2, nullptr, WeightFormat::kInt8);
  QuantizedLinear b = std::move(a);
  float x[2] = {1, 1}, y = 0;
  b.forward(x, 1, &y);
  // 1 is not a multiple of the scale 2/127: it becomes 64 steps (63.5 rounded to even).
  ck_assert_float_eq_tol(y, 2.0f + 128.0f / 127, 1e-6f);
  ck_assert_float_eq(b.dequantized(0, 0), 64 * (2.0f / 127));
  bool threw = false;
  try {
    QuantizedLinear bad(w, 0, 2, nullptr, WeightFormat::kBF16);
  } catch (const std::invalid_argument&) {
    threw = true;
  }
  ck_assert(threw);
}
END_TEST

int main() {
  Suite* suite = suite_create("kernels");
  TCase* tc = tcase_create("kernels");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, test_rounding_rules);
  tcase_add_test(tc, test_int8_shapes);
  tcase_add_test(tc, test_bf16_shapes);
  tcase_add_test(tc, test_model_shapes);
  tcase_add_test(tc, test_dense_shapes);
  tcase_add_test(tc, test_rows_are_independent);
  tcase_add_test(tc, test_panel_shapes);
  tcase_add_test(tc, test_elu);
  tcase_add_test(tc, test_attend_one_query);
  tcase_add_test(tc, test_activations);
  tcase_add_test(tc, test_normalization);
  tcase_add_test(tc, test_split_products_equal_one_thread);
  tcase_add_test(tc, test_worker_pool_runs_every_part_once);
  tcase_add_test(tc, test_worker_pool_helpers_take_only_free_cores);
  tcase_add_test(tc, test_env_forces_portable);
  tcase_add_test(tc, test_default_is_best);
  tcase_add_test(tc, test_move_and_errors);
  suite_add_tcase(suite, tc);
  return pockettts_test::run_suite(suite);
}
