#include "resources/verified_download.h"

#include <glib.h>

#include <vector>

#include <pockettts/error.h>
#include "resources/partial_file.h"

namespace pockettts {
namespace {

constexpr size_t kChunkSize = 256 * 1024;

std::string bytes_text(uint64_t got, const std::optional<uint64_t>& total) {
  return std::to_string(got) + (total ? " of " + std::to_string(*total) : "") + " bytes";
}

class Sha256 {
 public:
  Sha256() : checksum_(g_checksum_new(G_CHECKSUM_SHA256)) {}
  ~Sha256() { g_checksum_free(checksum_); }
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const char* data, size_t size) {
    g_checksum_update(checksum_, reinterpret_cast<const guchar*>(data), static_cast<gssize>(size));
  }
  std::string hex() const { return g_checksum_get_string(checksum_); }

 private:
  GChecksum* checksum_;
};

}  // namespace

void download_verified(HttpClient& client, const HttpRequest& request,
                       const std::filesystem::path& destination, const ExpectedContent& expected,
                       const std::string& file, const DownloadOptions& options) {
  DownloadProgress progress;
  progress.file = file;
  progress.url = request.url;
  progress.total = expected.size;
  auto report = [&](DownloadProgress::Stage stage) {
    progress.stage = stage;
    if (options.progress) options.progress(progress);
  };
  report(DownloadProgress::Stage::kStart);
  try {
    HttpResponse response = client.send(request);
    if (response.status < 200 || response.status >= 300) {
      throw http_status_error(response, "cannot download " + file);
    }
    const std::optional<uint64_t> sent = response.content_length();
    progress.total = expected.size ? expected.size : sent;
    if (progress.total) report(DownloadProgress::Stage::kReceive);

    PartialFile out(destination);
    Sha256 sha256;
    std::vector<char> chunk(kChunkSize);
    while (true) {
      if (options.cancel != nullptr && options.cancel->load()) {
        throw Error(ErrorCode::kCancelled, "the download of " + file + " was cancelled");
      }
      size_t got = 0;
      try {
        got = response.read(chunk.data(), chunk.size());
      } catch (const Error& error) {
        if (error.code() != ErrorCode::kNetwork) throw;
        throw Error(ErrorCode::kNetwork, "the download of " + file + " was cut after " +
                                             bytes_text(out.size(), progress.total) + " (" +
                                             error.what() + ")");
      }
      if (got == 0) break;
      out.write(chunk.data(), got);
      if (!expected.sha256.empty()) sha256.update(chunk.data(), got);
      progress.bytes = out.size();
      report(DownloadProgress::Stage::kReceive);
    }
    // A server that closes early without saying so still announced how much it would send.
    if (sent && out.size() < *sent) {
      throw Error(ErrorCode::kNetwork, "the download of " + file + " was cut after " +
                                           bytes_text(out.size(), sent) + " from " +
                                           url_host(response.url));
    }
    if (expected.size && out.size() != *expected.size) {
      throw Error(ErrorCode::kInvalidData, "the download of " + file + " has the wrong size: got " +
                                               std::to_string(out.size()) + " bytes, expected " +
                                               std::to_string(*expected.size) + " (" +
                                               response.url + ")");
    }
    if (!expected.sha256.empty() && sha256.hex() != expected.sha256) {
      throw Error(ErrorCode::kInvalidData,
                  "the download of " + file + " is corrupt: its sha256 is " + sha256.hex() +
                      ", expected " + expected.sha256 + " (" + response.url + ")");
    }
    out.commit();
  } catch (const Error& error) {
    progress.error = error.what();
    report(DownloadProgress::Stage::kFailed);
    throw;
  }
  report(DownloadProgress::Stage::kDone);
}

}  // namespace pockettts
