// release_free_heap (heap.h): freed heap memory that glibc's malloc keeps resident goes back.
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <malloc.h>

#include "heap.h"
#include "test_util.h"

namespace {

long resident_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  return -1;
}

}  // namespace

START_TEST(test_freed_heap_leaves_resident_memory) {
  // What the dynamic thresholds do after a big temporary is freed: MB blocks from the heap,
  // never trimmed on free.
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  std::vector<char*> blocks;
  for (int i = 0; i < 48; ++i) {
    blocks.push_back(static_cast<char*>(std::malloc(1 << 20)));
    std::memset(blocks.back(), i + 1, 1 << 20);
  }
  char* last = static_cast<char*>(std::malloc(64));  // keeps the blocks off the heap's top
  for (char* b : blocks) std::free(b);
  const long before = resident_kib();
  pockettts::release_free_heap();
  const long after = resident_kib();
  ck_assert_msg(before - after >= 40 * 1024, "RSS %ld KiB -> %ld KiB", before, after);
  std::free(last);
}
END_TEST

int main() {
  Suite* suite = suite_create("heap");
  TCase* tc = tcase_create("heap");
  tcase_add_test(tc, test_freed_heap_leaves_resident_memory);
  suite_add_tcase(suite, tc);
  return pockettts_test::run_suite(suite);
}
