// The routes of the HTTP server. Handlers run on the main context and only read and check the
// request; everything slow (preparing a voice, generating) runs on a worker thread per request
// that answers through an HttpStream.
#include "http_server.h"

#include <chrono>
#include <ctime>
#include <thread>

#include <pockettts/error.h>
#include <pockettts/ssml.h>
#include <pockettts/text.h>
#include <nlohmann/json.hpp>

#include "audio_encoder.h"
#include "form_data.h"
#include "http_stream.h"
#include "speech_generation.h"
#include "speech_request.h"
#include "web_page.h"

namespace pockettts_serve {

using nlohmann::json;
using pockettts::ErrorCode;
using Clock = std::chrono::steady_clock;

namespace {

// How errors look: the reference's endpoints answer as FastAPI does ({"detail": ...}),
// OpenAI's as OpenAI does ({"error": {"message", "type", "param", "code"}}).
enum class ErrorShape { kFastApi, kOpenAi };

ErrorShape shape_for(const char* path) {
  return g_str_has_prefix(path, "/v1/") ? ErrorShape::kOpenAi : ErrorShape::kFastApi;
}

const char* openai_type(int status) {
  if (status == 401) return "authentication_error";
  if (status == 404) return "not_found_error";
  if (status == 429 || status == 503) return "server_overloaded";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

std::string error_body(ErrorShape shape, int status, const std::string& message,
                       const std::string& param = "") {
  if (shape == ErrorShape::kFastApi)
    return json{{"detail", message}}.dump(-1, ' ', false, json::error_handler_t::replace);
  json error = {
      {"message", message}, {"type", openai_type(status)}, {"param", nullptr}, {"code", nullptr}};
  if (!param.empty()) error["param"] = param;
  return json{{"error", error}}.dump(-1, ' ', false, json::error_handler_t::replace);
}

int status_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNotFound:
    case ErrorCode::kInvalidData:
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kUnsupported:
      return 400;
    case ErrorCode::kPermissionDenied:
    case ErrorCode::kNetwork:
      return 502;  // the voice's server refused or failed
    case ErrorCode::kCancelled:
      return 503;
    case ErrorCode::kInternal:
      break;
  }
  return 500;
}

void reply(SoupServerMessage* message, int status, const char* content_type,
           const std::string& body) {
  soup_server_message_set_status(message, static_cast<guint>(status), nullptr);
  soup_server_message_set_response(message, content_type, SOUP_MEMORY_COPY, body.data(),
                                   body.size());
}

// An endpoint's error answer, counted in the metrics under that endpoint.
void reply_error(SoupServerMessage* message, ServerContext& context, const std::string& endpoint,
                 ErrorShape shape, int status, const std::string& text,
                 const std::string& param = "") {
  reply(message, status, "application/json", error_body(shape, status, text, param));
  context.metrics.count_request(endpoint, status);
}

std::string request_body(SoupServerMessage* message) {
  GBytes* bytes = soup_message_body_flatten(soup_server_message_get_request_body(message));
  gsize size = 0;
  const char* data = static_cast<const char*>(g_bytes_get_data(bytes, &size));
  std::string body(data ? data : "", size);
  g_bytes_unref(bytes);
  return body;
}

std::string header(SoupServerMessage* message, const char* name) {
  const char* value =
      soup_message_headers_get_one(soup_server_message_get_request_headers(message), name);
  return value ? value : "";
}

bool is_method(SoupServerMessage* message, const char* method) {
  return g_strcmp0(soup_server_message_get_method(message), method) == 0;
}

// Keys compared in time independent of where they differ.
bool same_key(const std::string& given, const std::string& key) {
  unsigned char difference = given.size() == key.size() ? 0 : 1;
  for (size_t i = 0; i < given.size(); ++i)
    difference |= static_cast<unsigned char>(given[i] ^ key[i % key.size()]);
  return difference == 0;
}

// What one request asks a worker to do, once it has a generation slot.
using WorkerTask = std::function<void(HttpStream& stream)>;

struct Route {
  HttpServer* server;
  ServerContext* context;
  GMainContext* main_context;
};

}  // namespace

// A request's worker: waits for a slot, then runs `task`. 503 at once when the queue is full.
static void run_on_worker(ServerContext& context, GMainContext* main_context,
                          SoupServerMessage* message, const std::string& endpoint, ErrorShape shape,
                          WorkerTask task) {
  if (!context.slots.enqueue()) {
    reply(message, 503, "application/json",
          error_body(shape, 503,
                     "the server is busy: " + std::to_string(context.options.max_queue) +
                         " requests are already waiting; retry later"));
    soup_message_headers_replace(soup_server_message_get_response_headers(message), "Retry-After",
                                 "1");
    context.metrics.count_request(endpoint, 503);
    return;
  }
  Metrics* metrics = &context.metrics;
  std::shared_ptr<HttpStream> stream = HttpStream::begin(
      message, main_context, context.options.client_timeout_seconds,
      [metrics, endpoint](int status) { metrics->count_request(endpoint, status); });
  GenerationSlots* slots = &context.slots;
  stream->on_gone([slots] { slots->wake(); });
  context.worker_started();
  std::thread([&context, stream, shape, task = std::move(task)] {
    if (context.slots.start(stream->gone_flag())) {
      GenerationSlot slot(context.slots);
      try {
        task(*stream);
      } catch (const pockettts::Error& error) {
        const int status = status_for(error.code());
        stream->respond(status, "application/json", error_body(shape, status, error.what()));
      } catch (const std::exception& error) {
        stream->respond(500, "application/json", error_body(shape, 500, error.what()));
      }
    } else {
      context.metrics.count_cancelled();
    }
    context.worker_done();
  }).detach();
}

namespace {

struct SpeechPlan {
  std::string text;
  bool ssml = false;  // the text is an SSML document (checked before the plan is made)
  std::function<SharedVoice()> voice;
  std::function<std::unique_ptr<AudioEncoder>()> encoder;
  std::map<std::string, std::string> headers;
};

pockettts::GenerateOptions generate_options(const ServerContext& context, const SpeechPlan& plan) {
  pockettts::GenerateOptions options = context.options.generate;
  if (plan.ssml) options.text_format = pockettts::TextFormat::kSsml;
  return options;
}

// A malformed SSML document is the client's error, found before it waits for a slot.
// Returns the message, or "" when the document reads.
std::string ssml_problem(const std::string& text) {
  try {
    pockettts::parse_ssml(text);
  } catch (const pockettts::Error& error) {
    return std::string("the SSML cannot be read: ") + error.what();
  }
  return "";
}

bool is_true(const std::string& value) {
  return value == "1" || value == "true" || value == "on" || value == "yes";
}

// Generates on the worker thread, streaming the encoded audio as it comes.
void speak(ServerContext& context, HttpStream& stream, const SpeechPlan& plan, ErrorShape shape,
           Clock::time_point received) {
  SharedVoice voice = plan.voice();
  std::unique_ptr<AudioEncoder> encoder = plan.encoder();
  auto generation = std::make_shared<SpeechGeneration>(context.model, *voice, plan.text,
                                                       generate_options(context, plan));
  stream.on_gone([generation, &context] {
    generation->cancel();
    context.slots.wake();
  });
  if (stream.gone()) generation->cancel();

  bool started = false;
  double first_byte = -1;
  auto begin = [&] {
    if (!started) stream.start(200, encoder->content_type(), plan.headers);
    started = true;
  };
  auto send = [&](std::string bytes) {
    if (bytes.empty()) return;
    begin();
    if (first_byte < 0) first_byte = std::chrono::duration<double>(Clock::now() - received).count();
    if (!stream.send(std::move(bytes))) generation->cancel();
  };
  const auto generation_start = Clock::now();
  size_t samples = 0;
  bool completed = false;
  try {
    samples = generation->run(
        [&](const std::vector<float>& chunk) { send(encoder->write(chunk.data(), chunk.size())); });
    if (!generation->cancelled()) {
      send(encoder->finish());
      begin();
      // Once the body is complete the message ends ("finished"): that is not a client leaving.
      stream.on_gone(nullptr);
      completed = true;
      stream.finish();
    }
  } catch (const pockettts::Error& error) {
    if (!started) {
      const int status = status_for(error.code());
      stream.respond(status, "application/json", error_body(shape, status, error.what()));
    } else {
      stream.abort();
    }
  } catch (const EncoderError& error) {
    if (!started)
      stream.respond(500, "application/json", error_body(shape, 500, error.what()));
    else
      stream.abort();
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - generation_start).count();
  const double audio_seconds = static_cast<double>(samples) / context.model->sample_rate();
  if (!completed && generation->cancelled()) context.metrics.count_cancelled();
  context.metrics.record_generation(audio_seconds, first_byte < 0 ? seconds : first_byte,
                                    audio_seconds > 0 ? seconds / audio_seconds : 0);
  stream.on_gone(nullptr);
}

// Both text checks of a request: the reference's empty-text message, and the size bound.
// Returns the status to answer with (0: the text is fine) and sets `message`.
int check_text(const ServerContext& context, const std::string& text, const char* empty_message,
               std::string& message) {
  if (text.size() > context.options.max_text_bytes) {
    message = "the text is " + std::to_string(text.size()) +
              " bytes long; this server takes at most " +
              std::to_string(context.options.max_text_bytes);
    return 413;
  }
  try {
    if (!pockettts::has_words(text)) {
      message = empty_message;
      return 400;
    }
  } catch (const pockettts::Error& error) {
    message = error.what();  // invalid UTF-8
    return 400;
  }
  return 0;
}

std::string uploaded_voice_json_fields(const UploadedVoice& voice, json& out) {
  out = {{"id", voice.id},       {"object", "voice"},           {"name", voice.name},
         {"bytes", voice.bytes}, {"created_at", voice.created}, {"type", "uploaded"}};
  return voice.id;
}

}  // namespace

// ---------------------------------------------------------------------------------------

namespace {

void handle_page(SoupServer*, SoupServerMessage* message, const char* path, GHashTable*,
                 gpointer data) {
  auto* route = static_cast<Route*>(data);
  ServerContext& context = *route->context;
  if (g_strcmp0(path, "/") != 0) {
    reply(message, 404, "application/json",
          error_body(shape_for(path), 404, std::string("no such endpoint: ") + path));
    context.metrics.count_request("other", 404);
    return;
  }
  if (!is_method(message, "GET") && !is_method(message, "HEAD")) {
    reply(message, 405, "application/json",
          error_body(ErrorShape::kFastApi, 405, "Method Not Allowed"));
    context.metrics.count_request("/", 405);
    return;
  }
  const std::string page =
      web_page(context.options.default_text, context.model->predefined_voices(),
               context.default_voice, !context.options.api_key.empty());
  reply(message, 200, "text/html; charset=utf-8", page);
  context.metrics.count_request("/", 200);
}

void handle_health(SoupServer*, SoupServerMessage* message, const char*, GHashTable*,
                   gpointer data) {
  auto* route = static_cast<Route*>(data);
  reply(message, 200, "application/json",
        json{{"status", "healthy"}}.dump(-1, ' ', false, json::error_handler_t::replace));
  route->context->metrics.count_request("/health", 200);
}

void handle_metrics(SoupServer*, SoupServerMessage* message, const char*, GHashTable*,
                    gpointer data) {
  auto* route = static_cast<Route*>(data);
  route->context->metrics.count_request("/metrics", 200);
  reply(message, 200, "text/plain; version=0.0.4; charset=utf-8", route->context->metrics.render());
}

void handle_models(SoupServer*, SoupServerMessage* message, const char*, GHashTable*,
                   gpointer data) {
  auto* route = static_cast<Route*>(data);
  const auto& model = *route->context->model;
  json entry = {{"id", "pocket-tts"},
                {"object", "model"},
                {"created", 0},
                {"owned_by", "kyutai"},
                {"variant", model.variant().empty() ? model.options().config : model.variant()}};
  reply(message, 200, "application/json",
        json{{"object", "list"}, {"data", {entry}}}.dump(-1, ' ', false,
                                                         json::error_handler_t::replace));
  route->context->metrics.count_request("/v1/models", 200);
}

void handle_tts(SoupServer*, SoupServerMessage* message, const char*, GHashTable*, gpointer data) {
  auto* route = static_cast<Route*>(data);
  ServerContext& context = *route->context;
  const std::string endpoint = "/tts";
  auto fail = [&](int status, const std::string& detail) {
    reply_error(message, context, endpoint, ErrorShape::kFastApi, status, detail);
  };
  if (!is_method(message, "POST")) return fail(405, "Method Not Allowed");
  Form form;
  try {
    form = parse_form(header(message, "Content-Type"), request_body(message));
  } catch (const FormError& error) {
    return fail(400, error.what());
  }
  const FormField* text = form.find("text");
  if (!text || text->is_file) {
    // FastAPI's answer to a missing required form field.
    reply(message, 422, "application/json",
          json{{"detail",
                {{{"type", "missing"},
                  {"loc", {"body", "text"}},
                  {"msg", "Field required"},
                  {"input", nullptr}}}}}
              .dump(-1, ' ', false, json::error_handler_t::replace));
    context.metrics.count_request(endpoint, 422);
    return;
  }
  std::string problem;
  if (int status = check_text(context, text->value, "Text cannot be empty", problem))
    return fail(status, problem);
  const FormField* voice_url = form.find("voice_url");
  const FormField* voice_wav = form.find("voice_wav");
  if (voice_url && voice_wav) return fail(400, "Cannot provide both voice_url and voice_wav");

  SpeechPlan plan;
  plan.text = text->value;
  const FormField* ssml = form.find("ssml");
  plan.ssml = ssml && is_true(ssml->value);
  if (plan.ssml) {
    const std::string problem_text = ssml_problem(plan.text);
    if (!problem_text.empty()) return fail(400, problem_text);
  }
  ServerContext* shared = &context;
  if (voice_wav) {
    const std::string audio = voice_wav->value;
    const std::string filename = voice_wav->filename;
    plan.voice = [shared, audio, filename] { return shared->voices.from_audio(audio, filename); };
  } else {
    const std::string voice = voice_url ? voice_url->value : "";
    if (voice_url && !is_acceptable_voice(context, voice))
      return fail(400, "voice_url must start with http://, https://, or hf://");
    plan.voice = [shared, voice] { return resolve_voice(*shared, voice); };
  }
  const int rate = context.model->sample_rate();
  plan.encoder = [rate] { return make_wav_encoder(rate, 0.2); };
  plan.headers = {{"Content-Disposition", "attachment; filename=generated_speech.wav"}};
  const auto received = Clock::now();
  run_on_worker(context, route->main_context, message, endpoint, ErrorShape::kFastApi,
                [shared, plan, received](HttpStream& stream) {
                  speak(*shared, stream, plan, ErrorShape::kFastApi, received);
                });
}

void handle_speech(SoupServer*, SoupServerMessage* message, const char*, GHashTable*,
                   gpointer data) {
  auto* route = static_cast<Route*>(data);
  ServerContext& context = *route->context;
  const std::string endpoint = "/v1/audio/speech";
  auto fail = [&](int status, const std::string& text, const std::string& param) {
    reply_error(message, context, endpoint, ErrorShape::kOpenAi, status, text, param);
  };
  if (!is_method(message, "POST")) return fail(405, "use POST", "");
  SpeechRequest request;
  try {
    request = parse_speech_request(request_body(message));
  } catch (const SpeechRequestError& error) {
    return fail(400, error.what(), error.param());
  }
  std::string problem;
  if (int status =
          check_text(context, request.input, "'input' is empty: give the text to speak", problem))
    return fail(status, problem, "input");
  if (!is_acceptable_voice(context, request.voice)) {
    try {
      resolve_voice(context, request.voice);  // for its message; it throws
    } catch (const pockettts::Error& error) {
      return fail(400, error.what(), "voice");
    }
  }
  const std::string missing = missing_encoder_elements(request.format);
  if (!missing.empty()) {
    return fail(400,
                std::string("response_format '") + audio_format_name(request.format) +
                    "' needs the GStreamer element(s) " + missing +
                    ", which are not installed on this server",
                "response_format");
  }
  SpeechPlan plan;
  plan.text = request.input;
  plan.ssml = request.ssml;
  if (plan.ssml) {
    const std::string problem_text = ssml_problem(plan.text);
    if (!problem_text.empty()) return fail(400, problem_text, "input");
  }
  ServerContext* shared = &context;
  const std::string voice = request.voice;
  plan.voice = [shared, voice] { return resolve_voice(*shared, voice); };
  const int rate = context.model->sample_rate();
  const AudioFormat format = request.format;
  plan.encoder = [format, rate] { return make_encoder(format, rate); };
  if (!request.model.empty()) plan.headers["X-Model"] = request.model;
  const auto received = Clock::now();
  run_on_worker(context, route->main_context, message, endpoint, ErrorShape::kOpenAi,
                [shared, plan, received](HttpStream& stream) {
                  speak(*shared, stream, plan, ErrorShape::kOpenAi, received);
                });
}

void handle_voices(SoupServer*, SoupServerMessage* message, const char* path, GHashTable*,
                   gpointer data) {
  auto* route = static_cast<Route*>(data);
  ServerContext& context = *route->context;
  const std::string endpoint = "/v1/audio/voices";
  auto fail = [&](int status, const std::string& text, const std::string& param) {
    reply_error(message, context, endpoint, ErrorShape::kOpenAi, status, text, param);
  };
  const std::string prefix = "/v1/audio/voices";
  const std::string rest = std::string(path).substr(prefix.size());
  if (rest.empty() || rest == "/") {
    if (is_method(message, "GET")) {
      json list = json::array();
      for (const auto& voice : context.voices.uploads()) {
        json entry;
        uploaded_voice_json_fields(voice, entry);
        list.push_back(entry);
      }
      for (const auto& name : context.model->predefined_voices())
        list.push_back({{"id", name}, {"object", "voice"}, {"name", name}, {"type", "predefined"}});
      reply(message, 200, "application/json",
            json{{"object", "list"}, {"data", list}}.dump(-1, ' ', false,
                                                          json::error_handler_t::replace));
      context.metrics.count_request(endpoint, 200);
      return;
    }
    if (!is_method(message, "POST")) return fail(405, "use GET or POST", "");
    Form form;
    try {
      form = parse_form(header(message, "Content-Type"), request_body(message));
    } catch (const FormError& error) {
      return fail(400, error.what(), "");
    }
    const FormField* file = form.find("file");
    if (!file || file->value.empty())
      return fail(400, "give the voice's audio in the form field 'file'", "file");
    const FormField* name = form.find("name");
    const std::string audio = file->value, filename = file->filename,
                      label = name ? name->value : "";
    ServerContext* shared = &context;
    run_on_worker(context, route->main_context, message, endpoint, ErrorShape::kOpenAi,
                  [shared, audio, filename, label](HttpStream& stream) {
                    UploadedVoice voice = shared->voices.add_upload(audio, filename, label);
                    json entry;
                    uploaded_voice_json_fields(voice, entry);
                    stream.respond(200, "application/json",
                                   entry.dump(-1, ' ', false, json::error_handler_t::replace));
                  });
    return;
  }
  const std::string id = rest.substr(1);
  if (is_method(message, "DELETE")) {
    if (!context.voices.remove_upload(id)) return fail(404, "no uploaded voice '" + id + "'", "id");
    reply(message, 200, "application/json",
          json{{"id", id}, {"object", "voice"}, {"deleted", true}}.dump(
              -1, ' ', false, json::error_handler_t::replace));
    context.metrics.count_request(endpoint, 200);
    return;
  }
  if (is_method(message, "GET")) {
    for (const auto& voice : context.voices.uploads()) {
      if (voice.id == id) {
        json entry;
        uploaded_voice_json_fields(voice, entry);
        reply(message, 200, "application/json",
              entry.dump(-1, ' ', false, json::error_handler_t::replace));
        context.metrics.count_request(endpoint, 200);
        return;
      }
    }
    return fail(404, "no uploaded voice '" + id + "'", "id");
  }
  fail(405, "use GET or DELETE", "");
}

// Before a body is read: the API key, and the size a request may have.
void early_checks(SoupServer*, SoupServerMessage* message, const char* path, GHashTable*,
                  gpointer data) {
  auto* route = static_cast<Route*>(data);
  ServerContext& context = *route->context;
  const ErrorShape shape = shape_for(path);
  const std::string& key = context.options.api_key;
  // The page itself holds nothing secret and a browser cannot send a key to load it; what it
  // does sends the key the user types.
  const bool open = g_strcmp0(path, "/health") == 0 || g_strcmp0(path, "/") == 0;
  if (!key.empty() && !open) {
    const std::string given = header(message, "Authorization");
    const std::string bearer = "Bearer ";
    if (given.rfind(bearer, 0) != 0 || !same_key(given.substr(bearer.size()), key)) {
      reply(message, 401, "application/json",
            error_body(shape, 401,
                       given.empty()
                           ? "this server needs an API key: send 'Authorization: Bearer <key>'"
                           : "the API key is not valid"));
      soup_message_headers_replace(soup_server_message_get_response_headers(message),
                                   "WWW-Authenticate", "Bearer");
      context.metrics.count_request(path, 401);
      return;
    }
  }
  SoupMessageHeaders* headers = soup_server_message_get_request_headers(message);
  const goffset length = soup_message_headers_get_content_length(headers);
  if (soup_message_headers_get_encoding(headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      length > static_cast<goffset>(context.options.max_upload_bytes)) {
    reply(message, 413, "application/json",
          error_body(shape, 413,
                     "the request body is " + std::to_string(length) +
                         " bytes; this server takes at most " +
                         std::to_string(context.options.max_upload_bytes)));
    context.metrics.count_request(path, 413);
    return;
  }
  if (soup_message_headers_get_encoding(headers) == SOUP_ENCODING_CHUNKED) {
    reply(message, 411, "application/json",
          error_body(shape, 411, "send the request body with a Content-Length"));
    context.metrics.count_request(path, 411);
  }
}

}  // namespace

HttpServer::HttpServer(ServerContext& context, GMainContext* main_context)
    : server_(SOUP_SERVER(g_object_new(SOUP_TYPE_SERVER, "server-header", "pockettts ", nullptr))),
      context_(context),
      main_context_(main_context) {
  auto* route = new Route{this, &context_, main_context_};
  auto forget = [](gpointer) {};  // `route` lives as long as the server: freed in ~HttpServer
  g_object_set_data_full(G_OBJECT(server_), "pockettts-route", route,
                         [](gpointer data) { delete static_cast<Route*>(data); });
  const std::pair<const char*, SoupServerCallback> routes[] = {
      {"/", handle_page},
      {"/health", handle_health},
      {"/metrics", handle_metrics},
      {"/tts", handle_tts},
      {"/v1/audio/speech", handle_speech},
      {"/v1/audio/voices", handle_voices},
      {"/v1/models", handle_models},
  };
  for (const auto& [path, handler] : routes) {
    soup_server_add_handler(server_, path, handler, route, forget);
    // libsoup calls the early handler of the path's own entry: each path needs it.
    soup_server_add_early_handler(server_, path, early_checks, route, forget);
  }
  // Idle and stalled connections are dropped after the client timeout.
  const int timeout = context_.options.client_timeout_seconds;
  g_signal_connect(server_, "request-started",
                   G_CALLBACK(+[](SoupServer*, SoupServerMessage* message, gpointer seconds) {
                     if (GSocket* socket = soup_server_message_get_socket(message))
                       g_socket_set_timeout(socket, GPOINTER_TO_UINT(seconds));
                   }),
                   GUINT_TO_POINTER(static_cast<guint>(timeout)));
}

HttpServer::~HttpServer() {
  soup_server_disconnect(server_);
  g_object_unref(server_);
}

void HttpServer::listen(const std::string& host, int port) {
  GError* error = nullptr;
  gboolean ok = FALSE;
  if (host == "localhost") {
    ok = soup_server_listen_local(server_, static_cast<guint>(port),
                                  static_cast<SoupServerListenOptions>(0), &error);
  } else if (host == "0.0.0.0" || host == "::" || host == "*") {
    ok = soup_server_listen_all(server_, static_cast<guint>(port),
                                static_cast<SoupServerListenOptions>(0), &error);
  } else {
    GInetAddress* address = g_inet_address_new_from_string(host.c_str());
    if (!address) {
      throw pockettts::Error(
          ErrorCode::kInvalidArgument,
          "--host '" + host + "' is not an IP address (or localhost, 0.0.0.0, ::)");
    }
    GSocketAddress* socket_address = g_inet_socket_address_new(address, static_cast<guint16>(port));
    ok = soup_server_listen(server_, socket_address, static_cast<SoupServerListenOptions>(0),
                            &error);
    g_object_unref(socket_address);
    g_object_unref(address);
  }
  if (!ok) {
    const std::string message = error ? error->message : "unknown error";
    if (error) g_error_free(error);
    throw pockettts::Error(ErrorCode::kUnsupported, "cannot listen on " + host + ":" +
                                                        std::to_string(port) + ": " + message);
  }
}

int HttpServer::port() const {
  GSList* uris = soup_server_get_uris(server_);
  int port = 0;
  if (uris) port = g_uri_get_port(static_cast<GUri*>(uris->data));
  g_slist_free_full(uris, reinterpret_cast<GDestroyNotify>(g_uri_unref));
  return port;
}

}  // namespace pockettts_serve
