#include "load_progress.h"

#include <utility>

namespace pockettts_gst {

namespace {

std::string megabytes(uint64_t bytes) {
  gchar* text = g_strdup_printf("%.1f MB", static_cast<double>(bytes) / 1e6);
  std::string out = text;
  g_free(text);
  return out;
}

}  // namespace

LoadProgress::LoadProgress(GstElement* element, const char* code, std::string what)
    : element_(element), code_(code), what_(std::move(what)) {}

void LoadProgress::post(GstProgressType type, const std::string& text, int percent) {
  GstMessage* message = gst_message_new_progress(GST_OBJECT(element_), type, code_, text.c_str());
  if (percent >= 0)
    gst_structure_set(gst_message_writable_structure(message), "percent", G_TYPE_INT, percent,
                      nullptr);
  gst_element_post_message(element_, message);
}

void LoadProgress::start() { post(GST_PROGRESS_TYPE_START, "Loading " + what_, 0); }

pockettts::DownloadOptions LoadProgress::download_options(const std::atomic<bool>* cancel) {
  pockettts::DownloadOptions options;
  options.cancel = cancel;
  options.progress = [this](const pockettts::DownloadProgress& p) { on_download(p); };
  return options;
}

void LoadProgress::on_download(const pockettts::DownloadProgress& p) {
  using Stage = pockettts::DownloadProgress::Stage;
  const int percent =
      p.total && *p.total > 0 ? static_cast<int>(p.bytes * 100 / *p.total) : -1;
  std::string text = "Downloading " + p.file + ": " + megabytes(p.bytes);
  if (p.total) text += " of " + megabytes(*p.total);
  switch (p.stage) {
    case Stage::kStart:
      last_percent_ = -1;
      break;
    case Stage::kReceive:
      // One message per whole percent: a large file must not flood the bus.
      if (percent == last_percent_) return;
      break;
    case Stage::kDone:
      text = "Downloaded " + p.file + " (" + megabytes(p.bytes) + ")";
      break;
    case Stage::kFailed:
      text = "Download of " + p.file + " failed: " + p.error;
      break;
  }
  last_percent_ = percent;
  post(GST_PROGRESS_TYPE_CONTINUE, text, percent);
}

void LoadProgress::complete() { post(GST_PROGRESS_TYPE_COMPLETE, "Loaded " + what_, 100); }

void LoadProgress::error(const std::string& why) {
  post(GST_PROGRESS_TYPE_ERROR, "Could not load " + what_ + ": " + why, -1);
}

}  // namespace pockettts_gst
