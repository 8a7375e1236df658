#include "wyoming_server.h"

#include <algorithm>
#include <memory>
#include <vector>

#include <pockettts/audio.h>
#include <pockettts/error.h>
#include <pockettts/text.h>
#include <pockettts/voices.h>

#include "speech_generation.h"
#include "wyoming_protocol.h"

#ifndef POCKETTTS_VERSION
#define POCKETTTS_VERSION "unknown"
#endif

namespace pockettts_serve {

using nlohmann::json;

namespace {
constexpr int kWidth = 2;  // 16-bit samples
constexpr int kChannels = 1;
constexpr int kMaxConnections = 64;
}  // namespace

std::vector<std::string> take_complete_sentences(std::string& text) {
  std::vector<std::string> sentences;
  size_t start = 0;
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    const char c = text[i];
    const bool ends = c == '.' || c == '!' || c == '?' || c == '\n';
    const char after = text[i + 1];
    if (ends && (after == ' ' || after == '\n' || after == '\t' || after == '\r')) {
      std::string sentence = text.substr(start, i + 1 - start);
      if (sentence.find_first_not_of(" \t\r\n") != std::string::npos) sentences.push_back(sentence);
      start = i + 1;
    }
  }
  text.erase(0, start);
  return sentences;
}

WyomingServer::WyomingServer(ServerContext& context)
    : context_(context), service_(g_threaded_socket_service_new(kMaxConnections)) {
  g_signal_connect(service_, "run", G_CALLBACK(on_connection), this);
}

WyomingServer::~WyomingServer() {
  stop();
  g_object_unref(service_);
}

void WyomingServer::listen(const std::string& host, int port) {
  const std::string address_text = host == "localhost" ? "127.0.0.1"
                                   : host == "*"       ? "0.0.0.0"
                                                       : host;
  GInetAddress* address = g_inet_address_new_from_string(address_text.c_str());
  if (!address) {
    throw pockettts::Error(pockettts::ErrorCode::kInvalidArgument,
                           "--host '" + host + "' is not an IP address (or localhost)");
  }
  GSocketAddress* wanted = g_inet_socket_address_new(address, static_cast<guint16>(port));
  GSocketAddress* bound = nullptr;
  GError* error = nullptr;
  const gboolean ok =
      g_socket_listener_add_address(G_SOCKET_LISTENER(service_), wanted, G_SOCKET_TYPE_STREAM,
                                    G_SOCKET_PROTOCOL_TCP, nullptr, &bound, &error);
  g_object_unref(wanted);
  g_object_unref(address);
  if (!ok) {
    const std::string message = error->message;
    g_error_free(error);
    throw pockettts::Error(
        pockettts::ErrorCode::kUnsupported,
        "cannot listen for Wyoming on " + host + ":" + std::to_string(port) + ": " + message);
  }
  port_ = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
  g_object_unref(bound);
  g_socket_service_start(service_);
}

void WyomingServer::stop() {
  g_socket_service_stop(service_);
  g_socket_listener_close(G_SOCKET_LISTENER(service_));
  std::lock_guard<std::mutex> lock(connections_mutex_);
  stopping_ = true;
  for (GSocketConnection* connection : connections_)
    g_socket_shutdown(g_socket_connection_get_socket(connection), TRUE, TRUE, nullptr);
}

gboolean WyomingServer::on_connection(GThreadedSocketService*, GSocketConnection* connection,
                                      GObject*, gpointer self) {
  auto* server = static_cast<WyomingServer*>(self);
  {
    std::lock_guard<std::mutex> lock(server->connections_mutex_);
    if (server->stopping_) return TRUE;
    server->connections_.insert(connection);
  }
  server->context_.worker_started();
  try {
    server->serve_connection(connection);
  } catch (const std::exception&) {
    // A connection that fails ends; the server goes on.
  }
  {
    std::lock_guard<std::mutex> lock(server->connections_mutex_);
    server->connections_.erase(connection);
  }
  server->context_.worker_done();
  return TRUE;
}

namespace {

// One connection's conversation. Runs on its own thread with blocking I/O.
class WyomingSession {
 public:
  WyomingSession(ServerContext& context, GSocketConnection* connection)
      : context_(context),
        input_(g_io_stream_get_input_stream(G_IO_STREAM(connection))),
        output_(g_io_stream_get_output_stream(G_IO_STREAM(connection))) {}

  void run() {
    WyomingEventReader reader;
    char buffer[16384];
    for (;;) {
      const gssize got = g_input_stream_read(input_, buffer, sizeof(buffer), nullptr, nullptr);
      if (got <= 0) return;  // closed or failed
      reader.feed(buffer, static_cast<size_t>(got));
      try {
        while (auto event = reader.next()) {
          if (!handle(*event)) return;
        }
      } catch (const WyomingProtocolError& error) {
        send_error(std::string("bad Wyoming frame: ") + error.what(), "bad-frame");
        context_.metrics.count_request("wyoming", 400);
        return;  // the stream cannot be resynchronised
      }
    }
  }

 private:
  bool write(const WyomingEvent& event) {
    const std::string bytes = encode_wyoming_event(event);
    gsize written = 0;
    if (!g_output_stream_write_all(output_, bytes.data(), bytes.size(), &written, nullptr,
                                   nullptr)) {
      return alive_ = false;
    }
    return alive_;
  }

  void send_error(const std::string& text, const std::string& code) {
    write({"error", {{"text", text}, {"code", code}}, ""});
  }

  json info() const {
    json attribution = {{"name", "Kyutai"}, {"url", "https://github.com/kyutai-labs/pocket-tts"}};
    json voices = json::array();
    for (const auto& name : context_.model->predefined_voices()) {
      const std::string language = pockettts::predefined_voice_language(name);
      voices.push_back({{"name", name},
                        {"description", name},
                        {"attribution", attribution},
                        {"installed", true},
                        {"version", nullptr},
                        {"languages", language.empty() ? json::array() : json::array({language})},
                        {"speakers", nullptr}});
    }
    for (const auto& voice : context_.voices.uploads()) {
      voices.push_back({{"name", voice.id},
                        {"description", voice.name},
                        {"attribution", {{"name", "uploaded"}, {"url", ""}}},
                        {"installed", true},
                        {"version", nullptr},
                        {"languages", json::array()},
                        {"speakers", nullptr}});
    }
    json program = {{"name", "pockettts"},
                    {"description", "Kyutai Pocket TTS (libpockettts)"},
                    {"attribution", attribution},
                    {"installed", true},
                    {"version", POCKETTTS_VERSION},
                    {"voices", voices},
                    {"supports_synthesize_streaming", true}};
    return {{"asr", json::array()},    {"tts", json::array({program})}, {"handle", json::array()},
            {"intent", json::array()}, {"wake", json::array()},         {"mic", json::array()},
            {"snd", json::array()}};
  }

  static std::string voice_of(const json& data) {
    auto voice = data.find("voice");
    if (voice == data.end() || !voice->is_object()) return "";
    auto name = voice->find("name");
    return name != voice->end() && name->is_string() ? name->get<std::string>() : "";
  }

  json audio_format() const {
    return {{"rate", context_.model->sample_rate()}, {"width", kWidth}, {"channels", kChannels}};
  }

  // Speaks `text` as audio-chunks (after an audio-start unless one was sent). False when the
  // connection is gone; `failed` says an error event was sent instead.
  bool speak(const std::string& text, const std::string& voice_name, bool& failed) {
    failed = true;
    std::string problem;
    try {
      if (!pockettts::has_words(text)) {
        failed = false;  // nothing to say
        return true;
      }
    } catch (const pockettts::Error& error) {
      send_error(error.what(), "bad-text");
      return alive_;
    }
    if (text.size() > context_.options.max_text_bytes) {
      send_error(
          "the text is longer than " + std::to_string(context_.options.max_text_bytes) + " bytes",
          "text-too-long");
      context_.metrics.count_request("wyoming", 413);
      return alive_;
    }
    if (!context_.slots.enqueue()) {
      send_error("the server is busy; retry later", "busy");
      context_.metrics.count_request("wyoming", 503);
      return alive_;
    }
    std::atomic<bool> never{false};
    context_.slots.start(never);
    GenerationSlot slot(context_.slots);
    SharedVoice voice;
    try {
      voice = resolve_voice(context_, voice_name);
    } catch (const pockettts::Error& error) {
      send_error(error.what(), "bad-voice");
      context_.metrics.count_request("wyoming", 400);
      return alive_;
    }
    failed = false;
    if (!audio_started_) {
      json start = audio_format();
      start["timestamp"] = 0;
      if (!write({"audio-start", start, ""})) return false;
      audio_started_ = true;
    }
    SpeechGeneration generation(context_.model, *voice, text, context_.options.generate);
    std::vector<int16_t> s16;
    const auto begin = std::chrono::steady_clock::now();
    double first_byte = -1;
    size_t samples = 0;
    try {
      samples = generation.run([&](const std::vector<float>& chunk) {
        s16.resize(chunk.size());
        pockettts::float_to_s16(chunk.data(), chunk.size(), s16.data());
        std::string payload(reinterpret_cast<const char*>(s16.data()),
                            s16.size() * sizeof(int16_t));
        json data = audio_format();
        data["timestamp"] =
            static_cast<long long>(1000.0 * samples_sent_ / context_.model->sample_rate());
        samples_sent_ += chunk.size();
        if (first_byte < 0)
          first_byte =
              std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
        if (!write({"audio-chunk", data, payload})) generation.cancel();
      });
    } catch (const pockettts::Error& error) {
      send_error(error.what(), "synthesis-failed");
      context_.metrics.count_request("wyoming", 500);
      return alive_;
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
    const double audio_seconds = static_cast<double>(samples) / context_.model->sample_rate();
    if (generation.cancelled()) context_.metrics.count_cancelled();
    context_.metrics.record_generation(audio_seconds, first_byte < 0 ? seconds : first_byte,
                                       audio_seconds > 0 ? seconds / audio_seconds : 0);
    context_.metrics.count_request("wyoming", 200);
    return alive_;
  }

  bool stop_audio() {
    if (!audio_started_) {
      json start = audio_format();
      start["timestamp"] = 0;
      if (!write({"audio-start", start, ""})) return false;
    }
    audio_started_ = false;
    json stop = {{"timestamp",
                  static_cast<long long>(1000.0 * samples_sent_ / context_.model->sample_rate())}};
    samples_sent_ = 0;
    return write({"audio-stop", stop, ""});
  }

  bool handle(const WyomingEvent& event) {
    if (event.type == "describe") return write({"info", info(), ""});
    if (event.type == "synthesize") {
      // While streaming, a client also sends the whole text for servers that do not stream
      // (the specification's compatibility rule): it is not spoken twice.
      if (streaming_) return true;
      auto text = event.data.find("text");
      if (text == event.data.end() || !text->is_string()) {
        send_error("synthesize needs data.text, a string", "bad-request");
        context_.metrics.count_request("wyoming", 400);
        return alive_;
      }
      bool failed = false;
      if (!speak(text->get<std::string>(), voice_of(event.data), failed)) return false;
      return failed ? alive_ : stop_audio();
    }
    if (event.type == "synthesize-start") {
      streaming_ = true;
      pending_text_.clear();
      stream_voice_ = voice_of(event.data);
      return true;
    }
    if (event.type == "synthesize-chunk") {
      if (!streaming_) {
        send_error("synthesize-chunk before synthesize-start", "bad-request");
        return alive_;
      }
      auto text = event.data.find("text");
      if (text == event.data.end() || !text->is_string()) {
        send_error("synthesize-chunk needs data.text, a string", "bad-request");
        return alive_;
      }
      pending_text_ += text->get<std::string>();
      if (pending_text_.size() > context_.options.max_text_bytes) {
        send_error("the streamed text has no sentence end in " +
                       std::to_string(context_.options.max_text_bytes) + " bytes",
                   "text-too-long");
        pending_text_.clear();
        return alive_;
      }
      for (const auto& sentence : take_complete_sentences(pending_text_)) {
        bool failed = false;  // an error event was sent; the next sentences are still spoken
        if (!speak(sentence, stream_voice_, failed)) return false;
      }
      return true;
    }
    if (event.type == "synthesize-stop") {
      if (!streaming_) {
        send_error("synthesize-stop before synthesize-start", "bad-request");
        return alive_;
      }
      std::string rest;
      rest.swap(pending_text_);
      streaming_ = false;
      bool failed = false;
      return speak(rest, stream_voice_, failed) && stop_audio() &&
             write({"synthesize-stopped", {}, ""});
    }
    if (event.type == "ping") return write({"pong", event.data, ""});
    send_error("unsupported event type '" + event.type + "'", "unsupported-event");
    context_.metrics.count_request("wyoming", 400);
    return alive_;
  }

  ServerContext& context_;
  GInputStream* input_;
  GOutputStream* output_;
  bool alive_ = true;
  bool streaming_ = false;
  bool audio_started_ = false;
  size_t samples_sent_ = 0;
  std::string pending_text_;
  std::string stream_voice_;
};

}  // namespace

void WyomingServer::serve_connection(GSocketConnection* connection) {
  WyomingSession session(context_, connection);
  session.run();
  g_io_stream_close(G_IO_STREAM(connection), nullptr, nullptr);
}

}  // namespace pockettts_serve
