#include "resources/url_cache.h"

#include <glib.h>

#include <cstdlib>
#include <filesystem>
#include <system_error>

#include <pockettts/error.h>
#include "resources/http_client.h"
#include "resources/hub_environment.h"
#include "resources/partial_file.h"
#include "resources/verified_download.h"

namespace fs = std::filesystem;

namespace pockettts {
namespace {

// The last path segment of `url`, unescaped, without query or fragment; "download" when the URL
// names none or names something unsafe as a file name.
std::string file_name_of(const std::string& url) {
  GUri* uri = g_uri_parse(url.c_str(), G_URI_FLAGS_ENCODED, nullptr);
  std::string name;
  if (uri != nullptr) {
    const std::string path = g_uri_get_path(uri);
    const std::string last = path.substr(path.rfind('/') + 1);
    gchar* unescaped = g_uri_unescape_string(last.c_str(), "/");
    if (unescaped != nullptr) name = unescaped;
    g_free(unescaped);
    g_uri_unref(uri);
  }
  if (name.empty() || name == "." || name == ".." || name.find('\0') != std::string::npos) {
    return "download";
  }
  return name;
}

}  // namespace

std::string pockettts_cache_dir() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  const fs::path base =
      xdg != nullptr && *xdg != '\0' ? fs::path(xdg) : fs::path(g_get_home_dir()) / ".cache";
  return (base / "pockettts").string();
}

std::string url_cache_path(const std::string& url) {
  gchar* key = g_compute_checksum_for_string(G_CHECKSUM_SHA256, url.c_str(), -1);
  const fs::path path = fs::path(pockettts_cache_dir()) / "urls" / key / file_name_of(url);
  g_free(key);
  return path.string();
}

std::string fetch_url(const std::string& url, const DownloadOptions& options) {
  const fs::path path = url_cache_path(url);
  std::error_code ec;
  if (fs::exists(path, ec)) return path.string();
  if (hub_offline()) {
    throw Error(ErrorCode::kNotFound, url + " is not in the cache (" + path.string() +
                                          ") and offline mode is on (HF_HUB_OFFLINE is set)");
  }
  make_folders(path.parent_path());
  HttpClient client;
  HttpRequest get;
  get.url = url;
  get.timeout_seconds = hub_environment().download_timeout;
  get.headers.set("Accept-Encoding", "identity");
  download_verified(client, get, path, {}, url, options);
  return path.string();
}

}  // namespace pockettts
