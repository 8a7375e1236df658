// Turning a resource reference into a local file: local paths, file:// URIs, hf:// references
// in the standard Hugging Face hub cache (downloaded when missing), http(s):// URLs in ours.
#pragma once

#include <optional>
#include <string>

#include <pockettts/download.h>

namespace pockettts {

// hf://org/repo/path/inside/repo@revision
struct HfReference {
  std::string repo_id;   // "org/repo"
  std::string filename;  // "path/inside/repo"
  std::string revision;  // commit hash, branch or tag; "main" when absent
};

std::optional<HfReference> parse_hf_reference(const std::string& uri);

// $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub (XDG_CACHE_HOME honoured).
std::string hf_hub_cache_dir();

// The cache path of `ref` if the file is present (refs/<branch> followed for branch names),
// else nullopt. Layout: <cache>/models--org--repo/snapshots/<commit>/<filename>.
std::optional<std::string> find_in_hf_cache(const HfReference& ref);

bool is_remote_reference(const std::string& uri);  // hf://, http://, https://

// Returns a local path for `uri`: a local path (checked to exist), file://, hf:// from the hub
// cache (see resources/hub_download.h), http(s):// from the URL cache (resources/url_cache.h);
// what is missing is downloaded unless HF_HUB_OFFLINE is set, reporting to `options.progress`.
// Throws Error: kNotFound saying where it looked (a 404 names the URL; offline mode says so),
// kPermissionDenied (401/403: gated or private), kNetwork (naming the host and the cause),
// kInvalidData (a download of the wrong size or sha256), kCancelled.
std::string resolve_resource(const std::string& uri, const DownloadOptions& options = {});

}  // namespace pockettts
