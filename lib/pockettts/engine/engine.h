// What a loaded model holds (internal): config, tokenizer, the two networks and the scheduler
// every stream's steps go through. The public TTSModel is a thin facade over one of these, and
// everything inside the library works on it directly, never through the public object.
#pragma once

#include <ATen/core/Tensor.h>

#include <memory>
#include <optional>

#include <pockettts/options.h>
#include <pockettts/text.h>
#include <pockettts/tts_model.h>

#include "engine/pack_behaviour.h"
#include "engine/stream_scheduler.h"
#include "formats/config.h"
#include "model/flow_lm.h"
#include "model/mimi.h"

namespace pockettts {

struct Engine {
  LoadOptions options;
  Config config;
  PackBehaviour behaviour;  // what the config's reference version does (pack_behaviour.h)
  std::shared_ptr<const Tokenizer> tokenizer;
  std::unique_ptr<FlowLm> flow_lm;
  std::unique_ptr<Mimi> mimi;
  // The steps of all streams on this model go through it (mutable through the pointer: streams
  // hold the engine const).
  std::unique_ptr<StreamScheduler> scheduler;
  bool has_voice_cloning = true;

  // Loads config, tokenizer and weights (falling back from the gated voice-cloning weights to
  // the public ones, as the reference does).
  static std::shared_ptr<const Engine> load(const LoadOptions& options);

  // The model's sampling options, or `override_options` when set; validated.
  SamplingOptions sampling(const std::optional<SamplingOptions>& override_options) const;
  // The prompt [1, T, d_model] for mono audio [1, T] at the model rate.
  at::Tensor encode_audio(const at::Tensor& audio) const;
  // A fresh state with `prompt` [1, T, d_model] prefilled (after bos_before_voice when the
  // config inserts it: the state is then T + 1 positions long).
  FlowLmState state_for_prompt(const at::Tensor& prompt) const;
  // The frames after the end of speech of a chunk: the caller's, else the pack's recommended
  // number, else the reference's guess from the chunk's text plus 2.
  int frames_after_eos(const std::optional<int>& requested, const std::string& chunk_text) const;
};

struct TTSModel::Impl {
  std::shared_ptr<const Engine> engine;
};

struct VoiceState::Impl {
  FlowLmState state;
};

// The library's way behind the public types (a friend of both; not part of the API).
struct InternalAccess {
  static std::shared_ptr<const TTSModel> make_model(std::shared_ptr<const Engine> engine);
  static VoiceState make_voice(FlowLmState state);
  static const std::shared_ptr<const Engine>& engine(const TTSModel& model) {
    return model.impl_->engine;
  }
  static FlowLmState& state(VoiceState& voice) { return voice.impl_->state; }
  static const FlowLmState& state(const VoiceState& voice) { return voice.impl_->state; }
};

inline const Engine& engine_of(const TTSModel& model) { return *InternalAccess::engine(model); }
inline FlowLmState& flow_state(VoiceState& voice) { return InternalAccess::state(voice); }
inline const FlowLmState& flow_state(const VoiceState& voice) {
  return InternalAccess::state(voice);
}

}  // namespace pockettts
