// Reading an HTML form sent as multipart/form-data (POST /tts, POST /v1/audio/voices).
//
// A pure function of the Content-Type header and the body: no server, no connection, so a
// libFuzzer target can call it directly. The MIME parsing itself is libsoup's SoupMultipart
// (a parser, not the server), as the preamble asks to use a library for what it does.
#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>

namespace pockettts_serve {

struct FormField {
  std::string value;     // the field's bytes (a file's content for an upload)
  std::string filename;  // set for a file upload, possibly empty
  std::string content_type;
  bool is_file = false;
};

struct Form {
  std::map<std::string, FormField> fields;  // by name; the first of repeated names wins
  const FormField* find(const std::string& name) const {
    auto it = fields.find(name);
    return it == fields.end() ? nullptr : &it->second;
  }
};

class FormError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws FormError with a message for the client when the body is not a form.
// application/x-www-form-urlencoded bodies are read too (curl -d).
Form parse_form(const std::string& content_type, const std::string& body);

}  // namespace pockettts_serve
