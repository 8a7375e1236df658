// An exclusive advisory lock on a file (flock), the lock huggingface_hub takes while it writes a
// blob: a second process or thread waits, then finds the blob there instead of downloading it
// again. Correctness does not depend on it (see partial_file.h); it saves the bandwidth.
#pragma once

#include <filesystem>

namespace pockettts {

class FileLock {
 public:
  // Creates the lock file (and its folder) if needed and waits for the lock.
  explicit FileLock(const std::filesystem::path& path);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace pockettts
