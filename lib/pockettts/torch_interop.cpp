#include <pockettts/torch_interop.h>

#include <ATen/ATen.h>

namespace pockettts {

namespace {

Audio to_audio(const TTSModel& model, const at::Tensor& audio) {
  if (audio.dim() != 2) {
    throw Error(ErrorCode::kInvalidArgument, "audio tensor must be [channels, samples], got " +
                                                 std::to_string(audio.dim()) + " dimensions");
  }
  at::Tensor samples = audio.detach().to(at::kCPU, at::kFloat).contiguous();
  Audio out;
  out.sample_rate = model.sample_rate();
  out.channels = static_cast<int>(samples.size(0));
  out.samples.assign(samples.data_ptr<float>(), samples.data_ptr<float>() + samples.numel());
  return out;
}

}  // namespace

VoiceState get_state_for_audio_prompt(const TTSModel& model, const at::Tensor& audio,
                                      bool truncate) {
  return model.get_state_for_audio_prompt(to_audio(model, audio), truncate);
}

at::Tensor generate_audio_tensor(const TTSModel& model, VoiceState& state, const std::string& text,
                                 const GenerateOptions& options) {
  std::vector<float> audio = model.generate_audio(state, text, options);
  return at::tensor(audio);
}

at::Tensor encode_audio_prompt(const TTSModel& model, const at::Tensor& audio) {
  FloatTensor prompt = model.encode_audio_prompt(to_audio(model, audio));
  return at::tensor(prompt.data).view(prompt.shape);
}

}  // namespace pockettts
