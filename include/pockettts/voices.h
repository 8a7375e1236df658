// The predefined voices: names that `get_state_for_audio_prompt` (and the element's `voice`
// property, the CLI's --voice) accept in place of a file.
#pragma once

#include <string>
#include <vector>

namespace pockettts {

inline constexpr const char* kDefaultVoice = "alba";

// The reference's predefined voices, in its order: alba, marius, javert, jean, fantine, cosette,
// eponine, azelma.
const std::vector<std::string>& predefined_voices();
bool is_predefined_voice(const std::string& name);
// "alba, marius, ..., azelma": for messages and help texts.
std::string predefined_voice_list();

// Where a predefined voice's prompt lives on the Hugging Face hub (an hf:// reference pinned to
// the revision the reference uses).
std::string predefined_voice_reference(const std::string& name);

}  // namespace pockettts
