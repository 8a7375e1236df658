// A synchronous HTTP client for downloads (libsoup 3 underneath, invisible here): one request at
// a time, the body read in chunks by the caller, redirects followed by the client itself so the
// Authorization header never reaches another host.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <pockettts/error.h>

namespace pockettts {

// Header names compare case-insensitively, as HTTP says.
class HttpHeaders {
 public:
  void set(const std::string& name, const std::string& value);
  void remove(const std::string& name);
  std::optional<std::string> get(const std::string& name) const;
  const std::vector<std::pair<std::string, std::string>>& all() const { return entries_; }

 private:
  std::vector<std::pair<std::string, std::string>> entries_;
};

enum class RedirectPolicy {
  kFollow,          // any host; Authorization dropped when the origin changes
  kFollowSameHost,  // only within the origin of the request (a renamed repository)
  kNone,            // a 3xx is returned to the caller, Location and all
};

struct HttpRequest {
  std::string method = "GET";  // GET or HEAD
  std::string url;
  HttpHeaders headers;
  RedirectPolicy redirects = RedirectPolicy::kFollow;
  double timeout_seconds = 10;  // connecting, and each wait for data
};

// Valid while the HttpClient that sent it lives.
class HttpResponse {
 public:
  HttpResponse();
  HttpResponse(HttpResponse&&) noexcept;
  HttpResponse& operator=(HttpResponse&&) noexcept;
  ~HttpResponse();

  int status = 0;
  std::string reason;
  std::string url;       // the URL answered, after the redirects followed
  std::string location;  // of a redirect not followed: its Location made absolute
  HttpHeaders headers;

  bool is_redirect() const { return status >= 300 && status < 400; }
  // The body length announced by the server, when it sent one for the body as transferred.
  std::optional<uint64_t> content_length() const;

  // Reads up to `size` bytes of the body; 0 at its end. Throws Error(kNetwork) naming the host
  // when the connection fails or closes early, Error(kCancelled) after HttpClient::cancel().
  size_t read(char* buffer, size_t size);

  struct Body;

 private:
  std::unique_ptr<Body> body_;
  friend class HttpClient;
};

class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends `request`; any status is returned (the caller decides what a 404 means). Throws
  // Error(kNetwork) naming the host and the cause when no response arrives, and on too many
  // redirects.
  HttpResponse send(const HttpRequest& request);

  // Interrupts the request or body read in progress (or the next one); thread-safe.
  void cancel();

  static constexpr int kMaxRedirects = 10;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The Error for a response whose status is not 2xx: 404 and 410 are kNotFound, 401 and 403
// kPermissionDenied, the rest kNetwork; the message names `what`, the status and the server's
// X-Error-Message when it sent one.
Error http_status_error(const HttpResponse& response, const std::string& what);

// scheme://host:port of `url` (default port spelled out); empty when `url` does not parse.
std::string url_origin(const std::string& url);

// The host (with the port when there is one) of `url`, for messages and origin checks; empty
// when `url` does not parse.
std::string url_host(const std::string& url);

}  // namespace pockettts
