#include "resources/hub_download.h"

#include <glib.h>

#include <filesystem>
#include <optional>
#include <system_error>

#include <pockettts/error.h>
#include "common/log.h"
#include "resources/file_lock.h"
#include "resources/http_client.h"
#include "resources/hub_cache.h"
#include "resources/partial_file.h"
#include "resources/verified_download.h"

namespace fs = std::filesystem;

namespace pockettts {
namespace {

// What the HEAD of a file on the hub says about it.
struct HubFileMetadata {
  std::string commit;        // X-Repo-Commit
  std::string etag;          // X-Linked-Etag or ETag, normalised: the blob's name
  uint64_t size = 0;         // X-Linked-Size or Content-Length
  std::string download_url;  // the storage host's URL for large files, else the hub's
};

std::string escaped(const std::string& text, const char* keep) {
  gchar* out = g_uri_escape_string(text.c_str(), keep, FALSE);
  std::string result = out;
  g_free(out);
  return result;
}

std::string reference_text(const HfReference& ref) {
  return "hf://" + ref.repo_id + "/" + ref.filename +
         (ref.revision == "main" ? "" : "@" + ref.revision);
}

// ETag: W/"abc" or "abc" -> abc.
std::string normalized_etag(std::string etag) {
  if (etag.rfind("W/", 0) == 0) etag.erase(0, 2);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return etag;
}

// A value from the server that becomes a file or folder name in the cache.
bool is_safe_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

bool is_sha256(const std::string& text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::optional<uint64_t> parse_size(const std::optional<std::string>& text) {
  if (!text || text->empty() || (*text)[0] == '-') return std::nullopt;
  char* end = nullptr;
  const unsigned long long value = g_ascii_strtoull(text->c_str(), &end, 10);
  if (*end != '\0') return std::nullopt;
  return value;
}

bool is_present(const fs::path& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

void add_token(HttpRequest& request, const HubEnvironment& env) {
  if (env.token) request.headers.set("Authorization", "Bearer " + *env.token);
}

// The hub's refusal, with what to do about it: gated repositories need their terms accepted
// on the repository's page and a token that proves it.
Error access_error(const Error& error, const HfReference& ref, const HubEnvironment& env) {
  return Error(ErrorCode::kPermissionDenied,
               std::string(error.what()) + ": " + ref.repo_id +
                   " is gated or private; accept its terms on " + env.endpoint + "/" + ref.repo_id +
                   ", then set HF_TOKEN or run `huggingface-cli login`" +
                   (env.token ? " (the token sent was refused)" : " (no token was sent)"));
}

HubFileMetadata fetch_metadata(HttpClient& client, const HfReference& ref,
                               const HubEnvironment& env) {
  HttpRequest head;
  head.method = "HEAD";
  head.url = hub_file_url(env.endpoint, ref);
  // Relative redirects (a renamed repository) are followed; the storage host's is not: its
  // Location is where the GET goes, and the hub's own headers describe the file.
  head.redirects = RedirectPolicy::kFollowSameHost;
  head.timeout_seconds = env.metadata_timeout;
  head.headers.set("Accept-Encoding", "identity");
  add_token(head, env);
  const HttpResponse response = client.send(head);
  const bool redirect = response.is_redirect() && !response.location.empty();
  if (!redirect && (response.status < 200 || response.status >= 300)) {
    const Error error = http_status_error(response, reference_text(ref));
    if (error.code() == ErrorCode::kPermissionDenied) throw access_error(error, ref, env);
    throw error;
  }

  HubFileMetadata meta;
  meta.commit = response.headers.get("X-Repo-Commit").value_or("");
  std::optional<std::string> etag = response.headers.get("X-Linked-Etag");
  if (!etag) etag = response.headers.get("ETag");
  meta.etag = normalized_etag(etag.value_or(""));
  std::optional<uint64_t> size = parse_size(response.headers.get("X-Linked-Size"));
  if (!size && !redirect) size = response.content_length();
  meta.download_url = redirect ? response.location : response.url;

  const std::string problem = !is_safe_name(meta.commit) ? "no usable X-Repo-Commit header"
                              : !is_safe_name(meta.etag) ? "no usable ETag"
                              : !size ? "no file size (X-Linked-Size or Content-Length)"
                                      : "";
  if (!problem.empty()) {
    throw Error(ErrorCode::kNetwork, reference_text(ref) + ": " + url_host(head.url) +
                                         " did not answer as a Hugging Face hub (" + problem +
                                         "); check HF_ENDPOINT and the proxy settings");
  }
  meta.size = *size;
  return meta;
}

void download_blob(HttpClient& client, const HfReference& ref, const HubEnvironment& env,
                   const HubFileMetadata& meta, const fs::path& blob,
                   const DownloadOptions& options) {
  HttpRequest get;
  get.url = meta.download_url;
  get.timeout_seconds = env.download_timeout;
  get.headers.set("Accept-Encoding", "identity");
  // The storage host gets a signed URL, never the user's token.
  if (url_origin(get.url) == url_origin(env.endpoint)) add_token(get, env);
  ExpectedContent expected;
  expected.size = meta.size;
  // LFS files are named by their sha256; smaller files by a git hash, not checked.
  if (is_sha256(meta.etag)) expected.sha256 = meta.etag;
  download_verified(client, get, blob, expected, ref.repo_id + "/" + ref.filename, options);
}

}  // namespace

std::string hub_file_url(const std::string& endpoint, const HfReference& ref) {
  return endpoint + "/" + ref.repo_id + "/resolve/" + escaped(ref.revision, "") + "/" +
         escaped(ref.filename, "/");
}

std::string hub_download(const HfReference& ref, const HubEnvironment& env,
                         const DownloadOptions& options) {
  const HubRepoCache cache(env.cache_dir, ref.repo_id);
  // A commit's files never change: once there, they are used without asking the hub.
  if (is_commit_hash(ref.revision)) {
    const fs::path pointer = cache.snapshot_file(ref.revision, ref.filename);
    if (is_present(pointer)) return pointer.string();
  }
  const std::optional<std::string> cached_commit = cache.commit_for(ref.revision);
  const std::optional<fs::path> cached =
      cached_commit && is_present(cache.snapshot_file(*cached_commit, ref.filename))
          ? std::optional<fs::path>(cache.snapshot_file(*cached_commit, ref.filename))
          : std::nullopt;
  if (env.offline) {
    if (cached) return cached->string();
    throw Error(ErrorCode::kNotFound, reference_text(ref) + " is not in the Hugging Face cache " +
                                          env.cache_dir +
                                          " and offline mode is on (HF_HUB_OFFLINE is set)");
  }

  HttpClient client;
  HubFileMetadata meta;
  try {
    meta = fetch_metadata(client, ref, env);
  } catch (const Error& error) {
    // A file the hub says does not exist is not served from an old copy (huggingface_hub
    // neither); any other failure is worked around by the copy of the revision in the cache.
    if (error.code() == ErrorCode::kNotFound || error.code() == ErrorCode::kCancelled) throw;
    if (cached) {
      log_info("using the cached " + cached->string() + ": " + error.what());
      return cached->string();
    }
    if (error.code() == ErrorCode::kPermissionDenied) throw;
    throw Error(error.code(), std::string(error.what()) + "; " + reference_text(ref) +
                                  " is not in the Hugging Face cache " + env.cache_dir + " either");
  }

  const fs::path pointer = cache.snapshot_file(meta.commit, ref.filename);
  if (is_present(pointer)) {
    try {
      cache.write_ref(ref.revision, meta.commit);
    } catch (const Error& error) {
      log_debug(std::string("not updating the cache's refs: ") + error.what());  // read-only
    }
    return pointer.string();
  }
  const fs::path blob = cache.blob(meta.etag);
  make_folders(blob.parent_path());
  cache.write_ref(ref.revision, meta.commit);
  {
    const FileLock lock(cache.lock_file(meta.etag));
    if (!is_present(blob)) download_blob(client, ref, env, meta, blob, options);
  }
  cache.link_snapshot(meta.commit, ref.filename, meta.etag);
  return pointer.string();
}

}  // namespace pockettts
