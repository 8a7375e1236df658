// The HTTP front end of `pockettts serve` on libsoup 3's SoupServer: the reference's page and
// POST /tts, OpenAI's /v1/audio/speech and /v1/models, the voices of /v1/audio/voices,
// /health and /metrics. Runs on the thread of `context`; every generation runs on a worker
// thread of its own, all of them at once on the one model.
#pragma once

#include <libsoup/soup.h>

#include <string>

#include "server_context.h"

namespace pockettts_serve {

class HttpServer {
 public:
  HttpServer(ServerContext& context, GMainContext* main_context);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Listens on host:port ("localhost" both IPv4 and IPv6 loopback, "0.0.0.0" / "::" every
  // interface). Throws pockettts::Error(kUnsupported) when it cannot.
  void listen(const std::string& host, int port);
  // The port actually bound (port 0 picks a free one).
  int port() const;

 private:
  SoupServer* server_;
  ServerContext& context_;
  GMainContext* main_context_;
};

}  // namespace pockettts_serve
