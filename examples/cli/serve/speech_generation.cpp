#include "speech_generation.h"

#include <pockettts/error.h>

namespace pockettts_serve {

SpeechGeneration::SpeechGeneration(std::shared_ptr<const pockettts::TTSModel> model,
                                   pockettts::VoiceState voice, std::string text,
                                   pockettts::GenerateOptions options)
    : model_(std::move(model)),
      voice_(std::move(voice)),
      text_(std::move(text)),
      options_(std::move(options)) {
  // The voice is this request's own copy: generating in place saves a second copy.
  options_.copy_state = false;
}

size_t SpeechGeneration::run(const std::function<void(const std::vector<float>&)>& on_chunk) {
  if (cancelled_) return 0;
  std::unique_ptr<pockettts::AudioChunkStream> stream =
      model_->generate_audio_stream(voice_, text_, options_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stream_ = stream.get();
    if (cancelled_) stream_->cancel();
  }
  // cancel() must never see the stream after it is gone, however run() leaves.
  struct Forget {
    SpeechGeneration& self;
    ~Forget() {
      std::lock_guard<std::mutex> lock(self.mutex_);
      self.stream_ = nullptr;
    }
  } forget{*this};
  size_t samples = 0;
  std::vector<float> chunk;
  try {
    while (stream->next(chunk)) {
      samples += chunk.size();
      on_chunk(chunk);
      if (cancelled_) break;
    }
  } catch (const pockettts::Error& error) {
    if (error.code() != pockettts::ErrorCode::kCancelled) throw;
  }
  return samples;
}

void SpeechGeneration::cancel() {
  cancelled_ = true;
  std::lock_guard<std::mutex> lock(mutex_);
  if (stream_) stream_->cancel();
}

}  // namespace pockettts_serve
