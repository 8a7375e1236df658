#include "resources/http_client.h"

#include <libsoup/soup.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include <pockettts/error.h>

namespace pockettts {
namespace {

// libsoup's flag set is an int in C++.
const GUriFlags kHttpUriFlags = static_cast<GUriFlags>(SOUP_HTTP_URI_FLAGS);

bool same_name(const std::string& a, const std::string& b) {
  return g_ascii_strcasecmp(a.c_str(), b.c_str()) == 0;
}

struct UriDeleter {
  void operator()(GUri* uri) const { g_uri_unref(uri); }
};
using UriPtr = std::unique_ptr<GUri, UriDeleter>;

UriPtr parse_uri(const std::string& url) {
  return UriPtr(g_uri_parse(url.c_str(), kHttpUriFlags, nullptr));
}

int port_of(GUri* uri) {
  const int port = g_uri_get_port(uri);
  if (port > 0) return port;
  return g_ascii_strcasecmp(g_uri_get_scheme(uri), "https") == 0 ? 443 : 80;
}

[[noreturn]] void throw_transfer_error(GError* error, const std::string& what,
                                       const std::string& host) {
  const bool cancelled = g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  const std::string cause = error != nullptr ? error->message : "unknown error";
  g_clear_error(&error);
  if (cancelled) throw Error(ErrorCode::kCancelled, what + " was cancelled");
  throw Error(ErrorCode::kNetwork, what + " failed: " + host + ": " + cause);
}

void copy_headers(SoupMessageHeaders* from, HttpHeaders& to) {
  SoupMessageHeadersIter iter;
  soup_message_headers_iter_init(&iter, from);
  const char* name = nullptr;
  const char* value = nullptr;
  while (soup_message_headers_iter_next(&iter, &name, &value)) to.set(name, value);
}

bool is_http(const std::string& origin) {
  return origin.rfind("http://", 0) == 0 || origin.rfind("https://", 0) == 0;
}

bool is_followed_redirect(guint status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

}  // namespace

void HttpHeaders::set(const std::string& name, const std::string& value) {
  for (auto& entry : entries_) {
    if (same_name(entry.first, name)) {
      entry.second = value;
      return;
    }
  }
  entries_.emplace_back(name, value);
}

void HttpHeaders::remove(const std::string& name) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = same_name(it->first, name) ? entries_.erase(it) : it + 1;
  }
}

std::optional<std::string> HttpHeaders::get(const std::string& name) const {
  for (const auto& entry : entries_) {
    if (same_name(entry.first, name)) return entry.second;
  }
  return std::nullopt;
}

struct HttpResponse::Body {
  SoupMessage* message = nullptr;
  GInputStream* stream = nullptr;
  GCancellable* cancellable = nullptr;
  std::string what;  // "GET <url>", for messages
  std::string host;

  ~Body() {
    if (stream != nullptr) {
      g_input_stream_close(stream, nullptr, nullptr);
      g_object_unref(stream);
    }
    if (message != nullptr) g_object_unref(message);
    if (cancellable != nullptr) g_object_unref(cancellable);
  }
};

HttpResponse::HttpResponse() = default;
HttpResponse::HttpResponse(HttpResponse&&) noexcept = default;
HttpResponse& HttpResponse::operator=(HttpResponse&&) noexcept = default;
HttpResponse::~HttpResponse() = default;

std::optional<uint64_t> HttpResponse::content_length() const {
  // A compressed body says nothing about the file's size.
  const std::optional<std::string> encoding = headers.get("Content-Encoding");
  if (encoding && !same_name(*encoding, "identity")) return std::nullopt;
  const std::optional<std::string> length = headers.get("Content-Length");
  if (!length || length->empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const unsigned long long value = std::strtoull(length->c_str(), &end, 10);
  if (errno != 0 || *end != '\0' || (*length)[0] == '-') return std::nullopt;
  return value;
}

size_t HttpResponse::read(char* buffer, size_t size) {
  if (!body_ || body_->stream == nullptr) return 0;
  GError* error = nullptr;
  const gssize got = g_input_stream_read(body_->stream, buffer, size, body_->cancellable, &error);
  if (got < 0) throw_transfer_error(error, "reading the body of " + body_->what, body_->host);
  return static_cast<size_t>(got);
}

struct HttpClient::Impl {
  SoupSession* session = nullptr;
  GCancellable* cancellable = nullptr;
};

HttpClient::HttpClient() : impl_(std::make_unique<Impl>()) {
  // libsoup's own proxy resolver default (GProxyResolver) and TLS database stay in place.
  impl_->session = soup_session_new_with_options("user-agent", "pockettts", nullptr);
  // Downloads want the bytes as stored, and sizes that match them.
  soup_session_remove_feature_by_type(impl_->session, SOUP_TYPE_CONTENT_DECODER);
  impl_->cancellable = g_cancellable_new();
}

HttpClient::~HttpClient() {
  g_object_unref(impl_->cancellable);
  g_object_unref(impl_->session);
}

void HttpClient::cancel() { g_cancellable_cancel(impl_->cancellable); }

HttpResponse HttpClient::send(const HttpRequest& request) {
  const std::string first_origin = url_origin(request.url);
  if (!is_http(first_origin)) {
    throw Error(ErrorCode::kInvalidArgument, "not an http(s) URL: '" + request.url + "'");
  }
  soup_session_set_timeout(impl_->session,
                           static_cast<guint>(std::max(1.0, std::ceil(request.timeout_seconds))));
  std::string method = request.method;
  std::string url = request.url;
  bool left_origin = false;
  for (int hop = 0; hop <= kMaxRedirects; ++hop) {
    SoupMessage* message =
        is_http(url_origin(url)) ? soup_message_new(method.c_str(), url.c_str()) : nullptr;
    if (message == nullptr) {
      throw Error(ErrorCode::kNetwork,
                  request.url + " redirects to '" + url + "', which is not an http(s) URL");
    }
    // Redirects are followed here, not by libsoup, to decide which headers go to the next host:
    // once the chain has left the first origin, the credentials stay behind for good.
    soup_message_add_flags(message, SOUP_MESSAGE_NO_REDIRECT);
    left_origin = left_origin || url_origin(url) != first_origin;
    SoupMessageHeaders* out = soup_message_get_request_headers(message);
    for (const auto& [name, value] : request.headers.all()) {
      if (left_origin && same_name(name, "Authorization")) continue;
      soup_message_headers_replace(out, name.c_str(), value.c_str());
    }

    GError* error = nullptr;
    GInputStream* stream = soup_session_send(impl_->session, message, impl_->cancellable, &error);
    if (stream == nullptr) {
      g_object_unref(message);
      throw_transfer_error(error, method + " " + url, url_host(url));
    }
    const guint status = soup_message_get_status(message);
    SoupMessageHeaders* in = soup_message_get_response_headers(message);
    const char* location = soup_message_headers_get_one(in, "Location");
    std::string target;
    if (location != nullptr) {
      GUri* uri =
          g_uri_parse_relative(soup_message_get_uri(message), location, kHttpUriFlags, nullptr);
      if (uri != nullptr) {
        gchar* text = g_uri_to_string(uri);
        target = text;
        g_free(text);
        g_uri_unref(uri);
      }
    }
    std::string next;
    if (is_followed_redirect(status) && !target.empty() &&
        (request.redirects == RedirectPolicy::kFollow ||
         (request.redirects == RedirectPolicy::kFollowSameHost &&
          url_origin(target) == first_origin))) {
      next = target;
    }
    if (!next.empty()) {
      g_input_stream_close(stream, nullptr, nullptr);
      g_object_unref(stream);
      g_object_unref(message);
      if (status == 303 && method != "HEAD") method = "GET";
      url = next;
      continue;
    }

    HttpResponse response;
    response.status = static_cast<int>(status);
    const char* reason = soup_message_get_reason_phrase(message);
    response.reason = reason != nullptr ? reason : "";
    response.url = url;
    if (response.is_redirect()) response.location = target;
    copy_headers(in, response.headers);
    response.body_ = std::make_unique<HttpResponse::Body>();
    response.body_->message = message;
    response.body_->stream = stream;
    response.body_->cancellable = G_CANCELLABLE(g_object_ref(impl_->cancellable));
    response.body_->what = method + " " + url;
    response.body_->host = url_host(url);
    return response;
  }
  throw Error(ErrorCode::kNetwork, "too many redirects (more than " +
                                       std::to_string(kMaxRedirects) + ") for " + request.url);
}

Error http_status_error(const HttpResponse& response, const std::string& what) {
  std::string message = what + ": HTTP " + std::to_string(response.status);
  if (!response.reason.empty()) message += " " + response.reason;
  const std::optional<std::string> detail = response.headers.get("X-Error-Message");
  if (detail && !detail->empty()) message += " (" + *detail + ")";
  if (response.status == 404 || response.status == 410) {
    return Error(ErrorCode::kNotFound, message + ": " + response.url);
  }
  if (response.status == 401 || response.status == 403) {
    return Error(ErrorCode::kPermissionDenied, message + " from " + url_host(response.url));
  }
  return Error(ErrorCode::kNetwork, message + " from " + url_host(response.url));
}

std::string url_origin(const std::string& url) {
  const UriPtr uri = parse_uri(url);
  if (!uri || g_uri_get_host(uri.get()) == nullptr) return "";
  gchar* host = g_ascii_strdown(g_uri_get_host(uri.get()), -1);
  std::string origin = std::string(g_uri_get_scheme(uri.get())) + "://" + host + ":" +
                       std::to_string(port_of(uri.get()));
  g_free(host);
  return origin;
}

std::string url_host(const std::string& url) {
  const UriPtr uri = parse_uri(url);
  if (!uri || g_uri_get_host(uri.get()) == nullptr) return "";
  std::string host = g_uri_get_host(uri.get());
  if (g_uri_get_port(uri.get()) > 0) host += ":" + std::to_string(g_uri_get_port(uri.get()));
  return host;
}

}  // namespace pockettts
