// The sentencepiece tokenizer behind a small C interface, built as its own module.
//
// Why a module: Debian's libsentencepiece exports a private copy of protobuf-lite, and
// libtorch loads the system libprotobuf. Linked into one process, whichever comes first in
// the symbol search order serves both, and the process crashes in a static constructor.
// libpockettts therefore never links sentencepiece: it loads this module with RTLD_LOCAL |
// RTLD_DEEPBIND (sentencepiece_loader.cpp), so sentencepiece binds to its own protobuf and
// libtorch to the system one.
#include <sentencepiece_processor.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {
char* copy_string(const std::string& s) {
  char* out = static_cast<char*>(std::malloc(s.size() + 1));
  if (out) std::memcpy(out, s.c_str(), s.size() + 1);
  return out;
}
}  // namespace

extern "C" {

__attribute__((visibility("default"))) void* pockettts_spm_load(const char* path, char** error) {
  auto* sp = new sentencepiece::SentencePieceProcessor();
  const auto status = sp->Load(path);
  if (!status.ok()) {
    *error = copy_string(status.error_message());
    delete sp;
    return nullptr;
  }
  return sp;
}

__attribute__((visibility("default"))) void pockettts_spm_free(void* handle) {
  delete static_cast<sentencepiece::SentencePieceProcessor*>(handle);
}

__attribute__((visibility("default"))) int pockettts_spm_piece_size(const void* handle) {
  return static_cast<const sentencepiece::SentencePieceProcessor*>(handle)->GetPieceSize();
}

// Returns 0 and a malloc'ed id array, or -1 and a malloc'ed error message.
__attribute__((visibility("default"))) int pockettts_spm_encode(const void* handle,
                                                                const char* text, size_t length,
                                                                int** ids, size_t* count,
                                                                char** error) {
  std::vector<int> out;
  const auto* sp = static_cast<const sentencepiece::SentencePieceProcessor*>(handle);
  const auto status = sp->Encode(std::string(text, length), &out);
  if (!status.ok()) {
    *error = copy_string(status.error_message());
    return -1;
  }
  *count = out.size();
  *ids = static_cast<int*>(std::malloc(std::max<size_t>(out.size(), 1) * sizeof(int)));
  if (!out.empty()) std::memcpy(*ids, out.data(), out.size() * sizeof(int));
  return 0;
}

__attribute__((visibility("default"))) int pockettts_spm_decode(const void* handle, const int* ids,
                                                                size_t count, char** text,
                                                                size_t* length, char** error) {
  std::string out;
  const auto* sp = static_cast<const sentencepiece::SentencePieceProcessor*>(handle);
  const auto status = sp->Decode(std::vector<int>(ids, ids + count), &out);
  if (!status.ok()) {
    *error = copy_string(status.error_message());
    return -1;
  }
  *length = out.size();
  *text = copy_string(out);
  return 0;
}

__attribute__((visibility("default"))) void pockettts_spm_free_memory(void* memory) {
  std::free(memory);
}
}
