// A sentencepiece model used through the isolated tokenizer module (see
// sentencepiece_module.cpp for why it is isolated).
#pragma once

#include <string>
#include <vector>

namespace pockettts {

class SentencePieceModel {
 public:
  // Throws Error(kInvalidData) with sentencepiece's message when the model cannot be read,
  // Error(kInternal) when the tokenizer module itself cannot be found.
  explicit SentencePieceModel(const std::string& path);
  ~SentencePieceModel();
  SentencePieceModel(const SentencePieceModel&) = delete;
  SentencePieceModel& operator=(const SentencePieceModel&) = delete;

  int piece_size() const;
  std::vector<int> encode(const std::string& text) const;  // thread-safe
  std::string decode(const std::vector<int>& ids) const;   // thread-safe

 private:
  void* handle_ = nullptr;
};

}  // namespace pockettts
