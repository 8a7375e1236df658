// A file written under a unique temporary name beside its destination and moved into place only
// when complete: readers never see half a file, and two writers of one destination (threads or
// processes) never mix their bytes; the last rename wins with a whole file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>

namespace pockettts {

class PartialFile {
 public:
  // Creates <destination>.<random>.incomplete; the destination's folder must exist.
  explicit PartialFile(std::filesystem::path destination);
  ~PartialFile();  // removes the temporary file unless committed
  PartialFile(const PartialFile&) = delete;
  PartialFile& operator=(const PartialFile&) = delete;

  void write(const char* data, size_t size);
  uint64_t size() const { return size_; }
  const std::filesystem::path& temporary_path() const { return temporary_; }

  // Closes the file and renames it over the destination.
  void commit();

 private:
  std::filesystem::path destination_;
  std::filesystem::path temporary_;
  int fd_ = -1;
  uint64_t size_ = 0;
  bool committed_ = false;
};

// Creates `folder` and its parents; Error(kInternal) naming it when that fails.
void make_folders(const std::filesystem::path& folder);

}  // namespace pockettts
