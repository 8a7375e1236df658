// Pauses and structure in the text: the SSML subset pockettts speaks. Opt-in: the text is read
// as SSML only when asked (GenerateOptions::text_format = TextFormat::kSsml, the CLI's --ssml,
// application/ssml+xml text in the element); plain text is spoken exactly as before.
//
//   <speak>          the root element (required; its attributes are not used)
//   <p>, <s>         a paragraph, a sentence: its text is generated apart from its neighbours'
//   <break time="500ms"/>, <break time="1.5s"/>, <break strength="strong"/>
//                    exact silence of that length between the generated chunks
//   <sub alias="World Wide Web">WWW</sub>   the alias is spoken instead of the content
//
// Any other element is spoken as its content, with a warning. Whitespace in text is collapsed
// to single spaces, as in HTML.
#pragma once

#include <string>
#include <vector>

namespace pockettts {

// The longest break accepted (20 s, as common TTS services do): a longer time is an error.
inline constexpr double kMaxBreakMilliseconds = 20000.0;

// One piece of what is said: text, or a pause.
struct SpeechSegment {
  enum class Kind { kText, kBreak };
  Kind kind = Kind::kText;
  std::string text;               // kText: plain text, spoken as generate_audio speaks text
  double break_milliseconds = 0;  // kBreak: the length of the silence
};

struct SpeechScript {
  std::vector<SpeechSegment> segments;  // in order; a text segment is never empty
  std::vector<std::string> warnings;    // elements and attributes that were not understood
};

// Parses an SSML document into what is said. Throws Error(kInvalidArgument), with the line and
// character where it applies, for a document that is not well-formed XML (or not UTF-8), whose
// root is not <speak>, that has text outside it, a <break> with content or a time / strength
// that cannot be read (or above kMaxBreakMilliseconds), a <sub> without alias or with elements
// inside. A plain signature on purpose: it is fuzzed.
SpeechScript parse_ssml(const std::string& document);

// The length of <break strength="...">: none 0, x-weak 250, weak 500, medium 750 (a break
// without attributes), strong 1000, x-strong 1250 ms. Error(kInvalidArgument) for other names.
double break_strength_milliseconds(const std::string& strength);

// A break's length in samples at `sample_rate`: the nearest whole number of samples.
long long break_samples(double milliseconds, int sample_rate);

}  // namespace pockettts
