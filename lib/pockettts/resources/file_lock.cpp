#include "resources/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include <pockettts/error.h>
#include "resources/partial_file.h"

namespace pockettts {

FileLock::FileLock(const std::filesystem::path& path) {
  make_folders(path.parent_path());
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd_ < 0) {
    throw Error(ErrorCode::kInternal,
                "cannot create the lock file " + path.string() + ": " + std::strerror(errno));
  }
  // Each open has its own lock, so two threads of one process exclude each other too.
  while (::flock(fd_, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    const int error = errno;
    ::close(fd_);
    fd_ = -1;
    // A file system without locks (some network mounts) still gets correct, atomic blobs.
    if (error == ENOLCK || error == EOPNOTSUPP) return;
    throw Error(ErrorCode::kInternal, "cannot lock " + path.string() + ": " + std::strerror(error));
  }
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the lock
}

}  // namespace pockettts
