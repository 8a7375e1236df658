// Shared helpers of the library test suites (Check).
#pragma once

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

// After the standard headers: check.h defines a function-like `fail` macro that breaks them.
#include <check.h>

// Check's string assertion keeps only the pointers, so temporaries must outlive it.
#define ASSERT_STR_EQ(actual, expected)                   \
  do {                                                    \
    const std::string actual_ = (actual);                 \
    const std::string expected_ = (expected);             \
    ck_assert_str_eq(actual_.c_str(), expected_.c_str()); \
  } while (0)

namespace pockettts_test {

// The tests' golden data folder (tests/data), set by meson as POCKETTTS_TEST_DATA.
inline std::string data_path(const std::string& relative) {
  const char* root = std::getenv("POCKETTTS_TEST_DATA");
  ck_assert_msg(root != nullptr, "POCKETTTS_TEST_DATA is not set (run the tests with meson test)");
  return std::string(root) + "/" + relative;
}

inline std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  ck_assert_msg(in.good(), "cannot open %s", path.c_str());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// A scratch directory removed at exit is overkill for tests: mkdtemp under $TMPDIR.
inline std::string make_temp_dir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp ? tmp : "/tmp") + "/pockettts-test-XXXXXX";
  char* dir = mkdtemp(templ.data());
  ck_assert_msg(dir != nullptr, "mkdtemp failed");
  return templ;
}

inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
  ck_assert(out.good());
}

// Runs a suite and returns the process exit status.
inline int run_suite(Suite* suite, bool fork = true) {
  SRunner* runner = srunner_create(suite);
  if (!fork) srunner_set_fork_status(runner, CK_NOFORK);
  srunner_run_all(runner, CK_NORMAL);
  int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

}  // namespace pockettts_test
