// The tokenizer: the reference's `SentencePieceTokenizer` (conditioners/text.py) over the
// isolated sentencepiece module.
#include <sys/stat.h>

#include <pockettts/error.h>
#include <pockettts/text.h>

#include "text/sentencepiece_loader.h"

namespace pockettts {

namespace {

class SentencePieceTokenizer final : public Tokenizer {
 public:
  explicit SentencePieceTokenizer(std::unique_ptr<SentencePieceModel> sp) : sp_(std::move(sp)) {}

  // SentencePieceProcessor's Encode/Decode only read the loaded model: safe to call from
  // several threads at once.
  std::vector<int> encode(const std::string& text) const override { return sp_->encode(text); }

  std::string decode(const std::vector<int>& ids) const override {
    const int size = sp_->piece_size();
    for (int id : ids) {
      if (id < 0 || id >= size) {
        throw Error(ErrorCode::kInvalidArgument, "token id " + std::to_string(id) +
                                                     " is out of range [0, " +
                                                     std::to_string(size) + ")");
      }
    }
    return sp_->decode(ids);
  }

  int vocab_size() const override { return sp_->piece_size(); }

 private:
  std::unique_ptr<SentencePieceModel> sp_;
};

}  // namespace

std::shared_ptr<const Tokenizer> Tokenizer::load(const std::string& path, int expected_vocab_size) {
  struct stat st {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0) {
    throw Error(ErrorCode::kNotFound, "sentencepiece tokenizer model not found: '" + path + "'");
  }
  if (!S_ISREG(st.st_mode)) {
    throw Error(ErrorCode::kInvalidData,
                "sentencepiece tokenizer model '" + path + "' is not a regular file");
  }
  auto sp = std::make_unique<SentencePieceModel>(path);
  if (expected_vocab_size >= 0 && sp->piece_size() != expected_vocab_size) {
    // Same check and wording as the reference's assert in SentencePieceTokenizer.
    throw Error(ErrorCode::kInvalidData,
                "sentencepiece tokenizer '" + path +
                    "' has vocab size=" + std::to_string(sp->piece_size()) +
                    " but nbins=" + std::to_string(expected_vocab_size) + " was specified");
  }
  return std::make_shared<SentencePieceTokenizer>(std::move(sp));
}

}  // namespace pockettts
