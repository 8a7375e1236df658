// Text -> audio chunks on two threads, as the reference's generate_audio_stream: one thread
// runs FlowLM step by step, the other decodes each latent with Mimi as soon as it arrives.
#pragma once

#include <memory>
#include <string>

#include <pockettts/options.h>
#include <pockettts/ssml.h>
#include <pockettts/tts_model.h>

#include "engine/engine.h"

namespace pockettts {

// `voice` must outlive the stream when options.copy_state is false (it is advanced in place).
// The text is plain or SSML as options.text_format says.
std::unique_ptr<AudioChunkStream> start_generation(std::shared_ptr<const Engine> engine,
                                                   FlowLmState& voice, const std::string& text,
                                                   const GenerateOptions& options);
// What a script says: each text segment split into chunks as plain text is, each break exact
// silence (options.text_format is not used).
std::unique_ptr<AudioChunkStream> start_generation(std::shared_ptr<const Engine> engine,
                                                   FlowLmState& voice, const SpeechScript& script,
                                                   const GenerateOptions& options);

// max_gen_len of the reference: ceil((tokens / 3 + 2) * frame_rate).
int max_generation_length(int token_count, double frame_rate);

}  // namespace pockettts
