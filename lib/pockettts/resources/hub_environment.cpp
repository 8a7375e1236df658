#include "resources/hub_environment.h"

#include <glib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/log.h"
#include "resources/resolve.h"

namespace fs = std::filesystem;

namespace pockettts {
namespace {

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

std::string expand_home(const std::string& path) {
  if (path == "~" || path.rfind("~/", 0) == 0) return g_get_home_dir() + path.substr(1);
  return path;
}

// As huggingface_hub's _is_true.
bool is_true(const std::string& value) {
  gchar* upper = g_ascii_strup(value.c_str(), -1);
  const std::string v = upper;
  g_free(upper);
  return v == "1" || v == "ON" || v == "YES" || v == "TRUE";
}

double seconds_from(const char* name, double fallback) {
  const std::string text = env_or_empty(name);
  if (text.empty()) return fallback;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (*end != '\0' || !(value > 0)) {
    log_warning(std::string(name) + "='" + text + "' is not a number of seconds; using " +
                std::to_string(fallback));
    return fallback;
  }
  return value;
}

std::string trimmed(const std::string& text) {
  const size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(" \t\r\n") - begin + 1);
}

std::optional<std::string> token_from_environment() {
  const std::string from_env = trimmed(env_or_empty("HF_TOKEN"));
  if (!from_env.empty()) return from_env;
  std::ifstream in(hf_token_path());
  std::ostringstream text;
  text << in.rdbuf();
  const std::string from_file = trimmed(text.str());
  if (!from_file.empty()) return from_file;
  return std::nullopt;
}

}  // namespace

bool hub_offline() {
  const std::string value = env_or_empty("HF_HUB_OFFLINE");
  return is_true(!value.empty() ? value : env_or_empty("TRANSFORMERS_OFFLINE"));
}

std::string hf_home() {
  const std::string home = env_or_empty("HF_HOME");
  if (!home.empty()) return expand_home(home);
  std::string cache = env_or_empty("XDG_CACHE_HOME");
  if (cache.empty()) cache = (fs::path(g_get_home_dir()) / ".cache").string();
  return (fs::path(expand_home(cache)) / "huggingface").string();
}

std::string hf_token_path() {
  const std::string path = env_or_empty("HF_TOKEN_PATH");
  if (!path.empty()) return expand_home(path);
  return (fs::path(hf_home()) / "token").string();
}

HubEnvironment hub_environment() {
  HubEnvironment env;
  env.endpoint = env_or_empty("HF_ENDPOINT");
  while (!env.endpoint.empty() && env.endpoint.back() == '/') env.endpoint.pop_back();
  if (env.endpoint.empty()) env.endpoint = "https://huggingface.co";
  env.cache_dir = hf_hub_cache_dir();
  env.token = token_from_environment();
  env.offline = hub_offline();
  env.metadata_timeout = seconds_from("HF_HUB_ETAG_TIMEOUT", 10);
  env.download_timeout = seconds_from("HF_HUB_DOWNLOAD_TIMEOUT", 10);
  return env;
}

}  // namespace pockettts
