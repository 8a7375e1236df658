// The model packs: the variants shipped with the library (b6369a24, and the language packs of
// the reference at 9514983), what each one is, and the reference's `language` choice.
#pragma once

#include <string>
#include <vector>

namespace pockettts {

struct ModelPack {
  std::string id;        // the variant id LoadOptions::config takes: "b6369a24", "german_24l"
  std::string language;  // "english", "french", "german", "italian", "portuguese", "spanish"
  int layers = 0;        // layers of the flow transformer: 6, or 24 for the "_24l" packs
  // The reference commit whose behaviour the pack has: "4ae9fb2" (b6369a24 only) or "9514983".
  std::string reference;
  std::string same_model_as;  // "english" -> "english_2026-04" (other hub files); else empty
  std::string default_voice;  // the voice the reference's CLI picks for it
  std::string summary;        // one line for help texts
};

// Every shipped pack: b6369a24 first, then the 9514983 packs in the reference's file order.
const std::vector<ModelPack>& model_packs();
// The pack with this id, or nullptr.
const ModelPack* find_model_pack(const std::string& id);

// The reference's `language` (load_model(language=...), `--language`): one of the 9514983 packs'
// ids ("english", "english_2026-04", "german", "german_24l", ...); returns the variant id to
// load (the same string). Throws Error(kNotFound) for anything else, listing them; for "french"
// it says, as the reference does, that only the 24-layer french_24l exists.
std::string variant_for_language(const std::string& language);
// "english, english_2026-01, ...": the languages variant_for_language takes, for help texts.
std::string language_list();

}  // namespace pockettts
