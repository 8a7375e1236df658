// What a loaded model does differently according to the reference version its config is written
// for (formats/config.h ConfigSchema): b6369a24 keeps 4ae9fb2's behaviour exactly, the packs of
// 9514983 get 9514983's. The one place that chooses; the layers below take plain options.
#pragma once

#include <optional>
#include <string>

#include <pockettts/text.h>

#include "formats/config.h"
#include "model/mimi.h"
#include "model/voice_file.h"

namespace pockettts {

struct PackBehaviour {
  ConfigSchema schema = ConfigSchema::k4ae9fb2;
  TextOptions text;  // preparation and splitting
  // Frames generated after the end of speech when the caller gives none (9514983's
  // model_recommended_frames_after_eos); unset: the reference's guess from the text.
  std::optional<int> recommended_frames_after_eos;
  MimiDecoderContext mimi_context = MimiDecoderContext::kRingBuffer;
  VoiceStateFormat voice_state_format = VoiceStateFormat::kCurrentEnd;
  // Whose predefined voices the model takes (voices.h): "b6369a24" for a 4ae9fb2 config (as that
  // reference, whatever the file), the pack id for a shipped 9514983 pack loaded by its id;
  // empty for a 9514983 config loaded from a path, which has none (as in the reference).
  std::string voice_pack;
};

PackBehaviour behaviour_for(const Config& config);

}  // namespace pockettts
