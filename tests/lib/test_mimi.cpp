// Mimi against the reference: encoder latents and audio prompts from the voice WAVs, and the
// streaming decoder frame by frame; at 4ae9fb2 (tiny) and at 9514983 (tiny-v2: the latent
// mimi.inner_dim wide, the upsampling from mimi.outer_dim in groups, bos_before_voice before the
// prompt, the decoder attention over the whole context window).
#include <pockettts/audio_decoder.h>
#include <pockettts/wav_writer.h>
#include "formats/config.h"
#include "formats/weights.h"
#include "model_fixture.h"

using namespace pockettts;
using namespace pockettts_test;

namespace {

at::Tensor read_voice(const std::string& name, int rate, const std::string& set = "tiny") {
  AudioReadOptions options;
  options.sample_rate = rate;
  options.channels = 1;
  Audio audio = read_audio(data_path(set + "/voice/" + name), options);
  return at::tensor(audio.samples).view({1, 1, -1});
}

}  // namespace

START_TEST(test_encoder_latent_of_s16_wav) {
  c10::InferenceMode guard;
  auto model = load_tiny();
  auto want = golden("voice/encode.safetensors");
  at::Tensor latent = engine_of(*model).mimi->encode_to_latent(read_voice("voice_s16.wav", 24000));
  ck_assert_int_eq(latent.size(2), want["s16.latent"].size(2));
  ASSERT_CLOSE(latent, want["s16.latent"], kParityTolerance, "s16 latent");
}
END_TEST

START_TEST(test_audio_prompt_of_s16_wav) {
  c10::InferenceMode guard;
  auto model = load_tiny();
  auto want = golden("voice/encode.safetensors");
  at::Tensor prompt =
      engine_of(*model).encode_audio(read_voice("voice_s16.wav", 24000).view({1, -1}));
  ASSERT_CLOSE(prompt, want["s16.audio_prompt"], kParityTolerance, "s16 audio_prompt");
}
END_TEST

START_TEST(test_encoder_latent_of_f32_wav) {
  c10::InferenceMode guard;
  auto model = load_tiny();
  auto want = golden("voice/encode.safetensors");
  at::Tensor latent = engine_of(*model).mimi->encode_to_latent(read_voice("voice_f32.wav", 24000));
  ASSERT_CLOSE(latent, want["f32.latent"], kParityTolerance, "f32 latent");
  at::Tensor prompt =
      engine_of(*model).encode_audio(read_voice("voice_f32.wav", 24000).view({1, -1}));
  ASSERT_CLOSE(prompt, want["f32.audio_prompt"], kParityTolerance, "f32 audio_prompt");
}
END_TEST

// The encoder runs on pieces with streaming state: frame-sized pieces must give the reference's
// whole-signal latents, and any two piece sizes the same latents.
START_TEST(test_encoder_in_pieces_equals_whole_signal) {
  c10::InferenceMode guard;
  auto model = load_tiny();
  auto want = golden("voice/encode.safetensors");
  const Mimi& mimi = *engine_of(*model).mimi;
  at::Tensor voice = read_voice("voice_s16.wav", 24000);
  ASSERT_CLOSE(mimi.encode_to_latent(voice, 1), want["s16.latent"], kParityTolerance,
               "one-frame pieces");
  at::Tensor longer = at::cat({voice, voice.flip(-1), voice, voice.flip(-1)}, -1);  // 6 s
  at::Tensor whole = mimi.encode_to_latent(longer, 1000);
  at::Tensor pieces = mimi.encode_to_latent(longer, 3);
  ck_assert_int_eq(pieces.size(2), whole.size(2));
  // Same inputs for every position; only GEMM blocking over time changes rounding (~3e-6).
  ASSERT_CLOSE(pieces, whole, 1e-5, "3-frame pieces vs whole");
}
END_TEST

// The reference resampled with scipy's resample_poly; given the same 24 kHz samples the
// encoder must agree to fp32 precision.
START_TEST(test_encoder_latent_of_reference_resampled_audio) {
  c10::InferenceMode guard;
  auto model = load_tiny();
  auto want = golden("voice/encode.safetensors");
  at::Tensor latent = engine_of(*model).mimi->encode_to_latent(want["s16_16k.audio"]);
  ASSERT_CLOSE(latent, want["s16_16k.latent"], kParityTolerance, "16 kHz latent");
}
END_TEST

// Through GStreamer's audioresample instead of scipy: the input itself differs at ~28 dB SNR
// (test_audio_io), so the latents can only agree roughly. This bounds the whole path.
START_TEST(test_encoder_latent_of_16k_wav_through_gstreamer) {
  c10::InferenceMode guard;
  auto model = load_tiny();
  auto want = golden("voice/encode.safetensors");
  at::Tensor latent =
      engine_of(*model).mimi->encode_to_latent(read_voice("voice_s16_16k.wav", 24000));
  ck_assert_int_eq(latent.size(2), want["s16_16k.latent"].size(2));
  ASSERT_CLOSE(latent, want["s16_16k.latent"], 0.25, "16 kHz latent via audioresample");
}
END_TEST

START_TEST(test_decoder_frame_by_frame) {
  c10::InferenceMode guard;
  auto model = load_tiny();
  auto want = golden("mimi/decode.safetensors");
  const auto& impl = engine_of(*model);
  MimiDecoderState state = impl.mimi->init_decoder_state();
  for (int64_t i = 0; i < want["latents"].size(0); ++i) {
    at::Tensor latent = want["latents"][i].view({1, -1});
    at::Tensor frame = impl.mimi->decode_frame(impl.flow_lm->denormalize(latent), state);
    ck_assert_int_eq(frame.numel(), 1920);
    ASSERT_CLOSE(frame, want["audio"][i], kParityTolerance, "frame " + std::to_string(i));
  }
}
END_TEST

// --- tiny-v2 (9514983) -------------------------------------------------------------------------

START_TEST(test_v2_encoder_latent_is_inner_dim_wide) {
  c10::InferenceMode guard;
  auto model = load_tiny_v2();
  auto want = golden_v2("voice/encode.safetensors");
  const Engine& engine = engine_of(*model);
  at::Tensor latent = engine.mimi->encode_to_latent(read_voice("voice_s16.wav", 24000, "tiny-v2"));
  ck_assert_int_eq(latent.size(1), 8);
  ck_assert_int_eq(latent.size(2), want["s16.latent"].size(2));
  ASSERT_CLOSE(latent, want["s16.latent"], kParityTolerance, "v2 s16 latent");
  at::Tensor f32 = engine.mimi->encode_to_latent(read_voice("voice_f32.wav", 24000, "tiny-v2"));
  ASSERT_CLOSE(f32, want["f32.latent"], kParityTolerance, "v2 f32 latent");
  at::Tensor resampled = engine.mimi->encode_to_latent(want["s16_16k.audio"]);
  ASSERT_CLOSE(resampled, want["s16_16k.latent"], kParityTolerance, "v2 16 kHz latent");
}
END_TEST

// The audio prompt, then what the flow LM is prefilled with: bos_before_voice first.
START_TEST(test_v2_prompt_starts_with_bos_before_voice) {
  c10::InferenceMode guard;
  auto model = load_tiny_v2();
  auto want = golden_v2("voice/encode.safetensors");
  const Engine& engine = engine_of(*model);
  at::Tensor prompt =
      engine.encode_audio(read_voice("voice_s16.wav", 24000, "tiny-v2").view({1, -1}));
  ASSERT_CLOSE(prompt, want["s16.audio_prompt"], kParityTolerance, "v2 s16 audio_prompt");
  at::Tensor conditioning = engine.flow_lm->voice_conditioning(prompt);
  ck_assert_int_eq(conditioning.size(1), prompt.size(1) + 1);
  ASSERT_CLOSE(conditioning, want["s16.flow_lm_prompt"], kParityTolerance, "v2 flow_lm prompt");
  // A 4ae9fb2 model prefills the prompt as it is.
  auto old = load_tiny();
  ck_assert(!engine_of(*old).flow_lm->inserts_bos_before_voice());
}
END_TEST

// 9514983's decoder: every query sees its whole window, also past the 250-step context.
START_TEST(test_v2_decoder_frame_by_frame_keeps_the_whole_window) {
  c10::InferenceMode guard;
  auto model = load_tiny_v2();
  auto want = golden_v2("mimi/decode.safetensors");
  const Engine& engine = engine_of(*model);
  ck_assert(engine.mimi->decoder_context() == MimiDecoderContext::kFullWindow);
  MimiDecoderState state = engine.mimi->init_decoder_state();
  for (int64_t i = 0; i < want["latents"].size(0); ++i) {
    at::Tensor latent = want["latents"][i].view({1, -1});
    at::Tensor frame = engine.mimi->decode_frame(engine.flow_lm->denormalize(latent), state);
    ASSERT_CLOSE(frame, want["audio"][i], kParityTolerance, "v2 frame " + std::to_string(i));
  }
}
END_TEST

// The same weights with 4ae9fb2's ring buffer: equal until a frame's steps pass the context
// (frame 15, 16 steps a frame, 250 steps), then different, as the two references differ.
START_TEST(test_v2_weights_with_the_ring_buffer_differ_from_frame_15) {
  c10::InferenceMode guard;
  const Config config = load_config(data_path("tiny-v2/config.yaml"));
  auto weights = Weights::load(data_path("tiny-v2/weights.safetensors"));
  WeightPath vb(*weights, "");
  const Mimi ring(vb.pp("mimi"), config.mimi, MimiDecoderContext::kRingBuffer);
  auto model = load_tiny_v2();
  const Engine& engine = engine_of(*model);
  auto want = golden_v2("mimi/decode.safetensors");
  MimiDecoderState state = ring.init_decoder_state();
  for (int64_t i = 0; i < want["latents"].size(0); ++i) {
    at::Tensor latent = want["latents"][i].view({1, -1});
    at::Tensor frame = ring.decode_frame(engine.flow_lm->denormalize(latent), state);
    const double error = relative_error(frame, want["audio"][i]);
    if (i < 15) {
      ck_assert_msg(error <= kParityTolerance, "ring frame %ld: %.3g", (long)i, error);
    } else {
      ck_assert_msg(error > 1e-3, "ring frame %ld equals the full window (%.3g)", (long)i, error);
    }
  }
}
END_TEST

int main() {
  Suite* suite = suite_create("mimi");
  TCase* tc = tcase_create("parity");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_encoder_latent_of_s16_wav);
  tcase_add_test(tc, test_audio_prompt_of_s16_wav);
  tcase_add_test(tc, test_encoder_latent_of_f32_wav);
  tcase_add_test(tc, test_encoder_in_pieces_equals_whole_signal);
  tcase_add_test(tc, test_encoder_latent_of_reference_resampled_audio);
  tcase_add_test(tc, test_encoder_latent_of_16k_wav_through_gstreamer);
  tcase_add_test(tc, test_decoder_frame_by_frame);
  tcase_add_test(tc, test_v2_encoder_latent_is_inner_dim_wide);
  tcase_add_test(tc, test_v2_prompt_starts_with_bos_before_voice);
  tcase_add_test(tc, test_v2_decoder_frame_by_frame_keeps_the_whole_window);
  tcase_add_test(tc, test_v2_weights_with_the_ring_buffer_differ_from_frame_15);
  suite_add_tcase(suite, tc);
  return run_suite(suite);
}
