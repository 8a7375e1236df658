// Downloads from a Hugging Face hub on loopback (test_hub.h) into the cache exactly as
// huggingface_hub lays it out, and of plain http:// URLs into our own cache: offline use, hub
// errors, the token kept from the storage host, transfers that fail half-way, concurrency,
// progress. Standard headers first: check.h defines a `fail` macro that breaks <ios> included after
// it.
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "test_hub.h"

#include <pockettts/error.h>
#include "resources/http_client.h"
#include "resources/partial_file.h"
#include "resources/resolve.h"
#include "resources/url_cache.h"

namespace fs = std::filesystem;

using pockettts::DownloadOptions;
using pockettts::DownloadProgress;
using pockettts::Error;
using pockettts::ErrorCode;
using namespace pockettts_test;

namespace {

constexpr const char* kCommit = TestHub::kCommit;

// A large file's bytes: enough chunks to report progress more than once.
std::string large_content() {
  std::string content(600 * 1024, '\0');
  for (size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>((i * 131) % 251);
  return content;
}

// A hub serving org/repo with a small config, a nested small file and a large weights file.
struct Fixture {
  TestHub hub;
  std::string root;
  std::string cache;  // $HF_HOME/hub
  std::string repo;   // cache/models--org--repo

  Fixture() {
    root = make_temp_dir();
    cache = root + "/hf-home/hub";
    repo = cache + "/models--org--repo";
    setenv("HF_HOME", (root + "/hf-home").c_str(), 1);
    setenv("XDG_CACHE_HOME", (root + "/xdg").c_str(), 1);
    setenv("HF_ENDPOINT", hub.endpoint().c_str(), 1);
    setenv("HF_HUB_OFFLINE", "0", 1);  // meson test sets it for every other suite
    setenv("HF_HUB_ETAG_TIMEOUT", "5", 1);
    setenv("HF_HUB_DOWNLOAD_TIMEOUT", "5", 1);
    for (const char* name : {"HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_TOKEN", "HF_TOKEN_PATH",
                             "TRANSFORMERS_OFFLINE", "http_proxy", "https_proxy", "all_proxy",
                             "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"}) {
      unsetenv(name);
    }
    setenv("no_proxy", "127.0.0.1,127.0.0.2", 1);
    hub.add("org/repo/config.yaml", "weights_path: weights.safetensors\n");
    hub.add("org/repo/voices/en/alba.safetensors", "a small voice");
    hub.add("org/repo/weights.safetensors", large_content(), true);
  }
};

std::string error_of(const std::string& uri, ErrorCode code, const DownloadOptions& options = {}) {
  try {
    pockettts::resolve_resource(uri, options);
  } catch (const Error& e) {
    ck_assert_msg(e.code() == code, "%s: error code %d, expected %d: %s", uri.c_str(),
                  static_cast<int>(e.code()), static_cast<int>(code), e.what());
    std::printf("  %s -> %s\n", uri.c_str(), e.what());
    return e.what();
  }
  ck_abort_msg("'%s' resolved", uri.c_str());
  return "";
}

void assert_contains(const std::string& text, const std::string& part) {
  ck_assert_msg(text.find(part) != std::string::npos, "'%s' not found in '%s'", part.c_str(),
                text.c_str());
}

bool is_symlink(const std::string& path) {
  std::error_code ec;
  return fs::is_symlink(fs::symlink_status(path, ec));
}

bool exists(const std::string& path) {
  std::error_code ec;
  return fs::exists(fs::symlink_status(path, ec));
}

// Nothing but finished blobs in the folder: no temporary file left behind.
std::vector<std::string> files_in(const std::string& folder) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    names.push_back(entry.path().filename().string());
  }
  return names;
}

}  // namespace

START_TEST(test_downloads_into_empty_cache_as_huggingface_hub_does) {
  Fixture f;
  const HubFile config = f.hub.file("org/repo/config.yaml");
  const HubFile voice = f.hub.file("org/repo/voices/en/alba.safetensors");
  const HubFile weights = f.hub.file("org/repo/weights.safetensors");
  const std::string snapshot = f.repo + "/snapshots/" + kCommit;

  ASSERT_STR_EQ(pockettts::resolve_resource("hf://org/repo/config.yaml"),
                snapshot + "/config.yaml");
  ASSERT_STR_EQ(pockettts::resolve_resource("hf://org/repo/voices/en/alba.safetensors"),
                snapshot + "/voices/en/alba.safetensors");
  ASSERT_STR_EQ(pockettts::resolve_resource("hf://org/repo/weights.safetensors"),
                snapshot + "/weights.safetensors");

  // blobs/<etag>: the git hash for small files, the sha256 for LFS ones.
  ASSERT_STR_EQ(read_text_file(f.repo + "/blobs/" + config.git_hash()), config.content);
  ASSERT_STR_EQ(read_text_file(f.repo + "/blobs/" + voice.git_hash()), voice.content);
  ck_assert(read_text_file(f.repo + "/blobs/" + weights.sha256()) == weights.content);
  ck_assert_int_eq(files_in(f.repo + "/blobs").size(), 3);
  // snapshots/<commit>/<path>: relative symlinks, as deep as the path.
  ck_assert(is_symlink(snapshot + "/config.yaml"));
  ASSERT_STR_EQ(fs::read_symlink(snapshot + "/config.yaml").string(),
                "../../blobs/" + config.git_hash());
  ASSERT_STR_EQ(fs::read_symlink(snapshot + "/voices/en/alba.safetensors").string(),
                "../../../../blobs/" + voice.git_hash());
  ASSERT_STR_EQ(fs::read_symlink(snapshot + "/weights.safetensors").string(),
                "../../blobs/" + weights.sha256());
  ck_assert(read_text_file(snapshot + "/weights.safetensors") == weights.content);
  // refs/main: the commit the hub named, nothing else.
  ASSERT_STR_EQ(read_text_file(f.repo + "/refs/main"), kCommit);
  ck_assert_int_eq(files_in(f.repo + "/refs").size(), 1);
  // huggingface_hub's lock files, left in place as it leaves them.
  ck_assert(exists(f.cache + "/.locks/models--org--repo/" + weights.sha256() + ".lock"));
  // The large file's HEAD did not follow the redirect; only its GET went to the storage host.
  ck_assert_int_eq(f.hub.storage().count("HEAD"), 0);
  ck_assert_int_eq(f.hub.storage().count("GET"), 1);
}
END_TEST

START_TEST(test_cached_files_are_used_offline_with_the_hub_stopped) {
  Fixture f;
  const std::string path = pockettts::resolve_resource("hf://org/repo/weights.safetensors");
  const std::string config = pockettts::resolve_resource("hf://org/repo/config.yaml");
  const std::string pinned = pockettts::resolve_resource(
      "hf://org/repo/voices/en/alba.safetensors@" + std::string(kCommit));
  f.hub.stop();
  setenv("HF_HUB_OFFLINE", "1", 1);
  ASSERT_STR_EQ(pockettts::resolve_resource("hf://org/repo/weights.safetensors"), path);
  ASSERT_STR_EQ(pockettts::resolve_resource("hf://org/repo/config.yaml@main"), config);
  ASSERT_STR_EQ(pockettts::resolve_resource("hf://org/repo/voices/en/alba.safetensors@" +
                                            std::string(kCommit)),
                pinned);
  // Online with the hub unreachable, a branch falls back to its commit in refs/.
  setenv("HF_HUB_OFFLINE", "0", 1);
  ASSERT_STR_EQ(pockettts::resolve_resource("hf://org/repo/weights.safetensors"), path);
}
END_TEST

START_TEST(test_cached_commit_never_touches_the_network) {
  Fixture f;
  const std::string uri = "hf://org/repo/config.yaml@" + std::string(kCommit);
  const std::string path = pockettts::resolve_resource(uri);
  const size_t requests = f.hub.hub().requests().size();
  ASSERT_STR_EQ(pockettts::resolve_resource(uri), path);
  ck_assert_int_eq(f.hub.hub().requests().size(), requests);
  // A branch asks the hub which commit it names (it may have moved), as huggingface_hub does.
  pockettts::resolve_resource("hf://org/repo/config.yaml");
  ck_assert_int_eq(f.hub.hub().requests().size(), requests + 1);
  // The commit revision wrote no refs/ file.
  ck_assert(!exists(f.repo + "/refs/" + kCommit));
}
END_TEST

START_TEST(test_offline_with_empty_cache_says_offline_mode_is_on) {
  Fixture f;
  setenv("HF_HUB_OFFLINE", "1", 1);
  const std::string message = error_of("hf://org/repo/config.yaml", ErrorCode::kNotFound);
  assert_contains(message, "offline mode is on");
  assert_contains(message, f.repo + "/refs/main");
  assert_contains(error_of("http://127.0.0.1:9/voice.wav", ErrorCode::kNotFound),
                  "offline mode is on");
  ck_assert_int_eq(f.hub.hub().requests().size(), 0);
}
END_TEST

START_TEST(test_missing_file_is_not_found_naming_the_url) {
  Fixture f;
  const std::string message = error_of("hf://org/repo/absent.bin", ErrorCode::kNotFound);
  assert_contains(message, f.hub.endpoint() + "/org/repo/resolve/main/absent.bin");
  assert_contains(message, "404");
  error_of("hf://org/repo/config.yaml@v9", ErrorCode::kNotFound);  // unknown revision
  error_of(f.hub.endpoint() + "/nothing/here.wav", ErrorCode::kNotFound);
}
END_TEST

START_TEST(test_gated_repository_is_permission_denied_with_how_to_get_access) {
  Fixture f;
  f.hub.add("org/gated/weights.safetensors", "w", true);
  for (int status : {401, 403}) {
    f.hub.set_status("org/gated/weights.safetensors", status);
    const std::string message =
        error_of("hf://org/gated/weights.safetensors", ErrorCode::kPermissionDenied);
    assert_contains(message, std::to_string(status));
    assert_contains(message, "is restricted");  // the hub's X-Error-Message
    assert_contains(message, f.hub.endpoint() + "/org/gated");
    assert_contains(message, "HF_TOKEN");
    assert_contains(message, "huggingface-cli login");
  }
}
END_TEST

START_TEST(test_token_goes_to_the_hub_and_never_to_the_storage_host) {
  Fixture f;
  setenv("HF_TOKEN", "hf_secret", 1);
  pockettts::resolve_resource("hf://org/repo/weights.safetensors");
  pockettts::resolve_resource("hf://org/repo/config.yaml");
  for (const auto& request : f.hub.hub().requests()) {
    ASSERT_STR_EQ(request.headers.at("authorization"), "Bearer hf_secret");
  }
  ck_assert_int_eq(f.hub.storage().requests().size(), 1);
  for (const auto& request : f.hub.storage().requests()) {
    ck_assert_msg(!request.has("authorization"), "the storage host got the token");
  }
  // Without HF_TOKEN, the file `huggingface-cli login` writes.
  unsetenv("HF_TOKEN");
  write_bytes(f.root + "/hf-home/token", "hf_from_login\n");
  pockettts::resolve_resource("hf://org/repo/config.yaml");
  ASSERT_STR_EQ(f.hub.hub().requests().back().headers.at("authorization"), "Bearer hf_from_login");
}
END_TEST

START_TEST(test_renamed_repository_is_followed_with_the_token) {
  Fixture f;
  setenv("HF_TOKEN", "hf_secret", 1);
  f.hub.rename("org/old-name", "org/repo");
  const std::string path = pockettts::resolve_resource("hf://org/old-name/weights.safetensors");
  // Stored under the name asked for, as huggingface_hub does.
  ASSERT_STR_EQ(path,
                f.cache + "/models--org--old-name/snapshots/" + kCommit + "/weights.safetensors");
  ck_assert(read_text_file(path) == large_content());
  const auto requests = f.hub.hub().requests();
  ck_assert_int_eq(requests.size(), 2);  // HEAD old name -> 307 -> HEAD new name
  ASSERT_STR_EQ(requests[1].path, "/org/repo/resolve/main/weights.safetensors");
  ASSERT_STR_EQ(requests[1].headers.at("authorization"), "Bearer hf_secret");
}
END_TEST

START_TEST(test_client_drops_authorization_on_a_redirect_to_another_host) {
  Fixture f;
  pockettts::HttpClient client;
  pockettts::HttpRequest request;
  request.url = f.hub.endpoint() + "/org/repo/resolve/main/weights.safetensors";
  request.headers.set("Authorization", "Bearer hf_secret");
  pockettts::HttpResponse response = client.send(request);
  ck_assert_int_eq(response.status, 200);
  assert_contains(response.url, f.hub.storage().url());
  ck_assert_int_eq(*response.content_length(), large_content().size());
  ASSERT_STR_EQ(f.hub.hub().requests().at(0).headers.at("authorization"), "Bearer hf_secret");
  ck_assert(!f.hub.storage().requests().at(0).has("authorization"));
  // Without following, the redirect itself comes back, its Location made absolute.
  request.redirects = pockettts::RedirectPolicy::kNone;
  response = client.send(request);
  ck_assert_int_eq(response.status, 302);
  assert_contains(response.location, f.hub.storage().url() + "/blobs/");
}
END_TEST

START_TEST(test_no_token_sends_no_authorization) {
  Fixture f;
  pockettts::resolve_resource("hf://org/repo/config.yaml");
  ck_assert(!f.hub.hub().requests().back().has("authorization"));
}
END_TEST

START_TEST(test_transfer_cut_mid_body_leaves_nothing_in_place) {
  for (const char* key : {"org/repo/weights.safetensors", "org/repo/config.yaml"}) {
    Fixture f;
    f.hub.set_fault(key, Fault::kCutBody);
    const HubFile file = f.hub.file(key);
    const std::string name = std::string(key).substr(9);
    const std::string message = error_of("hf://org/repo/" + name, ErrorCode::kNetwork);
    assert_contains(message, "was cut after " + std::to_string(file.content.size() / 2) + " of " +
                                 std::to_string(file.content.size()) + " bytes");
    ck_assert(!exists(f.repo + "/snapshots/" + kCommit + "/" + name));
    ck_assert_msg(files_in(f.repo + "/blobs").empty(), "a partial blob was left: %s",
                  files_in(f.repo + "/blobs")[0].c_str());
  }
}
END_TEST

// The cache's disk full mid-download (a file size limit stands for it: writes past it fail with
// EFBIG as they would with ENOSPC): an error that says what to do, nothing left in the cache, not
// even the temporary file.
START_TEST(test_full_disk_leaves_nothing_and_says_so) {
  Fixture f;
  std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit old_limit;
  ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  struct rlimit limit = old_limit;
  limit.rlim_cur = 256 * 1024;  // less than the 600 KiB weights
  ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &limit), 0);
  const std::string message = error_of("hf://org/repo/weights.safetensors", ErrorCode::kInternal);
  ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old_limit), 0);
  assert_contains(message, "no room for the download");
  assert_contains(message, "HF_HUB_CACHE");
  ck_assert(!exists(f.repo + "/snapshots/" + kCommit + "/weights.safetensors"));
  ck_assert_msg(files_in(f.repo + "/blobs").empty(), "a partial blob was left: %s",
                files_in(f.repo + "/blobs")[0].c_str());
  // With room again, the same download completes.
  pockettts::resolve_resource("hf://org/repo/weights.safetensors", {});
  ck_assert(exists(f.repo + "/snapshots/" + kCommit + "/weights.safetensors"));
}
END_TEST

START_TEST(test_wrong_size_is_rejected) {
  Fixture f;
  f.hub.set_fault("org/repo/weights.safetensors", Fault::kWrongSize);
  const std::string message =
      error_of("hf://org/repo/weights.safetensors", ErrorCode::kInvalidData);
  assert_contains(message, "wrong size");
  assert_contains(message, std::to_string(large_content().size() + 3));
  ck_assert(files_in(f.repo + "/blobs").empty());
  ck_assert(!exists(f.repo + "/snapshots/" + kCommit + "/weights.safetensors"));
}
END_TEST

START_TEST(test_wrong_sha256_is_rejected) {
  Fixture f;
  f.hub.set_fault("org/repo/weights.safetensors", Fault::kWrongContent);
  const std::string message =
      error_of("hf://org/repo/weights.safetensors", ErrorCode::kInvalidData);
  assert_contains(message, "sha256");
  assert_contains(message, f.hub.file("org/repo/weights.safetensors").sha256());
  ck_assert(files_in(f.repo + "/blobs").empty());
}
END_TEST

START_TEST(test_endless_redirects_are_bounded) {
  Fixture f;
  f.hub.set_fault("org/repo/weights.safetensors", Fault::kRedirectLoop);
  assert_contains(error_of("hf://org/repo/weights.safetensors", ErrorCode::kNetwork),
                  "too many redirects");
  ck_assert_int_le(f.hub.storage().requests().size(), 11);
}
END_TEST

START_TEST(test_unreachable_hub_names_host_and_cause) {
  Fixture f;
  const std::string host = f.hub.endpoint().substr(7);  // 127.0.0.1:port
  f.hub.stop();
  const std::string message = error_of("hf://org/repo/config.yaml", ErrorCode::kNetwork);
  assert_contains(message, host);
  assert_contains(message, "refused");
  assert_contains(message, "not in the Hugging Face cache");
}
END_TEST

START_TEST(test_silent_hub_times_out) {
  Fixture f;
  setenv("HF_HUB_ETAG_TIMEOUT", "1", 1);
  f.hub.set_fault("org/repo/config.yaml", Fault::kSilent);
  const auto start = std::chrono::steady_clock::now();
  const std::string message = error_of("hf://org/repo/config.yaml", ErrorCode::kNetwork);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ck_assert_msg(seconds < 4, "took %.1f s", seconds);
  assert_contains(message, f.hub.endpoint().substr(7));
}
END_TEST

START_TEST(test_server_error_falls_back_to_the_cached_branch) {
  Fixture f;
  const std::string path = pockettts::resolve_resource("hf://org/repo/config.yaml");
  f.hub.set_status("org/repo/config.yaml", 500);
  ASSERT_STR_EQ(pockettts::resolve_resource("hf://org/repo/config.yaml"), path);
  // Access withdrawn since: the copy in the cache is still used, as huggingface_hub does.
  f.hub.set_status("org/repo/config.yaml", 401);
  ASSERT_STR_EQ(pockettts::resolve_resource("hf://org/repo/config.yaml"), path);
  f.hub.set_status("org/repo/voices/en/alba.safetensors", 503);
  assert_contains(error_of("hf://org/repo/voices/en/alba.safetensors", ErrorCode::kNetwork),
                  "HTTP 503");
}
END_TEST

START_TEST(test_concurrent_downloads_of_one_file_give_one_whole_blob) {
  Fixture f;
  const HubFile weights = f.hub.file("org/repo/weights.safetensors");
  std::vector<std::string> paths(4);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (size_t i = 0; i < paths.size(); ++i) {
    threads.emplace_back([&, i] {
      try {
        paths[i] = pockettts::resolve_resource("hf://org/repo/weights.safetensors");
      } catch (const Error&) {
        ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  ck_assert_int_eq(failures.load(), 0);
  for (const auto& path : paths) ASSERT_STR_EQ(path, paths[0]);
  ck_assert(read_text_file(paths[0]) == weights.content);
  ck_assert_int_eq(files_in(f.repo + "/blobs").size(), 1);
  // The lock made the others wait for the first download instead of repeating it.
  ck_assert_int_eq(f.hub.storage().count("GET"), 1);
}
END_TEST

START_TEST(test_two_writers_of_one_destination_never_mix) {
  const std::string dir = make_temp_dir();
  const fs::path destination = dir + "/blob";
  pockettts::PartialFile first(destination);
  pockettts::PartialFile second(destination);
  ck_assert(first.temporary_path() != second.temporary_path());
  first.write("aaaa", 4);
  second.write("bbbbbb", 6);
  first.write("aaaa", 4);
  second.commit();
  ASSERT_STR_EQ(read_text_file(destination), "bbbbbb");
  first.commit();
  ASSERT_STR_EQ(read_text_file(destination), "aaaaaaaa");
  {
    pockettts::PartialFile abandoned(destination);
    abandoned.write("c", 1);
  }
  ASSERT_STR_EQ(read_text_file(destination), "aaaaaaaa");
  ck_assert_int_eq(files_in(dir).size(), 1);
}
END_TEST

START_TEST(test_http_url_goes_to_the_pockettts_cache) {
  Fixture f;
  f.hub.add("org/repo/voices/expresso/ex01.wav", "RIFF....WAVE");
  const std::string url = f.hub.endpoint() + "/org/repo/resolve/main/voices/expresso/ex01.wav";
  const std::string path = pockettts::resolve_resource(url);
  ASSERT_STR_EQ(path, pockettts::url_cache_path(url));
  assert_contains(path, f.root + "/xdg/pockettts/urls/");
  ASSERT_STR_EQ(fs::path(path).filename().string(), "ex01.wav");  // the extension is kept
  ASSERT_STR_EQ(read_text_file(path), "RIFF....WAVE");
  ck_assert(files_in(fs::path(path).parent_path().string()).size() == 1);
  // Another URL of the same file name gets its own folder.
  ck_assert(pockettts::url_cache_path(url + "?v=2") != path);
  // A cached URL is used as is, offline or with the server gone.
  f.hub.stop();
  ASSERT_STR_EQ(pockettts::resolve_resource(url), path);
  setenv("HF_HUB_OFFLINE", "1", 1);
  ASSERT_STR_EQ(pockettts::resolve_resource(url), path);
}
END_TEST

START_TEST(test_http_url_follows_redirects_and_checks_errors) {
  Fixture f;
  // The hub's URL of a large file redirects to the storage host, which serves it.
  const std::string url = f.hub.endpoint() + "/org/repo/resolve/main/weights.safetensors";
  const std::string path = pockettts::resolve_resource(url);
  ck_assert(read_text_file(path) == large_content());
  ASSERT_STR_EQ(fs::path(path).filename().string(), "weights.safetensors");

  f.hub.set_fault("org/repo/config.yaml", Fault::kCutBody);
  const std::string cut = f.hub.endpoint() + "/org/repo/resolve/main/config.yaml";
  assert_contains(error_of(cut, ErrorCode::kNetwork), "was cut");
  ck_assert(!exists(pockettts::url_cache_path(cut)));
  ck_assert(files_in(fs::path(pockettts::url_cache_path(cut)).parent_path().string()).empty());
}
END_TEST

START_TEST(test_progress_reports_start_bytes_and_done) {
  Fixture f;
  std::vector<DownloadProgress> events;
  DownloadOptions options;
  options.progress = [&](const DownloadProgress& p) { events.push_back(p); };
  pockettts::resolve_resource("hf://org/repo/weights.safetensors", options);
  const uint64_t size = large_content().size();
  ck_assert_int_ge(events.size(), 4);  // start, several chunks, done
  ck_assert(events.front().stage == DownloadProgress::Stage::kStart);
  ck_assert(events.back().stage == DownloadProgress::Stage::kDone);
  ASSERT_STR_EQ(events.front().file, "org/repo/weights.safetensors");
  ck_assert(events.front().total.has_value() && *events.front().total == size);
  assert_contains(events.front().url, f.hub.storage().url());
  uint64_t previous = 0;
  for (size_t i = 1; i + 1 < events.size(); ++i) {
    ck_assert(events[i].stage == DownloadProgress::Stage::kReceive);
    ck_assert(events[i].total.has_value() && *events[i].total == size);
    ck_assert_int_ge(events[i].bytes, previous);
    previous = events[i].bytes;
  }
  ck_assert_int_eq(events.back().bytes, size);

  // A file in the cache reports nothing; a failed one says why.
  events.clear();
  pockettts::resolve_resource("hf://org/repo/weights.safetensors", options);
  ck_assert_int_eq(events.size(), 0);
  f.hub.set_fault("org/repo/config.yaml", Fault::kCutBody);
  error_of("hf://org/repo/config.yaml", ErrorCode::kNetwork, options);
  ck_assert(events.back().stage == DownloadProgress::Stage::kFailed);
  assert_contains(events.back().error, "was cut");
}
END_TEST

START_TEST(test_cancel_stops_a_download) {
  Fixture f;
  std::atomic<bool> cancel{false};
  DownloadOptions options;
  options.cancel = &cancel;
  options.progress = [&](const DownloadProgress& p) {
    if (p.bytes > 0) cancel = true;
  };
  error_of("hf://org/repo/weights.safetensors", ErrorCode::kCancelled, options);
  ck_assert(files_in(f.repo + "/blobs").empty());
}
END_TEST

int main() {
  Suite* suite = suite_create("hub_download");
  TCase* hub = tcase_create("hub");
  tcase_set_timeout(hub, 60);
  tcase_add_test(hub, test_downloads_into_empty_cache_as_huggingface_hub_does);
  tcase_add_test(hub, test_cached_files_are_used_offline_with_the_hub_stopped);
  tcase_add_test(hub, test_cached_commit_never_touches_the_network);
  tcase_add_test(hub, test_offline_with_empty_cache_says_offline_mode_is_on);
  tcase_add_test(hub, test_missing_file_is_not_found_naming_the_url);
  tcase_add_test(hub, test_gated_repository_is_permission_denied_with_how_to_get_access);
  tcase_add_test(hub, test_token_goes_to_the_hub_and_never_to_the_storage_host);
  tcase_add_test(hub, test_no_token_sends_no_authorization);
  tcase_add_test(hub, test_renamed_repository_is_followed_with_the_token);
  tcase_add_test(hub, test_client_drops_authorization_on_a_redirect_to_another_host);
  suite_add_tcase(suite, hub);
  TCase* integrity = tcase_create("integrity");
  tcase_set_timeout(integrity, 60);
  tcase_add_test(integrity, test_transfer_cut_mid_body_leaves_nothing_in_place);
  tcase_add_test(integrity, test_full_disk_leaves_nothing_and_says_so);
  tcase_add_test(integrity, test_wrong_size_is_rejected);
  tcase_add_test(integrity, test_wrong_sha256_is_rejected);
  tcase_add_test(integrity, test_endless_redirects_are_bounded);
  tcase_add_test(integrity, test_unreachable_hub_names_host_and_cause);
  tcase_add_test(integrity, test_silent_hub_times_out);
  tcase_add_test(integrity, test_server_error_falls_back_to_the_cached_branch);
  tcase_add_test(integrity, test_concurrent_downloads_of_one_file_give_one_whole_blob);
  tcase_add_test(integrity, test_two_writers_of_one_destination_never_mix);
  suite_add_tcase(suite, integrity);
  TCase* urls = tcase_create("urls");
  tcase_set_timeout(urls, 60);
  tcase_add_test(urls, test_http_url_goes_to_the_pockettts_cache);
  tcase_add_test(urls, test_http_url_follows_redirects_and_checks_errors);
  suite_add_tcase(suite, urls);
  TCase* progress = tcase_create("progress");
  tcase_set_timeout(progress, 60);
  tcase_add_test(progress, test_progress_reports_start_bytes_and_done);
  tcase_add_test(progress, test_cancel_stops_a_download);
  suite_add_tcase(suite, progress);
  return pockettts_test::run_suite(suite);
}
