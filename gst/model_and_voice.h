// The model and the voice an element speaks with, the options each generation gets from the
// settings, and how long the model takes to answer (a live element's latency).
#pragma once

#include <gst/gst.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <pockettts/ssml.h>
#include <pockettts/tts_model.h>

#include "model_cache.h"
#include "settings.h"

namespace pockettts_gst {

// The generation options the settings ask for. The sampling options go with every
// generation: the shared model keeps the values it was loaded with.
pockettts::GenerateOptions generate_options(const Settings& settings);

// Prepared in NULL->READY, replaced by the streaming task before an utterance when `model`,
// `device`, `precision`, `voice` or `truncate-voice` changed. Never used by two threads at
// once: the task does not run during the state changes that touch it.
class ModelAndVoice {
 public:
  // Loads the model and prepares the voice the settings ask for, when they are not what is
  // held, posting PROGRESS messages ("model", "voice") on `element` meanwhile. Posts the error
  // on `element` and returns false when that fails.
  bool prepare(GstElement* element, const Settings& settings);
  // Pads deactivating: a download under way stops (the load fails as cancelled); allowed again
  // when they activate.
  void cancel_downloads() { cancel_ = true; }
  void allow_downloads() { cancel_ = false; }
  // Starts speaking `text` (or an SSML document's script) in the prepared voice; throws as
  // generate_audio_stream does.
  std::shared_ptr<pockettts::AudioChunkStream> generate(const std::string& text,
                                                        const Settings& settings);
  std::shared_ptr<pockettts::AudioChunkStream> generate(const pockettts::SpeechScript& script,
                                                        const Settings& settings);
  // Generates the first chunk of a short text, so that a live pipeline's latency query has a
  // real number before the first utterance. GST_CLOCK_TIME_NONE when that fails (logged).
  GstClockTime time_first_chunk(GstElement* element, const Settings& settings);
  int frame_size() const { return frame_size_; }
  // READY->NULL: the cache frees the model when no other element holds it.
  void release();

 private:
  static std::string model_name(const Settings& settings);
  // The voice to prepare: the property's, or the model's default voice when it is empty.
  std::string voice_for(const Settings& settings) const;
  std::string predefined_voice_names() const;
  bool load_model(GstElement* element, const Settings& settings);
  bool prepare_voice(GstElement* element, const Settings& settings);

  std::atomic<bool> cancel_{false};
  std::shared_ptr<const pockettts::TTSModel> model_;
  ModelRequest model_request_;
  std::optional<pockettts::VoiceState> voice_;
  std::string voice_source_;
  bool voice_truncated_ = false;
  int frame_size_ = 1920;
};

// The slowest first chunk seen: what a live element reports as its latency. Any thread.
class FirstChunkLatency {
 public:
  void reset();
  // A live pipeline must learn that buffers now come later than it was told: posts a latency
  // message when `measured` is slower than an earlier measurement and the element is live.
  void record(GstElement* element, bool live, GstClockTime measured);
  GstClockTime slowest() const;  // GST_CLOCK_TIME_NONE before the first measurement

 private:
  mutable std::mutex lock_;
  GstClockTime slowest_ = GST_CLOCK_TIME_NONE;
};

}  // namespace pockettts_gst
