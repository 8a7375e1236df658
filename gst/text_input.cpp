#include "text_input.h"

#include <glib.h>

#include <exception>

namespace pockettts_gst {

namespace {

std::string trimmed(const std::string& text) {
  const char* space = " \t\r\n\f\v";
  const size_t first = text.find_first_not_of(space);
  if (first == std::string::npos) return std::string();
  return text.substr(first, text.find_last_not_of(space) - first + 1);
}

void append_text(GMarkupParseContext*, const gchar* text, gsize len, gpointer user_data, GError**) {
  static_cast<std::string*>(user_data)->append(text, len);
}

std::string strip_tags_by_hand(const std::string& markup) {
  std::string out;
  bool in_tag = false;
  for (char c : markup) {
    if (c == '<')
      in_tag = true;
    else if (c == '>' && in_tag)
      in_tag = false;
    else if (!in_tag)
      out += c;
  }
  return out;
}

}  // namespace

std::string strip_pango_markup(const std::string& markup) {
  // Pango markup has no root element; GMarkup wants one.
  const std::string document = "<markup>" + markup + "</markup>";
  GMarkupParser parser = {};
  parser.text = append_text;
  std::string text;
  GMarkupParseContext* context =
      g_markup_parse_context_new(&parser, static_cast<GMarkupParseFlags>(0), &text, nullptr);
  const bool ok =
      g_markup_parse_context_parse(context, document.data(), document.size(), nullptr) &&
      g_markup_parse_context_end_parse(context, nullptr);
  g_markup_parse_context_free(context);
  return ok ? text : strip_tags_by_hand(markup);
}

bool is_valid_utf8(const std::string& text) {
  return g_utf8_validate(text.data(), static_cast<gssize>(text.size()), nullptr);
}

std::shared_ptr<const pockettts::SpeechScript> parse_ssml_document(const std::string& document,
                                                                   std::string* error) {
  try {
    return std::make_shared<const pockettts::SpeechScript>(pockettts::parse_ssml(document));
  } catch (const std::exception& e) {
    *error = e.what();
    return nullptr;
  }
}

bool is_blank(const std::string& text) {
  for (unsigned char c : text) {
    if (!g_ascii_isspace(c)) return false;
  }
  return true;
}

std::vector<std::string> ParagraphSplitter::push(const char* data, size_t size) {
  partial_line_.append(data, size);
  std::vector<std::string> paragraphs;
  size_t start = 0;
  for (size_t newline; (newline = partial_line_.find('\n', start)) != std::string::npos;
       start = newline + 1) {
    const std::string line = partial_line_.substr(start, newline - start + 1);
    if (is_blank(line)) {
      if (!is_blank(paragraph_)) paragraphs.push_back(trimmed(paragraph_));
      paragraph_.clear();
    } else {
      paragraph_ += line;
    }
  }
  partial_line_.erase(0, start);
  return paragraphs;
}

std::string ParagraphSplitter::finish() {
  std::string rest = paragraph_ + partial_line_;
  reset();
  return trimmed(rest);
}

void ParagraphSplitter::reset() {
  partial_line_.clear();
  paragraph_.clear();
}

}  // namespace pockettts_gst
