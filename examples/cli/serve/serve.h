// `pockettts serve`: runs the HTTP server (and the Wyoming one when asked) on a loaded model
// until SIGINT or SIGTERM.
#pragma once

#include <memory>

#include <pockettts/tts_model.h>

#include "serve_options.h"

namespace pockettts_serve {

// Prepares the default voice, listens, prints "Listening on http://HOST:PORT" on stderr and
// serves until interrupted. Returns the exit code. Throws pockettts::Error when it cannot start.
int run_server(std::shared_ptr<const pockettts::TTSModel> model, const ServeOptions& options);

}  // namespace pockettts_serve
