// Mimi against the reference: encoder latents and audio prompts from the voice WAVs, and the
// streaming decoder frame by frame.
#include <pockettts/audio_decoder.h>
#include <pockettts/wav_writer.h>
#include "model_fixture.h"

using namespace pockettts;
using namespace pockettts_test;

namespace {

at::Tensor read_voice(const std::string& name, int rate) {
  AudioReadOptions options;
  options.sample_rate = rate;
  options.channels = 1;
  Audio audio = read_audio(data_path("tiny/voice/" + name), options);
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
  suite_add_tcase(suite, tc);
  return run_suite(suite);
}
