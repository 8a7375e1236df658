// Plain http(s):// files (voices, configs) in a cache folder of our own:
//   $XDG_CACHE_HOME/pockettts/urls/<sha256 of the URL>/<the URL's file name>
// The file name is kept because readers look at it (".safetensors" voices, the audio decoder's
// type guess). A cached URL is used as it is, online or not: delete its folder to fetch it again.
#pragma once

#include <string>

#include <pockettts/download.h>

namespace pockettts {

// $XDG_CACHE_HOME/pockettts, else ~/.cache/pockettts.
std::string pockettts_cache_dir();

// Where `url` is (or would be) cached.
std::string url_cache_path(const std::string& url);

// The local copy of `url`, downloaded when missing (never when HF_HUB_OFFLINE is set: then a
// missing copy is Error(kNotFound) saying offline mode is on). Errors as download_verified.
std::string fetch_url(const std::string& url, const DownloadOptions& options = {});

}  // namespace pockettts
