// One request's speech: a generation on the shared model that a request's worker thread runs
// and the server may stop from another thread (the client left, the server shuts down).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <pockettts/tts_model.h>

namespace pockettts_serve {

class SpeechGeneration {
 public:
  SpeechGeneration(std::shared_ptr<const pockettts::TTSModel> model, pockettts::VoiceState voice,
                   std::string text, pockettts::GenerateOptions options);

  // Generates, handing every chunk to `on_chunk` as it is decoded. Returns the samples made;
  // stops early (without throwing) after cancel(). Throws pockettts::Error on failure.
  size_t run(const std::function<void(const std::vector<float>&)>& on_chunk);
  // Stops the generation within one frame; safe from any thread, before or during run().
  void cancel();
  bool cancelled() const { return cancelled_.load(); }

 private:
  std::shared_ptr<const pockettts::TTSModel> model_;
  pockettts::VoiceState voice_;
  std::string text_;
  pockettts::GenerateOptions options_;
  std::mutex mutex_;
  pockettts::AudioChunkStream* stream_ = nullptr;  // while run() pulls from it
  std::atomic<bool> cancelled_{false};
};

}  // namespace pockettts_serve
