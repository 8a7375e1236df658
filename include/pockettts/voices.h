// The predefined voices: names that `get_state_for_audio_prompt` (and the element's `voice`
// property, the CLI's --voice) accept in place of a file. Each model pack has its own list and
// files (a voice is the model state a pack computed from the voice's audio); the functions
// without a pack are those of b6369a24, the default variant.
#pragma once

#include <string>
#include <vector>

namespace pockettts {

inline constexpr const char* kDefaultVoice = "alba";

// The reference's predefined voices of b6369a24, in its order: alba, marius, javert, jean,
// fantine, cosette, eponine, azelma.
const std::vector<std::string>& predefined_voices();
bool is_predefined_voice(const std::string& name);
// "alba, marius, ..., azelma": for messages and help texts.
std::string predefined_voice_list();

// Where a predefined voice of b6369a24 lives on the Hugging Face hub (an hf:// reference
// pinned to the revision the reference uses).
std::string predefined_voice_reference(const std::string& name);

// The same for a model pack (model_packs.h): b6369a24 has the eight above; each 9514983 pack
// the reference's 26 (cosette, marius, javert, alba, ..., giovanni, lola, juergen, rafael,
// estelle), in its folder hf://kyutai/pocket-tts-without-voice-cloning/languages/<pack>/
// embeddings/. Error(kNotFound) for a pack that is not shipped.
const std::vector<std::string>& predefined_voices(const std::string& pack);
bool is_predefined_voice(const std::string& pack, const std::string& name);
std::string predefined_voice_list(const std::string& pack);
// Error(kNotFound), listing the pack's voices, for a name that is not one of them.
std::string predefined_voice_reference(const std::string& pack, const std::string& name);
// The voice a pack speaks with when none is given (the reference CLI's choice per language:
// giovanni for Italian, lola Spanish, juergen German, rafael Portuguese, estelle French, alba
// otherwise).
std::string default_voice(const std::string& pack);
// The language a predefined voice was recorded in ("en", "fr", "de", "it", "es", "pt"), as the
// reference's README lists them; empty for an unknown name.
std::string predefined_voice_language(const std::string& name);

}  // namespace pockettts
