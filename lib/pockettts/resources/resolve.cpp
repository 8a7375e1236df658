#include "resources/resolve.h"

#include <glib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <system_error>

#include <pockettts/error.h>

#include "resources/hub_cache.h"
#include "resources/hub_download.h"
#include "resources/hub_environment.h"
#include "resources/url_cache.h"

namespace fs = std::filesystem;

namespace pockettts {
namespace {

constexpr const char kHfScheme[] = "hf://";

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

// As the hub library does, "~" in a cache variable means the home directory.
std::string expand_home(const std::string& path) {
  if (path == "~" || starts_with(path, "~/")) return g_get_home_dir() + path.substr(1);
  return path;
}

// A path segment that could escape the cache folder or is empty.
bool is_bad_segment(const std::string& segment) {
  return segment.empty() || segment == "." || segment == "..";
}

bool all_segments_ok(const std::string& path) {
  size_t start = 0;
  while (true) {
    const size_t slash = path.find('/', start);
    if (is_bad_segment(path.substr(start, slash - start))) return false;
    if (slash == std::string::npos) return true;
    start = slash + 1;
  }
}

bool file_exists(const fs::path& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

fs::path repo_folder(const HfReference& ref) {
  return HubRepoCache(hf_hub_cache_dir(), ref.repo_id).folder();
}

// Where `ref` lives in the cache (whether or not it is there), or why that cannot be known:
// a branch or tag name is only mapped to a commit by the refs/<revision> file.
struct CacheLookup {
  fs::path path;
  std::string problem;
};

CacheLookup look_up(const HfReference& ref) {
  const fs::path repo = repo_folder(ref);
  std::string commit = ref.revision;
  if (!is_commit_hash(commit)) {
    const fs::path ref_file = repo / "refs" / ref.revision;
    std::ifstream in(ref_file);
    if (!(in >> commit)) {
      return {repo / "snapshots" / "<commit>" / ref.filename,
              "revision '" + ref.revision + "' is not in the cache (no " + ref_file.string() + ")"};
    }
  }
  return {repo / "snapshots" / commit / ref.filename, ""};
}

// Offline, the error says where the file was looked for, so that it can be put there by hand.
[[noreturn]] void fail_not_cached(const std::string& uri, const CacheLookup& lookup) {
  std::string message =
      uri + " is not in the Hugging Face cache: looked for " + lookup.path.string();
  if (!lookup.problem.empty()) message += "; " + lookup.problem;
  message += "; offline mode is on (HF_HUB_OFFLINE is set), so it is not downloaded";
  throw Error(ErrorCode::kNotFound, message);
}

}  // namespace

std::optional<HfReference> parse_hf_reference(const std::string& uri) {
  if (!starts_with(uri, kHfScheme)) return std::nullopt;
  std::string rest = uri.substr(sizeof(kHfScheme) - 1);
  HfReference ref;
  ref.revision = "main";
  // As in the reference, the revision follows an '@' after the repository name.
  const size_t first_slash = rest.find('/');
  if (first_slash == std::string::npos) return std::nullopt;
  const size_t second_slash = rest.find('/', first_slash + 1);
  if (second_slash == std::string::npos) return std::nullopt;
  ref.repo_id = rest.substr(0, second_slash);
  ref.filename = rest.substr(second_slash + 1);
  const size_t at = ref.filename.find('@');
  if (at != std::string::npos) {
    ref.revision = ref.filename.substr(at + 1);
    ref.filename.resize(at);
    if (ref.revision.empty() || ref.revision.find('@') != std::string::npos) return std::nullopt;
    if (!all_segments_ok(ref.revision)) return std::nullopt;
  }
  if (!all_segments_ok(ref.repo_id) || !all_segments_ok(ref.filename)) return std::nullopt;
  return ref;
}

std::string hf_hub_cache_dir() {
  for (const char* name : {"HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"}) {
    const std::string value = env_or_empty(name);
    if (!value.empty()) return expand_home(value);
  }
  const std::string hf_home = env_or_empty("HF_HOME");
  if (!hf_home.empty()) return (fs::path(expand_home(hf_home)) / "hub").string();
  std::string cache = env_or_empty("XDG_CACHE_HOME");
  if (cache.empty()) cache = (fs::path(g_get_home_dir()) / ".cache").string();
  return (fs::path(expand_home(cache)) / "huggingface" / "hub").string();
}

std::optional<std::string> find_in_hf_cache(const HfReference& ref) {
  const CacheLookup lookup = look_up(ref);
  if (!lookup.problem.empty() || !file_exists(lookup.path)) return std::nullopt;
  return lookup.path.string();
}

bool is_remote_reference(const std::string& uri) {
  return starts_with(uri, kHfScheme) || starts_with(uri, "http://") || starts_with(uri, "https://");
}

std::string resolve_resource(const std::string& uri, const DownloadOptions& options) {
  if (uri.empty()) throw Error(ErrorCode::kInvalidArgument, "empty resource path");

  if (starts_with(uri, kHfScheme)) {
    const std::optional<HfReference> ref = parse_hf_reference(uri);
    if (!ref) {
      throw Error(ErrorCode::kInvalidArgument,
                  "malformed Hugging Face reference '" + uri +
                      "': expected hf://org/repo/path/in/repo or hf://org/repo/path@revision");
    }
    const HubEnvironment env = hub_environment();
    if (env.offline) {
      const CacheLookup lookup = look_up(*ref);
      if (lookup.problem.empty() && file_exists(lookup.path)) return lookup.path.string();
      fail_not_cached(uri, lookup);
    }
    return hub_download(*ref, env, options);
  }

  if (starts_with(uri, "http://") || starts_with(uri, "https://")) return fetch_url(uri, options);

  std::string path = uri;
  if (starts_with(uri, "file:")) {
    GError* error = nullptr;
    gchar* host = nullptr;
    gchar* filename = g_filename_from_uri(uri.c_str(), &host, &error);
    // A file on another host is not a local file, whatever its path says.
    const bool remote = host != nullptr && g_strcmp0(host, "localhost") != 0;
    g_free(host);
    if (filename == nullptr || remote) {
      const std::string why = error != nullptr ? error->message : "it names another host";
      g_clear_error(&error);
      g_free(filename);
      throw Error(ErrorCode::kInvalidArgument, "cannot use '" + uri + "': " + why);
    }
    path = filename;
    g_free(filename);
  }
  if (!file_exists(path)) throw Error(ErrorCode::kNotFound, "file not found: " + path);
  return path;
}

}  // namespace pockettts
