#include "model_cache.h"

#include <map>
#include <mutex>

#include <glib.h>

namespace pockettts_gst {

namespace {

struct Entry {
  // Held while loading, so two elements starting together load the model once.
  std::mutex load_lock;
  std::weak_ptr<const pockettts::TTSModel> model;
};

std::mutex& map_lock() {
  static std::mutex lock;
  return lock;
}

std::map<std::string, std::shared_ptr<Entry>>& entries() {
  // Leaked on purpose: elements may be finalized from atexit handlers after static
  // destructors ran.
  static auto* map = new std::map<std::string, std::shared_ptr<Entry>>();
  return *map;
}

}  // namespace

std::string model_cache_key(const ModelRequest& request) {
  std::string config = request.config;
  if (g_file_test(config.c_str(), G_FILE_TEST_EXISTS)) {
    gchar* absolute = g_canonicalize_filename(config.c_str(), nullptr);
    config = absolute;
    g_free(absolute);
  }
  return config + '\n' + request.language + '\n' + request.device + '\n' + pockettts::precision_name(request.precision);
}

std::shared_ptr<const pockettts::TTSModel> acquire_model(
    const ModelRequest& request, const pockettts::DownloadOptions& download, bool* shared) {
  const std::string key = model_cache_key(request);
  std::shared_ptr<Entry> entry;
  {
    std::lock_guard<std::mutex> guard(map_lock());
    auto& map = entries();
    // Forget models nobody uses any more; an entry another thread is loading is referenced
    // outside the map and stays.
    for (auto it = map.begin(); it != map.end();) {
      if (it->second.use_count() == 1 && it->second->model.expired())
        it = map.erase(it);
      else
        ++it;
    }
    auto& slot = map[key];
    if (!slot) slot = std::make_shared<Entry>();
    entry = slot;
  }

  std::lock_guard<std::mutex> guard(entry->load_lock);
  if (auto model = entry->model.lock()) {
    if (shared) *shared = true;
    return model;
  }
  pockettts::LoadOptions options;
  options.config = request.config;
  options.language = request.language;
  options.download = download;
  options.device = request.device;
  options.precision = request.precision;
  auto model = pockettts::TTSModel::load_model(options);
  entry->model = model;
  if (shared) *shared = false;
  return model;
}

}  // namespace pockettts_gst
