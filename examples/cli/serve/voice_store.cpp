#include "voice_store.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include <ctime>
#include <functional>

#include <pockettts/error.h>

namespace pockettts_serve {

using pockettts::Error;
using pockettts::ErrorCode;

VoiceStore::VoiceStore(std::shared_ptr<const pockettts::TTSModel> model, size_t cache_size,
                       size_t max_uploaded)
    : model_(std::move(model)), cache_size_(cache_size), max_uploaded_(max_uploaded) {}

std::string VoiceStore::sha256(const std::string& data) {
  gchar* hex = g_compute_checksum_for_data(
      G_CHECKSUM_SHA256, reinterpret_cast<const guchar*>(data.data()), data.size());
  std::string result(hex);
  g_free(hex);
  return result;
}

SharedVoice VoiceStore::cached(const std::string& key, const std::function<SharedVoice()>& make) {
  std::promise<SharedVoice> promise;
  std::shared_future<SharedVoice> future;
  bool mine = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = cache_.begin(); it != cache_.end(); ++it) {
      if (it->first == key) {
        cache_.splice(cache_.begin(), cache_, it);
        future = it->second;
        break;
      }
    }
    if (!future.valid()) {
      mine = true;
      future = promise.get_future().share();
      cache_.emplace_front(key, future);
      while (cache_.size() > cache_size_) cache_.pop_back();
    }
  }
  if (!mine) return future.get();  // made (or being made) by another request
  try {
    promise.set_value(make());
  } catch (...) {
    // A failure is not cached: the next request tries again (a URL may come back).
    promise.set_exception(std::current_exception());
    std::lock_guard<std::mutex> lock(mutex_);
    cache_.remove_if([&](const auto& entry) { return entry.first == key; });
  }
  return future.get();
}

SharedVoice VoiceStore::from_source(const std::string& source) {
  return cached("source:" + source, [&] {
    return std::make_shared<const pockettts::VoiceState>(
        model_->get_state_for_audio_prompt(source));
  });
}

namespace {
// The decoder finds formats by content, but a name with the right extension helps it.
std::string extension_of(const std::string& filename) {
  const size_t dot = filename.find_last_of('.');
  if (dot == std::string::npos || filename.size() - dot > 6) return ".wav";
  std::string extension = filename.substr(dot);
  for (char c : extension) {
    if (!g_ascii_isalnum(c) && c != '.') return ".wav";
  }
  return extension;
}
}  // namespace

SharedVoice VoiceStore::from_audio(const std::string& audio, const std::string& filename) {
  if (audio.empty()) throw Error(ErrorCode::kInvalidArgument, "the uploaded voice file is empty");
  return cached("audio:" + sha256(audio), [&] {
    GError* error = nullptr;
    gchar* path = nullptr;
    const std::string pattern = "pockettts-voice-XXXXXX" + extension_of(filename);
    const int fd = g_file_open_tmp(pattern.c_str(), &path, &error);
    if (fd < 0) {
      const std::string message = error->message;
      g_error_free(error);
      throw Error(ErrorCode::kInternal, "cannot store the uploaded voice: " + message);
    }
    close(fd);
    std::unique_ptr<gchar, void (*)(gchar*)> owned(path, [](gchar* p) {
      g_unlink(p);
      g_free(p);
    });
    if (!g_file_set_contents(path, audio.data(), static_cast<gssize>(audio.size()), &error)) {
      const std::string message = error->message;
      g_error_free(error);
      throw Error(ErrorCode::kInternal, "cannot store the uploaded voice: " + message);
    }
    return std::make_shared<const pockettts::VoiceState>(
        model_->get_state_for_audio_prompt(path, /*truncate=*/true));
  });
}

UploadedVoice VoiceStore::add_upload(const std::string& audio, const std::string& filename,
                                     const std::string& name) {
  const std::string id = "voice-" + sha256(audio).substr(0, 16);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = uploads_.find(id);
    if (it != uploads_.end()) return it->second;
    if (uploads_.size() >= max_uploaded_) {
      throw Error(ErrorCode::kUnsupported,
                  "the server keeps at most " + std::to_string(max_uploaded_) +
                      " uploaded voices: delete one first (DELETE /v1/audio/voices/<id>)");
    }
  }
  UploadedVoice voice;
  voice.id = id;
  voice.name = !name.empty() ? name : !filename.empty() ? filename : id;
  voice.bytes = audio.size();
  voice.created = static_cast<long long>(std::time(nullptr));
  voice.state = from_audio(audio, filename);
  std::lock_guard<std::mutex> lock(mutex_);
  return uploads_.emplace(id, voice).first->second;
}

std::vector<UploadedVoice> VoiceStore::uploads() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<UploadedVoice> list;
  for (const auto& entry : uploads_) list.push_back(entry.second);
  return list;
}

SharedVoice VoiceStore::find_upload(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = uploads_.find(id);
  return it == uploads_.end() ? nullptr : it->second.state;
}

bool VoiceStore::remove_upload(const std::string& id) {
  std::lock_guard<std::mutex> lock(mutex_);
  return uploads_.erase(id) != 0;
}

}  // namespace pockettts_serve
