// The SSML subset (<pockettts/ssml.h>): what each element says, the warnings for what is not
// supported, the errors for what is malformed, break lengths in samples, and that no mutation
// of a document does worse than an Error.
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <pockettts/error.h>
#include <pockettts/ssml.h>
#include "test_util.h"

using pockettts::Error;
using pockettts::ErrorCode;
using pockettts::SpeechScript;
using pockettts::SpeechSegment;

namespace {

// The script as one line: text in quotes, breaks as [N ms].
std::string describe(const SpeechScript& script) {
  std::string out;
  for (const SpeechSegment& s : script.segments) {
    if (!out.empty()) out += " ";
    if (s.kind == SpeechSegment::Kind::kText) {
      out += "'" + s.text + "'";
    } else {
      char ms[32];
      std::snprintf(ms, sizeof ms, "[%g ms]", s.break_milliseconds);
      out += ms;
    }
  }
  return out;
}

void expect_script(const std::string& document, const std::string& expected) {
  const SpeechScript script = pockettts::parse_ssml(document);
  const std::string got = describe(script);
  ck_assert_msg(got == expected, "%s\n  gave     %s\n  expected %s", document.c_str(), got.c_str(),
                expected.c_str());
}

// parse_ssml must throw Error(kInvalidArgument) whose message contains every `part`.
void expect_malformed(const std::string& document, const std::vector<std::string>& parts) {
  try {
    pockettts::parse_ssml(document);
  } catch (const Error& e) {
    ck_assert_int_eq(static_cast<int>(e.code()), static_cast<int>(ErrorCode::kInvalidArgument));
    for (const std::string& part : parts) {
      ck_assert_msg(std::string(e.what()).find(part) != std::string::npos,
                    "%s: message '%s' lacks '%s'", document.c_str(), e.what(), part.c_str());
    }
    return;
  }
  ck_abort_msg("accepted: %s", document.c_str());
}

}  // namespace

START_TEST(test_text_of_speak_is_one_segment) {
  expect_script("<speak>Hello world.</speak>", "'Hello world.'");
  expect_script(
      "<?xml version=\"1.0\"?>\n<speak version=\"1.1\" "
      "xmlns=\"http://www.w3.org/2001/10/synthesis\" xml:lang=\"en-US\">Hi</speak>",
      "'Hi'");
  const SpeechScript script = pockettts::parse_ssml(
      "<speak version=\"1.1\" xmlns=\"http://www.w3.org/2001/10/synthesis\">Hi</speak>");
  ck_assert_uint_eq(script.warnings.size(), 0);
}
END_TEST

START_TEST(test_whitespace_collapses_and_blank_text_is_dropped) {
  expect_script("<speak>\n   Hello\n\t  world  \n</speak>", "'Hello world'");
  expect_script("<speak>  \n </speak>", "");
  expect_script("<speak/>", "");
}
END_TEST

START_TEST(test_break_times) {
  expect_script("<speak>One<break time=\"500ms\"/>two</speak>", "'One' [500 ms] 'two'");
  expect_script("<speak>One<break time='1.5s'/>two</speak>", "'One' [1500 ms] 'two'");
  expect_script("<speak>a<break time=\"0.25s\"/>b<break time=\"20s\"/>c</speak>",
                "'a' [250 ms] 'b' [20000 ms] 'c'");
  expect_script("<speak><break time=\"0ms\"/></speak>", "[0 ms]");
  // Leading and trailing breaks, and breaks in a row.
  expect_script("<speak><break time=\"1s\"/>a<break time=\"2ms\"/><break time=\"3ms\"/></speak>",
                "[1000 ms] 'a' [2 ms] [3 ms]");
}
END_TEST

START_TEST(test_break_strengths) {
  expect_script("<speak>a<break/>b</speak>", "'a' [750 ms] 'b'");  // medium
  const char* names[] = {"none", "x-weak", "weak", "medium", "strong", "x-strong"};
  const double ms[] = {0, 250, 500, 750, 1000, 1250};
  for (int i = 0; i < 6; ++i) {
    ck_assert_double_eq(pockettts::break_strength_milliseconds(names[i]), ms[i]);
    char doc[128], want[64];
    std::snprintf(doc, sizeof doc, "<speak>a<break strength=\"%s\"/>b</speak>", names[i]);
    std::snprintf(want, sizeof want, "'a' [%g ms] 'b'", ms[i]);
    expect_script(doc, want);
  }
  // Both: the time decides, as SSML says.
  expect_script("<speak>a<break strength=\"x-strong\" time=\"100ms\"/>b</speak>",
                "'a' [100 ms] 'b'");
}
END_TEST

START_TEST(test_paragraphs_and_sentences_are_segments) {
  expect_script("<speak><p><s>First one.</s><s>Second one.</s></p><p>Third</p> tail</speak>",
                "'First one.' 'Second one.' 'Third' 'tail'");
  expect_script("<speak>before <s>inside</s> after</speak>", "'before' 'inside' 'after'");
}
END_TEST

START_TEST(test_sub_says_its_alias) {
  expect_script("<speak>The <sub alias=\"World Wide Web Consortium\">W3C</sub> says so.</speak>",
                "'The World Wide Web Consortium says so.'");
  expect_script("<speak><sub alias=\"\">gone</sub>kept</speak>", "'kept'");
}
END_TEST

START_TEST(test_unknown_elements_are_spoken_with_a_warning) {
  const SpeechScript script = pockettts::parse_ssml(
      "<speak>I <emphasis level=\"strong\">really</emphasis> <prosody rate=\"slow\">mean "
      "<emphasis>it</emphasis></prosody>.</speak>");
  ASSERT_STR_EQ(describe(script), "'I really mean it.'");
  ck_assert_uint_eq(script.warnings.size(), 2);  // once per element name
  ck_assert(script.warnings[0].find("<emphasis>") != std::string::npos);
  ck_assert(script.warnings[1].find("<prosody>") != std::string::npos);
}
END_TEST

START_TEST(test_unknown_attributes_of_known_elements_warn) {
  const SpeechScript script =
      pockettts::parse_ssml("<speak><s xml:lang=\"fr\" id=\"x\">Oui</s></speak>");
  ASSERT_STR_EQ(describe(script), "'Oui'");
  ck_assert_uint_eq(script.warnings.size(), 1);
  ck_assert(script.warnings[0].find("'id'") != std::string::npos);
}
END_TEST

START_TEST(test_entities_cdata_and_comments) {
  expect_script(
      "<speak>Fish &amp; chips &lt;3 &#233;t&#xE9; <!-- not said -->"
      "<![CDATA[a < b]]></speak>",
      "'Fish & chips <3 été a < b'");
}
END_TEST

START_TEST(test_malformed_documents_are_errors) {
  expect_malformed("", {"empty"});
  expect_malformed("Hello", {"malformed SSML"});
  expect_malformed("<speak>Hello", {"malformed SSML"});
  expect_malformed("<speak>a</spek>", {"malformed SSML"});
  expect_malformed("<speak>&nbsp;</speak>", {"malformed SSML"});
  expect_malformed("<speak a=b>x</speak>", {"malformed SSML"});
  expect_malformed("<voice>Hello</voice>", {"root element must be <speak>", "line 1"});
  expect_malformed("<speak>a</speak><speak>b</speak>", {"malformed SSML"});
  expect_malformed("<speak><speak>a</speak></speak>", {"<speak> inside <speak>"});
  expect_malformed("<speak>\n<break time=\"1s\">no</break></speak>", {"<break> must be empty"});
  expect_malformed("<speak><sub>x</sub></speak>", {"<sub> needs an alias"});
  expect_malformed("<speak><sub alias=\"a\"><s>x</s></sub></speak>",
                   {"<sub> may contain only text"});
  expect_malformed(std::string("<speak>caf\xC3") + "</speak>", {"not valid UTF-8", "byte 10"});
}
END_TEST

START_TEST(test_bad_break_values_are_errors) {
  for (const char* time : {"abc", "-5ms", "5", "5min", "ms", "1..5s", "1e3ms", " 5ms"}) {
    expect_malformed(std::string("<speak>a<break time=\"") + time + "\"/></speak>",
                     {"time=\"" + std::string(time) + "\""});
  }
  expect_malformed("<speak><break time=\"20.001s\"/></speak>", {"longest break", "20 s"});
  expect_malformed("<speak><break time=\"99999999999999999999999s\"/></speak>", {"longest break"});
  expect_malformed("<speak><break strength=\"loud\"/></speak>", {"strength=\"loud\""});
}
END_TEST

START_TEST(test_break_samples_are_exact) {
  ck_assert_int_eq(pockettts::break_samples(500, 24000), 12000);
  ck_assert_int_eq(pockettts::break_samples(1500, 24000), 36000);
  ck_assert_int_eq(pockettts::break_samples(20000, 24000), 480000);
  ck_assert_int_eq(pockettts::break_samples(0.02, 24000), 0);        // 0.48 samples
  ck_assert_int_eq(pockettts::break_samples(333.333, 24000), 8000);  // 7999.992
  ck_assert_int_eq(pockettts::break_samples(1, 44100), 44);          // 44.1
}
END_TEST

// Random byte changes, insertions and cuts of a valid document: each gives a script or an
// Error, never a crash or another exception (a small stand-in for the fuzz target).
START_TEST(test_mutated_documents_give_a_script_or_an_error) {
  const std::string base =
      "<?xml version=\"1.0\"?><speak xml:lang=\"en\"><p><s>Hello &amp; <sub alias=\"x\">y</sub>"
      "</s><break time=\"500ms\"/><prosody rate=\"1\">there</prosody><break strength=\"weak\"/>"
      "<![CDATA[<cd>]]><!-- c --></p></speak>";
  std::mt19937 rng(16);
  const std::string alphabet = "<>/=\"'&;#x!?-[]a0 \n\xC3\xA9\xFF";
  int errors = 0, scripts = 0;
  for (int round = 0; round < 5000; ++round) {
    std::string doc = base;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !doc.empty(); ++e) {
      const size_t at = rng() % doc.size();
      const char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0:
          doc[at] = c;
          break;
        case 1:
          doc.insert(doc.begin() + static_cast<std::ptrdiff_t>(at), c);
          break;
        default:
          doc.erase(at, 1 + rng() % 8);
          break;
      }
    }
    try {
      pockettts::parse_ssml(doc);
      ++scripts;
    } catch (const Error& e) {
      ck_assert_int_eq(static_cast<int>(e.code()), static_cast<int>(ErrorCode::kInvalidArgument));
      ++errors;
    }
  }
  std::printf("mutations: %d scripts, %d errors\n", scripts, errors);
  ck_assert_int_gt(errors, 0);
  ck_assert_int_gt(scripts, 0);
}
END_TEST

int main() {
  Suite* suite = suite_create("ssml");
  TCase* tc = tcase_create("parse");
  tcase_add_test(tc, test_text_of_speak_is_one_segment);
  tcase_add_test(tc, test_whitespace_collapses_and_blank_text_is_dropped);
  tcase_add_test(tc, test_break_times);
  tcase_add_test(tc, test_break_strengths);
  tcase_add_test(tc, test_paragraphs_and_sentences_are_segments);
  tcase_add_test(tc, test_sub_says_its_alias);
  tcase_add_test(tc, test_unknown_elements_are_spoken_with_a_warning);
  tcase_add_test(tc, test_unknown_attributes_of_known_elements_warn);
  tcase_add_test(tc, test_entities_cdata_and_comments);
  tcase_add_test(tc, test_malformed_documents_are_errors);
  tcase_add_test(tc, test_bad_break_values_are_errors);
  tcase_add_test(tc, test_break_samples_are_exact);
  tcase_add_test(tc, test_mutated_documents_give_a_script_or_an_error);
  suite_add_tcase(suite, tc);
  return pockettts_test::run_suite(suite);
}
