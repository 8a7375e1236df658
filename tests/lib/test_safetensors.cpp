// The safetensors reader's validation, dtype conversion and the writer's byte layout.
// Standard headers first: check.h defines a `fail` macro that breaks <ios> included after it.
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <check.h>

#include <pockettts/error.h>
#include "formats/safetensors.h"
#include "test_util.h"

using pockettts::DType;
using pockettts::Error;
using pockettts::ErrorCode;
using pockettts::SafetensorsFile;
using pockettts::TensorToWrite;
using pockettts_test::data_path;
using pockettts_test::make_temp_dir;
using pockettts_test::read_text_file;
using pockettts_test::write_bytes;

namespace {

std::string length_prefix(uint64_t n) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return s;
}

// A file with `header` as its JSON header and `data_size` zero bytes of data.
std::string file_with_header(const std::string& header, size_t data_size) {
  return length_prefix(header.size()) + header + std::string(data_size, '\0');
}

// Writes `bytes` to a fresh file, opens it, and returns the error message; fails the test when
// opening succeeds or throws anything but Error(kInvalidData).
std::string open_error(const std::string& bytes) {
  const std::string path = make_temp_dir() + "/bad.safetensors";
  write_bytes(path, bytes);
  try {
    SafetensorsFile::open(path);
  } catch (const Error& e) {
    ck_assert_int_eq(static_cast<int>(e.code()), static_cast<int>(ErrorCode::kInvalidData));
    const std::string message = e.what();
    ck_assert_msg(message.find(path) != std::string::npos, "message does not name the file: %s",
                  message.c_str());
    return message;
  }
  ck_abort_msg("opening a corrupt file succeeded");
  return "";
}

void assert_contains(const std::string& text, const std::string& part) {
  ck_assert_msg(text.find(part) != std::string::npos, "'%s' not found in '%s'", part.c_str(),
                text.c_str());
}

}  // namespace

START_TEST(test_reads_f32_weights) {
  auto file = SafetensorsFile::open(data_path("tiny/weights.safetensors"));
  ck_assert_uint_eq(file->tensors().size(), 129);
  ck_assert(file->metadata().empty());
  const auto* embed = file->find("flow_lm.conditioner.embed.weight");
  ck_assert_ptr_nonnull(embed);
  ck_assert(embed->dtype == DType::kF32);
  ck_assert_uint_eq(embed->shape.size(), 2);
  ck_assert_int_eq(embed->shape[0], 401);
  ck_assert_int_eq(embed->shape[1], 64);
  ck_assert_int_eq(embed->numel(), 401 * 64);
  ck_assert_uint_eq(embed->nbytes, 401 * 64 * 4);
  const auto* speaker = file->find("flow_lm.speaker_proj_weight");
  ck_assert_ptr_nonnull(speaker);
  ck_assert_int_eq(speaker->shape[0], 64);
  ck_assert_int_eq(speaker->shape[1], 32);
  const auto* bos = file->find("flow_lm.bos_emb");
  ck_assert_ptr_nonnull(bos);
  ck_assert_uint_eq(bos->shape.size(), 1);
  ck_assert_int_eq(bos->shape[0], 8);
  ck_assert_ptr_null(file->find("no.such.tensor"));
  // File order is data order.
  for (size_t i = 1; i < file->tensors().size(); ++i) {
    ck_assert(file->tensors()[i - 1].data <= file->tensors()[i].data);
  }
}
END_TEST

START_TEST(test_bf16_weights_are_the_f32_weights_rounded) {
  auto f32 = SafetensorsFile::open(data_path("tiny/weights.safetensors"));
  auto bf16 = SafetensorsFile::open(data_path("tiny/weights_bf16.safetensors"));
  ck_assert_uint_eq(bf16->tensors().size(), 129);
  for (const auto& t : f32->tensors()) {
    const auto* b = bf16->find(t.name);
    ck_assert_ptr_nonnull(b);
    ck_assert(b->dtype == DType::kBF16);
    ck_assert(b->shape == t.shape);
    const std::vector<float> exact = pockettts::to_float32(t);
    const std::vector<float> rounded = pockettts::to_float32(*b);
    ck_assert_uint_eq(exact.size(), rounded.size());
    for (size_t i = 0; i < exact.size(); ++i) {
      // BF16 keeps 8 significant bits: round to nearest is within 2^-9 relative.
      ck_assert_msg(std::fabs(exact[i] - rounded[i]) <= std::fabs(exact[i]) * (1.0f / 256),
                    "%s[%zu]: %g vs %g", t.name.c_str(), i, exact[i], rounded[i]);
    }
  }
}
END_TEST

START_TEST(test_reads_f16_values) {
  // 1, -2, 0.5, 65504 (max half), 2^-24 (smallest subnormal), -0, inf.
  const uint16_t halves[] = {0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x8000, 0x7c00};
  const std::string path = make_temp_dir() + "/f16.safetensors";
  pockettts::write_safetensors(path, {{"h", DType::kF16, {7}, halves}});
  auto file = SafetensorsFile::open(path);
  const std::vector<float> v = pockettts::to_float32(*file->find("h"));
  ck_assert_uint_eq(v.size(), 7);
  ck_assert_float_eq(v[0], 1.0f);
  ck_assert_float_eq(v[1], -2.0f);
  ck_assert_float_eq(v[2], 0.5f);
  ck_assert_float_eq(v[3], 65504.0f);
  ck_assert_float_eq(v[4], std::ldexp(1.0f, -24));
  ck_assert(v[5] == 0.0f && std::signbit(v[5]));
  ck_assert(std::isinf(v[6]));
}
END_TEST

START_TEST(test_write_then_read_round_trips) {
  const float f[] = {1.5f, -2.25f, 3.0f, 4.0f, 5.0f, 6.0f};
  const int64_t ids[] = {7, -8, 9};
  const uint8_t flags[] = {1, 0};
  const std::string path = make_temp_dir() + "/round.safetensors";
  pockettts::write_safetensors(path,
                               {{"weights", DType::kF32, {2, 3}, f},
                                {"ids", DType::kI64, {3}, ids},
                                {"flags", DType::kBool, {2}, flags},
                                {"empty", DType::kF32, {0, 4}, nullptr}},
                               {{"format", "pt"}, {"note", "a \"quoted\" ünïcode\nline"}});
  auto file = SafetensorsFile::open(path);
  ck_assert_uint_eq(file->tensors().size(), 4);
  ASSERT_STR_EQ(file->metadata().at("format"), "pt");
  ASSERT_STR_EQ(file->metadata().at("note"), "a \"quoted\" ünïcode\nline");
  const auto* w = file->find("weights");
  ck_assert(w->dtype == DType::kF32);
  ck_assert(w->shape == (std::vector<int64_t>{2, 3}));
  ck_assert_int_eq(std::memcmp(w->data, f, sizeof(f)), 0);
  const auto* i = file->find("ids");
  ck_assert(i->dtype == DType::kI64);
  ck_assert_int_eq(std::memcmp(i->data, ids, sizeof(ids)), 0);
  ck_assert(file->find("flags")->dtype == DType::kBool);
  ck_assert_int_eq(std::memcmp(file->find("flags")->data, flags, 2), 0);
  ck_assert_uint_eq(file->find("empty")->nbytes, 0);
  ck_assert_int_eq(file->find("empty")->numel(), 0);
}
END_TEST

namespace {
// VmRSS of this process in KiB.
long resident_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  return -1;
}
}  // namespace

// release_pages: a mapped tensor's pages leave the resident memory and read back the same;
// memory that is not an open mapping is never touched.
START_TEST(test_release_pages) {
  std::vector<float> values(4 << 20);  // 16 MiB
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i % 1000) - 0.5f;
  const std::string path = make_temp_dir() + "/big.safetensors";
  pockettts::write_safetensors(
      path, {{"big", DType::kF32, {static_cast<int64_t>(values.size())}, values.data()}});
  auto file = SafetensorsFile::open(path);
  const auto* big = file->find("big");
  ck_assert_int_eq(std::memcmp(big->data, values.data(), big->nbytes), 0);  // all resident
  const long before = resident_kib();
  SafetensorsFile::release_pages(big->data, big->nbytes);
  const long after = resident_kib();
  ck_assert_msg(before - after >= 12 * 1024, "RSS %ld KiB -> %ld KiB", before, after);
  ck_assert_int_eq(std::memcmp(big->data, values.data(), big->nbytes), 0);  // read again
  const size_t bytes = big->nbytes;
  std::vector<float> heap(values);
  SafetensorsFile::release_pages(heap.data(), bytes);
  ck_assert_int_eq(std::memcmp(heap.data(), values.data(), bytes), 0);
  file.reset();  // unmapped: its range is no longer released
  SafetensorsFile::release_pages(heap.data(), bytes);
  ck_assert_int_eq(std::memcmp(heap.data(), values.data(), bytes), 0);
}
END_TEST

START_TEST(test_writer_orders_by_dtype_then_name) {
  const float f[] = {1.0f};
  const int64_t l[] = {1};
  const uint16_t h[] = {0};
  const std::string path = make_temp_dir() + "/order.safetensors";
  pockettts::write_safetensors(path, {{"b", DType::kF32, {1}, f},
                                      {"z", DType::kF16, {1}, h},
                                      {"a", DType::kF32, {1}, f},
                                      {"c", DType::kI64, {1}, l}});
  const std::string bytes = read_text_file(path);
  const std::string header =
      "{\"c\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]},"
      "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]},"
      "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]},"
      "\"z\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[16,18]}}";
  const size_t padded = (header.size() + 7) / 8 * 8;
  ASSERT_STR_EQ(bytes.substr(8, padded), (header + std::string(padded - header.size(), ' ')));
  ck_assert(bytes.substr(0, 8) == length_prefix(padded));
  ck_assert_uint_eq(bytes.size(), 8 + padded + 18);
}
END_TEST

// Reads every tensor of a fixture written by the reference's writer and writes them again.
void assert_rewrite_is_byte_identical(const std::string& relative) {
  const std::string original = data_path(relative);
  auto file = SafetensorsFile::open(original);
  std::vector<TensorToWrite> tensors;
  for (const auto& t : file->tensors()) tensors.push_back({t.name, t.dtype, t.shape, t.data});
  const std::string copy = make_temp_dir() + "/copy.safetensors";
  pockettts::write_safetensors(copy, tensors, file->metadata());
  ck_assert_msg(read_text_file(copy) == read_text_file(original), "%s differs when rewritten",
                relative.c_str());
}

START_TEST(test_rewriting_fixtures_reproduces_them_byte_for_byte) {
  assert_rewrite_is_byte_identical("tiny/voice/voice_prompt.safetensors");
  assert_rewrite_is_byte_identical("tiny/gen/short.safetensors");  // mixes I64 and F32
  assert_rewrite_is_byte_identical("tiny/voice/voice_state.safetensors");
  assert_rewrite_is_byte_identical("tiny/weights_bf16.safetensors");
}
END_TEST

START_TEST(test_writer_leaves_no_temporary_file) {
  const std::string dir = make_temp_dir();
  const float f[] = {1.0f};
  pockettts::write_safetensors(dir + "/a.safetensors", {{"x", DType::kF32, {1}, f}});
  pockettts::write_safetensors(dir + "/a.safetensors", {{"y", DType::kF32, {1}, f}});
  auto file = SafetensorsFile::open(dir + "/a.safetensors");
  ck_assert_ptr_nonnull(file->find("y"));
  ck_assert_ptr_null(file->find("x"));
  const std::string listing = dir + "/listing";
  ck_assert_int_eq(std::system(("ls -A '" + dir + "' > '" + listing + "'").c_str()), 0);
  const std::string files = read_text_file(listing);
  ASSERT_STR_EQ(files, "a.safetensors\nlisting\n");
}
END_TEST

START_TEST(test_writer_rejects_duplicate_names) {
  const float f[] = {1.0f};
  try {
    pockettts::write_safetensors(make_temp_dir() + "/d.safetensors",
                                 {{"x", DType::kF32, {1}, f}, {"x", DType::kF32, {1}, f}});
    ck_abort_msg("duplicate names were written");
  } catch (const Error& e) {
    ck_assert_int_eq(static_cast<int>(e.code()), static_cast<int>(ErrorCode::kInvalidArgument));
    assert_contains(e.what(), "'x' given twice");
  }
}
END_TEST

START_TEST(test_writer_into_missing_folder_is_not_found) {
  const float f[] = {1.0f};
  try {
    pockettts::write_safetensors(make_temp_dir() + "/no/such/dir/x.safetensors",
                                 {{"x", DType::kF32, {1}, f}});
    ck_abort_msg("writing into a missing folder succeeded");
  } catch (const Error& e) {
    ck_assert_int_eq(static_cast<int>(e.code()), static_cast<int>(ErrorCode::kNotFound));
  }
}
END_TEST

START_TEST(test_missing_file_is_not_found) {
  const std::string path = make_temp_dir() + "/absent.safetensors";
  try {
    SafetensorsFile::open(path);
    ck_abort_msg("opening a missing file succeeded");
  } catch (const Error& e) {
    ck_assert_int_eq(static_cast<int>(e.code()), static_cast<int>(ErrorCode::kNotFound));
    assert_contains(e.what(), path);
  }
}
END_TEST

START_TEST(test_rejects_file_shorter_than_length_field) {
  assert_contains(open_error(""), "fewer than the 8");
  assert_contains(open_error("abc"), "the file is truncated");
}
END_TEST

START_TEST(test_rejects_header_length_past_end_of_file) {
  assert_contains(open_error(length_prefix(1000) + "{}"), "header length is 1000 bytes");
  // A huge length must not overflow into something that looks valid.
  assert_contains(open_error(length_prefix(~0ull) + "{}"), "the file is truncated");
}
END_TEST

START_TEST(test_rejects_invalid_json) {
  assert_contains(open_error(file_with_header("{\"x\":", 0)), "not valid JSON");
  assert_contains(open_error(file_with_header("[1,2]", 0)), "not a JSON object");
}
END_TEST

START_TEST(test_rejects_missing_fields) {
  assert_contains(open_error(file_with_header("{\"x\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4)),
                  "tensor 'x' has no 'dtype'");
  assert_contains(
      open_error(file_with_header("{\"x\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4)),
      "tensor 'x' has no 'shape'");
  assert_contains(open_error(file_with_header("{\"x\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4)),
                  "tensor 'x' has no 'data_offsets'");
  assert_contains(open_error(file_with_header("{\"x\":3}", 0)), "not described by a JSON object");
}
END_TEST

START_TEST(test_rejects_unknown_dtype) {
  assert_contains(open_error(file_with_header(
                      "{\"x\":{\"dtype\":\"F12\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4)),
                  "tensor 'x' has unknown dtype 'F12'");
}
END_TEST

START_TEST(test_rejects_bad_shapes) {
  assert_contains(open_error(file_with_header(
                      "{\"x\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4)),
                  "not all non-negative integers");
  assert_contains(open_error(file_with_header(
                      "{\"x\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4)),
                  "not all non-negative integers");
  assert_contains(open_error(file_with_header(
                      "{\"x\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", 24)),
                  "takes 24 bytes, but its data_offsets span 20 bytes");
  // 2^62 * 4 bytes overflows 64 bits: it must be caught, not wrap to a small number.
  assert_contains(open_error(file_with_header("{\"x\":{\"dtype\":\"F32\",\"shape\":["
                                              "4611686018427387904,4],\"data_offsets\":[0,0]}}",
                                              0)),
                  "too large to address");
}
END_TEST

START_TEST(test_rejects_bad_offsets) {
  assert_contains(open_error(file_with_header(
                      "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 4)),
                  "begins at byte 4 after its end at byte 0");
  assert_contains(open_error(file_with_header(
                      "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4)),
                  "instead of two non-negative integers");
  assert_contains(open_error(file_with_header(
                      "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 4)),
                  "instead of two non-negative integers");
}
END_TEST

START_TEST(test_rejects_truncated_data) {
  assert_contains(
      open_error(file_with_header(
          "{\"x\":{\"dtype\":\"F32\",\"shape\":[1024],\"data_offsets\":[0,4096]}}", 100)),
      "tensor 'x' ends at byte 4096 but the file's data section has 100 bytes: the file is "
      "truncated");
}
END_TEST

START_TEST(test_rejects_overlapping_tensors) {
  assert_contains(open_error(file_with_header(
                      "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]},"
                      "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
                      12)),
                  "tensors 'b' (bytes 0-8) and 'a' (bytes 4-12) overlap");
}
END_TEST

START_TEST(test_rejects_duplicate_tensor_names) {
  assert_contains(
      open_error(file_with_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                                  "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                                  8)),
      "names tensor 'a' twice");
}
END_TEST

START_TEST(test_rejects_bad_metadata) {
  assert_contains(open_error(file_with_header("{\"__metadata__\":{\"k\":1}}", 0)),
                  "__metadata__ value 'k' is not a string");
  assert_contains(open_error(file_with_header("{\"__metadata__\":[]}", 0)),
                  "__metadata__ is not an object");
}
END_TEST

START_TEST(test_accepts_empty_header_and_empty_tensors) {
  const std::string path = make_temp_dir() + "/empty.safetensors";
  write_bytes(path,
              file_with_header("{\"__metadata__\":{\"a\":\"b\"},"
                               "\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},"
                               "\"f\":{\"dtype\":\"I8\",\"shape\":[],\"data_offsets\":[0,1]}} ",
                               1));
  auto file = SafetensorsFile::open(path);
  ck_assert_uint_eq(file->tensors().size(), 2);
  ck_assert_int_eq(file->find("f")->numel(), 1);  // a scalar
  ASSERT_STR_EQ(file->metadata().at("a"), "b");
}
END_TEST

int main() {
  Suite* suite = suite_create("safetensors");
  TCase* read = tcase_create("read");
  tcase_add_test(read, test_reads_f32_weights);
  tcase_add_test(read, test_bf16_weights_are_the_f32_weights_rounded);
  tcase_add_test(read, test_reads_f16_values);
  tcase_add_test(read, test_accepts_empty_header_and_empty_tensors);
  tcase_add_test(read, test_release_pages);
  suite_add_tcase(suite, read);
  TCase* write = tcase_create("write");
  tcase_add_test(write, test_write_then_read_round_trips);
  tcase_add_test(write, test_writer_orders_by_dtype_then_name);
  tcase_add_test(write, test_rewriting_fixtures_reproduces_them_byte_for_byte);
  tcase_add_test(write, test_writer_leaves_no_temporary_file);
  tcase_add_test(write, test_writer_rejects_duplicate_names);
  tcase_add_test(write, test_writer_into_missing_folder_is_not_found);
  suite_add_tcase(suite, write);
  TCase* validate = tcase_create("validate");
  tcase_add_test(validate, test_missing_file_is_not_found);
  tcase_add_test(validate, test_rejects_file_shorter_than_length_field);
  tcase_add_test(validate, test_rejects_header_length_past_end_of_file);
  tcase_add_test(validate, test_rejects_invalid_json);
  tcase_add_test(validate, test_rejects_missing_fields);
  tcase_add_test(validate, test_rejects_unknown_dtype);
  tcase_add_test(validate, test_rejects_bad_shapes);
  tcase_add_test(validate, test_rejects_bad_offsets);
  tcase_add_test(validate, test_rejects_truncated_data);
  tcase_add_test(validate, test_rejects_overlapping_tensors);
  tcase_add_test(validate, test_rejects_duplicate_tensor_names);
  tcase_add_test(validate, test_rejects_bad_metadata);
  suite_add_tcase(suite, validate);
  return pockettts_test::run_suite(suite);
}
