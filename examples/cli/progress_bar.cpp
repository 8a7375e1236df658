#include "progress_bar.h"

#include <cmath>
#include <cstdio>
#include <iostream>

namespace pockettts_cli {

namespace {

using Clock = std::chrono::steady_clock;
using Stage = pockettts::DownloadProgress::Stage;

constexpr auto kRedrawInterval = std::chrono::milliseconds(100);

std::string format_duration(double seconds) {
  const long s = std::lround(seconds);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, s / 60 % 60);
  } else if (s >= 60) {
    std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%lds", s);
  }
  return buf;
}

}  // namespace

std::string format_bytes(double bytes) {
  char buf[32];
  if (bytes >= 1e9) {
    std::snprintf(buf, sizeof buf, "%.2f GB", bytes / 1e9);
  } else if (bytes >= 1e6) {
    std::snprintf(buf, sizeof buf, "%.1f MB", bytes / 1e6);
  } else if (bytes >= 1e3) {
    std::snprintf(buf, sizeof buf, "%.0f kB", bytes / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f B", bytes);
  }
  return buf;
}

ProgressBar::ProgressBar(bool quiet, bool terminal) : quiet_(quiet), terminal_(terminal) {}

pockettts::DownloadProgressCallback ProgressBar::callback() {
  return [this](const pockettts::DownloadProgress& progress) { report(progress); };
}

void ProgressBar::report(const pockettts::DownloadProgress& progress) {
  if (quiet_) return;
  const auto now = Clock::now();
  switch (progress.stage) {
    case Stage::kStart:
      started_ = now;
      last_draw_ = {};
      last_decile_ = -1;
      if (!terminal_) {
        std::cerr << "Downloading " << progress.file << " from " << progress.url
                  << (progress.total
                          ? " (" + format_bytes(static_cast<double>(*progress.total)) + ")"
                          : std::string())
                  << std::endl;
      }
      draw(progress, false);
      break;
    case Stage::kReceive:
      if (terminal_ && now - last_draw_ < kRedrawInterval) return;
      draw(progress, false);
      break;
    case Stage::kDone:
      draw(progress, true);
      break;
    case Stage::kFailed:
      if (terminal_) std::cerr << "\r\033[K";
      std::cerr << "Download of " << progress.file << " failed: " << progress.error << std::endl;
      break;
  }
}

void ProgressBar::draw(const pockettts::DownloadProgress& progress, bool final_line) {
  last_draw_ = Clock::now();
  const double seconds = std::chrono::duration<double>(last_draw_ - started_).count();
  const double rate = seconds > 0 ? static_cast<double>(progress.bytes) / seconds : 0.0;
  const double total = progress.total ? static_cast<double>(*progress.total) : 0.0;
  const double fraction = total > 0 ? std::min(1.0, progress.bytes / total) : 0.0;

  std::string line = progress.file + "  " + format_bytes(static_cast<double>(progress.bytes));
  if (total > 0) line += " / " + format_bytes(total);
  if (rate > 0) line += "  " + format_bytes(rate) + "/s";
  if (final_line) {
    line += "  done in " + format_duration(seconds);
  } else if (total > 0 && rate > 0) {
    line += "  " + format_duration((total - static_cast<double>(progress.bytes)) / rate) + " left";
  }

  if (terminal_) {
    std::string bar;
    if (total > 0) {
      constexpr int kWidth = 24;
      const int filled = static_cast<int>(fraction * kWidth);
      char percent[8];
      std::snprintf(percent, sizeof percent, "%3d%% ", static_cast<int>(fraction * 100));
      bar = std::string("[") + std::string(filled, '#') + std::string(kWidth - filled, '-') + "] " +
            percent;
    }
    std::cerr << "\r\033[K" << bar << line << (final_line ? "\n" : "") << std::flush;
    return;
  }
  // Plain lines: one per 10 % when the size is known, and the last one.
  const int decile = static_cast<int>(fraction * 10);
  if (final_line) {
    std::cerr << "Downloaded " << line << std::endl;
  } else if (total > 0 && decile > last_decile_ && decile < 10 && progress.bytes > 0) {
    std::cerr << "  " << decile * 10 << "%  " << line << std::endl;
  }
  last_decile_ = std::max(last_decile_, decile);
}

}  // namespace pockettts_cli
