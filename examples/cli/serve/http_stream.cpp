#include "http_stream.h"

#include <chrono>

namespace pockettts_serve {

namespace {
// About 20 s of 16-bit audio: a client that lags more than this holds the generation back.
constexpr size_t kMaxUnsentBytes = 1 << 20;
}  // namespace

std::shared_ptr<HttpStream> HttpStream::begin(SoupServerMessage* message, GMainContext* context,
                                              int timeout_seconds,
                                              std::function<void(int)> on_status) {
  std::shared_ptr<HttpStream> stream(
      new HttpStream(message, context, timeout_seconds, std::move(on_status)));
  // The signals hold a weak reference: the stream may end (on a worker thread) before the
  // message does.
  auto weak = [&] { return static_cast<gpointer>(new std::weak_ptr<HttpStream>(stream)); };
  auto forget = [](gpointer data, GClosure*) {
    delete static_cast<std::weak_ptr<HttpStream>*>(data);
  };
  g_signal_connect_data(message, "finished", G_CALLBACK(finished_cb), weak(), forget,
                        static_cast<GConnectFlags>(0));
  g_signal_connect_data(message, "wrote-body-data", G_CALLBACK(wrote_cb), weak(), forget,
                        static_cast<GConnectFlags>(0));
  soup_server_message_pause(message);
  return stream;
}

HttpStream::HttpStream(SoupServerMessage* message, GMainContext* context, int timeout_seconds,
                       std::function<void(int)> on_status)
    : message_(SOUP_SERVER_MESSAGE(g_object_ref(message))),
      context_(g_main_context_ref(context)),
      timeout_seconds_(timeout_seconds),
      on_status_(std::move(on_status)) {
  // Written bytes are not kept: a long stream must not grow in memory.
  soup_message_body_set_accumulate(soup_server_message_get_response_body(message_), FALSE);
}

HttpStream::~HttpStream() {
  // The last reference may go on a worker thread: libsoup's objects are released on the main
  // context.
  g_main_context_invoke_full(
      context_, G_PRIORITY_DEFAULT,
      [](gpointer message) -> gboolean {
        g_object_unref(message);
        return G_SOURCE_REMOVE;
      },
      message_, nullptr);
  g_main_context_unref(context_);
}

void HttpStream::finished_cb(SoupServerMessage*, gpointer data) {
  std::shared_ptr<HttpStream> stream = static_cast<std::weak_ptr<HttpStream>*>(data)->lock();
  if (!stream) return;
  stream->finished_ = true;
  stream->mark_gone();
}

void HttpStream::wrote_cb(SoupServerMessage*, guint chunk_size, gpointer data) {
  std::shared_ptr<HttpStream> stream = static_cast<std::weak_ptr<HttpStream>*>(data)->lock();
  if (!stream) return;
  std::lock_guard<std::mutex> lock(stream->mutex_);
  stream->unsent_ -= std::min<size_t>(stream->unsent_, chunk_size);
  stream->drained_.notify_all();
}

void HttpStream::mark_gone() {
  std::function<void()> callback;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (gone_.exchange(true)) return;
    callback = on_gone_;
    drained_.notify_all();
  }
  if (callback) callback();
}

void HttpStream::on_gone(std::function<void()> callback) {
  std::lock_guard<std::mutex> lock(mutex_);
  on_gone_ = std::move(callback);
}

void HttpStream::on_main(std::function<void(HttpStream&)> task) {
  struct Task {
    std::shared_ptr<HttpStream> stream;
    std::function<void(HttpStream&)> run;
  };
  g_main_context_invoke_full(
      context_, G_PRIORITY_DEFAULT,
      [](gpointer data) -> gboolean {
        auto* task = static_cast<Task*>(data);
        if (!task->stream->finished_) task->run(*task->stream);
        return G_SOURCE_REMOVE;
      },
      new Task{shared_from_this(), std::move(task)},
      [](gpointer data) { delete static_cast<Task*>(data); });
}

void HttpStream::respond(int status, const std::string& content_type, const std::string& body) {
  on_main([status, content_type, body](HttpStream& self) {
    soup_server_message_set_status(self.message_, static_cast<guint>(status), nullptr);
    soup_server_message_set_response(self.message_, content_type.c_str(), SOUP_MEMORY_COPY,
                                     body.data(), body.size());
    soup_server_message_unpause(self.message_);
    if (self.on_status_) self.on_status_(status);
  });
}

void HttpStream::start(int status, const std::string& content_type,
                       const std::map<std::string, std::string>& headers) {
  on_main([status, content_type, headers](HttpStream& self) {
    soup_server_message_set_status(self.message_, static_cast<guint>(status), nullptr);
    SoupMessageHeaders* response = soup_server_message_get_response_headers(self.message_);
    soup_message_headers_set_encoding(response, SOUP_ENCODING_CHUNKED);
    soup_message_headers_replace(response, "Content-Type", content_type.c_str());
    for (const auto& [name, value] : headers)
      soup_message_headers_replace(response, name.c_str(), value.c_str());
    if (self.on_status_) self.on_status_(status);
  });
}

bool HttpStream::send(std::string bytes) {
  if (bytes.empty()) return !gone();
  {
    std::unique_lock<std::mutex> lock(mutex_);
    const bool drained = drained_.wait_for(lock, std::chrono::seconds(timeout_seconds_), [&] {
      return gone_.load() || unsent_ < kMaxUnsentBytes;
    });
    if (gone_) return false;
    if (!drained) {
      lock.unlock();
      abort();  // the client has read nothing for the whole timeout
      return false;
    }
    unsent_ += bytes.size();
  }
  auto shared = std::make_shared<std::string>(std::move(bytes));
  on_main([shared](HttpStream& self) {
    soup_message_body_append(soup_server_message_get_response_body(self.message_), SOUP_MEMORY_COPY,
                             shared->data(), shared->size());
    soup_server_message_unpause(self.message_);
  });
  return !gone();
}

void HttpStream::finish() {
  on_main([](HttpStream& self) {
    soup_message_body_complete(soup_server_message_get_response_body(self.message_));
    soup_server_message_unpause(self.message_);
  });
}

void HttpStream::abort() {
  on_main([](HttpStream& self) {
    // Closing the socket makes libsoup end the message (and emit "finished").
    if (GSocket* socket = soup_server_message_get_socket(self.message_)) {
      g_socket_shutdown(socket, TRUE, TRUE, nullptr);
    }
    soup_message_body_complete(soup_server_message_get_response_body(self.message_));
    soup_server_message_unpause(self.message_);
  });
  mark_gone();
}

}  // namespace pockettts_serve
