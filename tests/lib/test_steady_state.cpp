// The steady state of generation allocates nothing: once the first steps have sized the buffers
// (FlowStepWorkspace, MimiDecoderState), a flow-LM step allocates only the latent it hands back,
// and a decoded Mimi frame nothing at all. Counted on operator new, replaced for this program:
// libtorch's tensors (TensorImpl, StorageImpl) and every std container go through it.
#include <ATen/CPUGeneratorImpl.h>

#include <atomic>
#include <cstdlib>
#include <limits>
#include <new>
#include <vector>

#include "model_fixture.h"

namespace {
std::atomic<long> g_news{0};
}

void* operator new(std::size_t size) {
  g_news.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size != 0 ? size : 1)) return p;
  throw std::bad_alloc();
}
// The nothrow forms too (std::stable_sort's buffer): under ASan an unreplaced one is the
// runtime's, and its memory would reach the free() above (alloc-dealloc-mismatch).
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  g_news.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size != 0 ? size : 1);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }

using namespace pockettts;
using namespace pockettts_test;

namespace {

// A step's result: one [1, ldim] tensor (its TensorImpl and StorageImpl; the data itself comes
// from c10's allocator, not operator new).
constexpr long kNewsPerReturnedLatent = 2;

std::shared_ptr<const TTSModel> load(Precision precision) {
  LoadOptions options;
  options.config = data_path("tiny/config.yaml");
  options.precision = precision;
  return TTSModel::load_model(options);
}

// `streams` streams stepped together (1: a stream alone), 4 warm-up steps, then 12 counted.
void check_steps(Precision precision, int streams, bool lsd_mix) {
  c10::InferenceMode guard;
  auto model = load(precision);
  const FlowLm& lm = *engine_of(*model).flow_lm;
  VoiceState voice = model->get_state_for_audio_prompt(voice_wav());
  std::vector<FlowLmState> states;
  std::vector<at::Tensor> latents;
  std::vector<SamplingOptions> sampling(static_cast<size_t>(streams));
  std::vector<at::Generator> rngs;
  for (int i = 0; i < streams; ++i) {
    states.push_back(flow_state(voice).clone());
    states.back().reserve(states.back().length() + 16);  // as generate_chunk reserves
    latents.push_back(
        at::full({1, lm.latent_dim()}, std::numeric_limits<float>::quiet_NaN(), at::kFloat));
    if (lsd_mix) sampling[static_cast<size_t>(i)].lsd_decode_steps = 1 + i % 2;
    if (i == 1) sampling[1].noise_clamp = 1.5;
    rngs.push_back(at::make_generator<at::CPUGeneratorImpl>(7 + i));
  }
  std::vector<StepRequest> requests;
  for (size_t i = 0; i < static_cast<size_t>(streams); ++i)
    requests.push_back({&latents[i], &states[i], &sampling[i], &rngs[i]});
  FlowStepWorkspace workspace;
  std::vector<FlowStep> results;
  long counted = 0;
  for (int step = 0; step < 16; ++step) {
    const long before = g_news.load();
    lm.step(requests, workspace, results);
    if (step >= 4) counted += g_news.load() - before;
    for (size_t i = 0; i < results.size(); ++i) latents[i] = results[i].latent;
  }
  const long allowed = 12L * streams * kNewsPerReturnedLatent;
  ck_assert_msg(counted <= allowed,
                "%s, %d stream(s): %ld allocations in 12 steps, at most %ld expected (the "
                "latents handed back)",
                precision_name(precision), streams, counted, allowed);
}

}  // namespace

START_TEST(test_step_allocates_only_its_latent_fp32) { check_steps(Precision::kFp32, 1, false); }
END_TEST

START_TEST(test_step_allocates_only_its_latent_int8) { check_steps(Precision::kInt8, 1, false); }
END_TEST

START_TEST(test_batched_step_allocates_only_its_latents) {
  check_steps(Precision::kFp32, 3, true);  // rows grouped by their LSD steps, one clamped
}
END_TEST

START_TEST(test_mimi_frame_allocates_nothing) {
  c10::InferenceMode guard;
  auto model = load(Precision::kFp32);
  const Mimi& mimi = *engine_of(*model).mimi;
  MimiDecoderState state = mimi.init_decoder_state();
  std::vector<float> latent(static_cast<size_t>(mimi.latent_dim()));
  std::vector<float> audio(static_cast<size_t>(mimi.frame_size() * mimi.channels()));
  long counted = 0;
  for (int frame = 0; frame < 12; ++frame) {
    for (size_t i = 0; i < latent.size(); ++i)
      latent[i] = 0.1f * static_cast<float>((i + frame) % 7);
    const long before = g_news.load();
    mimi.decode_frame(latent.data(), state, audio.data());
    if (frame >= 2) counted += g_news.load() - before;
  }
  ck_assert_msg(counted == 0, "%ld allocations in 10 decoded frames", counted);
}
END_TEST

int main() {
  Suite* suite = suite_create("steady_state");
  TCase* tc = tcase_create("steady_state");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, test_step_allocates_only_its_latent_fp32);
  tcase_add_test(tc, test_step_allocates_only_its_latent_int8);
  tcase_add_test(tc, test_batched_step_allocates_only_its_latents);
  tcase_add_test(tc, test_mimi_frame_allocates_nothing);
  suite_add_tcase(suite, tc);
  return run_suite(suite);
}
