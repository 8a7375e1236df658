// The shipped model packs (their configs are formats/variants/<id>.yaml) and the reference's
// `language` choice (pocket_tts/models/tts_model.py load_model at 9514983).
#include <pockettts/model_packs.h>

#include <pockettts/error.h>

namespace pockettts {

namespace {

// The reference's default voice per language: the first language named in the pack id.
std::string voice_for(const std::string& language) {
  if (language == "italian") return "giovanni";
  if (language == "spanish") return "lola";
  if (language == "german") return "juergen";
  if (language == "portuguese") return "rafael";
  if (language == "french") return "estelle";
  return "alba";
}

ModelPack pack(const std::string& id, const std::string& language, int layers,
               const std::string& same_model_as, const std::string& summary) {
  const std::string reference = id == "b6369a24" ? "4ae9fb2" : "9514983";
  return {id, language, layers, reference, same_model_as, voice_for(language), summary};
}

}  // namespace

const std::vector<ModelPack>& model_packs() {
  static const std::vector<ModelPack> packs = {
      pack("b6369a24", "english", 6, "",
           "English, the reference at 4ae9fb2 exactly (pockettts' default)"),
      pack("english", "english", 6, "english_2026-04",
           "English, the reference's default at 9514983 (= english_2026-04)"),
      pack("english_2026-01", "english", 6, "",
           "English of January 2026: the b6369a24 model with 9514983's behaviour"),
      pack("english_2026-04", "english", 6, "", "English of April 2026, the newer English model"),
      pack("french_24l", "french", 24, "", "French (the only French model: larger and slower)"),
      pack("german", "german", 6, "", "German"),
      pack("german_24l", "german", 24, "", "German, larger and slower"),
      pack("italian", "italian", 6, "", "Italian"),
      pack("italian_24l", "italian", 24, "", "Italian, larger and slower"),
      pack("portuguese", "portuguese", 6, "", "Portuguese"),
      pack("portuguese_24l", "portuguese", 24, "", "Portuguese, larger and slower"),
      pack("spanish", "spanish", 6, "", "Spanish"),
      pack("spanish_24l", "spanish", 24, "", "Spanish, larger and slower"),
  };
  return packs;
}

const ModelPack* find_model_pack(const std::string& id) {
  for (const ModelPack& p : model_packs()) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

std::string language_list() {
  std::string list;
  for (const ModelPack& p : model_packs()) {
    if (p.reference != "9514983") continue;
    list += (list.empty() ? "" : ", ") + p.id;
  }
  return list;
}

std::string variant_for_language(const std::string& language) {
  if (language == "french") {
    // The reference's own refusal: there is no 6-layer French model.
    throw Error(ErrorCode::kNotFound,
                "for technical reasons, only a larger 24-layer model is available for French: "
                "use the language 'french_24l' instead");
  }
  const ModelPack* found = find_model_pack(language);
  if (found == nullptr || found->reference != "9514983") {
    throw Error(ErrorCode::kNotFound, "unknown language '" + language + "': the languages are " +
                                          language_list() +
                                          " (the '_24l' packs are larger, slower models)");
  }
  return found->id;
}

}  // namespace pockettts
