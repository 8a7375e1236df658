#include "speech_request.h"

#include <cmath>

#include <nlohmann/json.hpp>

namespace pockettts_serve {

const char* audio_format_name(AudioFormat format) {
  switch (format) {
    case AudioFormat::kWav:
      return "wav";
    case AudioFormat::kPcm:
      return "pcm";
    case AudioFormat::kMp3:
      return "mp3";
    case AudioFormat::kOpus:
      return "opus";
    case AudioFormat::kFlac:
      return "flac";
    case AudioFormat::kAac:
      return "aac";
  }
  return "?";
}

namespace {

std::string string_field(const nlohmann::json& body, const char* name, bool required) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) {
    if (required) throw SpeechRequestError(std::string("'") + name + "' is required", name);
    return "";
  }
  if (!it->is_string())
    throw SpeechRequestError(std::string("'") + name + "' must be a string", name);
  return it->get<std::string>();
}

}  // namespace

SpeechRequest parse_speech_request(const std::string& body) {
  nlohmann::json json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) throw SpeechRequestError("the request body is not valid JSON", "");
  if (!json.is_object()) throw SpeechRequestError("the request body must be a JSON object", "");

  SpeechRequest request;
  request.model = string_field(json, "model", false);
  request.input = string_field(json, "input", true);
  if (request.input.find_first_not_of(" \t\r\n\v\f") == std::string::npos) {
    throw SpeechRequestError("'input' is empty: give the text to speak", "input");
  }
  request.voice = string_field(json, "voice", false);
  if (request.voice == "default") request.voice.clear();
  request.instructions = string_field(json, "instructions", false);
  auto ssml = json.find("ssml");
  if (ssml != json.end() && !ssml->is_null()) {
    if (!ssml->is_boolean()) throw SpeechRequestError("'ssml' must be true or false", "ssml");
    request.ssml = ssml->get<bool>();
  }

  const std::string format = string_field(json, "response_format", false);
  if (format.empty() || format == "mp3") {
    request.format = AudioFormat::kMp3;
  } else if (format == "wav") {
    request.format = AudioFormat::kWav;
  } else if (format == "pcm") {
    request.format = AudioFormat::kPcm;
  } else if (format == "opus") {
    request.format = AudioFormat::kOpus;
  } else if (format == "flac") {
    request.format = AudioFormat::kFlac;
  } else if (format == "aac") {
    request.format = AudioFormat::kAac;
  } else {
    throw SpeechRequestError(
        "unsupported response_format '" + format + "': use wav, pcm, mp3, opus, flac or aac",
        "response_format");
  }

  auto speed = json.find("speed");
  if (speed != json.end() && !speed->is_null()) {
    if (!speed->is_number()) throw SpeechRequestError("'speed' must be a number", "speed");
    const double value = speed->get<double>();
    if (!(std::fabs(value - 1.0) < 1e-9)) {
      throw SpeechRequestError(
          "speed " + speed->dump() + " is not supported: the model has no speed control, only 1.0",
          "speed");
    }
  }
  const std::string stream_format = string_field(json, "stream_format", false);
  if (!stream_format.empty() && stream_format != "audio") {
    throw SpeechRequestError("stream_format '" + stream_format +
                                 "' is not supported: only 'audio' (the audio is always streamed)",
                             "stream_format");
  }
  return request;
}

}  // namespace pockettts_serve
