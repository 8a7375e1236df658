// Text preparation and tokenization, exactly as the reference does them (quirks included).
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace pockettts {

class Tokenizer {
 public:
  // Loads a sentencepiece model. Throws Error(kNotFound) for a missing file, Error(kInvalidData)
  // for an unreadable one, and when `expected_vocab_size` >= 0 and differs from the model's.
  static std::shared_ptr<const Tokenizer> load(const std::string& path,
                                               int expected_vocab_size = -1);
  virtual ~Tokenizer() = default;

  virtual std::vector<int> encode(const std::string& text) const = 0;  // no BOS/EOS
  virtual std::string decode(const std::vector<int>& ids) const = 0;
  virtual int vocab_size() const = 0;
};

struct PreparedText {
  std::string text;
  int frames_after_eos_guess = 0;
};

// How text is prepared and split. The reference changed both between its versions, and a
// 9514983 pack's config chooses two of them. The defaults are 4ae9fb2's (the b6369a24 variant);
// TTSModel::text_options() gives a loaded model's.
struct TextOptions {
  // 8 leading spaces when the text has fewer than 5 words (4ae9fb2 always pads; 9514983 when
  // the config's pad_with_spaces_for_short_inputs is true). The stream path never feeds the
  // padding to the model, so it changes only prepare_text_prompt's text.
  bool pad_with_spaces_for_short_inputs = true;
  // ';' becomes ',' (9514983: the config's remove_semicolons), before the text is tokenized.
  bool remove_semicolons = false;
  // 9514983: a sentence of more than max_tokens tokens is cut after its runs of ',' ';' ':'
  // (the reference's fix for words skipped in long sentences); 4ae9fb2 keeps it whole.
  bool split_long_sentences = false;
};

// The text options of the reference at 9514983 for a config's two flags.
TextOptions text_options_9514983(bool pad_with_spaces_for_short_inputs, bool remove_semicolons);

// Python reference `prepare_text_prompt`: strip, fold newlines and one pass of double spaces,
// (';' -> ','), capitalise the first character, add a final period after a letter or digit,
// pad with 8 spaces under 5 words. Throws Error(kInvalidArgument) for empty text or invalid
// UTF-8. Without options: 4ae9fb2's.
PreparedText prepare_text_prompt(const std::string& text);
PreparedText prepare_text_prompt(const std::string& text, const TextOptions& options);

// Whether the text holds anything but whitespace (Python's definition, as prepare_text_prompt
// strips it): what would not be an "empty text" error. Error(kInvalidArgument) for invalid
// UTF-8.
bool has_words(const std::string& text);

// Python reference `split_into_best_sentences`: chunks of whole sentences of at most
// `max_tokens` tokens (a longer sentence stays whole, or, with split_long_sentences, is cut at
// its commas, semicolons and colons when it has any). Without options: 4ae9fb2's.
std::vector<std::string> split_into_best_sentences(const Tokenizer& tokenizer,
                                                   const std::string& text, int max_tokens);
std::vector<std::string> split_into_best_sentences(const Tokenizer& tokenizer,
                                                   const std::string& text, int max_tokens,
                                                   const TextOptions& options);

}  // namespace pockettts
