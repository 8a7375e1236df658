#include "resources/partial_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <system_error>

#include <pockettts/error.h>

namespace fs = std::filesystem;

namespace pockettts {
namespace {

[[noreturn]] void fail(const std::string& what, const fs::path& path, int error) {
  std::string message = "cannot " + what + " " + path.string() + ": " + std::strerror(error);
  // A full disk (or quota, or file size limit) is the user's to fix: say how.
  if (error == ENOSPC || error == EDQUOT || error == EFBIG)
    message += " (no room for the download: free some space, or move the cache with HF_HUB_CACHE "
               "or HF_HOME for hub files, XDG_CACHE_HOME for URLs; nothing partial was kept)";
  throw Error(ErrorCode::kInternal, message);
}

std::string random_hex() {
  static thread_local std::mt19937 generator(std::random_device{}());
  char text[9];
  std::snprintf(text, sizeof text, "%08x", static_cast<unsigned>(generator()));
  return text;
}

}  // namespace

PartialFile::PartialFile(fs::path destination) : destination_(std::move(destination)) {
  for (int attempt = 0; fd_ < 0; ++attempt) {
    temporary_ = destination_;
    temporary_ += "." + random_hex() + ".incomplete";
    // 0666 through the umask, as any other file the user creates (mkstemp would give 0600).
    fd_ = ::open(temporary_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ < 0 && (errno != EEXIST || attempt > 16)) fail("create", temporary_, errno);
  }
}

PartialFile::~PartialFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temporary_.c_str());
}

void PartialFile::write(const char* data, size_t size) {
  while (size > 0) {
    const ssize_t written = ::write(fd_, data, size);
    if (written < 0) {
      if (errno == EINTR) continue;
      fail("write", temporary_, errno);
    }
    data += written;
    size -= static_cast<size_t>(written);
    size_ += static_cast<uint64_t>(written);
  }
}

void PartialFile::commit() {
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail("write", temporary_, errno);
  if (::rename(temporary_.c_str(), destination_.c_str()) != 0) {
    fail("move the download into place at", destination_, errno);
  }
  committed_ = true;
}

void make_folders(const fs::path& folder) {
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) fail("create the folder", folder, ec.value());
}

}  // namespace pockettts
