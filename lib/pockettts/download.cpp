// Fetching ahead of time: what `pockettts download` and applications preparing for offline use
// call. Loading does the same lazily (engine.cpp, engine/voice_prompt.cpp).
#include <pockettts/download.h>

#include <pockettts/error.h>
#include <pockettts/voices.h>

#include "common/log.h"
#include "formats/config.h"
#include "resources/resolve.h"

namespace pockettts {

std::string fetch_resource(const std::string& uri, const DownloadOptions& options) {
  return resolve_resource(uri, options);
}

std::vector<FetchedFile> download_model_files(const std::string& config,
                                              const DownloadOptions& options) {
  std::vector<FetchedFile> files;
  std::string config_path = config;
  if (is_remote_reference(config)) {
    config_path = resolve_resource(config, options);
    files.push_back({"config", config, config_path});
  }
  const Config c = load_config(config_path);
  if (!is_remote_reference(config)) files.push_back({"config", config, c.source});
  const std::string& tokenizer = c.flow_lm.lookup_table.tokenizer_path;
  files.push_back({"tokenizer", tokenizer, resolve_resource(tokenizer, options)});
  if (c.weights_path) {
    try {
      files.push_back({"weights", *c.weights_path, resolve_resource(*c.weights_path, options)});
    } catch (const Error& error) {
      // As loading does: gated weights that are refused leave the public ones.
      if (error.code() != ErrorCode::kPermissionDenied || !c.weights_path_without_voice_cloning)
        throw;
      log_info(std::string("skipping the weights with voice cloning: ") + error.what());
    }
  }
  if (c.weights_path_without_voice_cloning) {
    const std::string& ref = *c.weights_path_without_voice_cloning;
    files.push_back({"weights without voice cloning", ref, resolve_resource(ref, options)});
  }
  return files;
}

FetchedFile download_voice(const std::string& voice, const DownloadOptions& options) {
  return download_voice(voice, "b6369a24", options);
}

FetchedFile download_voice(const std::string& voice, const std::string& model_pack,
                           const DownloadOptions& options) {
  const std::string reference = is_predefined_voice(model_pack, voice)
                                    ? predefined_voice_reference(model_pack, voice)
                                    : voice;
  if (!is_remote_reference(reference)) {
    throw Error(ErrorCode::kInvalidArgument,
                "'" + voice + "' is neither a predefined voice of " + model_pack + " (" +
                    predefined_voice_list(model_pack) +
                    ") nor an hf://, http:// or https:// URL: there is nothing to download");
  }
  return {"voice", reference, resolve_resource(reference, options)};
}

}  // namespace pockettts
