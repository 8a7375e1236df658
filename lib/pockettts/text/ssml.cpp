// The SSML subset (<pockettts/ssml.h>) on GLib's GMarkup, a strict parser of well-formed XML:
// elements, attributes, the predefined entities and character references, comments, CDATA and
// processing instructions. Anything it refuses is malformed SSML.
#include <pockettts/ssml.h>

#include <glib.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <set>

#include <pockettts/error.h>

namespace pockettts {

namespace {

bool is_xml_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Attributes every element may carry and that change nothing here (language, namespaces).
bool is_ignored_attribute(const std::string& name) {
  return name.rfind("xml:", 0) == 0 || name == "xmlns" || name.rfind("xmlns:", 0) == 0;
}

// SSML time designations: a non-negative decimal number followed by "s" or "ms".
double parse_break_time(const std::string& value) {
  size_t unit = value.size();
  double scale = 0;
  if (value.size() > 2 && value.compare(value.size() - 2, 2, "ms") == 0) {
    unit = value.size() - 2;
    scale = 1.0;
  } else if (value.size() > 1 && value.back() == 's') {
    unit = value.size() - 1;
    scale = 1000.0;
  }
  const std::string number = value.substr(0, unit);
  bool digits = false, dot = false, valid = scale > 0 && !number.empty();
  for (char c : number) {
    if (c >= '0' && c <= '9') {
      digits = true;
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      valid = false;
    }
  }
  if (!valid || !digits) {
    throw Error(ErrorCode::kInvalidArgument,
                "SSML <break time=\"" + value +
                    "\">: a time is a number of seconds or milliseconds, e.g. \"500ms\" or "
                    "\"1.5s\"");
  }
  // The C locale's strtod would follow LC_NUMERIC; g_ascii_strtod always reads '.'.
  const double milliseconds = g_ascii_strtod(number.c_str(), nullptr) * scale;
  if (!std::isfinite(milliseconds) || milliseconds > kMaxBreakMilliseconds) {
    throw Error(ErrorCode::kInvalidArgument,
                "SSML <break time=\"" + value + "\"> is longer than the longest break, " +
                    std::to_string(static_cast<int>(kMaxBreakMilliseconds / 1000)) + " s");
  }
  return milliseconds;
}

// What the parse builds, element by element.
class ScriptBuilder {
 public:
  SpeechScript take() {
    flush_text();
    return std::move(script_);
  }

  void start(GMarkupParseContext* context, const std::string& name, const gchar** attribute_names,
             const gchar** attribute_values) {
    const std::string where = position(context);
    if (depth_ == 0) {
      if (seen_root_) fail("a second root element <" + name + ">" + where);
      if (name != "speak") fail("the root element must be <speak>, not <" + name + ">" + where);
      seen_root_ = true;
    } else if (name == "speak") {
      fail("<speak> inside <speak>" + where);
    }
    if (in_sub_ > 0) fail("<sub> may contain only text, not <" + name + ">" + where);
    if (in_break_ > 0) fail("<break> must be empty, but holds <" + name + ">" + where);
    ++depth_;

    std::set<std::string> used;  // the attributes this element understands
    auto attribute = [&](const char* wanted) -> const char* {
      used.insert(wanted);
      for (size_t i = 0; attribute_names[i] != nullptr; ++i) {
        if (std::strcmp(attribute_names[i], wanted) == 0) return attribute_values[i];
      }
      return nullptr;
    };

    if (name == "speak") {
      attribute("version");
      attribute("xml:lang");
    } else if (name == "p" || name == "s" || name == "paragraph" || name == "sentence") {
      flush_text();
    } else if (name == "break") {
      flush_text();
      const char* time = attribute("time");
      const char* strength = attribute("strength");
      // SSML: when both are given, the time decides.
      const double milliseconds = time       ? parse_break_time(time)
                                  : strength ? break_strength_milliseconds(strength)
                                             : break_strength_milliseconds("medium");
      SpeechSegment pause;
      pause.kind = SpeechSegment::Kind::kBreak;
      pause.break_milliseconds = milliseconds;
      script_.segments.push_back(std::move(pause));
      ++in_break_;
    } else if (name == "sub") {
      const char* alias = attribute("alias");
      if (alias == nullptr) fail("<sub> needs an alias attribute (what to say)" + where);
      text_ += alias;
      ++in_sub_;
    } else {
      warn_once(name, "SSML element <" + name +
                          "> is not supported: its content is spoken as plain text");
      return;  // its attributes are part of what is not supported
    }
    for (size_t i = 0; attribute_names[i] != nullptr; ++i) {
      const std::string attr = attribute_names[i];
      if (used.count(attr) == 0 && !is_ignored_attribute(attr)) {
        warn_once(name + " " + attr,
                  "SSML attribute '" + attr + "' of <" + name + "> is not supported: ignored");
      }
    }
  }

  void end(const std::string& name) {
    --depth_;
    if (name == "p" || name == "s" || name == "paragraph" || name == "sentence") flush_text();
    if (name == "break") --in_break_;
    if (name == "sub") --in_sub_;
  }

  void text(GMarkupParseContext* context, const char* text, size_t length) {
    bool blank = true;
    for (size_t i = 0; i < length && blank; ++i) blank = is_xml_space(text[i]);
    if (blank) {
      if (depth_ > 0 && in_sub_ == 0) text_.append(text, length);  // separates words
      return;
    }
    if (depth_ == 0) fail("text outside the <speak> element" + position(context));
    if (in_break_ > 0) fail("<break> must be empty, but holds text" + position(context));
    if (in_sub_ > 0) return;  // the alias is said instead
    text_.append(text, length);
  }

  bool seen_root() const { return seen_root_; }

  [[noreturn]] static void fail(const std::string& message) {
    throw Error(ErrorCode::kInvalidArgument, "malformed SSML: " + message);
  }

 private:
  static std::string position(GMarkupParseContext* context) {
    int line = 0, character = 0;
    g_markup_parse_context_get_position(context, &line, &character);
    return " (line " + std::to_string(line) + ", character " + std::to_string(character) + ")";
  }

  // The text so far, whitespace collapsed, becomes a segment when it says anything.
  void flush_text() {
    std::string collapsed;
    bool space = false;
    for (char c : text_) {
      if (is_xml_space(c)) {
        space = !collapsed.empty();
        continue;
      }
      if (space) collapsed += ' ';
      space = false;
      collapsed += c;
    }
    text_.clear();
    if (collapsed.empty()) return;
    SpeechSegment segment;
    segment.text = std::move(collapsed);
    script_.segments.push_back(std::move(segment));
  }

  void warn_once(const std::string& key, const std::string& message) {
    if (warned_.insert(key).second) script_.warnings.push_back(message);
  }

  SpeechScript script_;
  std::string text_;
  std::set<std::string> warned_;
  int depth_ = 0, in_sub_ = 0, in_break_ = 0;
  bool seen_root_ = false;
};

// GMarkup calls back from C: exceptions must not cross it. The first one is kept, and parsing
// stops through a GError.
struct ParseState {
  ScriptBuilder builder;
  std::exception_ptr error;
};

template <typename F>
void guarded(ParseState* state, GError** error, F&& f) {
  try {
    f();
  } catch (...) {
    state->error = std::current_exception();
    g_set_error_literal(error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT, "stopped");
  }
}

void on_start(GMarkupParseContext* context, const gchar* name, const gchar** attribute_names,
              const gchar** attribute_values, gpointer data, GError** error) {
  auto* state = static_cast<ParseState*>(data);
  guarded(state, error,
          [&] { state->builder.start(context, name, attribute_names, attribute_values); });
}

void on_end(GMarkupParseContext*, const gchar* name, gpointer data, GError** error) {
  auto* state = static_cast<ParseState*>(data);
  guarded(state, error, [&] { state->builder.end(name); });
}

void on_text(GMarkupParseContext* context, const gchar* text, gsize length, gpointer data,
             GError** error) {
  auto* state = static_cast<ParseState*>(data);
  guarded(state, error, [&] { state->builder.text(context, text, length); });
}

}  // namespace

double break_strength_milliseconds(const std::string& strength) {
  static const struct {
    const char* name;
    double milliseconds;
  } kStrengths[] = {{"none", 0},     {"x-weak", 250},  {"weak", 500},
                    {"medium", 750}, {"strong", 1000}, {"x-strong", 1250}};
  for (const auto& s : kStrengths) {
    if (strength == s.name) return s.milliseconds;
  }
  throw Error(ErrorCode::kInvalidArgument,
              "SSML <break strength=\"" + strength +
                  "\">: the strengths are none, x-weak, weak, medium, strong and x-strong");
}

long long break_samples(double milliseconds, int sample_rate) {
  return std::llround(milliseconds * sample_rate / 1000.0);
}

SpeechScript parse_ssml(const std::string& document) {
  // Checked here, with a message of our own: GMarkup reports some invalid sequences twice
  // (GLib 2.74 warns that a GError was overwritten).
  const gchar* bad = nullptr;
  if (!g_utf8_validate(document.data(), static_cast<gssize>(document.size()), &bad)) {
    ScriptBuilder::fail("the document is not valid UTF-8 (at byte " +
                        std::to_string(static_cast<size_t>(bad - document.data())) + ")");
  }
  static const GMarkupParser parser = {on_start, on_end, on_text, nullptr, nullptr};
  ParseState state;
  // Line and character are put in front of GMarkup's own messages.
  std::unique_ptr<GMarkupParseContext, void (*)(GMarkupParseContext*)> context(
      g_markup_parse_context_new(&parser,
                                 static_cast<GMarkupParseFlags>(G_MARKUP_TREAT_CDATA_AS_TEXT |
                                                                G_MARKUP_PREFIX_ERROR_POSITION),
                                 &state, nullptr),
      g_markup_parse_context_free);
  GError* error = nullptr;
  const bool parsed = g_markup_parse_context_parse(context.get(), document.data(),
                                                   static_cast<gssize>(document.size()), &error) &&
                      g_markup_parse_context_end_parse(context.get(), &error);
  if (state.error) {
    if (error) g_error_free(error);
    std::rethrow_exception(state.error);
  }
  if (!parsed) {
    const std::string message = error ? error->message : "unknown error";
    if (error) g_error_free(error);
    ScriptBuilder::fail(message);
  }
  if (!state.builder.seen_root()) ScriptBuilder::fail("the document has no <speak> element");
  return state.builder.take();
}

}  // namespace pockettts
