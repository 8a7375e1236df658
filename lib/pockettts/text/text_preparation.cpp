// Text preparation, ported from the reference's `prepare_text_prompt` and
// `split_into_best_sentences` (models/tts_model.py). The reference runs on Python `str`, so every
// step here works on Unicode code points with Python's definitions of whitespace, upper case and
// alphanumerics.
#include <pockettts/text.h>

#include <glib.h>

#include <algorithm>
#include <cstring>

#include <pockettts/error.h>

namespace pockettts {

namespace {

// ---------------------------------------------------------------------------------------------
// Python `str` character classes.

// Python's str.isspace()/strip()/split(): bidirectional class WS, B or S, or category Zs. GLib's
// g_unichar_isspace() is narrower (it misses \v, \x1c-\x1f and U+0085), and GLib has no bidi
// class lookup, so the set is spelled out. It has been the same since Unicode 6.3 (U+180E left).
bool py_isspace(gunichar c) {
  switch (c) {
    case 0x09:
    case 0x0A:
    case 0x0B:
    case 0x0C:
    case 0x0D:
    case 0x1C:
    case 0x1D:
    case 0x1E:
    case 0x1F:
    case 0x20:
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

// Python's single-character str.isupper(): the Unicode "Uppercase" property, i.e. category Lu
// plus Other_Uppercase (Roman numerals, circled and squared capital letters). g_unichar_isupper()
// only tests Lu. (Those extra characters upper-case to themselves, so this only keeps the
// reference's control flow honest.)
bool py_isupper(gunichar c) {
  if (g_unichar_type(c) == G_UNICODE_UPPERCASE_LETTER) return true;
  return (c >= 0x2160 && c <= 0x216F) || (c >= 0x24B6 && c <= 0x24CF) ||
         (c >= 0x1F130 && c <= 0x1F149) || (c >= 0x1F150 && c <= 0x1F169) ||
         (c >= 0x1F170 && c <= 0x1F189);
}

// Python's str.isalnum(): isalpha (categories L*) or isdecimal/isdigit/isnumeric, which together
// are exactly the N* categories. g_unichar_isalnum() accepts only Nd among numbers, so '²', '½'
// or 'Ⅷ' would wrongly get no final period with it.
bool py_isalnum(gunichar c) {
  switch (g_unichar_type(c)) {
    case G_UNICODE_LOWERCASE_LETTER:
    case G_UNICODE_UPPERCASE_LETTER:
    case G_UNICODE_TITLECASE_LETTER:
    case G_UNICODE_MODIFIER_LETTER:
    case G_UNICODE_OTHER_LETTER:
    case G_UNICODE_DECIMAL_NUMBER:
    case G_UNICODE_LETTER_NUMBER:
    case G_UNICODE_OTHER_NUMBER:
      return true;
    default:
      return false;
  }
}

// Python's str.upper() of one character: full, locale-independent case mapping ('ß' -> "SS",
// 'ﬁ' -> "FI"). g_utf8_strup() does the full mapping but follows the process locale, and under a
// Turkic LC_CTYPE it maps 'i' to 'İ'; that is its only single-character locale effect (the
// Lithuanian rule needs a preceding 'i'), so ASCII is mapped here and the rest goes to GLib.
// GLib also only maps letters (Ll, Lt; plus U+0345), while Python follows UnicodeData's mapping
// for every character: the only others that have one are the Other_Lowercase small Roman
// numerals (Nl) and circled small letters (So), mapped here (checked over all code points
// against CPython 3.11).
std::string py_upper_char(gunichar c) {
  if (c < 0x80) {
    char ch = static_cast<char>(c);
    if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
    return std::string(1, ch);
  }
  if (c >= 0x2170 && c <= 0x217F) c -= 0x2170 - 0x2160;  // small Roman numeral -> capital
  if (c >= 0x24D0 && c <= 0x24E9) c -= 0x24D0 - 0x24B6;  // circled small letter -> capital
  // Zero-filled: for U+0345 GLib looks past the given length for following combining marks,
  // so stale stack bytes there (e.g. CC AE, U+032E) once came out in the result.
  char buf[8] = {};
  const int n = g_unichar_to_utf8(c, buf);
  gchar* up = g_utf8_strup(buf, n);
  std::string out(up);
  g_free(up);
  return out;
}

// ---------------------------------------------------------------------------------------------
// UTF-8 <-> code points.

// Decodes UTF-8 strictly, as Python's bytes.decode('utf-8') does. NUL is a valid character for
// Python, but g_utf8_validate() rejects it, so validation runs between NUL bytes.
std::u32string decode_utf8(const std::string& text) {
  std::u32string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    if (text[pos] == '\0') {
      out.push_back(0);
      ++pos;
      continue;
    }
    size_t seg_end = text.find('\0', pos);
    if (seg_end == std::string::npos) seg_end = text.size();
    const gchar* begin = text.data() + pos;
    const gchar* end = nullptr;
    if (!g_utf8_validate(begin, static_cast<gssize>(seg_end - pos), &end)) {
      throw Error(ErrorCode::kInvalidArgument,
                  "text is not valid UTF-8 (invalid byte sequence at byte offset " +
                      std::to_string(static_cast<size_t>(end - text.data())) + ")");
    }
    for (const gchar* p = begin; p < text.data() + seg_end; p = g_utf8_next_char(p)) {
      out.push_back(static_cast<char32_t>(g_utf8_get_char(p)));
    }
    pos = seg_end;
  }
  return out;
}

std::string encode_utf8(const std::u32string& text) {
  std::string out;
  out.reserve(text.size());
  char buf[8];
  for (char32_t c : text) {
    out.append(buf, static_cast<size_t>(g_unichar_to_utf8(static_cast<gunichar>(c), buf)));
  }
  return out;
}

// Python str.strip() with no argument.
std::u32string py_strip(const std::u32string& text) {
  size_t begin = 0;
  size_t end = text.size();
  while (begin < end && py_isspace(text[begin])) ++begin;
  while (end > begin && py_isspace(text[end - 1])) --end;
  return text.substr(begin, end - begin);
}

std::string py_strip(const std::string& text) { return encode_utf8(py_strip(decode_utf8(text))); }

// len(str.split()) with no argument: runs of non-whitespace.
size_t py_split_count(const std::u32string& text) {
  size_t words = 0;
  bool in_word = false;
  for (char32_t c : text) {
    const bool space = py_isspace(c);
    if (!space && !in_word) ++words;
    in_word = !space;
  }
  return words;
}

// str.replace(from, to) for single-code-point `from` and `to`.
void replace_char(std::u32string& text, char32_t from, char32_t to) {
  std::replace(text.begin(), text.end(), from, to);
}

// str.replace("  ", " "): one left-to-right pass over non-overlapping pairs, so three spaces
// become two and five become three. The reference does not loop; neither do we.
std::u32string collapse_double_spaces_once(const std::u32string& text) {
  std::u32string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    out.push_back(text[i]);
    if (text[i] == U' ' && i + 1 < text.size() && text[i + 1] == U' ') ++i;
  }
  return out;
}

}  // namespace

TextOptions text_options_9514983(bool pad_with_spaces_for_short_inputs, bool remove_semicolons) {
  TextOptions options;
  options.pad_with_spaces_for_short_inputs = pad_with_spaces_for_short_inputs;
  options.remove_semicolons = remove_semicolons;
  options.split_long_sentences = true;
  return options;
}

bool has_words(const std::string& text) { return !py_strip(decode_utf8(text)).empty(); }

PreparedText prepare_text_prompt(const std::string& input) {
  return prepare_text_prompt(input, TextOptions{});
}

PreparedText prepare_text_prompt(const std::string& input, const TextOptions& options) {
  std::u32string text = py_strip(decode_utf8(input));
  if (text.empty()) {
    throw Error(ErrorCode::kInvalidArgument,
                "Text prompt cannot be empty (it has no characters other than whitespace)");
  }
  // Only \n and \r become spaces; tabs and other whitespace stay as they are.
  replace_char(text, U'\n', U' ');
  replace_char(text, U'\r', U' ');
  text = collapse_double_spaces_once(text);
  if (options.remove_semicolons) replace_char(text, U';', U',');

  PreparedText out;
  // Counted once: upper-casing the first character and appending '.' never change the word
  // count, so the reference's second `len(text.split())` gives the same number.
  const size_t words = py_split_count(text);
  out.frames_after_eos_guess = words <= 4 ? 3 : 1;

  // The text is stripped, so its first and last characters are not whitespace.
  const bool add_period = py_isalnum(text.back());
  std::string result;
  if (options.pad_with_spaces_for_short_inputs && words < 5) result.assign(8, ' ');
  if (!py_isupper(text.front())) {
    result += py_upper_char(text.front());
    result += encode_utf8(text.substr(1));
  } else {
    result += encode_utf8(text);
  }
  if (add_period) result += '.';
  out.text = std::move(result);
  return out;
}

namespace {

// The reference drops the first token of a punctuation string (for a usual model the "▁" or
// "▁." piece) and treats the rest as boundary tokens, duplicates included.
std::vector<int> boundary_tokens(const Tokenizer& tokenizer, const std::string& punctuation) {
  std::vector<int> tokens = tokenizer.encode(punctuation);
  if (!tokens.empty()) tokens.erase(tokens.begin());
  return tokens;
}

// The reference's _find_boundary_indices: a segment ends at the first token that is not a
// boundary token after a run of them. Always starts with 0 and ends with tokens.size().
std::vector<size_t> boundary_indices(const std::vector<int>& tokens,
                                     const std::vector<int>& boundaries) {
  auto is_boundary = [&](int id) {
    return std::find(boundaries.begin(), boundaries.end(), id) != boundaries.end();
  };
  std::vector<size_t> bounds{0};
  bool previous_was_boundary = false;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (is_boundary(tokens[i])) {
      previous_was_boundary = true;
    } else {
      if (previous_was_boundary) bounds.push_back(i);
      previous_was_boundary = false;
    }
  }
  bounds.push_back(tokens.size());
  return bounds;
}

struct Segment {
  size_t tokens;
  std::string text;
};

// The reference's _segments_from_boundaries: decoded id ranges (unknown characters come back as
// " ⁇ ") with their id counts.
std::vector<Segment> segments_between(const Tokenizer& tokenizer, const std::vector<int>& tokens,
                                      const std::vector<size_t>& bounds) {
  std::vector<Segment> segments;
  for (size_t i = 0; i + 1 < bounds.size(); ++i) {
    const auto begin = tokens.begin() + static_cast<std::ptrdiff_t>(bounds[i]);
    const auto end = tokens.begin() + static_cast<std::ptrdiff_t>(bounds[i + 1]);
    segments.push_back({bounds[i + 1] - bounds[i], tokenizer.decode(std::vector<int>(begin, end))});
  }
  return segments;
}

}  // namespace

std::vector<std::string> split_into_best_sentences(const Tokenizer& tokenizer,
                                                   const std::string& text, int max_tokens) {
  return split_into_best_sentences(tokenizer, text, max_tokens, TextOptions{});
}

std::vector<std::string> split_into_best_sentences(const Tokenizer& tokenizer,
                                                   const std::string& text, int max_tokens,
                                                   const TextOptions& options) {
  const std::string prepared = py_strip(prepare_text_prompt(text, options).text);
  const std::vector<int> tokens = tokenizer.encode(prepared);
  std::vector<Segment> sentences = segments_between(
      tokenizer, tokens, boundary_indices(tokens, boundary_tokens(tokenizer, ".!...?")));

  if (options.split_long_sentences) {
    // 9514983: a sentence over max_tokens is re-tokenized from its decoded text and cut after
    // its runs of ",;:" tokens; it stays whole when that gives a single piece.
    const std::vector<int> fallback = boundary_tokens(tokenizer, ",;:");
    std::vector<Segment> refined;
    for (Segment& sentence : sentences) {
      if (max_tokens >= 0 && sentence.tokens <= static_cast<size_t>(max_tokens)) {
        refined.push_back(std::move(sentence));
        continue;
      }
      const std::vector<int> sub_tokens = tokenizer.encode(py_strip(sentence.text));
      std::vector<Segment> pieces =
          segments_between(tokenizer, sub_tokens, boundary_indices(sub_tokens, fallback));
      if (pieces.size() > 1) {
        for (Segment& piece : pieces) refined.push_back(std::move(piece));
      } else {
        refined.push_back(std::move(sentence));
      }
    }
    sentences = std::move(refined);
  }

  // Greedy packing: sentence lengths are counted in ids of the whole text (or of the sentence,
  // for the pieces of a cut one), as in the reference.
  std::vector<std::string> chunks;
  std::string current;
  size_t current_tokens = 0;
  for (const Segment& sentence : sentences) {
    if (current.empty()) {
      current = sentence.text;
      current_tokens = sentence.tokens;
      continue;
    }
    if (max_tokens < 0 || current_tokens + sentence.tokens > static_cast<size_t>(max_tokens)) {
      chunks.push_back(py_strip(current));
      current = sentence.text;
      current_tokens = sentence.tokens;
    } else {
      current += " " + sentence.text;
      current_tokens += sentence.tokens;
    }
  }
  if (!current.empty()) chunks.push_back(py_strip(current));
  return chunks;
}

}  // namespace pockettts
