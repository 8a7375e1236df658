#include "model_and_voice.h"

#include <chrono>
#include <exception>
#include <utility>
#include <vector>

#include <pockettts/error.h>
#include <pockettts/model_packs.h>

#include "diagnostics.h"
#include "load_progress.h"
#include "output_timeline.h"

namespace pockettts_gst {

namespace {

gint resource_code_for(const pockettts::Error& e) {
  switch (e.code()) {
    case pockettts::ErrorCode::kNotFound:
      return GST_RESOURCE_ERROR_NOT_FOUND;
    case pockettts::ErrorCode::kInvalidData:
      return GST_RESOURCE_ERROR_READ;
    case pockettts::ErrorCode::kInvalidArgument:
    case pockettts::ErrorCode::kUnsupported:
      return GST_RESOURCE_ERROR_SETTINGS;
    default:
      return GST_RESOURCE_ERROR_FAILED;
  }
}

}  // namespace

pockettts::GenerateOptions generate_options(const Settings& s) {
  pockettts::GenerateOptions options;
  options.sampling = s.sampling;
  if (s.frames_after_eos >= 0) options.frames_after_eos = s.frames_after_eos;
  options.max_tokens = s.max_tokens;
  options.copy_state = true;  // the voice serves every utterance
  if (s.seed >= 0) options.seed = static_cast<uint64_t>(s.seed);
  return options;
}

std::string ModelAndVoice::model_name(const Settings& s) {
  return s.language.empty() ? "\"" + s.model + "\"" : "for the language \"" + s.language + "\"";
}

std::string ModelAndVoice::voice_for(const Settings& s) const {
  return s.voice.empty() ? model_->default_voice() : s.voice;
}

bool ModelAndVoice::load_model(GstElement* element, const Settings& s) {
  const ModelRequest request{s.model, s.language, s.device, s.precision};
  LoadProgress progress(element, "model", "the Pocket TTS model " + model_name(s));
  progress.start();
  std::string why;
  try {
    bool shared = false;
    auto model = acquire_model(request, progress.download_options(&cancel_), &shared);
    if (model->sample_rate() != kSampleRate) {
      why = "it produces " + std::to_string(model->sample_rate()) + " Hz audio";
      progress.error(why);
      POST_ERROR(element, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                 "The model " + model_name(s) + " produces " +
                     std::to_string(model->sample_rate()) +
                     " Hz audio; this element supports 24000 Hz Pocket TTS models only.",
                 "");
      return false;
    }
    GST_INFO_OBJECT(element, "%s model '%s' on %s", shared ? "sharing the loaded" : "loaded",
                    (s.language.empty() ? s.model : s.language).c_str(), model->device().c_str());
    model_ = std::move(model);
    model_request_ = request;
    frame_size_ = model_->frame_size();
    voice_.reset();
    progress.complete();
    return true;
  } catch (const pockettts::Error& e) {
    progress.error(e.what());
    POST_ERROR(element, GST_RESOURCE_ERROR, resource_code_for(e),
               "Could not load the Pocket TTS model " + model_name(s) + " on device \"" +
                   s.device + "\": " + e.what(),
               std::string("set the model property to a variant id (") +
                   pockettts::kDefaultVariant +
                   ") or a YAML config path, or the language property to one of " +
                   pockettts::language_list());
  } catch (const std::exception& e) {
    progress.error(e.what());
    POST_ERROR(element, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_FAILED,
               "Could not load the Pocket TTS model " + model_name(s) + ": " + e.what(), "");
  }
  return false;
}

bool ModelAndVoice::prepare_voice(GstElement* element, const Settings& s) {
  const std::string voice = voice_for(s);
  if (voice.empty()) {
    POST_ERROR(element, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
               "The model " + model_name(s) +
                   " has no predefined voices: set the voice property to an audio file or a "
                   ".safetensors voice file.",
               "");
    return false;
  }
  LoadProgress progress(element, "voice", "the voice \"" + voice + "\"");
  progress.start();
  try {
    voice_.reset();
    voice_.emplace(model_->get_state_for_audio_prompt(voice, s.truncate_voice,
                                                      progress.download_options(&cancel_)));
    voice_source_ = s.voice;
    voice_truncated_ = s.truncate_voice;
    GST_INFO_OBJECT(element, "prepared voice '%s'", voice.c_str());
    progress.complete();
    return true;
  } catch (const pockettts::Error& e) {
    progress.error(e.what());
    POST_ERROR(element, GST_RESOURCE_ERROR, resource_code_for(e),
               "Could not use the voice \"" + voice + "\": " + e.what(),
               "the voice property takes a predefined voice name (" +
                   predefined_voice_names() + "), an audio file path or URI, or a .safetensors "
                   "voice file");
  } catch (const std::exception& e) {
    progress.error(e.what());
    POST_ERROR(element, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_FAILED,
               "Could not use the voice \"" + voice + "\": " + e.what(), "");
  }
  return false;
}

std::string ModelAndVoice::predefined_voice_names() const {
  std::string names;
  for (const std::string& name : model_->predefined_voices())
    names += (names.empty() ? "" : ", ") + name;
  return names.empty() ? "none for this model" : names;
}

bool ModelAndVoice::prepare(GstElement* element, const Settings& s) {
  // Process-wide: libtorch has one intra-op pool for every model and element.
  if (s.num_threads > 0) pockettts::set_compute_threads(s.num_threads);

  const ModelRequest request{s.model, s.language, s.device, s.precision};
  if (!model_ || model_cache_key(request) != model_cache_key(model_request_)) {
    if (!load_model(element, s)) return false;
  }
  if (!voice_ || voice_source_ != s.voice || voice_truncated_ != s.truncate_voice)
    return prepare_voice(element, s);
  return true;
}

std::shared_ptr<pockettts::AudioChunkStream> ModelAndVoice::generate(const std::string& text,
                                                                     const Settings& settings) {
  return model_->generate_audio_stream(*voice_, text, generate_options(settings));
}

std::shared_ptr<pockettts::AudioChunkStream> ModelAndVoice::generate(
    const pockettts::SpeechScript& script, const Settings& settings) {
  return model_->generate_audio_stream(*voice_, script, generate_options(settings));
}

GstClockTime ModelAndVoice::time_first_chunk(GstElement* element, const Settings& settings) {
  try {
    const auto start = std::chrono::steady_clock::now();
    auto stream = model_->generate_audio_stream(*voice_, "Hello.", generate_options(settings));
    std::vector<float> chunk;
    stream->next(chunk);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    stream->cancel();
    return std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count();
  } catch (const std::exception& e) {
    GST_WARNING_OBJECT(element, "could not measure the first-chunk latency: %s", e.what());
    return GST_CLOCK_TIME_NONE;
  }
}

void ModelAndVoice::release() {
  voice_.reset();
  model_.reset();
  model_request_ = {};
}

void FirstChunkLatency::reset() {
  std::lock_guard<std::mutex> guard(lock_);
  slowest_ = GST_CLOCK_TIME_NONE;
}

void FirstChunkLatency::record(GstElement* element, bool live, GstClockTime measured) {
  bool grew = false;
  {
    std::lock_guard<std::mutex> guard(lock_);
    if (!GST_CLOCK_TIME_IS_VALID(slowest_) || measured > slowest_) {
      grew = GST_CLOCK_TIME_IS_VALID(slowest_) && live;
      slowest_ = measured;
    }
  }
  GST_DEBUG_OBJECT(element, "first chunk after %" GST_TIME_FORMAT, GST_TIME_ARGS(measured));
  if (grew) gst_element_post_message(element, gst_message_new_latency(GST_OBJECT(element)));
}

GstClockTime FirstChunkLatency::slowest() const {
  std::lock_guard<std::mutex> guard(lock_);
  return slowest_;
}

}  // namespace pockettts_gst
