// The voices a server speaks with: prepared voice states in a bounded cache keyed by what
// made them (a predefined name, a URL, or the SHA-256 of uploaded audio), so the same voice is
// never encoded twice while it stays cached; and the voices uploaded with POST
// /v1/audio/voices, kept for the server's lifetime under an id derived from their content (so
// any replica given the same audio names it the same). Thread-safe: every request's worker
// thread asks it at once; two requests for one uncached voice wait for one encoding.
#pragma once

#include <cstddef>
#include <functional>
#include <future>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <pockettts/tts_model.h>

namespace pockettts_serve {

using SharedVoice = std::shared_ptr<const pockettts::VoiceState>;

struct UploadedVoice {
  std::string id;    // "voice-" and 16 hex digits of the audio's SHA-256
  std::string name;  // as given, or the file name
  size_t bytes = 0;
  long long created = 0;  // Unix time
  SharedVoice state;
};

class VoiceStore {
 public:
  VoiceStore(std::shared_ptr<const pockettts::TTSModel> model, size_t cache_size,
             size_t max_uploaded);

  // A predefined voice name or a http(s):// or hf:// URL. Throws pockettts::Error.
  SharedVoice from_source(const std::string& source);
  // Audio bytes in any format GStreamer decodes (the first 30 s are used, as the reference's
  // /tts does). `filename` gives its extension to the decoder. Throws pockettts::Error.
  SharedVoice from_audio(const std::string& audio, const std::string& filename);

  // Encodes and keeps an upload; the same audio twice gives the same id. Throws Error
  // (kUnsupported when max_uploaded voices are already kept).
  UploadedVoice add_upload(const std::string& audio, const std::string& filename,
                           const std::string& name);
  std::vector<UploadedVoice> uploads() const;
  SharedVoice find_upload(const std::string& id) const;  // nullptr when unknown
  bool remove_upload(const std::string& id);

  static std::string sha256(const std::string& data);

 private:
  SharedVoice cached(const std::string& key, const std::function<SharedVoice()>& make);

  std::shared_ptr<const pockettts::TTSModel> model_;
  const size_t cache_size_;
  const size_t max_uploaded_;
  mutable std::mutex mutex_;
  // Most recently used first; an entry's future is shared by everyone asking while it is made.
  std::list<std::pair<std::string, std::shared_future<SharedVoice>>> cache_;
  std::map<std::string, UploadedVoice> uploads_;
};

}  // namespace pockettts_serve
