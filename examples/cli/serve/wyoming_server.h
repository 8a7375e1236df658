// The Wyoming front end (--wyoming-port): Home Assistant's protocol for voice services over
// TCP, one thread per connection. describe -> info (one TTS program, its voices and
// languages); synthesize -> audio-start, audio-chunk..., audio-stop; streaming synthesis
// (synthesize-start, synthesize-chunk..., synthesize-stop -> synthesize-stopped) spoken
// sentence by sentence as the text arrives; an error event for a bad request.
#pragma once

#include <gio/gio.h>

#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "server_context.h"

namespace pockettts_serve {

class WyomingServer {
 public:
  explicit WyomingServer(ServerContext& context);
  ~WyomingServer();
  WyomingServer(const WyomingServer&) = delete;
  WyomingServer& operator=(const WyomingServer&) = delete;

  // "localhost" is 127.0.0.1; port 0 picks a free one. Throws pockettts::Error when it cannot.
  void listen(const std::string& host, int port);
  int port() const { return port_; }
  void stop();

 private:
  static gboolean on_connection(GThreadedSocketService* service, GSocketConnection* connection,
                                GObject* source, gpointer self);
  void serve_connection(GSocketConnection* connection);

  ServerContext& context_;
  GSocketService* service_;
  int port_ = 0;
  // Open connections, shut down by stop() so that their threads (blocked reading) end.
  std::mutex connections_mutex_;
  std::set<GSocketConnection*> connections_;
  bool stopping_ = false;
};

// The sentences of `text` that are complete (ended by . ! ? or a newline and followed by
// whitespace); they are removed from `text`, which keeps the unfinished rest. Pure.
std::vector<std::string> take_complete_sentences(std::string& text);

}  // namespace pockettts_serve
