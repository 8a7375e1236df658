// The environment variables huggingface_hub reads, read the same way, so that one shell setup
// drives Python tools and pockettts alike.
#pragma once

#include <optional>
#include <string>

namespace pockettts {

struct HubEnvironment {
  std::string endpoint;   // HF_ENDPOINT, default https://huggingface.co (no trailing '/')
  std::string cache_dir;  // HF_HUB_CACHE, else HF_HOME/hub (see hf_hub_cache_dir())
  std::optional<std::string> token;  // HF_TOKEN, else the file huggingface-cli login writes
  bool offline = false;              // HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) is 1/ON/YES/TRUE
  double metadata_timeout = 10;      // HF_HUB_ETAG_TIMEOUT, seconds, for the HEAD of each file
  double download_timeout = 10;      // HF_HUB_DOWNLOAD_TIMEOUT, seconds, connecting and each read
};

HubEnvironment hub_environment();

// HF_HUB_OFFLINE as huggingface_hub reads it; the URL cache honours it too.
bool hub_offline();

// HF_HOME, else $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface ("~" expanded).
std::string hf_home();

// $HF_TOKEN_PATH, else $HF_HOME/token: where `huggingface-cli login` stores the token.
std::string hf_token_path();

}  // namespace pockettts
