#include "serve.h"

#include <glib-unix.h>
#include <gst/gst.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <thread>

#include <pockettts/error.h>

#include "http_server.h"
#include "server_context.h"
#include "wyoming_server.h"

namespace pockettts_serve {

int run_server(std::shared_ptr<const pockettts::TTSModel> model, const ServeOptions& options) {
  gst_init(nullptr, nullptr);  // the compressed formats' encoders
  auto context = std::make_unique<ServerContext>(model, options);
  context->default_voice = options.voice.empty() ? model->default_voice() : options.voice;
  if (context->default_voice.empty()) {
    throw pockettts::Error(pockettts::ErrorCode::kInvalidArgument,
                           "this model has no predefined voices (it was loaded from a config "
                           "file, not a pack): give --voice");
  }
  // The default voice is prepared once, before the first request, so that a bad --voice fails
  // at start and the first request is not slower than the others.
  context->voices.from_source(context->default_voice);
  context->slots.on_change([metrics = &context->metrics](int running, int queued) {
    metrics->set_generations(running, queued);
  });

  GMainContext* main_context = g_main_context_default();
  GMainLoop* loop = g_main_loop_new(main_context, FALSE);
  auto http = std::make_unique<HttpServer>(*context, main_context);
  http->listen(options.host, options.port);
  const std::string shown_host =
      options.host.find(':') != std::string::npos ? "[" + options.host + "]" : options.host;
  std::cerr << "Listening on http://" << shown_host << ":" << http->port() << std::endl;

  std::unique_ptr<WyomingServer> wyoming;
  if (options.wyoming_port) {
    wyoming = std::make_unique<WyomingServer>(*context);
    wyoming->listen(options.host, *options.wyoming_port);
    std::cerr << "Wyoming on tcp://" << shown_host << ":" << wyoming->port() << std::endl;
  }

  auto quit = +[](gpointer data) -> gboolean {
    g_main_loop_quit(static_cast<GMainLoop*>(data));
    return G_SOURCE_REMOVE;
  };
  g_unix_signal_add(SIGINT, quit, loop);
  g_unix_signal_add(SIGTERM, quit, loop);
  g_main_loop_run(loop);
  std::cerr << "Stopping: ending the requests in progress" << std::endl;

  // Closing every connection ends every message, which cancels its generation; workers then
  // still post to the main context, so it keeps turning until they are done (at most 10 s).
  if (wyoming) wyoming->stop();
  http.reset();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(context->workers_mutex);
      if (context->workers == 0) break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      std::cerr << "pockettts: warning: requests still running at exit" << std::endl;
      std::quick_exit(0);
    }
    while (g_main_context_iteration(main_context, FALSE)) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  while (g_main_context_iteration(main_context, FALSE)) {
  }
  g_main_loop_unref(loop);
  return 0;
}

}  // namespace pockettts_serve
