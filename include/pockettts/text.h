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

// Python reference `prepare_text_prompt`: strip, fold newlines and one pass of double spaces,
// capitalise the first character, add a final period after a letter or digit, pad with 8
// spaces under 5 words. Throws Error(kInvalidArgument) for empty text or invalid UTF-8.
PreparedText prepare_text_prompt(const std::string& text);

// Python reference `split_into_best_sentences`: chunks of whole sentences of at most
// `max_tokens` tokens (a longer sentence stays whole).
std::vector<std::string> split_into_best_sentences(const Tokenizer& tokenizer,
                                                   const std::string& text, int max_tokens);

}  // namespace pockettts
