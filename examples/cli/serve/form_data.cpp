#include "form_data.h"

#include <libsoup/soup.h>

#include <memory>

namespace pockettts_serve {

namespace {

Form parse_urlencoded(const std::string& body) {
  Form form;
  GHashTable* table = soup_form_decode(body.c_str());
  if (!table) throw FormError("the form body cannot be decoded");
  GHashTableIter iter;
  gpointer key = nullptr, value = nullptr;
  g_hash_table_iter_init(&iter, table);
  while (g_hash_table_iter_next(&iter, &key, &value)) {
    form.fields[static_cast<const char*>(key)].value = static_cast<const char*>(value);
  }
  g_hash_table_destroy(table);
  return form;
}

}  // namespace

Form parse_form(const std::string& content_type, const std::string& body) {
  if (content_type.rfind("application/x-www-form-urlencoded", 0) == 0) {
    if (body.find('\0') != std::string::npos) throw FormError("the form body holds a NUL byte");
    return parse_urlencoded(body);
  }
  if (content_type.rfind("multipart/form-data", 0) != 0) {
    throw FormError("expected a multipart/form-data body (Content-Type: " +
                    (content_type.empty() ? std::string("none") : content_type) + ")");
  }
  std::unique_ptr<SoupMessageHeaders, void (*)(SoupMessageHeaders*)> headers(
      soup_message_headers_new(SOUP_MESSAGE_HEADERS_REQUEST), soup_message_headers_unref);
  soup_message_headers_replace(headers.get(), "Content-Type", content_type.c_str());
  // libsoup's multipart parser runs strstr() over the body: it reads past a buffer that is not
  // NUL-terminated (found by fuzz_form_data; SoupServer's own bodies always are). The string's
  // buffer is, and outlives the multipart, which is freed below.
  GBytes* bytes = g_bytes_new_static(body.c_str(), body.size());
  SoupMultipart* multipart = soup_multipart_new_from_message(headers.get(), bytes);
  g_bytes_unref(bytes);
  if (!multipart) throw FormError("the multipart/form-data body cannot be parsed");

  Form form;
  const int parts = soup_multipart_get_length(multipart);
  for (int i = 0; i < parts; ++i) {
    SoupMessageHeaders* part_headers = nullptr;
    GBytes* part_body = nullptr;
    if (!soup_multipart_get_part(multipart, i, &part_headers, &part_body)) continue;
    char* disposition = nullptr;
    GHashTable* params = nullptr;
    if (!soup_message_headers_get_content_disposition(part_headers, &disposition, &params)) {
      continue;  // a part without a disposition names no field
    }
    const char* name = static_cast<const char*>(g_hash_table_lookup(params, "name"));
    if (name && g_ascii_strcasecmp(disposition, "form-data") == 0 && !form.find(name)) {
      FormField field;
      gsize size = 0;
      const char* data = static_cast<const char*>(g_bytes_get_data(part_body, &size));
      // libsoup gives a part of a malformed body a wrapped-around size (found by
      // fuzz_form_data): a part must lie inside the body.
      if (size > body.size() || (size > 0 && (data < body.data() ||
                                              data + size > body.data() + body.size()))) {
        g_free(disposition);
        g_hash_table_destroy(params);
        soup_multipart_free(multipart);
        throw FormError("the multipart/form-data body is malformed (a part runs past its end)");
      }
      field.value.assign(data ? data : "", size);
      gpointer filename = nullptr;
      if (g_hash_table_lookup_extended(params, "filename", nullptr, &filename)) {
        field.is_file = true;
        field.filename = filename ? static_cast<const char*>(filename) : "";
      }
      const char* type = soup_message_headers_get_content_type(part_headers, nullptr);
      if (type) field.content_type = type;
      form.fields.emplace(name, std::move(field));
    }
    g_free(disposition);
    g_hash_table_destroy(params);
  }
  soup_multipart_free(multipart);
  return form;
}

}  // namespace pockettts_serve
