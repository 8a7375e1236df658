// The JSON body of OpenAI's POST /v1/audio/speech, read and checked.
//
// A pure function of the body's bytes (nlohmann-json, no server), so a libFuzzer target can
// call it directly.
#pragma once

#include <stdexcept>
#include <string>

namespace pockettts_serve {

enum class AudioFormat { kWav, kPcm, kMp3, kOpus, kFlac, kAac };
const char* audio_format_name(AudioFormat format);

struct SpeechRequest {
  std::string model;                       // accepted whatever it is, and reported back in a header
  std::string input;                       // the text
  std::string voice;                       // empty or "default": the server's voice
  AudioFormat format = AudioFormat::kMp3;  // OpenAI's default
  std::string instructions;                // accepted and ignored, as for tts-1
  bool ssml = false;  // pockettts' own field: `input` is SSML (pauses, <sub>; docs/serve.md)
};

// A request the server refuses: OpenAI's error fields.
class SpeechRequestError : public std::runtime_error {
 public:
  SpeechRequestError(const std::string& message, std::string param)
      : std::runtime_error(message), param_(std::move(param)) {}
  const std::string& param() const { return param_; }

 private:
  std::string param_;
};

// Throws SpeechRequestError for a body that is not a valid request: not JSON, `input` missing
// or empty, an unknown `response_format`, a `speed` other than 1 (the model has no speed
// control), a `stream_format` other than "audio".
SpeechRequest parse_speech_request(const std::string& body);

}  // namespace pockettts_serve
