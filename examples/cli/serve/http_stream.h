// The response of one HTTP request whose audio a worker thread produces: the worker calls
// start / send / finish from its own thread, and each call hops to the server's main context,
// the only thread that may touch libsoup. It also says when the client has gone (the
// generation then stops) and applies backpressure: a worker waits while the bytes the client
// has not yet taken exceed a bound, and a client that takes none for the timeout is dropped.
#pragma once

#include <libsoup/soup.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace pockettts_serve {

class HttpStream : public std::enable_shared_from_this<HttpStream> {
 public:
  // Pauses `message` (on the main context, from the request handler) until the worker answers.
  static std::shared_ptr<HttpStream> begin(SoupServerMessage* message, GMainContext* context,
                                           int timeout_seconds,
                                           std::function<void(int status)> on_status);
  ~HttpStream();

  // Worker side.
  bool gone() const { return gone_.load(); }
  const std::atomic<bool>& gone_flag() const { return gone_; }
  // A complete response (an error before any audio).
  void respond(int status, const std::string& content_type, const std::string& body);
  // The status and headers of a streamed response; the body follows with send().
  void start(int status, const std::string& content_type,
             const std::map<std::string, std::string>& headers);
  // Queues bytes for the client; waits while too many are unsent. False once the client is gone.
  bool send(std::string bytes);
  void finish();  // the body is complete
  void abort();   // drops the connection (a failure after audio was sent: the client sees a cut)
  // Called on the main context when the client goes away.
  void on_gone(std::function<void()> callback);

 private:
  HttpStream(SoupServerMessage* message, GMainContext* context, int timeout_seconds,
             std::function<void(int)> on_status);
  void on_main(std::function<void(HttpStream&)> task);
  void mark_gone();
  static void finished_cb(SoupServerMessage* message, gpointer self);
  static void wrote_cb(SoupServerMessage* message, guint chunk_size, gpointer self);

  SoupServerMessage* message_;  // a reference of our own; used on the main context only
  GMainContext* context_;
  const int timeout_seconds_;
  std::function<void(int)> on_status_;
  bool finished_ = false;  // main context only
  std::atomic<bool> gone_{false};
  std::mutex mutex_;
  std::condition_variable drained_;
  size_t unsent_ = 0;
  std::function<void()> on_gone_;
};

}  // namespace pockettts_serve
