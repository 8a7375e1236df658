#include "resources/hub_cache.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>

#include <pockettts/error.h>
#include "resources/partial_file.h"

namespace fs = std::filesystem;

namespace pockettts {

bool is_commit_hash(const std::string& revision) {
  if (revision.size() != 40) return false;
  for (char c : revision) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

HubRepoCache::HubRepoCache(const fs::path& cache_dir, const std::string& repo_id)
    : cache_dir_(cache_dir), folder_name_("models--" + repo_id) {
  for (size_t at = folder_name_.find('/'); at != std::string::npos;
       at = folder_name_.find('/', at)) {
    folder_name_.replace(at, 1, "--");
  }
  folder_ = cache_dir_ / folder_name_;
}

fs::path HubRepoCache::blob(const std::string& etag) const { return folder_ / "blobs" / etag; }

fs::path HubRepoCache::snapshot_file(const std::string& commit, const std::string& path) const {
  return folder_ / "snapshots" / commit / path;
}

fs::path HubRepoCache::ref_file(const std::string& revision) const {
  return folder_ / "refs" / revision;
}

fs::path HubRepoCache::lock_file(const std::string& etag) const {
  return cache_dir_ / ".locks" / folder_name_ / (etag + ".lock");
}

std::optional<std::string> HubRepoCache::commit_for(const std::string& revision) const {
  if (is_commit_hash(revision)) return revision;
  std::ifstream in(ref_file(revision));
  std::string commit;
  if (!(in >> commit)) return std::nullopt;
  return commit;
}

void HubRepoCache::write_ref(const std::string& revision, const std::string& commit) const {
  if (revision == commit || commit_for(revision) == commit) return;
  const fs::path file = ref_file(revision);
  make_folders(file.parent_path());
  // Written whole then renamed, so a concurrent reader never sees a partial commit hash.
  PartialFile out(file);
  out.write(commit.data(), commit.size());
  out.commit();
}

void HubRepoCache::link_snapshot(const std::string& commit, const std::string& path,
                                 const std::string& etag) const {
  const fs::path pointer = snapshot_file(commit, path);
  make_folders(pointer.parent_path());
  // Relative, as huggingface_hub makes it: the cache folder can be moved or mounted elsewhere.
  const fs::path target = blob(etag).lexically_relative(pointer.parent_path());
  if (::symlink(target.c_str(), pointer.c_str()) == 0) return;
  const int error = errno;
  std::error_code ec;
  // Another process or thread linked the same file meanwhile.
  if (error == EEXIST && fs::read_symlink(pointer, ec) == target) return;
  throw Error(ErrorCode::kInternal, "cannot link " + pointer.string() + " to " + target.string() +
                                        ": " + std::strerror(error));
}

}  // namespace pockettts
