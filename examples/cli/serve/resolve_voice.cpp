#include <algorithm>

#include <pockettts/error.h>

#include "server_context.h"

namespace pockettts_serve {

namespace {
bool is_url(const std::string& voice) {
  return voice.rfind("http://", 0) == 0 || voice.rfind("https://", 0) == 0 ||
         voice.rfind("hf://", 0) == 0;
}
}  // namespace

bool is_acceptable_voice(const ServerContext& context, const std::string& voice) {
  const auto& names = context.model->predefined_voices();
  return voice.empty() || is_url(voice) ||
         std::find(names.begin(), names.end(), voice) != names.end() ||
         context.voices.find_upload(voice) != nullptr;
}

SharedVoice resolve_voice(ServerContext& context, const std::string& voice) {
  if (voice.empty()) return context.voices.from_source(context.default_voice);
  if (SharedVoice uploaded = context.voices.find_upload(voice)) return uploaded;
  if (!is_acceptable_voice(context, voice)) {
    std::string names;
    for (const auto& name : context.model->predefined_voices())
      names += (names.empty() ? "" : ", ") + name;
    throw pockettts::Error(pockettts::ErrorCode::kInvalidArgument,
                           "unknown voice '" + voice + "': use a predefined voice (" + names +
                               "), the id of an uploaded voice, or an http://, https:// or "
                               "hf:// URL");
  }
  return context.voices.from_source(voice);
}

}  // namespace pockettts_serve
