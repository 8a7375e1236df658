// What the element's properties say, apart from the state the element builds from them, and
// the property table: each property's name, blurb, range, default and the field it sets.
//
// Written from any thread behind the element's settings lock and copied when an utterance
// starts, so a change never reaches the middle of one.
#pragma once

#include <glib-object.h>

#include <string>

#include <pockettts/tts_model.h>

namespace pockettts_gst {

inline constexpr gint64 kDefaultSeed = -1;
inline constexpr const char* kDefaultDevice = "cpu";
inline constexpr guint kDefaultMaxQueued = 16;

// Timed text whose speech runs past the start of the next cue (the `overflow` property).
enum class Overflow {
  kShift,    // the next cue starts late, where the speech ends
  kClip,     // the speech is cut at the next cue's start, with a short fade-out
  kOverlap,  // every cue starts at its own time: the speech overlaps, for a mixer downstream
};

struct Settings {
  std::string text;
  std::string voice;  // empty: the model's default voice
  std::string model = pockettts::kDefaultVariant;
  std::string language;  // a model pack by the reference's language; empty: `model` decides
  bool ssml = false;     // the text property and speak() are SSML documents
  // temperature, lsd-decode-steps, noise-clamp (the property's 0 is unset), eos-threshold.
  pockettts::SamplingOptions sampling;
  int frames_after_eos = -1;  // -1: guessed from the text
  int max_tokens = pockettts::kDefaultMaxTokensPerChunk;
  gint64 seed = kDefaultSeed;  // -1: a new random seed per utterance
  bool truncate_voice = false;
  std::string device = kDefaultDevice;
  int num_threads = 0;  // 0: the library's default (1)
  pockettts::Precision precision = pockettts::Precision::kFp32;
  bool is_live = false;
  guint max_queued = kDefaultMaxQueued;  // utterances waiting; 0: no bound
  Overflow overflow = Overflow::kShift;
};

// The overflow value's nick, as the property names it ("shift", "clip", "overlap").
const char* overflow_nick(Overflow overflow);

// class_init: installs every property of the element.
void install_properties(GObjectClass* gobject_class);
// set_property / get_property for the field property `prop_id` holds; false for an id that is
// not one of ours.
bool set_setting(Settings& settings, guint prop_id, const GValue* value);
bool get_setting(const Settings& settings, guint prop_id, GValue* value);
// True for the `text` property's id: a change while the stream runs is spoken next.
bool is_text_property(guint prop_id);
// True for `max-queued`: a change applies to the input queue at once.
bool is_max_queued_property(guint prop_id);

}  // namespace pockettts_gst
