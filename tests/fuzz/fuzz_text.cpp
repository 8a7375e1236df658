// libFuzzer target: text preparation, sentence splitting and tokenizing (with the tiny model's
// sentencepiece tokenizer, POCKETTTS_FUZZ_TOKENIZER) on any bytes, with both reference versions'
// text options. Invalid UTF-8 must give Error(kInvalidArgument); nothing may crash.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include <pockettts/error.h>
#include <pockettts/text.h>

namespace {

std::shared_ptr<const pockettts::Tokenizer> tokenizer() {
  static const auto loaded = [] {
    const char* path = std::getenv("POCKETTTS_FUZZ_TOKENIZER");
    if (path == nullptr) std::abort();  // the meson test and scripts/fuzz set it
    return pockettts::Tokenizer::load(path, -1);
  }();
  return loaded;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;  // long inputs only slow the search; tests/lib covers 1 MB
  const std::string text(reinterpret_cast<const char*>(data), size);
  pockettts::TextOptions v2;
  v2.pad_with_spaces_for_short_inputs = true;
  v2.remove_semicolons = true;
  v2.split_long_sentences = true;
  for (const pockettts::TextOptions& options : {pockettts::TextOptions{}, v2}) {
    try {
      (void)pockettts::has_words(text);
      const pockettts::PreparedText prepared = pockettts::prepare_text_prompt(text, options);
      const std::vector<int> ids = tokenizer()->encode(prepared.text);
      (void)tokenizer()->decode(ids);
      const int max_tokens = size > 0 ? data[0] % 60 : 50;
      (void)pockettts::split_into_best_sentences(*tokenizer(), text, max_tokens, options);
    } catch (const pockettts::Error& e) {
      if (e.code() != pockettts::ErrorCode::kInvalidArgument) std::abort();
    }
  }
  return 0;
}
