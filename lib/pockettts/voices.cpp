// The predefined voices of each model pack, where the reference keeps them: b6369a24's in
// kyutai/pocket-tts-without-voice-cloning/embeddings (4ae9fb2), each 9514983 pack's in
// languages/<pack>/embeddings (utils/utils.py get_predefined_voice).
#include <pockettts/voices.h>

#include <pockettts/error.h>
#include <pockettts/model_packs.h>

namespace pockettts {

namespace {

constexpr const char* kB6369a24 = "b6369a24";
constexpr const char* kVoiceRepo = "hf://kyutai/pocket-tts-without-voice-cloning/";
constexpr const char* kB6369a24Revision = "d4fdd22ae8c8e1cb3634e150ebeff1dab2d16df3";
constexpr const char* kPackRevision = "e041936c75475d350b405bc870bcf7c22da4e9e6";

// The 9514983 voices in the order of the reference's _ORIGINS_OF_PREDEFINED_VOICES, with the
// language each was recorded in (its README).
struct VoiceInfo {
  const char* name;
  const char* language;
};
constexpr VoiceInfo kPackVoices[] = {
    {"cosette", "en"},   {"marius", "en"},      {"javert", "en"},         {"alba", "en"},
    {"jean", "en"},      {"anna", "en"},        {"vera", "en"},           {"fantine", "en"},
    {"charles", "en"},   {"paul", "en"},        {"eponine", "en"},        {"azelma", "en"},
    {"george", "en"},    {"mary", "en"},        {"jane", "en"},           {"michael", "en"},
    {"eve", "en"},       {"bill_boerst", "en"}, {"peter_yearsley", "en"}, {"stuart_bell", "en"},
    {"caro_davy", "en"}, {"giovanni", "it"},    {"lola", "es"},           {"juergen", "de"},
    {"rafael", "pt"},    {"estelle", "fr"},
};

const std::vector<std::string>& pack_voices() {
  static const std::vector<std::string> voices = [] {
    std::vector<std::string> names;
    for (const VoiceInfo& v : kPackVoices) names.emplace_back(v.name);
    return names;
  }();
  return voices;
}

const ModelPack& shipped_pack(const std::string& pack) {
  const ModelPack* found = find_model_pack(pack);
  if (found == nullptr) {
    std::string packs;
    for (const ModelPack& p : model_packs()) packs += (packs.empty() ? "" : ", ") + p.id;
    throw Error(
        ErrorCode::kNotFound,
        "'" + pack + "' is not a model pack with predefined voices (the packs are " + packs + ")");
  }
  return *found;
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
  for (const auto& n : names) {
    if (n == name) return true;
  }
  return false;
}

std::string joined(const std::vector<std::string>& names) {
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  return list;
}

}  // namespace

const std::vector<std::string>& predefined_voices() {
  static const std::vector<std::string> voices = {"alba",    "marius",  "javert",  "jean",
                                                  "fantine", "cosette", "eponine", "azelma"};
  return voices;
}

bool is_predefined_voice(const std::string& name) { return contains(predefined_voices(), name); }

std::string predefined_voice_list() { return joined(predefined_voices()); }

std::string predefined_voice_reference(const std::string& name) {
  return std::string(kVoiceRepo) + "embeddings/" + name + ".safetensors@" + kB6369a24Revision;
}

const std::vector<std::string>& predefined_voices(const std::string& pack) {
  return shipped_pack(pack).reference == "4ae9fb2" ? predefined_voices() : pack_voices();
}

bool is_predefined_voice(const std::string& pack, const std::string& name) {
  return contains(predefined_voices(pack), name);
}

std::string predefined_voice_list(const std::string& pack) {
  return joined(predefined_voices(pack));
}

std::string predefined_voice_reference(const std::string& pack, const std::string& name) {
  if (!is_predefined_voice(pack, name)) {
    throw Error(ErrorCode::kNotFound, "'" + name + "' is not a predefined voice of " + pack +
                                          " (its voices are " + predefined_voice_list(pack) + ")");
  }
  if (pack == kB6369a24) return predefined_voice_reference(name);
  return std::string(kVoiceRepo) + "languages/" + pack + "/embeddings/" + name + ".safetensors@" +
         kPackRevision;
}

std::string default_voice(const std::string& pack) { return shipped_pack(pack).default_voice; }

std::string predefined_voice_language(const std::string& name) {
  for (const VoiceInfo& v : kPackVoices) {
    if (name == v.name) return v.language;
  }
  return {};
}

}  // namespace pockettts
