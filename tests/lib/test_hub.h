// A Hugging Face hub on loopback for the download tests: the hub itself on 127.0.0.1 answering
// /org/repo/resolve/<revision>/<path> as huggingface.co does (X-Repo-Commit, ETag; large files
// redirected with X-Linked-Etag / X-Linked-Size), and a storage host on 127.0.0.2 serving the
// large files' bytes. Both record every request's headers; files can be made to fail (status,
// transfer cut mid-body, wrong size, wrong content, endless redirects).
#pragma once

#include <libsoup/soup.h>

#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "test_util.h"

namespace pockettts_test {

struct RecordedRequest {
  std::string method;
  std::string path;
  std::map<std::string, std::string> headers;  // names in lower case

  bool has(const std::string& name) const { return headers.count(name) != 0; }
};

// An HTTP server on `address`, port chosen by the system, running in its own thread.
class LoopbackServer {
 public:
  using Handler = std::function<void(SoupServerMessage*, const RecordedRequest&)>;

  LoopbackServer(const std::string& address, Handler handler) : handler_(std::move(handler)) {
    std::promise<int> ready;
    thread_ = std::thread([this, address, &ready] { run(address, ready); });
    port_ = ready.get_future().get();
    ck_assert_msg(port_ > 0, "cannot listen on %s", address.c_str());
    url_ = "http://" + address + ":" + std::to_string(port_);
  }
  ~LoopbackServer() { stop(); }

  // Closes the port: later connections are refused.
  void stop() {
    if (!thread_.joinable()) return;
    g_main_context_invoke(
        context_,
        [](gpointer loop) {
          g_main_loop_quit(static_cast<GMainLoop*>(loop));
          return G_SOURCE_REMOVE;
        },
        loop_);
    thread_.join();
  }

  const std::string& url() const { return url_; }
  std::vector<RecordedRequest> requests() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }
  size_t count(const std::string& method) const {
    size_t n = 0;
    for (const auto& r : requests()) n += r.method == method;
    return n;
  }

 private:
  void run(const std::string& address, std::promise<int>& ready) {
    context_ = g_main_context_new();
    g_main_context_push_thread_default(context_);
    SoupServer* server = soup_server_new(nullptr, nullptr);
    soup_server_add_handler(server, nullptr, &LoopbackServer::on_request, this, nullptr);
    GSocketAddress* where = g_inet_socket_address_new_from_string(address.c_str(), 0);
    const gboolean listening =
        soup_server_listen(server, where, static_cast<SoupServerListenOptions>(0), nullptr);
    g_object_unref(where);
    int port = 0;
    GSList* uris = soup_server_get_uris(server);
    if (listening && uris != nullptr) port = g_uri_get_port(static_cast<GUri*>(uris->data));
    g_slist_free_full(uris, reinterpret_cast<GDestroyNotify>(g_uri_unref));
    loop_ = g_main_loop_new(context_, FALSE);
    ready.set_value(port);
    if (port > 0) g_main_loop_run(loop_);
    soup_server_disconnect(server);
    g_object_unref(server);
    g_main_loop_unref(loop_);
    g_main_context_pop_thread_default(context_);
    g_main_context_unref(context_);
  }

  static void on_request(SoupServer*, SoupServerMessage* message, const char* path, GHashTable*,
                         gpointer self_pointer) {
    auto* self = static_cast<LoopbackServer*>(self_pointer);
    RecordedRequest request;
    request.method = soup_server_message_get_method(message);
    request.path = path;
    SoupMessageHeadersIter iter;
    soup_message_headers_iter_init(&iter, soup_server_message_get_request_headers(message));
    const char* name = nullptr;
    const char* value = nullptr;
    while (soup_message_headers_iter_next(&iter, &name, &value)) {
      gchar* lower = g_ascii_strdown(name, -1);
      request.headers[lower] = value;
      g_free(lower);
    }
    {
      std::lock_guard<std::mutex> lock(self->mutex_);
      self->requests_.push_back(request);
    }
    self->handler_(message, request);
  }

  Handler handler_;
  std::thread thread_;
  GMainContext* context_ = nullptr;
  GMainLoop* loop_ = nullptr;
  int port_ = 0;
  std::string url_;
  mutable std::mutex mutex_;
  std::vector<RecordedRequest> requests_;
};

inline std::string checksum_hex(GChecksumType type, const std::string& data) {
  gchar* hex =
      g_compute_checksum_for_data(type, reinterpret_cast<const guchar*>(data.data()), data.size());
  std::string out = hex;
  g_free(hex);
  return out;
}

enum class Fault {
  kNone,
  kCutBody,       // Content-Length N, then N/2 bytes and the connection closed
  kWrongSize,     // the hub announces a size the storage host does not send
  kWrongContent,  // the storage host sends bytes whose sha256 is not the announced one
  kRedirectLoop,  // the storage host redirects to itself forever
  kSilent,        // the hub accepts the request and never answers
};

struct HubFile {
  std::string content;
  bool large = false;  // stored in LFS: redirected to the storage host, named by its sha256
  int status = 0;      // when set, the hub answers this status instead (401, 403, 404, 500)
  Fault fault = Fault::kNone;
  std::string commit;  // the commit it is served at (besides main); empty: TestHub::kCommit

  std::string sha256() const { return checksum_hex(G_CHECKSUM_SHA256, content); }
  // The hub's ETag of a small file is its git blob hash; any 40-hex name does here.
  std::string git_hash() const { return checksum_hex(G_CHECKSUM_SHA1, content); }
};

class TestHub {
 public:
  static constexpr const char* kCommit = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678";

  TestHub()
      : storage_("127.0.0.2",
                 [this](SoupServerMessage* m, const RecordedRequest& r) { serve_storage(m, r); }),
        hub_("127.0.0.1",
             [this](SoupServerMessage* m, const RecordedRequest& r) { serve_hub(m, r); }) {}

  // `key` is "org/repo/path/in/repo".
  void add(const std::string& key, const std::string& content, bool large = false) {
    std::lock_guard<std::mutex> lock(mutex_);
    files_[key] = HubFile{content, large, 0, Fault::kNone, {}};
  }
  // The same at a pinned commit (as the shipped configs and voices name their files).
  void add_at_commit(const std::string& key, const std::string& commit, const std::string& content,
                     bool large = false) {
    std::lock_guard<std::mutex> lock(mutex_);
    files_[key] = HubFile{content, large, 0, Fault::kNone, commit};
  }
  void set_status(const std::string& key, int status) {
    std::lock_guard<std::mutex> lock(mutex_);
    files_.at(key).status = status;
  }
  void set_fault(const std::string& key, Fault fault) {
    std::lock_guard<std::mutex> lock(mutex_);
    files_.at(key).fault = fault;
  }
  // Requests for `from` (org/repo) are redirected to `to`, with a relative Location, as the hub
  // does for a renamed repository.
  void rename(const std::string& from, const std::string& to) {
    std::lock_guard<std::mutex> lock(mutex_);
    renames_[from] = to;
  }
  HubFile file(const std::string& key) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return files_.at(key);
  }

  std::string endpoint() const { return hub_.url(); }
  LoopbackServer& hub() { return hub_; }
  LoopbackServer& storage() { return storage_; }
  void stop() {
    hub_.stop();
    storage_.stop();
  }

 private:
  static void set_header(SoupServerMessage* m, const char* name, const std::string& value) {
    soup_message_headers_replace(soup_server_message_get_response_headers(m), name, value.c_str());
  }

  // The whole file, or half of it under a full Content-Length, written by hand on the stolen
  // connection (SoupServer itself never sends a short body).
  static void send_body(SoupServerMessage* m, const RecordedRequest& request,
                        const std::string& content, Fault fault) {
    if (fault == Fault::kCutBody && request.method == "GET") {
      GIOStream* connection = soup_server_message_steal_connection(m);
      const std::string head =
          "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(content.size()) +
          "\r\nConnection: close\r\n\r\n" + content.substr(0, content.size() / 2);
      g_output_stream_write_all(g_io_stream_get_output_stream(connection), head.data(), head.size(),
                                nullptr, nullptr, nullptr);
      g_io_stream_close(connection, nullptr, nullptr);
      g_object_unref(connection);
      return;
    }
    soup_server_message_set_status(m, 200, nullptr);
    soup_server_message_set_response(m, "application/octet-stream", SOUP_MEMORY_COPY,
                                     content.data(), content.size());
  }

  void serve_hub(SoupServerMessage* m, const RecordedRequest& request) {
    // /org/repo/resolve/<revision>/<path>
    const std::string marker = "/resolve/";
    const size_t at = request.path.find(marker);
    const size_t rev_end =
        at == std::string::npos ? std::string::npos : request.path.find('/', at + marker.size());
    if (rev_end == std::string::npos) {
      soup_server_message_set_status(m, 404, nullptr);
      return;
    }
    const std::string repo = request.path.substr(1, at - 1);
    const std::string revision =
        request.path.substr(at + marker.size(), rev_end - at - marker.size());
    const std::string key = repo + "/" + request.path.substr(rev_end + 1);
    HubFile file;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      const auto renamed = renames_.find(repo);
      if (renamed != renames_.end()) {
        set_header(m, "Location", "/" + renamed->second + request.path.substr(at));
        soup_server_message_set_status(m, 307, nullptr);
        return;
      }
      const auto found = files_.find(key);
      const std::string commit = found == files_.end() || found->second.commit.empty()
                                     ? std::string(kCommit)
                                     : found->second.commit;
      if (found == files_.end() || (revision != "main" && revision != commit)) {
        set_header(m, "X-Error-Code", "EntryNotFound");
        set_header(m, "X-Repo-Commit", kCommit);
        soup_server_message_set_status(m, 404, nullptr);
        return;
      }
      file = found->second;
    }
    if (file.fault == Fault::kSilent) {
      soup_server_message_pause(m);
      return;
    }
    if (file.status != 0) {
      if (file.status == 401 || file.status == 403) {
        set_header(m, "X-Error-Code", "GatedRepo");
        set_header(m, "X-Error-Message", "Access to model " + repo + " is restricted.");
      }
      soup_server_message_set_status(m, file.status, nullptr);
      return;
    }
    set_header(m, "X-Repo-Commit", file.commit.empty() ? kCommit : file.commit);
    if (!file.large) {
      set_header(m, "ETag", "\"" + file.git_hash() + "\"");
      send_body(m, request, file.content, file.fault);
      return;
    }
    const uint64_t size = file.content.size() + (file.fault == Fault::kWrongSize ? 3 : 0);
    set_header(m, "ETag", "W/\"" + file.git_hash() + "\"");  // the pointer file's
    set_header(m, "X-Linked-Etag", "\"" + file.sha256() + "\"");
    set_header(m, "X-Linked-Size", std::to_string(size));
    set_header(m, "Location", storage_.url() + "/blobs/" + file.sha256() + "?signature=s3cr3t");
    soup_server_message_set_status(m, 302, nullptr);
  }

  void serve_storage(SoupServerMessage* m, const RecordedRequest& request) {
    const std::string sha = request.path.substr(request.path.rfind('/') + 1);
    HubFile file;
    bool found = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (const auto& entry : files_) {
        if (entry.second.large && entry.second.sha256() == sha) {
          file = entry.second;
          found = true;
        }
      }
    }
    if (!found) {
      soup_server_message_set_status(m, 404, nullptr);
      return;
    }
    if (file.fault == Fault::kRedirectLoop) {
      set_header(m, "Location", request.path);
      soup_server_message_set_status(m, 302, nullptr);
      return;
    }
    if (file.fault == Fault::kWrongContent) file.content[0] ^= 0x5a;
    set_header(m, "ETag", "\"" + sha + "\"");
    send_body(m, request, file.content, file.fault);
  }

  mutable std::mutex mutex_;
  std::map<std::string, HubFile> files_;
  std::map<std::string, std::string> renames_;
  // Declared after what their handlers use: they stop (join their thread) first.
  LoopbackServer storage_;
  LoopbackServer hub_;
};

}  // namespace pockettts_test
