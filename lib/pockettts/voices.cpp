#include <pockettts/voices.h>

namespace pockettts {

namespace {

constexpr const char* kPredefinedVoiceRepo =
    "hf://kyutai/pocket-tts-without-voice-cloning/embeddings/";
constexpr const char* kPredefinedVoiceRevision = "d4fdd22ae8c8e1cb3634e150ebeff1dab2d16df3";

}  // namespace

const std::vector<std::string>& predefined_voices() {
  static const std::vector<std::string> voices = {"alba",    "marius",  "javert",  "jean",
                                                  "fantine", "cosette", "eponine", "azelma"};
  return voices;
}

bool is_predefined_voice(const std::string& name) {
  for (const auto& voice : predefined_voices()) {
    if (voice == name) return true;
  }
  return false;
}

std::string predefined_voice_list() {
  std::string list;
  for (const auto& voice : predefined_voices()) list += (list.empty() ? "" : ", ") + voice;
  return list;
}

std::string predefined_voice_reference(const std::string& name) {
  return std::string(kPredefinedVoiceRepo) + name + ".safetensors@" + kPredefinedVoiceRevision;
}

}  // namespace pockettts
