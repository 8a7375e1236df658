#include "engine/pack_behaviour.h"

#include <pockettts/model_packs.h>

namespace pockettts {

PackBehaviour behaviour_for(const Config& config) {
  PackBehaviour b;
  b.schema = config.schema;
  if (config.schema == ConfigSchema::k4ae9fb2) {
    b.text = TextOptions{};  // 4ae9fb2: always padded, no semicolon or comma handling
    b.voice_pack = "b6369a24";
    return b;
  }
  b.text = text_options_9514983(config.pad_with_spaces_for_short_inputs, config.remove_semicolons);
  b.recommended_frames_after_eos = config.model_recommended_frames_after_eos;
  b.mimi_context = MimiDecoderContext::kFullWindow;
  b.voice_state_format = VoiceStateFormat::kOffset;
  const ModelPack* pack = find_model_pack(config.variant);
  if (pack != nullptr && pack->reference == "9514983") b.voice_pack = pack->id;
  return b;
}

}  // namespace pockettts
