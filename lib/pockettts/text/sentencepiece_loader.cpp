#include "text/sentencepiece_loader.h"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>

#include <pockettts/error.h>

namespace pockettts {

namespace {

struct ModuleApi {
  void* (*load)(const char*, char**);
  void (*free)(void*);
  int (*piece_size)(const void*);
  int (*encode)(const void*, const char*, size_t, int**, size_t*, char**);
  int (*decode)(const void*, const int*, size_t, char**, size_t*, char**);
  void (*free_memory)(void*);
};

// The sanitizer runtimes (ASan, TSan) refuse RTLD_DEEPBIND (it would bypass their
// interceptors): sanitizer builds load the module without it (docs/reliability.md says what that
// leaves untested).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define POCKETTTS_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define POCKETTTS_SANITIZER 1
#endif
#endif
#ifdef POCKETTTS_SANITIZER
constexpr int kDeepBind = 0;
#else
constexpr int kDeepBind = RTLD_DEEPBIND;
#endif

constexpr const char* kModuleName = "pockettts-sentencepiece.so";

std::string directory_of_this_library() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&directory_of_this_library), &info) && info.dli_fname) {
    std::string file = info.dli_fname;
    const size_t slash = file.find_last_of('/');
    if (slash != std::string::npos) return file.substr(0, slash);
  }
  return ".";
}

// Next to libpockettts (build tree), in its private folder (installed), or where the build
// and install put it.
std::vector<std::string> candidate_paths() {
  std::vector<std::string> paths;
  if (const char* env = std::getenv("POCKETTTS_SENTENCEPIECE_MODULE")) paths.emplace_back(env);
  const std::string here = directory_of_this_library();
  paths.push_back(here + "/" + kModuleName);
  paths.push_back(here + "/pockettts/" + kModuleName);
  paths.push_back(std::string(POCKETTTS_MODULE_BUILD_DIR) + "/" + kModuleName);
  paths.push_back(std::string(POCKETTTS_MODULE_INSTALL_DIR) + "/" + kModuleName);
  return paths;
}

const ModuleApi& module_api() {
  static ModuleApi api{};
  static std::string failure;
  static std::once_flag once;
  std::call_once(once, [] {
    void* module = nullptr;
    std::string tried;
    for (const std::string& path : candidate_paths()) {
      // DEEPBIND: sentencepiece must resolve to its own protobuf, not libtorch's.
      module = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | kDeepBind);
      if (module) break;
      tried += "\n  " + path + ": " + dlerror();
    }
    if (!module) {
      failure = std::string("cannot load the tokenizer module ") + kModuleName +
                " (set POCKETTTS_SENTENCEPIECE_MODULE to its path); tried:" + tried;
      return;
    }
    auto sym = [&](const char* name) { return dlsym(module, name); };
    api.load = reinterpret_cast<decltype(api.load)>(sym("pockettts_spm_load"));
    api.free = reinterpret_cast<decltype(api.free)>(sym("pockettts_spm_free"));
    api.piece_size = reinterpret_cast<decltype(api.piece_size)>(sym("pockettts_spm_piece_size"));
    api.encode = reinterpret_cast<decltype(api.encode)>(sym("pockettts_spm_encode"));
    api.decode = reinterpret_cast<decltype(api.decode)>(sym("pockettts_spm_decode"));
    api.free_memory = reinterpret_cast<decltype(api.free_memory)>(sym("pockettts_spm_free_memory"));
    if (!api.load || !api.free || !api.piece_size || !api.encode || !api.decode ||
        !api.free_memory) {
      api = ModuleApi{};
      failure = std::string("the tokenizer module ") + kModuleName + " lacks its functions";
    }
  });
  if (!api.load) throw Error(ErrorCode::kInternal, failure);
  return api;
}

std::string take_error(char* error) {
  std::string message = error ? error : "unknown error";
  module_api().free_memory(error);
  return message;
}

}  // namespace

SentencePieceModel::SentencePieceModel(const std::string& path) {
  const ModuleApi& api = module_api();
  char* error = nullptr;
  handle_ = api.load(path.c_str(), &error);
  if (!handle_) {
    throw Error(ErrorCode::kInvalidData,
                "cannot read sentencepiece tokenizer model '" + path + "': " + take_error(error));
  }
}

SentencePieceModel::~SentencePieceModel() {
  if (handle_) module_api().free(handle_);
}

int SentencePieceModel::piece_size() const { return module_api().piece_size(handle_); }

std::vector<int> SentencePieceModel::encode(const std::string& text) const {
  int* ids = nullptr;
  size_t count = 0;
  char* error = nullptr;
  if (module_api().encode(handle_, text.data(), text.size(), &ids, &count, &error) != 0) {
    throw Error(ErrorCode::kInternal, "sentencepiece encode failed: " + take_error(error));
  }
  std::vector<int> out(ids, ids + count);
  module_api().free_memory(ids);
  return out;
}

std::string SentencePieceModel::decode(const std::vector<int>& ids) const {
  char* text = nullptr;
  size_t length = 0;
  char* error = nullptr;
  if (module_api().decode(handle_, ids.data(), ids.size(), &text, &length, &error) != 0) {
    throw Error(ErrorCode::kInternal, "sentencepiece decode failed: " + take_error(error));
  }
  std::string out(text, length);
  module_api().free_memory(text);
  return out;
}

}  // namespace pockettts
