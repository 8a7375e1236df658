// Text as it arrives on the sink pad, turned into what the model reads.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <pockettts/ssml.h>

namespace pockettts_gst {

// Pango markup (`<b>Hi</b> &amp; bye`) to plain text (`Hi & bye`). Malformed markup falls back
// to dropping anything between '<' and '>' so one bad subtitle does not silence a stream.
std::string strip_pango_markup(const std::string& markup);

bool is_valid_utf8(const std::string& text);

// `document` parsed as SSML; nullptr with `*error` set (the parser's message, with line and
// character) when it cannot be spoken as SSML.
std::shared_ptr<const pockettts::SpeechScript> parse_ssml_document(const std::string& document,
                                                                   std::string* error);

// A byte stream of SSML (filesrc) is one document, read whole before it is spoken.
inline constexpr size_t kMaxSsmlDocumentBytes = 1 << 20;

// True when the text has nothing a person could hear (empty or only white space).
bool is_blank(const std::string& text);

// Splits a byte stream (a text file read by filesrc, in blocks that ignore line and even
// character boundaries) into paragraphs, separated by blank lines. A paragraph is one
// utterance: the lines of a wrapped sentence must stay together, or each would be spoken as
// a sentence of its own (the model's text preparation capitalises and ends every utterance).
class ParagraphSplitter {
 public:
  // Returns the paragraphs completed by `data`.
  std::vector<std::string> push(const char* data, size_t size);
  // The last paragraph, at end of stream (empty when there is none).
  std::string finish();
  void reset();

 private:
  std::string partial_line_;
  std::string paragraph_;
};

}  // namespace pockettts_gst
