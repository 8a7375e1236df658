// Downloading a file of a Hugging Face hub repository into the cache, as huggingface_hub's
// hf_hub_download does (see hub_cache.h for the layout): a HEAD request for the metadata (commit,
// ETag, size; the redirect of large files to the storage host not followed), then a GET of the
// file into blobs/<etag> and a symlink under snapshots/<commit>/.
#pragma once

#include <string>

#include <pockettts/download.h>
#include "resources/hub_environment.h"
#include "resources/resolve.h"

namespace pockettts {

// The local path of `ref` (snapshots/<commit>/<path>), downloaded when missing. A commit revision
// already in the cache never touches the network; a branch or tag asks the hub which commit it
// names and falls back to refs/ when the hub cannot be reached. Never touches the network when
// `env.offline`. Errors: kNotFound (404, or offline and not cached: the message says offline mode
// is on), kPermissionDenied (401/403: gated or private; the message says how to get access),
// kNetwork (host unreachable, server error, transfer cut), kInvalidData (wrong size or sha256).
std::string hub_download(const HfReference& ref, const HubEnvironment& env,
                         const DownloadOptions& options = {});

// $HF_ENDPOINT/org/repo/resolve/<revision>/<path>, each part URL-escaped.
std::string hub_file_url(const std::string& endpoint, const HfReference& ref);

}  // namespace pockettts
