// GST_MESSAGE_PROGRESS while the element loads its model or prepares its voice: start, continue
// (each download's bytes, with the percentage in the message's "percent" field), complete or
// error, so that an application can show what takes seconds (minutes with a first download).
#pragma once

#include <gst/gst.h>

#include <atomic>
#include <string>

#include <pockettts/download.h>

namespace pockettts_gst {

class LoadProgress {
 public:
  // `code` names the task in every message ("model", "voice"); `what` is said in its texts.
  LoadProgress(GstElement* element, const char* code, std::string what);
  void start();
  // Download options whose progress becomes CONTINUE messages (one per whole percent, and one
  // per file started and done) and whose downloads stop once `cancel` is set.
  pockettts::DownloadOptions download_options(const std::atomic<bool>* cancel);
  void complete();
  void error(const std::string& why);

 private:
  void post(GstProgressType type, const std::string& text, int percent);
  void on_download(const pockettts::DownloadProgress& progress);

  GstElement* const element_;
  const char* const code_;
  const std::string what_;
  int last_percent_ = -1;
};

}  // namespace pockettts_gst
