// Download progress for the command line: a bar redrawn in place on a terminal (file, bytes,
// rate, time left), a few plain lines when stderr is a file or a pipe, nothing when quiet.
#pragma once

#include <chrono>
#include <string>

#include <pockettts/download.h>

namespace pockettts_cli {

class ProgressBar {
 public:
  // `terminal`: stderr is a terminal (isatty), so the bar may redraw its line.
  ProgressBar(bool quiet, bool terminal);
  // The callback to hand to pockettts::DownloadOptions::progress (keeps a pointer to this).
  pockettts::DownloadProgressCallback callback();
  void report(const pockettts::DownloadProgress& progress);

 private:
  void draw(const pockettts::DownloadProgress& progress, bool final_line);

  bool quiet_;
  bool terminal_;
  std::chrono::steady_clock::time_point started_{};
  std::chrono::steady_clock::time_point last_draw_{};
  int last_decile_ = -1;  // plain lines: one per 10 %
};

// "12.3 MB", "512 kB", "17 B".
std::string format_bytes(double bytes);

}  // namespace pockettts_cli
