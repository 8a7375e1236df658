// Resource references: hf:// parsing, the hub cache layout, file:// URIs and local paths.
// Standard headers first: check.h defines a `fail` macro that breaks <ios> included after it.
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <check.h>

#include <pockettts/error.h>
#include "resources/resolve.h"
#include "test_util.h"

using pockettts::Error;
using pockettts::ErrorCode;
using pockettts::HfReference;
using pockettts_test::make_temp_dir;
using pockettts_test::write_bytes;

namespace {

constexpr const char kCommit[] = "0123456789abcdef0123456789abcdef01234567";

void make_dirs(const std::string& path) {
  ck_assert_int_eq(std::system(("mkdir -p '" + path + "'").c_str()), 0);
}

void assert_contains(const std::string& text, const std::string& part) {
  ck_assert_msg(text.find(part) != std::string::npos, "'%s' not found in '%s'", part.c_str(),
                text.c_str());
}

// A hub cache holding kyutai/tiny at kCommit with `main` pointing at it, as HF_HOME/hub lays it
// out; returns the cache dir.
std::string make_fake_cache() {
  const std::string cache = make_temp_dir() + "/hub";
  const std::string repo = cache + "/models--kyutai--tiny";
  make_dirs(repo + "/snapshots/" + kCommit + "/voices");
  make_dirs(repo + "/refs");
  write_bytes(repo + "/refs/main", std::string(kCommit) + "\n");
  write_bytes(repo + "/snapshots/" + kCommit + "/weights.safetensors", "w");
  write_bytes(repo + "/snapshots/" + kCommit + "/voices/alba.safetensors", "v");
  return cache;
}

std::string error_of(const std::string& uri, ErrorCode code) {
  try {
    pockettts::resolve_resource(uri);
  } catch (const Error& e) {
    ck_assert_int_eq(static_cast<int>(e.code()), static_cast<int>(code));
    return e.what();
  }
  ck_abort_msg("'%s' resolved", uri.c_str());
  return "";
}

}  // namespace

START_TEST(test_parses_hf_reference_with_revision) {
  const auto ref =
      pockettts::parse_hf_reference("hf://kyutai/pocket-tts/embeddings/alba.safetensors@abc");
  ck_assert(ref.has_value());
  ASSERT_STR_EQ(ref->repo_id, "kyutai/pocket-tts");
  ASSERT_STR_EQ(ref->filename, "embeddings/alba.safetensors");
  ASSERT_STR_EQ(ref->revision, "abc");
}
END_TEST

START_TEST(test_hf_reference_revision_defaults_to_main) {
  const auto ref = pockettts::parse_hf_reference("hf://org/repo/file.model");
  ck_assert(ref.has_value());
  ASSERT_STR_EQ(ref->repo_id, "org/repo");
  ASSERT_STR_EQ(ref->filename, "file.model");
  ASSERT_STR_EQ(ref->revision, "main");
}
END_TEST

START_TEST(test_rejects_malformed_hf_references) {
  ck_assert(!pockettts::parse_hf_reference("https://org/repo/file").has_value());
  ck_assert(!pockettts::parse_hf_reference("hf://org").has_value());
  ck_assert(!pockettts::parse_hf_reference("hf://org/repo").has_value());
  ck_assert(!pockettts::parse_hf_reference("hf://org/repo/").has_value());
  ck_assert(!pockettts::parse_hf_reference("hf://org/repo/file@").has_value());
  ck_assert(!pockettts::parse_hf_reference("hf://org/repo/a@b@c").has_value());
  ck_assert(!pockettts::parse_hf_reference("hf://org/repo/../../etc/passwd").has_value());
  ck_assert(!pockettts::parse_hf_reference("hf://org//file").has_value());
  assert_contains(error_of("hf://org/repo", ErrorCode::kInvalidArgument),
                  "malformed Hugging Face reference 'hf://org/repo'");
}
END_TEST

START_TEST(test_hub_cache_dir_follows_environment) {
  unsetenv("HF_HUB_CACHE");
  unsetenv("HUGGINGFACE_HUB_CACHE");
  unsetenv("HF_HOME");
  unsetenv("XDG_CACHE_HOME");
  setenv("HOME", "/home/someone", 1);
  ASSERT_STR_EQ(pockettts::hf_hub_cache_dir(), "/home/someone/.cache/huggingface/hub");
  setenv("XDG_CACHE_HOME", "/xdg", 1);
  ASSERT_STR_EQ(pockettts::hf_hub_cache_dir(), "/xdg/huggingface/hub");
  setenv("HF_HOME", "/hf-home", 1);
  ASSERT_STR_EQ(pockettts::hf_hub_cache_dir(), "/hf-home/hub");
  setenv("HF_HUB_CACHE", "/hub-cache", 1);
  ASSERT_STR_EQ(pockettts::hf_hub_cache_dir(), "/hub-cache");
}
END_TEST

START_TEST(test_branch_resolves_through_refs_with_hf_home) {
  const std::string cache = make_fake_cache();
  unsetenv("HF_HUB_CACHE");
  setenv("HF_HOME", cache.substr(0, cache.size() - 4).c_str(), 1);  // cache is HF_HOME/hub
  const std::string expected =
      cache + "/models--kyutai--tiny/snapshots/" + kCommit + "/voices/alba.safetensors";
  const auto found =
      pockettts::find_in_hf_cache({"kyutai/tiny", "voices/alba.safetensors", "main"});
  ck_assert(found.has_value());
  ASSERT_STR_EQ(*found, expected);
  ASSERT_STR_EQ(pockettts::resolve_resource("hf://kyutai/tiny/voices/alba.safetensors"), expected);
}
END_TEST

START_TEST(test_commit_revision_resolves_without_refs_with_hf_hub_cache) {
  const std::string cache = make_fake_cache();
  setenv("HF_HUB_CACHE", cache.c_str(), 1);
  setenv("HF_HOME", "/nowhere", 1);
  ck_assert_int_eq(std::remove((cache + "/models--kyutai--tiny/refs/main").c_str()), 0);
  ASSERT_STR_EQ(
      pockettts::resolve_resource("hf://kyutai/tiny/weights.safetensors@" + std::string(kCommit)),
      cache + "/models--kyutai--tiny/snapshots/" + kCommit + "/weights.safetensors");
  // Without refs/main a branch cannot be resolved.
  ck_assert(!pockettts::find_in_hf_cache({"kyutai/tiny", "weights.safetensors", "main"}));
}
END_TEST

START_TEST(test_missing_cached_file_names_path_looked_at) {
  const std::string cache = make_fake_cache();
  setenv("HF_HUB_CACHE", cache.c_str(), 1);
  const std::string message = error_of("hf://kyutai/tiny/absent.safetensors", ErrorCode::kNotFound);
  assert_contains(message, "hf://kyutai/tiny/absent.safetensors is not in the Hugging Face cache");
  assert_contains(message,
                  cache + "/models--kyutai--tiny/snapshots/" + kCommit + "/absent.safetensors");
  assert_contains(message, "HF_HUB_OFFLINE");  // meson test sets it
  ck_assert(!pockettts::find_in_hf_cache({"kyutai/tiny", "absent.safetensors", "main"}));
}
END_TEST

START_TEST(test_missing_branch_names_refs_file) {
  const std::string cache = make_fake_cache();
  setenv("HF_HUB_CACHE", cache.c_str(), 1);
  const std::string message =
      error_of("hf://kyutai/tiny/weights.safetensors@v2", ErrorCode::kNotFound);
  assert_contains(message, cache + "/models--kyutai--tiny/refs/v2");
  assert_contains(error_of("hf://other/repo/x.bin", ErrorCode::kNotFound),
                  cache + "/models--other--repo/");
}
END_TEST

// Downloads are tested against a local hub in test_hub_download.cpp; offline (as meson test
// runs every suite), a URL not in the cache is an error that says so.
START_TEST(test_http_offline_needs_a_cached_copy) {
  assert_contains(error_of("https://example.com/voice.wav", ErrorCode::kNotFound),
                  "offline mode is on");
  assert_contains(error_of("http://example.com/voice.wav", ErrorCode::kNotFound),
                  "http://example.com/voice.wav");
  ck_assert(pockettts::is_remote_reference("hf://a/b/c"));
  ck_assert(pockettts::is_remote_reference("https://a"));
  ck_assert(pockettts::is_remote_reference("http://a"));
  ck_assert(!pockettts::is_remote_reference("file:///a"));
  ck_assert(!pockettts::is_remote_reference("/a/b"));
}
END_TEST

START_TEST(test_local_path_must_exist) {
  const std::string dir = make_temp_dir();
  write_bytes(dir + "/voice.wav", "x");
  ASSERT_STR_EQ(pockettts::resolve_resource(dir + "/voice.wav"), dir + "/voice.wav");
  assert_contains(error_of(dir + "/absent.wav", ErrorCode::kNotFound),
                  "file not found: " + dir + "/absent.wav");
}
END_TEST

START_TEST(test_file_uri_becomes_local_path) {
  const std::string dir = make_temp_dir();
  write_bytes(dir + "/my voice.wav", "x");
  ASSERT_STR_EQ(pockettts::resolve_resource("file://" + dir + "/my%20voice.wav"),
                dir + "/my voice.wav");
  assert_contains(error_of("file://" + dir + "/absent.wav", ErrorCode::kNotFound),
                  dir + "/absent.wav");
  error_of("file://remotehost/x.wav", ErrorCode::kInvalidArgument);
}
END_TEST

int main() {
  Suite* suite = suite_create("resources");
  TCase* hf = tcase_create("hf");
  tcase_add_test(hf, test_parses_hf_reference_with_revision);
  tcase_add_test(hf, test_hf_reference_revision_defaults_to_main);
  tcase_add_test(hf, test_rejects_malformed_hf_references);
  tcase_add_test(hf, test_hub_cache_dir_follows_environment);
  tcase_add_test(hf, test_branch_resolves_through_refs_with_hf_home);
  tcase_add_test(hf, test_commit_revision_resolves_without_refs_with_hf_hub_cache);
  tcase_add_test(hf, test_missing_cached_file_names_path_looked_at);
  tcase_add_test(hf, test_missing_branch_names_refs_file);
  suite_add_tcase(suite, hf);
  TCase* local = tcase_create("local");
  tcase_add_test(local, test_http_offline_needs_a_cached_copy);
  tcase_add_test(local, test_local_path_must_exist);
  tcase_add_test(local, test_file_uri_becomes_local_path);
  suite_add_tcase(suite, local);
  return pockettts_test::run_suite(suite);
}
