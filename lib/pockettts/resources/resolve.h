// Turning a resource reference into a local file: local paths, file:// URIs, and hf://
// references resolved in the standard Hugging Face hub cache.
#pragma once

#include <optional>
#include <string>

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

// Returns a local path for `uri`: a local path (checked to exist), file://, or hf:// found in
// the cache. Throws Error(kNotFound) saying where it looked, and Error(kUnsupported) for
// http(s):// until downloading is implemented.
std::string resolve_resource(const std::string& uri);

}  // namespace pockettts
