// The layout huggingface_hub gives its cache, so that Python tools and pockettts share one copy:
//   <cache>/models--org--repo/blobs/<etag>                   the file's bytes
//   <cache>/models--org--repo/snapshots/<commit>/<path>      a relative symlink to the blob
//   <cache>/models--org--repo/refs/<branch or tag>           the commit it pointed at
//   <cache>/.locks/models--org--repo/<etag>.lock             held while the blob is written
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace pockettts {

// 40 lowercase hex digits: a revision that names a commit needs no refs/ file.
bool is_commit_hash(const std::string& revision);

class HubRepoCache {
 public:
  HubRepoCache(const std::filesystem::path& cache_dir, const std::string& repo_id);

  const std::filesystem::path& folder() const { return folder_; }
  std::filesystem::path blob(const std::string& etag) const;
  std::filesystem::path snapshot_file(const std::string& commit, const std::string& path) const;
  std::filesystem::path ref_file(const std::string& revision) const;
  std::filesystem::path lock_file(const std::string& etag) const;

  // The commit `revision` names: itself for a commit hash, else the content of refs/<revision>.
  std::optional<std::string> commit_for(const std::string& revision) const;

  // Records that `revision` (a branch or tag) points at `commit`, atomically; nothing for a
  // revision that is the commit itself or already points there.
  void write_ref(const std::string& revision, const std::string& commit) const;

  // snapshots/<commit>/<path> -> ../../blobs/<etag> (as many ".." as the path is deep).
  void link_snapshot(const std::string& commit, const std::string& path,
                     const std::string& etag) const;

 private:
  std::filesystem::path cache_dir_;
  std::string folder_name_;
  std::filesystem::path folder_;
};

}  // namespace pockettts
