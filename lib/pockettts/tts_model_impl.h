// What a loaded TTSModel holds (internal): config, tokenizer and the two networks.
#pragma once

#include <memory>

#include "config.h"
#include "flow_lm.h"
#include "mimi.h"
#include "stream_scheduler.h"
#include "text.h"
#include "tts_model.h"

namespace pockettts {

struct TTSModel::Impl {
  LoadOptions options;
  Config config;
  std::shared_ptr<const Tokenizer> tokenizer;
  std::unique_ptr<FlowLm> flow_lm;
  std::unique_ptr<Mimi> mimi;
  // The steps of all streams on this model go through it (mutable through the pointer: streams
  // hold the model const).
  std::unique_ptr<StreamScheduler> scheduler;
  bool has_voice_cloning = true;

  Sampling sampling(const std::optional<SamplingOptions>& override_options) const;
  // The prompt [1, T, d_model] for mono audio [1, T] at the model rate.
  at::Tensor encode_audio(const at::Tensor& audio) const;
  // A fresh state with `prompt` [1, T, d_model] prefilled.
  FlowLmState state_for_prompt(const at::Tensor& prompt) const;
};

struct VoiceState::Impl {
  FlowLmState state;
};

}  // namespace pockettts
