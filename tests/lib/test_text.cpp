// Text preparation and tokenization against the Python reference's own outputs: at 4ae9fb2
// (tests/data/tiny/text/*.json, README sections (a) and (b)) and at 9514983 with its text
// options (tests/data/tiny-v2/text/*.json: semicolons, padding, long sentences cut at commas).
#include <clocale>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include <pockettts/error.h>
#include <pockettts/text.h>
#include "test_util.h"

using nlohmann::json;
using pockettts::Error;
using pockettts::ErrorCode;
using pockettts::Tokenizer;
using pockettts_test::data_path;

namespace {

json g_tokens;                               // text/tokens.json
json g_prepare;                              // text/prepare_text_prompt.json
json g_split;                                // text/split_into_best_sentences.json
json g_tokens_v2, g_prepare_v2, g_split_v2;  // the same files of tiny-v2 (reference 9514983)

std::string model_path() { return data_path("tiny/tokenizer.model"); }

std::shared_ptr<const Tokenizer> tokenizer() {
  static std::shared_ptr<const Tokenizer> tok = Tokenizer::load(model_path(), 400);
  return tok;
}

std::shared_ptr<const Tokenizer> tokenizer_v2() {
  static std::shared_ptr<const Tokenizer> tok =
      Tokenizer::load(data_path("tiny-v2/tokenizer.model"), 1000);
  return tok;
}

std::string ids_str(const std::vector<int>& ids) { return json(ids).dump(); }

// Runs `fn`, which must throw Error(`code`) whose message contains `needle`.
template <typename Fn>
void expect_error(Fn fn, ErrorCode code, const std::string& needle) {
  try {
    fn();
  } catch (const Error& e) {
    ck_assert_int_eq(static_cast<int>(e.code()), static_cast<int>(code));
    ck_assert_msg(std::string(e.what()).find(needle) != std::string::npos,
                  "message '%s' lacks '%s'", e.what(), needle.c_str());
    return;
  }
  ck_abort_msg("no pockettts::Error thrown (expected one mentioning '%s')", needle.c_str());
}

// --- tokens.json ------------------------------------------------------------------------------

START_TEST(test_token_case) {
  const json& c = g_tokens["cases"][static_cast<size_t>(_i)];
  const std::string text = c["text"];
  const auto ids = tokenizer()->encode(text);
  const auto expected = c["ids"].get<std::vector<int>>();
  ck_assert_msg(ids == expected, "case %d %s: ids %s, expected %s", _i, json(text).dump().c_str(),
                ids_str(ids).c_str(), ids_str(expected).c_str());
  const std::string decoded = tokenizer()->decode(expected);
  const std::string expected_decoded = c["decoded"];
  ck_assert_str_eq(decoded.c_str(), expected_decoded.c_str());
}
END_TEST

START_TEST(test_vocab_size) {
  ck_assert_int_eq(tokenizer()->vocab_size(), g_tokens["vocab_size"].get<int>());
  ck_assert_int_eq(Tokenizer::load(model_path())->vocab_size(), 400);
}
END_TEST

START_TEST(test_decode_out_of_range) {
  expect_error([] { tokenizer()->decode({1000}); }, ErrorCode::kInvalidArgument, "1000");
  expect_error([] { tokenizer()->decode({-1}); }, ErrorCode::kInvalidArgument, "-1");
}
END_TEST

START_TEST(test_concurrent_encode) {
  const json& cases = g_tokens["cases"];
  std::vector<std::string> texts;
  std::vector<std::vector<int>> expected;
  for (const auto& c : cases) {
    texts.push_back(c["text"]);
    expected.push_back(c["ids"].get<std::vector<int>>());
  }
  auto tok = tokenizer();
  std::vector<std::vector<std::vector<int>>> results(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 50; ++round) {
        for (size_t i = 0; i < texts.size(); ++i) {
          // Each thread walks the cases in a different order to interleave calls.
          const size_t k = (i + t * 7) % texts.size();
          auto ids = tok->encode(texts[k]);
          if (round == 0) {
            if (results[t].empty()) results[t].resize(texts.size());
            results[t][k] = ids;
          } else if (ids != results[t][k]) {
            results[t][k].clear();
            results[t][k].push_back(-999);  // marks a disagreement, checked below
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (size_t t = 0; t < 4; ++t) {
    for (size_t i = 0; i < texts.size(); ++i) {
      ck_assert_msg(results[t][i] == expected[i], "thread %zu case %zu: %s vs %s", t, i,
                    ids_str(results[t][i]).c_str(), ids_str(expected[i]).c_str());
    }
  }
}
END_TEST

// --- loading errors ---------------------------------------------------------------------------

START_TEST(test_vocab_mismatch) {
  expect_error([] { Tokenizer::load(model_path(), 300); }, ErrorCode::kInvalidData,
               "vocab size=400 but nbins=300");
}
END_TEST

START_TEST(test_missing_model) {
  expect_error([] { Tokenizer::load(data_path("tiny/no-such-tokenizer.model"), 400); },
               ErrorCode::kNotFound, "no-such-tokenizer.model");
  expect_error([] { Tokenizer::load(""); }, ErrorCode::kNotFound, "not found");
}
END_TEST

START_TEST(test_unreadable_model) {
  const std::string dir = pockettts_test::make_temp_dir();
  const std::string path = dir + "/garbage.model";
  FILE* f = fopen(path.c_str(), "wb");
  ck_assert_ptr_nonnull(f);
  fputs("this is not a sentencepiece model\n", f);
  fclose(f);
  expect_error([&] { Tokenizer::load(path); }, ErrorCode::kInvalidData, "garbage.model");
  expect_error([&] { Tokenizer::load(dir); }, ErrorCode::kInvalidData, "not a regular file");
  remove(path.c_str());
  remove(dir.c_str());
}
END_TEST

// --- prepare_text_prompt.json -----------------------------------------------------------------

START_TEST(test_prepare_case) {
  const json& c = g_prepare[static_cast<size_t>(_i)];
  const std::string input = c["input"];
  if (c.contains("error")) {
    const std::string error = c["error"];
    ck_assert_str_eq(error.c_str(), "ValueError");
    expect_error([&] { pockettts::prepare_text_prompt(input); }, ErrorCode::kInvalidArgument,
                 c["message"].get<std::string>());
    return;
  }
  const auto out = pockettts::prepare_text_prompt(input);
  ck_assert_msg(out.text == c["text"].get<std::string>(), "case %d: %s -> %s, expected %s", _i,
                json(input).dump().c_str(), json(out.text).dump().c_str(),
                c["text"].dump().c_str());
  ck_assert_int_eq(out.frames_after_eos_guess, c["frames_after_eos_guess"].get<int>());
}
END_TEST

// Python semantics beyond the fixtures; expected values printed by the reference function
// under CPython 3.11 (Unicode 14). Each one is a place where GLib's own predicate differs.
struct PyCase {
  const char* input;
  const char* text;
  int guess;
};
const PyCase kPyCases[] = {
    // isalnum: '²', '½', 'Ⅷ' are numerics (No, Nl) that g_unichar_isalnum() rejects.
    {"x\u00b2", "        X\u00b2.", 3},
    {"\u00bd cup", "        \u00bd cup.", 3},
    {"\u2167", "        \u2167.", 3},
    // isspace: \x1c-\x1f, U+0085, U+2028/2029, \v are Python whitespace, not all GLib's.
    {"\x1cword\u0085", "        Word.", 3},
    {"\u2028a b\u2029", "        A b.", 3},
    {"one\u00a0two\u3000three\u2003four\u0085five", "One\u00a0two\u3000three\u2003four\u0085five.",
     1},
    {"a\vb c d e", "A\vb c d e.", 1},
    // upper: titlecase digraph, full mapping to two characters, So with a case mapping,
    // the combining ypogegrammeni.
    {"\u01c6emo", "        \u01c4emo.", 3},
    {"\u0149", "        \u02bcN.", 3},
    {"\u24d0bc", "        \u24b6bc.", 3},
    {"\u0345x", "        \u0399x.", 3},
    {"\u2170 and ii", "        \u2160 and ii.", 3},
    {"i", "        I.", 3},
    // One non-recursive pass of "  " -> " ".
    {"abc   def", "        Abc  def.", 3},
    {"a     b", "        A   b.", 3},
};

START_TEST(test_prepare_python_semantics) {
  const PyCase& c = kPyCases[_i];
  const auto out = pockettts::prepare_text_prompt(c.input);
  ck_assert_msg(out.text == c.text, "%s -> %s, expected %s", json(c.input).dump().c_str(),
                json(out.text).dump().c_str(), json(c.text).dump().c_str());
  ck_assert_int_eq(out.frames_after_eos_guess, c.guess);
}
END_TEST

START_TEST(test_prepare_nul_is_a_character) {
  // Python str holds NUL like any other non-space character.
  const auto out = pockettts::prepare_text_prompt(std::string("a\0b", 3));
  ck_assert(out.text == std::string("        A\0b.", 12));
}
END_TEST

START_TEST(test_prepare_turkic_locale) {
  // Python's upper() ignores the locale; GLib's g_utf8_strup() maps 'i' to 'İ' under tr_TR.
  if (setlocale(LC_ALL, "tr_TR.UTF-8") == nullptr) return;  // locale not installed
  const auto out = pockettts::prepare_text_prompt("istanbul");
  setlocale(LC_ALL, "C");
  ck_assert_str_eq(out.text.c_str(), "        Istanbul.");
}
END_TEST

START_TEST(test_prepare_empty) {
  for (const char* s : {"", "   ", "\n\t\r ", "\u3000\u00a0\x1c\u0085\u2028"}) {
    expect_error([&] { pockettts::prepare_text_prompt(s); }, ErrorCode::kInvalidArgument,
                 "Text prompt cannot be empty");
  }
}
END_TEST

START_TEST(test_prepare_invalid_utf8) {
  expect_error([] { pockettts::prepare_text_prompt("abc\xff def"); }, ErrorCode::kInvalidArgument,
               "byte offset 3");
  expect_error([] { pockettts::prepare_text_prompt("ok \xc3"); }, ErrorCode::kInvalidArgument,
               "UTF-8");
  // Overlong encoding and a UTF-16 surrogate, both rejected by Python's strict decoder.
  expect_error([] { pockettts::prepare_text_prompt("\xc0\xaf"); }, ErrorCode::kInvalidArgument,
               "UTF-8");
  expect_error([] { pockettts::prepare_text_prompt(std::string("a\0\xed\xa0\x80", 5)); },
               ErrorCode::kInvalidArgument, "byte offset 2");
  expect_error([] { pockettts::split_into_best_sentences(*tokenizer(), "bad \xfe", 50); },
               ErrorCode::kInvalidArgument, "UTF-8");
}
END_TEST

// --- split_into_best_sentences.json -----------------------------------------------------------

START_TEST(test_end_of_sentence_tokens) {
  auto ids = tokenizer()->encode(".!...?");
  ck_assert(!ids.empty());
  ids.erase(ids.begin());
  const std::string got = ids_str(ids);
  const std::string expected = g_split["end_of_sentence_tokens"].dump();
  ck_assert_str_eq(got.c_str(), expected.c_str());
}
END_TEST

START_TEST(test_split_case) {
  const json& c = g_split["cases"][static_cast<size_t>(_i)];
  const auto chunks = pockettts::split_into_best_sentences(
      *tokenizer(), c["text"].get<std::string>(), c["max_tokens"].get<int>());
  const auto expected = c["chunks"].get<std::vector<std::string>>();
  ck_assert_msg(chunks == expected, "case %d: chunks %s, expected %s", _i,
                json(chunks).dump().c_str(), json(expected).dump().c_str());
  const auto counts = c["chunk_token_counts"].get<std::vector<int>>();
  for (size_t i = 0; i < chunks.size(); ++i) {
    ck_assert_int_eq(static_cast<int>(tokenizer()->encode(chunks[i]).size()), counts[i]);
  }
}
END_TEST

START_TEST(test_split_empty) {
  expect_error([] { pockettts::split_into_best_sentences(*tokenizer(), " \n ", 50); },
               ErrorCode::kInvalidArgument, "Text prompt cannot be empty");
}
END_TEST

// --- tiny-v2: the reference at 9514983 ---------------------------------------------------------

START_TEST(test_token_case_v2) {
  const json& c = g_tokens_v2["cases"][static_cast<size_t>(_i)];
  const std::string text = c["text"];
  const auto ids = tokenizer_v2()->encode(text);
  const auto expected = c["ids"].get<std::vector<int>>();
  ck_assert_msg(ids == expected, "case %d %s: ids %s, expected %s", _i, json(text).dump().c_str(),
                ids_str(ids).c_str(), ids_str(expected).c_str());
  ASSERT_STR_EQ(tokenizer_v2()->decode(expected), c["decoded"].get<std::string>());
}
END_TEST

// Every input under the four combinations of 9514983's two flags. Flags (true, false) are
// 4ae9fb2's behaviour, so prepare_text_prompt without options must give the same there.
START_TEST(test_prepare_case_v2) {
  const json& c = g_prepare_v2[static_cast<size_t>(_i)];
  const std::string input = c["input"];
  const bool pad = c["pad_with_spaces_for_short_inputs"], semicolons = c["remove_semicolons"];
  const pockettts::TextOptions options = pockettts::text_options_9514983(pad, semicolons);
  if (c.contains("error")) {
    ASSERT_STR_EQ(c["error"].get<std::string>(), "ValueError");
    expect_error([&] { pockettts::prepare_text_prompt(input, options); },
                 ErrorCode::kInvalidArgument, c["message"].get<std::string>());
    return;
  }
  const auto out = pockettts::prepare_text_prompt(input, options);
  ck_assert_msg(out.text == c["text"].get<std::string>(), "case %d (%d, %d): %s -> %s, expected %s",
                _i, pad, semicolons, json(input).dump().c_str(), json(out.text).dump().c_str(),
                c["text"].dump().c_str());
  ck_assert_int_eq(out.frames_after_eos_guess, c["frames_after_eos_guess"].get<int>());
  if (pad && !semicolons) {
    const auto old = pockettts::prepare_text_prompt(input);
    ASSERT_STR_EQ(old.text, out.text);
    ck_assert_int_eq(old.frames_after_eos_guess, out.frames_after_eos_guess);
  }
}
END_TEST

START_TEST(test_boundary_tokens_v2) {
  auto eos = tokenizer_v2()->encode(".!...?");
  eos.erase(eos.begin());
  ASSERT_STR_EQ(ids_str(eos), g_split_v2["end_of_sentence_tokens"].dump());
  auto fallback = tokenizer_v2()->encode(",;:");
  fallback.erase(fallback.begin());
  ASSERT_STR_EQ(ids_str(fallback), g_split_v2["fallback_tokens"].dump());
}
END_TEST

START_TEST(test_split_case_v2) {
  const json& c = g_split_v2["cases"][static_cast<size_t>(_i)];
  const pockettts::TextOptions options = pockettts::text_options_9514983(
      c["pad_with_spaces_for_short_inputs"], c["remove_semicolons"]);
  const auto chunks = pockettts::split_into_best_sentences(
      *tokenizer_v2(), c["text"].get<std::string>(), c["max_tokens"].get<int>(), options);
  const auto expected = c["chunks"].get<std::vector<std::string>>();
  ck_assert_msg(chunks == expected, "case %d: chunks %s, expected %s", _i,
                json(chunks).dump().c_str(), json(expected).dump().c_str());
  const auto counts = c["chunk_token_counts"].get<std::vector<int>>();
  for (size_t i = 0; i < chunks.size(); ++i) {
    ck_assert_int_eq(static_cast<int>(tokenizer_v2()->encode(chunks[i]).size()), counts[i]);
  }
}
END_TEST

// A sentence over max_tokens is cut at its commas only with split_long_sentences (9514983);
// 4ae9fb2's split keeps it whole.
START_TEST(test_long_sentence_is_cut_at_commas_only_in_9514983) {
  const std::string text =
      "Quando arrivammo a Roma, pioveva a dirotto, le strade erano piene di gente, i tassisti "
      "suonavano il clacson.";
  const auto old = pockettts::split_into_best_sentences(*tokenizer_v2(), text, 12);
  ck_assert_uint_eq(old.size(), 1);
  const auto cut = pockettts::split_into_best_sentences(
      *tokenizer_v2(), text, 12, pockettts::text_options_9514983(false, false));
  ck_assert_uint_gt(cut.size(), 1);
  ASSERT_STR_EQ(cut.front(), "Quando arrivammo a Roma,");
  // Without split points the sentence stays whole, however long.
  const auto whole = pockettts::split_into_best_sentences(
      *tokenizer_v2(), "Quando arrivammo a Roma pioveva a dirotto e le strade erano piene.", 5,
      pockettts::text_options_9514983(false, false));
  ck_assert_uint_eq(whole.size(), 1);
}
END_TEST

Suite* text_suite() {
  Suite* s = suite_create("text");
  auto add = [&](const char* name, auto fn) {
    TCase* tc = tcase_create(name);
    tcase_add_test(tc, fn);
    suite_add_tcase(s, tc);
  };
  auto add_loop = [&](const char* name, auto fn, size_t n) {
    TCase* tc = tcase_create(name);
    tcase_add_loop_test(tc, fn, 0, static_cast<int>(n));
    suite_add_tcase(s, tc);
  };
  add_loop("token_cases", test_token_case, g_tokens["cases"].size());
  add("vocab_size", test_vocab_size);
  add("decode_out_of_range", test_decode_out_of_range);
  add("concurrent_encode", test_concurrent_encode);
  add("vocab_mismatch", test_vocab_mismatch);
  add("missing_model", test_missing_model);
  add("unreadable_model", test_unreadable_model);
  add_loop("prepare_cases", test_prepare_case, g_prepare.size());
  add_loop("prepare_python_semantics", test_prepare_python_semantics,
           sizeof(kPyCases) / sizeof(kPyCases[0]));
  add("prepare_nul", test_prepare_nul_is_a_character);
  add("prepare_turkic_locale", test_prepare_turkic_locale);
  add("prepare_empty", test_prepare_empty);
  add("prepare_invalid_utf8", test_prepare_invalid_utf8);
  add("end_of_sentence_tokens", test_end_of_sentence_tokens);
  add_loop("split_cases", test_split_case, g_split["cases"].size());
  add("split_empty", test_split_empty);
  add_loop("token_cases_v2", test_token_case_v2, g_tokens_v2["cases"].size());
  add_loop("prepare_cases_v2", test_prepare_case_v2, g_prepare_v2.size());
  add("boundary_tokens_v2", test_boundary_tokens_v2);
  add_loop("split_cases_v2", test_split_case_v2, g_split_v2["cases"].size());
  add("long_sentence_cut_at_commas", test_long_sentence_is_cut_at_commas_only_in_9514983);
  return s;
}

}  // namespace

int main() {
  // The case counts size the loop tests, so the fixtures are read before the suite runs, where
  // check's ck_assert (used by the test_util helpers) may not be called.
  const char* root = std::getenv("POCKETTTS_TEST_DATA");
  if (root == nullptr) {
    std::fprintf(stderr, "POCKETTTS_TEST_DATA is not set (run the tests with meson test)\n");
    return EXIT_FAILURE;
  }
  auto load_json = [&](const std::string& relative) {
    std::ifstream in(std::string(root) + "/" + relative, std::ios::binary);
    if (!in.good()) {
      std::fprintf(stderr, "cannot open %s/%s\n", root, relative.c_str());
      std::exit(EXIT_FAILURE);
    }
    return json::parse(in);
  };
  g_tokens = load_json("tiny/text/tokens.json");
  g_prepare = load_json("tiny/text/prepare_text_prompt.json");
  g_split = load_json("tiny/text/split_into_best_sentences.json");
  g_tokens_v2 = load_json("tiny-v2/text/tokens.json");
  g_prepare_v2 = load_json("tiny-v2/text/prepare_text_prompt.json");
  g_split_v2 = load_json("tiny-v2/text/split_into_best_sentences.json");
  return pockettts_test::run_suite(text_suite());
}
