#include "engine/voice_prompt.h"

#include <ATen/ATen.h>

#include <cmath>

#include <pockettts/audio_decoder.h>
#include <pockettts/model_packs.h>
#include <pockettts/voices.h>

#include "model/voice_file.h"
#include "resources/resolve.h"

namespace pockettts {

namespace {

constexpr double kTruncateSeconds = 30.0;

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Channel-major samples must fill whole frames, or they cannot be split into channels.
void check_whole_frames(const Audio& audio) {
  if (audio.channels > 0 && audio.samples.size() % static_cast<size_t>(audio.channels) != 0) {
    throw Error(ErrorCode::kInvalidArgument, "the voice prompt audio has " +
                                                 std::to_string(audio.samples.size()) +
                                                 " samples, not a whole number of frames of " +
                                                 std::to_string(audio.channels) + " channels");
  }
}

at::Tensor audio_to_tensor(const Audio& audio) {
  if (audio.channels < 1 || audio.frames() == 0) {
    throw Error(ErrorCode::kInvalidArgument, "the voice prompt audio is empty");
  }
  check_whole_frames(audio);
  for (size_t i = 0; i < audio.samples.size(); ++i) {
    if (!std::isfinite(audio.samples[i])) {
      throw Error(ErrorCode::kInvalidArgument,
                  "the voice prompt audio holds NaN or an infinite value at sample " +
                      std::to_string(i) + ": give finite samples (-1 to 1)");
    }
  }
  at::Tensor samples =
      at::from_blob(const_cast<float*>(audio.samples.data()),
                    {audio.channels, static_cast<int64_t>(audio.frames())}, at::kFloat)
          .clone();
  // Channels are averaged, as the reference does when it reads a multi-channel file.
  return audio.channels == 1 ? samples : samples.mean(0, true);
}

Audio first_frames(const Audio& audio, size_t frames) {
  check_whole_frames(audio);
  Audio out{audio.sample_rate, audio.channels, {}};
  for (int c = 0; c < audio.channels; ++c) {
    auto begin = audio.samples.begin() + static_cast<long>(c * audio.frames());
    out.samples.insert(out.samples.end(), begin, begin + static_cast<long>(frames));
  }
  return out;
}

}  // namespace

bool is_predefined_voice_of(const Engine& engine, const std::string& name) {
  const std::string& pack = engine.behaviour.voice_pack;
  if (!pack.empty()) return is_predefined_voice(pack, name);
  for (const ModelPack& p : model_packs()) {
    if (is_predefined_voice(p.id, name)) return true;
  }
  return false;
}

void require_voice_cloning(const Engine& engine) {
  if (engine.has_voice_cloning) return;
  const std::string& pack = engine.behaviour.voice_pack;
  throw Error(ErrorCode::kUnsupported,
              "voice cloning needs the weights of kyutai/pocket-tts, which could not be loaded "
              "(they are gated: accept the terms on https://huggingface.co/kyutai/pocket-tts, "
              "then set HF_TOKEN or run `huggingface-cli login`, and load the model again); "
              "without them use " +
                  (pack.empty() ? std::string()
                                : "a predefined voice (" + predefined_voice_list(pack) + ") or ") +
                  "a .safetensors voice file");
}

Audio read_voice_audio(const Engine& engine, const std::string& source, bool truncate,
                       const DownloadOptions& download) {
  const std::string path =
      is_remote_reference(source) ? resolve_resource(source, download) : source;
  AudioReadOptions read;
  read.sample_rate = engine.config.mimi.sample_rate;
  read.channels = 1;
  if (truncate) read.max_seconds = kTruncateSeconds;
  return read_audio(path, read);
}

FlowLmState voice_state_for_source(const Engine& engine, const std::string& source, bool truncate,
                                   const DownloadOptions& download) {
  if (source.empty()) throw Error(ErrorCode::kInvalidArgument, "the voice is empty");
  std::string voice_file;
  if (is_predefined_voice_of(engine, source)) {
    const std::string& pack = engine.behaviour.voice_pack;
    if (pack.empty()) {
      // As the reference at 9514983: predefined voices belong to a pack loaded by its id.
      throw Error(ErrorCode::kInvalidArgument,
                  "'" + source +
                      "' is a predefined voice of the model packs, but this model "
                      "was loaded from " +
                      engine.config.source +
                      ", not by a pack id (a language such as 'german', or a variant id), so it "
                      "has none: give a voice file or audio");
    }
    voice_file = resolve_resource(predefined_voice_reference(pack, source), download);
  } else if (ends_with(source, ".safetensors")) {
    voice_file = resolve_resource(source, download);
  }
  if (!voice_file.empty()) {
    VoiceFile voice = read_voice_file(voice_file, *engine.flow_lm);
    if (voice.has_state) return std::move(voice.state);
    return engine.state_for_prompt(voice.audio_prompt);
  }
  require_voice_cloning(engine);
  return voice_state_for_audio(engine, read_voice_audio(engine, source, truncate, download), false);
}

FlowLmState voice_state_for_audio(const Engine& engine, const Audio& audio, bool truncate) {
  const size_t keep = static_cast<size_t>(kTruncateSeconds * engine.config.mimi.sample_rate);
  const Audio& used = truncate && audio.frames() > keep ? first_frames(audio, keep) : audio;
  return engine.state_for_prompt(prompt_for_audio(engine, used));
}

at::Tensor prompt_for_audio(const Engine& engine, const Audio& audio) {
  const int rate = engine.config.mimi.sample_rate;
  if (audio.sample_rate != 0 && audio.sample_rate != rate) {
    throw Error(ErrorCode::kInvalidArgument,
                "voice prompt audio is at " + std::to_string(audio.sample_rate) +
                    " Hz; the model needs " + std::to_string(rate) +
                    " Hz (read files with read_audio to resample them)");
  }
  return engine.encode_audio(audio_to_tensor(audio)).contiguous();
}

}  // namespace pockettts
