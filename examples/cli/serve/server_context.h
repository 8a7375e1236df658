// What every front end of one `pockettts serve` process shares: the loaded model, its options,
// the voices, the generation slots and the metrics; and the worker threads it must wait for
// when it stops.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include <pockettts/tts_model.h>

#include "generation_slots.h"
#include "metrics.h"
#include "serve_options.h"
#include "voice_store.h"

namespace pockettts_serve {

struct ServerContext {
  ServerContext(std::shared_ptr<const pockettts::TTSModel> loaded, ServeOptions serve_options)
      : model(std::move(loaded)),
        options(std::move(serve_options)),
        voices(model, options.voice_cache_size, options.max_uploaded_voices),
        slots(options.max_concurrent, options.max_queue) {}

  std::shared_ptr<const pockettts::TTSModel> model;
  ServeOptions options;
  std::string default_voice;  // the source of --voice (or the model's default)
  VoiceStore voices;
  GenerationSlots slots;
  Metrics metrics;

  // Worker threads running (each request generates on one); stop() waits for them.
  void worker_started() {
    std::lock_guard<std::mutex> lock(workers_mutex);
    ++workers;
  }
  void worker_done() {
    std::lock_guard<std::mutex> lock(workers_mutex);
    --workers;
    workers_done.notify_all();
  }
  void wait_for_workers() {
    std::unique_lock<std::mutex> lock(workers_mutex);
    workers_done.wait(lock, [&] { return workers == 0; });
  }
  std::mutex workers_mutex;
  std::condition_variable workers_done;
  int workers = 0;
};

// The voice state a request names: "" (the server's voice), a predefined voice of the model,
// the id of an uploaded voice, or an http(s):// or hf:// URL. Never a local path: a client must
// not make the server read its files. Throws pockettts::Error(kInvalidArgument) otherwise.
SharedVoice resolve_voice(ServerContext& context, const std::string& voice);
// Whether resolve_voice would take it, without preparing it (checked before a request waits).
bool is_acceptable_voice(const ServerContext& context, const std::string& voice);

}  // namespace pockettts_serve
