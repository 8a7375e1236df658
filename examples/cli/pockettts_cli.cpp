// pockettts: the command-line tool of libpockettts, mirroring the `pocket-tts` CLI of the
// Python reference (generate, export-voice, serve, with its --language) plus export-state,
// check-model and packs.
//
// Exit codes: 0 success, 1 a failure the library reports (missing file, bad config, empty
// text ...), 2 a command line that cannot be understood, 130 interrupted by Ctrl-C.
// Only public <pockettts/...> headers (and GLib, for the library's log messages) are used, so
// this file is also an example of a complete program on the public API.
#include <glib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <pockettts/audio_decoder.h>
#include <pockettts/download.h>
#include <pockettts/error.h>
#include <pockettts/model_packs.h>
#include <pockettts/tts_model.h>
#include <pockettts/voices.h>
#include <pockettts/wav_writer.h>

#include "progress_bar.h"
#include "serve/serve.h"

#ifndef POCKETTTS_VERSION
#define POCKETTTS_VERSION "unknown"
#endif

namespace fs = std::filesystem;

namespace {

// The reference CLI's default text per language (default_parameters.py at 9514983), so that
// `pockettts generate` alone says the same thing.
const std::map<std::string, std::string> kDefaultTexts = {
    {"english",
     "Hello world. I am Kyutai's Pocket TTS. I'm fast enough to run on small CPUs. I hope "
     "you'll like me."},
    {"french",
     "Bonjour le monde. Je suis le TTS de poche de Kyutai. Je suis assez rapide pour "
     "fonctionner sur de petits CPU. J'esp\u00e8re que vous m'aimerez."},
    {"german",
     "Hallo Welt. Ich bin Pocket TTS von Kyutai. Ich bin schnell genug, um auch auf kleinen "
     "CPUs zu laufen. Ich hoffe, ich gefalle dir."},
    {"portuguese",
     "Ol\u00e1 mundo. Eu sou o Pocket TTS da Kyutai. Sou r\u00e1pido o suficiente para rodar "
     "em CPUs pequenas. Espero que voc\u00ea goste de mim."},
    {"italian",
     "Ciao mondo. Sono il Pocket TTS di Kyutai. Sono abbastanza veloce da funzionare su "
     "piccole CPU. Spero che ti piacer\u00f2."},
    {"spanish",
     "Hola mundo. Soy el Pocket TTS de Kyutai. Soy lo suficientemente r\u00e1pido para "
     "funcionar en peque\u00f1as CPU. Espero que te guste."},
};
constexpr const char* kDefaultOutputPath = "./tts_output.wav";
// The reference's WAV writer ends every file with 0.2 s of silence "to ensure proper
// playback"; we keep it so files match the reference sample for sample.
constexpr double kTrailingSilenceSeconds = 0.2;
// Audio file types export-voice picks from a directory (the reference's list).
const std::vector<std::string> kAudioExtensions = {".wav", ".mp3", ".flac", ".ogg", ".aiff"};

// A command line we cannot act on: reported with a hint to --help, exit code 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct OptionSpec {
  const char* name;        // long name, without "--"
  const char* alias;       // short spelling with its dash ("-q", "-tr"), or nullptr
  const char* value_name;  // nullptr: a flag that takes no value
  const char* help;
};

struct ParsedArgs {
  std::map<std::string, std::string> values;  // by long name; flags hold ""; the last one wins
  std::map<std::string, std::vector<std::string>> every_value;  // a repeated option's values
  std::vector<std::string> positional;

  bool has(const std::string& name) const { return values.count(name) != 0; }
  std::string get(const std::string& name, const std::string& fallback) const {
    auto it = values.find(name);
    return it == values.end() ? fallback : it->second;
  }
  std::vector<std::string> get_all(const std::string& name) const {
    auto it = every_value.find(name);
    return it == every_value.end() ? std::vector<std::string>{} : it->second;
  }
};

struct Command {
  const char* name;
  const char* arguments;  // positional arguments, for the usage line
  const char* summary;
  const char* details;  // extra help paragraph, or nullptr
  std::vector<OptionSpec> options;
  int (*run)(const ParsedArgs&);
};

const OptionSpec kConfigOption = {
    "config", nullptr, "ID|YAML",
    "model variant id or path to a model config .yaml file (default: b6369a24)"};
const std::string kLanguageHelp =
    "model pack by the reference's language name: " + pockettts::language_list() +
    " ('english' = english_2026-04; the '_24l' packs are larger and slower; French exists "
    "only as french_24l). Instead of --config; 'pockettts packs' lists them";
const OptionSpec kLanguageOption = {"language", nullptr, "LANG", kLanguageHelp.c_str()};
const OptionSpec kDeviceOption = {"device", nullptr, "DEVICE",
                                  "device to run the model on (default: cpu)"};
const OptionSpec kPrecisionOption = {
    "precision", nullptr, "P",
    "fp32 (exact, default), bf16 or int8: how the flow model's weights are held "
    "(bf16/int8 are faster at a small error, see docs/performance.md)"};
const OptionSpec kThreadsOption = {
    "threads", nullptr, "N",
    "the most cores one model operation may use (default: all; 1: none split)"};
const OptionSpec kQuietOption = {"quiet", "-q", nullptr,
                                 "print only errors: no progress, timing or library messages"};
const OptionSpec kTruncateOption = {"truncate", "-tr", nullptr,
                                    "use only the first 30 seconds of the voice audio"};
const OptionSpec kHelpOption = {"help", "-h", nullptr, "show this help and exit"};
// The sampling options generate and serve share.
const OptionSpec kTemperatureOption = {"temperature", nullptr, "T",
                                       "sampling temperature, 0 = deterministic (default: 0.7)"};
const OptionSpec kLsdDecodeStepsOption = {"lsd-decode-steps", nullptr, "N",
                                          "flow decoding steps per frame (default: 1)"};
const OptionSpec kNoiseClampOption = {"noise-clamp", nullptr, "X",
                                      "clamp the sampling noise to +/-X (default: none)"};
const OptionSpec kEosThresholdOption = {
    "eos-threshold", nullptr, "X", "end-of-speech logit threshold, higher ends later (default: -4.0)"};

// ---------------------------------------------------------------------------------------
// Command-line parsing

ParsedArgs parse_args(const Command& command, int argc, char** argv, int first) {
  ParsedArgs args;
  auto find_option = [&](const std::string& arg) -> const OptionSpec* {
    for (const auto& spec : command.options) {
      if (arg == std::string("--") + spec.name) return &spec;
      if (spec.alias && arg == spec.alias) return &spec;
    }
    return nullptr;
  };
  bool options_done = false;
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    // "-" alone is a value (stdin/stdout), and "--" ends the options.
    if (options_done || arg.size() < 2 || arg[0] != '-') {
      args.positional.push_back(arg);
      continue;
    }
    if (arg == "--") {
      options_done = true;
      continue;
    }
    std::optional<std::string> inline_value;
    const OptionSpec* spec = find_option(arg);
    const size_t equals = arg.find('=');
    if (!spec && arg.rfind("--", 0) == 0 && equals != std::string::npos) {
      spec = find_option(arg.substr(0, equals));
      if (spec) inline_value = arg.substr(equals + 1);
    }
    if (!spec) {
      throw UsageError("unknown option '" + arg.substr(0, equals) + "' for '" + command.name + "'");
    }
    if (!spec->value_name) {
      if (inline_value) throw UsageError("option --" + std::string(spec->name) + " takes no value");
      args.values[spec->name] = "";
      continue;
    }
    if (inline_value) {
      args.values[spec->name] = *inline_value;
    } else if (i + 1 < argc) {
      // The next word is the value even when it starts with '-': "-o -", "--eos-threshold -4".
      args.values[spec->name] = argv[++i];
    } else {
      throw UsageError("option " + arg + " needs a value (" + spec->value_name + ")");
    }
    args.every_value[spec->name].push_back(args.values[spec->name]);
  }
  return args;
}

double parse_number(const ParsedArgs& args, const std::string& name, double low, double high) {
  const std::string text = args.get(name, "");
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(value)) {
    throw UsageError("invalid value '" + text + "' for --" + name + ": expected a number");
  }
  if (value < low || value > high) {
    std::ostringstream message;
    message << "invalid value '" << text << "' for --" << name << ": must be ";
    if (high == std::numeric_limits<double>::max()) {
      message << "at least " << low;
    } else {
      message << "between " << low << " and " << high;
    }
    throw UsageError(message.str());
  }
  return value;
}

long long parse_integer(const ParsedArgs& args, const std::string& name, long long low,
                        long long high) {
  const std::string text = args.get(name, "");
  char* end = nullptr;
  errno = 0;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE) {
    throw UsageError("invalid value '" + text + "' for --" + name + ": expected an integer");
  }
  if (value < low || value > high) {
    throw UsageError(
        "invalid value '" + text + "' for --" + name + ": must be at least " + std::to_string(low) +
        (high == std::numeric_limits<long long>::max() ? std::string()
                                                       : " and at most " + std::to_string(high)));
  }
  return value;
}

void expect_positional(const Command& command, const ParsedArgs& args, size_t count) {
  if (args.positional.size() < count) {
    throw UsageError(std::string("'") + command.name + "' needs " + command.arguments);
  }
  if (args.positional.size() > count) {
    throw UsageError("unexpected argument '" + args.positional[count] + "' for '" + command.name +
                     "'");
  }
}

// ---------------------------------------------------------------------------------------
// Messages

bool g_quiet = false;

void info(const std::string& message) {
  if (!g_quiet) std::cerr << message << std::endl;
}

// The library logs through GLib (domain "pockettts"), silent by default for info messages.
// The CLI shows them unless -q, like the reference shows its INFO log.
void show_library_log(const gchar* /*domain*/, GLogLevelFlags level, const gchar* message,
                      gpointer /*data*/) {
  const bool is_problem = (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL)) != 0;
  if (g_quiet && !is_problem) return;
  if (level & G_LOG_LEVEL_DEBUG) return;
  const char* prefix = (level & (G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR))
                           ? "pockettts: warning: "
                           : "pockettts: ";
  std::cerr << prefix << message << std::endl;
}

double elapsed_ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since)
      .count();
}

std::string format_ms(double ms) {
  return std::to_string(static_cast<long long>(ms + 0.5)) + " ms";
}

// ---------------------------------------------------------------------------------------
// Shared model options

pockettts::LoadOptions load_options(const ParsedArgs& args) {
  pockettts::LoadOptions options;
  options.config = args.get("config", pockettts::kDefaultVariant);
  if (args.has("language")) {
    if (args.has("config")) throw UsageError("--language and --config exclude each other");
    options.language = args.get("language", "");
    pockettts::variant_for_language(options.language);  // before the (slow) load
  }
  options.device = args.get("device", "cpu");
  options.precision = pockettts::parse_precision(args.get("precision", "fp32"));
  if (options.config.empty()) throw UsageError("--config is empty");
  if (args.has("temperature")) {
    options.sampling.temp = static_cast<float>(parse_number(args, "temperature", 0.0, 1e6));
  }
  if (args.has("lsd-decode-steps")) {
    options.sampling.lsd_decode_steps =
        static_cast<int>(parse_integer(args, "lsd-decode-steps", 1, 10000));
  }
  if (args.has("noise-clamp")) {
    options.sampling.noise_clamp = static_cast<float>(
        parse_number(args, "noise-clamp", 0.0, std::numeric_limits<double>::max()));
  }
  if (args.has("eos-threshold")) {
    options.sampling.eos_threshold =
        static_cast<float>(parse_number(args, "eos-threshold", -1e6, 1e6));
  }
  return options;
}

void apply_threads(const ParsedArgs& args) {
  if (args.has("threads")) {
    pockettts::set_compute_threads(static_cast<int>(parse_integer(args, "threads", 1, 1024)));
  }
}

// Downloads draw their progress on stderr (a bar on a terminal, lines otherwise, nothing -q).
pockettts_cli::ProgressBar& progress_bar() {
  static pockettts_cli::ProgressBar bar(g_quiet, isatty(STDERR_FILENO) != 0);
  return bar;
}

pockettts::DownloadOptions download_options() {
  pockettts::DownloadOptions options;
  options.progress = progress_bar().callback();
  return options;
}

std::shared_ptr<const pockettts::TTSModel> load_model(pockettts::LoadOptions options) {
  const auto start = std::chrono::steady_clock::now();
  options.download = download_options();
  auto model = pockettts::TTSModel::load_model(options);
  // The library's own log line says where the weights came from.
  info("Model " + model->options().config + " ready on " + model->device() + " in " +
       format_ms(elapsed_ms(start)));
  return model;
}

pockettts::VoiceState load_voice(const pockettts::TTSModel& model, const std::string& voice,
                                 bool truncate) {
  const auto start = std::chrono::steady_clock::now();
  auto state = model.get_state_for_audio_prompt(voice, truncate, download_options());
  info("Voice " + voice + " ready in " + format_ms(elapsed_ms(start)));
  return state;
}

// ---------------------------------------------------------------------------------------
// generate

std::atomic<bool> g_interrupted{false};
extern "C" void on_interrupt(int) { g_interrupted = true; }

bool is_blank(const std::string& text) {
  return text.find_first_not_of(" \t\r\n\v\f") == std::string::npos;
}

// The options of a generation that `generate` and `serve` share.
pockettts::GenerateOptions generate_options(const ParsedArgs& args) {
  pockettts::GenerateOptions generate;
  if (args.has("frames-after-eos")) {
    generate.frames_after_eos =
        static_cast<int>(parse_integer(args, "frames-after-eos", 0, 100000));
  }
  if (args.has("max-tokens")) {
    generate.max_tokens = static_cast<int>(parse_integer(args, "max-tokens", 1, 1000000));
  }
  if (args.has("seed")) {
    generate.seed = static_cast<uint64_t>(
        parse_integer(args, "seed", 0, std::numeric_limits<long long>::max()));
  }
  return generate;
}

int run_generate(const ParsedArgs& args) {
  // Everything the user typed is checked before the (slow) model load.
  pockettts::LoadOptions options = load_options(args);
  pockettts::GenerateOptions generate = generate_options(args);
  const std::string format_name = args.get("sample-format", "s16");
  if (format_name != "s16" && format_name != "f32") {
    throw UsageError("invalid value '" + format_name + "' for --sample-format: use s16 or f32");
  }
  const auto format =
      format_name == "f32" ? pockettts::WavFormat::kF32 : pockettts::WavFormat::kS16;
  const std::string output_path = args.get("output-path", kDefaultOutputPath);
  if (output_path.empty()) throw UsageError("--output-path is empty");
  if (output_path == "-" && isatty(STDOUT_FILENO)) {
    throw UsageError("refusing to write WAV audio to a terminal: redirect stdout or use -o FILE");
  }
  apply_threads(args);

  // The reference's default text and voice follow the language.
  const pockettts::ModelPack* pack =
      pockettts::find_model_pack(options.language.empty() ? options.config : options.language);
  std::string text = args.get("text", kDefaultTexts.at(pack ? pack->language : "english"));
  const bool from_stdin = text == "-";
  if (from_stdin) text.assign(std::istreambuf_iterator<char>(std::cin), {});
  if (is_blank(text)) {
    throw pockettts::Error(pockettts::ErrorCode::kInvalidArgument,
                           from_stdin ? "no text received on stdin" : "the text to speak is empty");
  }

  // SSML is read before the model loads: a malformed document fails at once, and its
  // warnings are ours to print.
  std::optional<pockettts::SpeechScript> script;
  if (args.has("ssml")) {
    script = pockettts::parse_ssml(text);
    for (const auto& warning : script->warnings) info("pockettts: warning: " + warning);
  }

  auto model = load_model(options);
  std::string voice = args.get("voice", model->default_voice());
  if (voice.empty()) {
    throw pockettts::Error(pockettts::ErrorCode::kInvalidArgument,
                           "this model has no predefined voices (it was loaded from a config "
                           "file, not a pack): give --voice");
  }
  pockettts::VoiceState state = load_voice(*model, voice, false);

  pockettts::WavWriter writer(output_path, model->sample_rate(), 1, format);
  // Ctrl-C ends the file cleanly (valid header, audio so far) instead of leaving a torn one.
  std::signal(SIGINT, on_interrupt);
  const auto start = std::chrono::steady_clock::now();
  auto stream = script ? model->generate_audio_stream(state, *script, generate)
                       : model->generate_audio_stream(state, text, generate);
  std::vector<float> chunk;
  size_t samples = 0;
  double first_chunk_ms = -1.0;
  while (!g_interrupted && stream->next(chunk)) {
    if (first_chunk_ms < 0) first_chunk_ms = elapsed_ms(start);
    writer.write(chunk.data(), chunk.size());
    samples += chunk.size();
  }
  const double generation_ms = elapsed_ms(start);
  if (g_interrupted) stream->cancel();
  stream.reset();  // joins the generation threads
  std::signal(SIGINT, SIG_DFL);

  const std::vector<float> silence(
      static_cast<size_t>(model->sample_rate() * kTrailingSilenceSeconds), 0.0f);
  writer.write(silence.data(), silence.size());
  writer.finish();

  if (g_interrupted) {
    std::cerr << "pockettts: interrupted; " << (output_path == "-" ? "stdout" : output_path)
              << " holds the audio generated so far" << std::endl;
    return 130;
  }
  const double audio_ms = 1000.0 * static_cast<double>(samples) / model->sample_rate();
  if (!g_quiet) {
    std::ostringstream report;
    report.setf(std::ios::fixed);
    report.precision(2);
    report << "Generated " << format_ms(audio_ms) << " of audio in " << format_ms(generation_ms);
    if (generation_ms > 0 && audio_ms > 0) {
      report << ": real-time factor " << generation_ms / audio_ms << " ("
             << audio_ms / generation_ms << "x faster than real time)";
    }
    if (first_chunk_ms >= 0) report << "; first chunk after " << format_ms(first_chunk_ms);
    info(report.str());
    if (output_path != "-") info("Results written in " + output_path);
  }
  return 0;
}

// ---------------------------------------------------------------------------------------
// serve

int run_serve(const ParsedArgs& args) {
  pockettts::LoadOptions options = load_options(args);
  pockettts_serve::ServeOptions serve;
  serve.generate = generate_options(args);
  serve.host = args.get("host", "localhost");
  if (serve.host.empty()) throw UsageError("--host is empty");
  if (args.has("port")) serve.port = static_cast<int>(parse_integer(args, "port", 0, 65535));
  if (args.has("wyoming-port"))
    serve.wyoming_port = static_cast<int>(parse_integer(args, "wyoming-port", 0, 65535));
  serve.voice = args.get("voice", "");
  const char* key_variable = std::getenv("POCKETTTS_API_KEY");
  serve.api_key = args.get("api-key", key_variable ? key_variable : "");
  if (args.has("max-concurrent"))
    serve.max_concurrent = static_cast<int>(parse_integer(args, "max-concurrent", 1, 1024));
  if (args.has("max-queue"))
    serve.max_queue = static_cast<int>(parse_integer(args, "max-queue", 0, 100000));
  if (args.has("max-text-length"))
    serve.max_text_bytes =
        static_cast<size_t>(parse_integer(args, "max-text-length", 1, 100000000));
  if (args.has("max-upload-size"))
    serve.max_upload_bytes =
        static_cast<size_t>(parse_integer(args, "max-upload-size", 1, 1LL << 40));
  if (args.has("client-timeout"))
    serve.client_timeout_seconds =
        static_cast<int>(parse_integer(args, "client-timeout", 1, 86400));
  if (args.has("voice-cache"))
    serve.voice_cache_size = static_cast<size_t>(parse_integer(args, "voice-cache", 1, 100000));
  if (args.has("max-voices"))
    serve.max_uploaded_voices = static_cast<size_t>(parse_integer(args, "max-voices", 0, 100000));
  serve.quiet = g_quiet;
  if (args.has("random-weights")) {
    options.random_weights_seed = static_cast<uint64_t>(
        parse_integer(args, "random-weights", 0, std::numeric_limits<long long>::max()));
  }
  apply_threads(args);
  const pockettts::ModelPack* pack =
      pockettts::find_model_pack(options.language.empty() ? options.config : options.language);
  serve.default_text = kDefaultTexts.at(pack ? pack->language : "english");
  auto model = load_model(options);
  return pockettts_serve::run_server(model, serve);
}

// ---------------------------------------------------------------------------------------
// export-voice

bool is_url(const std::string& path) {
  return path.rfind("http:", 0) == 0 || path.rfind("https:", 0) == 0 || path.rfind("hf:", 0) == 0;
}

// The reference accepts "hf:/org/x" and "https:/x" (shells and path joins eat slashes).
std::string normalize_url(const std::string& url) {
  const size_t colon = url.find(':');
  const size_t rest = url.find_first_not_of('/', colon + 1);
  return url.substr(0, colon) + "://" + (rest == std::string::npos ? "" : url.substr(rest));
}

// As the reference: a trailing slash or "." names a directory; we also take any path that
// already is a directory, so "voices" works as well as "voices/".
bool names_directory(const std::string& path) {
  if (is_url(path)) return false;
  if (path == "." || (!path.empty() && (path.back() == '/' || path.back() == '\\'))) return true;
  std::error_code error;
  return fs::is_directory(path, error);
}

bool has_audio_extension(const fs::path& path) {
  std::string extension = path.extension().string();
  for (auto& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto& known : kAudioExtensions) {
    if (extension == known) return true;
  }
  return false;
}

bool export_one(const pockettts::TTSModel& model, const std::string& source,
                const fs::path& export_path, bool truncate) {
  try {
    model.save_audio_prompt(source, export_path.string(), truncate);
  } catch (const pockettts::Error& error) {
    std::cerr << "pockettts: error: cannot export voice '" << source << "': " << error.what()
              << std::endl;
    return false;
  }
  info("Exported voice '" + source + "' to '" + export_path.string() + "'");
  return true;
}

int run_export_voice(const ParsedArgs& args) {
  const pockettts::LoadOptions options = load_options(args);
  apply_threads(args);
  const std::string audio_path = args.positional[0];
  const std::string export_path = args.positional[1];
  const bool truncate = args.has("truncate");

  // Collect the work first so that a missing input fails before the model loads.
  std::vector<std::pair<std::string, fs::path>> jobs;
  if (names_directory(audio_path)) {
    std::error_code error;
    if (!fs::is_directory(audio_path, error)) {
      throw pockettts::Error(pockettts::ErrorCode::kNotFound,
                             "input directory '" + audio_path + "' does not exist");
    }
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(audio_path)) {
      if (entry.is_regular_file() && has_audio_extension(entry.path()))
        files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) {
      throw pockettts::Error(pockettts::ErrorCode::kNotFound,
                             "no audio files (.wav .mp3 .flac .ogg .aiff) in '" + audio_path + "'");
    }
    // Many voices need a directory to go to, whatever EXPORT looks like.
    for (const auto& file : files) {
      jobs.emplace_back(file.string(),
                        fs::path(export_path) / (file.stem().string() + ".safetensors"));
    }
  } else {
    std::string source = audio_path;
    if (is_url(source)) {
      source = normalize_url(source);
    } else if (!fs::exists(source)) {
      throw pockettts::Error(pockettts::ErrorCode::kNotFound,
                             "input file '" + audio_path + "' does not exist");
    }
    fs::path target = export_path;
    if (names_directory(export_path)) {
      target = fs::path(export_path) / (fs::path(source).stem().string() + ".safetensors");
    } else {
      target.replace_extension(".safetensors");
    }
    jobs.emplace_back(source, target);
  }

  for (const auto& job : jobs) {
    const fs::path parent = job.second.parent_path();
    std::error_code error;
    if (!parent.empty()) fs::create_directories(parent, error);
    if (error) {
      throw pockettts::Error(
          pockettts::ErrorCode::kNotFound,
          "cannot create directory '" + parent.string() + "': " + error.message());
    }
  }

  auto model = load_model(options);
  size_t exported = 0;
  for (const auto& job : jobs) exported += export_one(*model, job.first, job.second, truncate);
  if (jobs.size() > 1) {
    info("Exported " + std::to_string(exported) + " of " + std::to_string(jobs.size()) + " voices");
  }
  return exported == jobs.size() ? 0 : 1;
}

// ---------------------------------------------------------------------------------------
// export-state

int run_export_state(const ParsedArgs& args) {
  const pockettts::LoadOptions options = load_options(args);
  apply_threads(args);
  auto model = load_model(options);
  pockettts::VoiceState state = load_voice(*model, args.positional[0], args.has("truncate"));
  model->export_voice_state(state, args.positional[1]);
  info("Exported the voice state of '" + args.positional[0] + "' (" +
       std::to_string(state.length()) + " positions) to '" + args.positional[1] + "'");
  return 0;
}

// ---------------------------------------------------------------------------------------
// check-model

int run_check_model(const ParsedArgs& args) {
  const pockettts::LoadOptions options = load_options(args);
  apply_threads(args);
  auto model = load_model(options);
  std::string voices;
  for (const auto& name : model->predefined_voices()) voices += (voices.empty() ? "" : ", ") + name;
  std::cout << "model: " << model->options().config << "\n"
            << "behaviour: reference " << model->reference_version() << "\n"
            << "device: " << model->device() << "\n"
            << "sample rate: " << model->sample_rate() << " Hz\n"
            << "voice cloning: " << (model->has_voice_cloning() ? "yes" : "no") << "\n"
            << "predefined voices: " << (voices.empty() ? "none" : voices) << "\n";
  if (args.has("voice")) {
    pockettts::VoiceState state = load_voice(*model, args.get("voice", ""), false);
    std::cout << "voice: " << args.get("voice", "") << " (" << state.length() << " positions)\n";
  }
  std::cout << std::flush;
  return 0;
}

// ---------------------------------------------------------------------------------------
// download

void print_fetched(const pockettts::FetchedFile& file) {
  std::cout << file.role << ": " << file.reference;
  if (file.path != file.reference) std::cout << " -> " << file.path;
  std::cout << "\n" << std::flush;
}

int run_download(const ParsedArgs& args) {
  const std::string config = args.get("config", pockettts::kDefaultVariant);
  if (config.empty()) throw UsageError("--config is empty");
  // A shipped pack's own voices; a config given as a path speaks b6369a24's.
  const std::string pack =
      pockettts::find_model_pack(config) != nullptr ? config : pockettts::kDefaultVariant;
  std::vector<std::string> voices;
  for (const std::string& voice : args.get_all("voice")) {
    if (voice == "all") {
      const auto& all = pockettts::predefined_voices(pack);
      voices.insert(voices.end(), all.begin(), all.end());
    } else if (voice.empty()) {
      throw UsageError("--voice is empty");
    } else {
      voices.push_back(voice);
    }
  }
  for (const auto& file : pockettts::download_model_files(config, download_options()))
    print_fetched(file);
  for (const std::string& voice : voices)
    print_fetched(pockettts::download_voice(voice, pack, download_options()));
  return 0;
}

// ---------------------------------------------------------------------------------------
// packs

int run_packs(const ParsedArgs&) {
  std::cout << "Model packs (--config ID, or --language ID for the 9514983 ones):\n";
  for (const auto& pack : pockettts::model_packs()) {
    std::string id = pack.id;
    id.resize(16, ' ');
    std::cout << "  " << id << pack.summary << "; " << pack.layers << " layers, voice "
              << pack.default_voice << ", " << pockettts::predefined_voices(pack.id).size()
              << " voices\n";
  }
  std::cout << "Voices of the 9514983 packs: " << pockettts::predefined_voice_list("english")
            << "\n"
            << "Voices of b6369a24: " << pockettts::predefined_voice_list() << std::endl;
  return 0;
}

// ---------------------------------------------------------------------------------------
// Commands and help

const std::vector<Command>& commands() {
  static const std::string voice_help = [] {
    std::string more;  // the 9514983 packs' voices that b6369a24 does not have
    for (const auto& name : pockettts::predefined_voices("english")) {
      if (!pockettts::is_predefined_voice(name)) more += (more.empty() ? "" : ", ") + name;
    }
    return "predefined voice of the model's pack (b6369a24: " + pockettts::predefined_voice_list() +
           "; the 9514983 packs: these and " + more +
           "), audio file or URL to clone, or .safetensors voice (default: the pack's, " +
           pockettts::kDefaultVoice + " for English)";
  }();
  static const std::vector<Command> all = {
      {"generate",
       "",
       "Speak text to a WAV file (or stdout), streaming the audio as it is generated.",
       "The file ends with 0.2 s of silence, as the reference's files do. Timing (real-time "
       "factor, time to the first chunk) goes to stderr unless -q.",
       {
           {"text", nullptr, "TEXT",
            "text to speak; '-' reads it from stdin (default: a greeting in the pack's "
            "language)"},
           {"ssml", nullptr, nullptr,
            "the text is SSML: <speak>, <p>, <s>, <break time=\"500ms\"/> or strength=, <sub "
            "alias=\"...\">; other elements are spoken as their content (docs/cli.md)"},
           {"voice", nullptr, "VOICE", voice_help.c_str()},
           kConfigOption,
           kLanguageOption,
           kTemperatureOption,
           kLsdDecodeStepsOption,
           kNoiseClampOption,
           kEosThresholdOption,
           {"frames-after-eos", nullptr, "N",
            "frames (80 ms each) to generate after the end of speech (default: guessed from "
            "the text)"},
           {"max-tokens", nullptr, "N",
            "longest text chunk in tokens; longer text is split at sentence ends (default: 50)"},
           {"seed", nullptr, "N", "random seed, for reproducible speech (default: random)"},
           {"output-path", "-o", "PATH",
            "WAV file to write; '-' = stdout (default: ./tts_output.wav)"},
           {"sample-format", nullptr, "s16|f32",
            "WAV samples: 16-bit integers or 32-bit floats (default: s16)"},
           kDeviceOption,
           kPrecisionOption,
           kThreadsOption,
           kQuietOption,
           kHelpOption,
       },
       run_generate},
      {"serve",
       "",
       "Serve speech over HTTP: the reference's page and POST /tts, OpenAI's /v1/audio/speech, "
       "uploaded voices, /health, /metrics; and Wyoming for Home Assistant.",
       "The model and the default voice load once; requests generate at once on the one model "
       "(their steps are batched). The generation options apply to every request, so --seed "
       "with --temperature 0 makes the server deterministic. docs/serve.md has every endpoint.",
       {
           {"host", nullptr, "HOST",
            "address to listen on: localhost (default), an IP address, or 0.0.0.0 / :: for "
            "every interface"},
           {"port", nullptr, "PORT", "HTTP port (default: 8000; 0 picks a free one)"},
           {"wyoming-port", nullptr, "PORT",
            "also serve the Wyoming protocol on this TCP port (default: off; 0 picks a free one)"},
           {"voice", nullptr, "VOICE", voice_help.c_str()},
           kConfigOption,
           kLanguageOption,
           {"api-key", nullptr, "KEY",
            "require 'Authorization: Bearer KEY' on every endpoint but /health and the page "
            "(default: $POCKETTTS_API_KEY; unset: no key)"},
           {"max-concurrent", nullptr, "N", "generations running at once (default: 4)"},
           {"max-queue", nullptr, "N",
            "requests waiting for a generation; more get 503 (default: 32)"},
           {"max-text-length", nullptr, "BYTES",
            "longest text a request may send; longer: 413 "
            "(default: 10000)"},
           {"max-upload-size", nullptr, "BYTES",
            "largest request body (voice uploads); larger: 413 (default: 20971520)"},
           {"client-timeout", nullptr, "SECONDS",
            "drop a client that reads or sends nothing for this long (default: 30)"},
           {"voice-cache", nullptr, "N",
            "voice states kept, by name, URL or content hash (default: 16)"},
           {"max-voices", nullptr, "N", "voices kept by POST /v1/audio/voices (default: 64)"},
           {"random-weights", nullptr, "SEED",
            "benchmarks only: random weights in the config's architecture instead of its "
            "weights file (the speech is noise; scripts/serve-load measures such a server)"},
           kTemperatureOption,
           kLsdDecodeStepsOption,
           kNoiseClampOption,
           kEosThresholdOption,
           {"frames-after-eos", nullptr, "N",
            "frames (80 ms each) to generate after the end of speech (default: guessed)"},
           {"max-tokens", nullptr, "N", "longest text chunk in tokens (default: 50)"},
           {"seed", nullptr, "N",
            "random seed of every generation, for reproducible speech (default: random)"},
           kDeviceOption,
           kPrecisionOption,
           kThreadsOption,
           kQuietOption,
           kHelpOption,
       },
       run_serve},
      {"export-voice",
       "AUDIO EXPORT",
       "Encode a voice prompt to a .safetensors file, faster to load than audio.",
       "AUDIO is an audio file, URL (hf://, https://) or a directory: then every .wav, .mp3, "
       ".flac, .ogg and .aiff file in it is exported to EXPORT/<name>.safetensors. When EXPORT "
       "is a directory (ends with '/' or exists) the file is named after AUDIO; otherwise its "
       "extension becomes .safetensors.",
       {kTruncateOption, kConfigOption, kLanguageOption, kDeviceOption, kThreadsOption,
        kQuietOption, kHelpOption},
       run_export_voice},
      {"export-state",
       "VOICE EXPORT",
       "Write the model state prefilled with a voice, ready to generate from.",
       "The reference's export_model_state format: generating from this file skips the voice "
       "prompt entirely. A .safetensors suffix is added to EXPORT when missing.",
       {kTruncateOption, kConfigOption, kLanguageOption, kDeviceOption, kThreadsOption,
        kQuietOption, kHelpOption},
       run_export_state},
      {"download",
       "",
       "Fetch what a model config and voices need into the caches, for offline use.",
       "Prints where each file went. hf:// files go to the Hugging Face hub cache (shared with "
       "Python tools), http(s):// files to $XDG_CACHE_HOME/pockettts; files already there are "
       "not fetched again. Gated weights that the hub refuses are skipped when the public ones "
       "can replace them. See docs/models-and-voices.md.",
       {kConfigOption,
        {"voice", nullptr, "VOICE",
         "also fetch this voice: a predefined name, an hf:// or http(s):// URL, or 'all' for "
         "every predefined voice (repeatable)"},
        kQuietOption,
        kHelpOption},
       run_download},
      {"check-model",
       "",
       "Load the model (and a voice): say what was loaded, or why it cannot be.",
       "Exit code 0 when the model loads, 1 otherwise; scripts use it to pick a model.",
       {kConfigOption,
        kLanguageOption,
        {"voice", nullptr, "VOICE", "also prepare this voice"},
        kDeviceOption,
        kThreadsOption,
        kQuietOption,
        kHelpOption},
       run_check_model},
      {"packs",
       "",
       "List the model packs (languages, layers, default voices) and their voices.",
       nullptr,
       {kHelpOption},
       run_packs},
  };
  return all;
}

void print_main_help(std::ostream& out) {
  out << "Usage: pockettts COMMAND [OPTIONS]\n\n"
         "Kyutai Pocket TTS text-to-speech (libpockettts " POCKETTTS_VERSION ").\n\nCommands:\n";
  for (const auto& command : commands()) {
    std::string name = command.name;
    name.resize(14, ' ');
    out << "  " << name << command.summary << "\n";
  }
  out << "\nRun 'pockettts COMMAND --help' for the options of a command.\n"
         "Example: pockettts generate --text \"Hello\" --voice alba -o hello.wav\n";
}

// Breaks `text` into lines of at most `width` columns, every line after the first indented.
std::string wrap(const std::string& text, size_t indent, size_t width = 80) {
  std::istringstream words(text);
  std::string word, out;
  size_t column = indent;
  bool first = true;
  while (words >> word) {
    if (!first && column + 1 + word.size() > width) {
      out += "\n" + std::string(indent, ' ');
      column = indent;
    } else if (!first) {
      out += ' ';
      ++column;
    }
    out += word;
    column += word.size();
    first = false;
  }
  return out;
}

void print_command_help(const Command& command, std::ostream& out) {
  out << "Usage: pockettts " << command.name << " [OPTIONS]"
      << (*command.arguments ? std::string(" ") + command.arguments : "") << "\n\n"
      << wrap(command.summary, 0) << "\n";
  if (command.details) out << wrap(command.details, 0) << "\n";
  out << "\nOptions:\n";
  constexpr size_t kHelpColumn = 32;
  for (const auto& option : command.options) {
    std::string left = "  " + std::string(option.alias ? option.alias : "") +
                       (option.alias ? ", " : "") + "--" + option.name +
                       (option.value_name ? std::string(" ") + option.value_name : "");
    if (left.size() + 2 > kHelpColumn)
      left += "\n" + std::string(kHelpColumn, ' ');
    else
      left.resize(kHelpColumn, ' ');
    out << left << wrap(option.help, kHelpColumn) << "\n";
  }
}

int run(int argc, char** argv) {
  if (argc < 2) {
    print_main_help(std::cerr);
    return 2;
  }
  const std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    print_main_help(std::cout);
    return 0;
  }
  if (name == "--version" || name == "-V") {
    std::cout << "pockettts " POCKETTTS_VERSION "\n";
    return 0;
  }
  const Command* command = nullptr;
  for (const auto& candidate : commands()) {
    if (name == candidate.name) command = &candidate;
  }
  if (!command) {
    throw UsageError(name[0] == '-' ? "unknown option '" + name + "' (a command comes first)"
                                    : "unknown command '" + name + "'");
  }
  try {
    const ParsedArgs args = parse_args(*command, argc, argv, 2);
    if (args.has("help")) {
      print_command_help(*command, std::cout);
      return 0;
    }
    g_quiet = args.has("quiet");
    const size_t positional =
        *command->arguments
            ? std::count(command->arguments, command->arguments + std::strlen(command->arguments),
                         ' ') +
                  1
            : 0;
    expect_positional(*command, args, positional);
    return command->run(args);
  } catch (const UsageError& error) {
    std::cerr << "pockettts " << command->name << ": " << error.what() << "\n"
              << "Try 'pockettts " << command->name << " --help'." << std::endl;
    return 2;
  }
}

}  // namespace

int main(int argc, char** argv) {
  g_log_set_handler(
      "pockettts",
      static_cast<GLogLevelFlags>(G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL | G_LOG_FLAG_RECURSION),
      show_library_log, nullptr);
  try {
    return run(argc, argv);
  } catch (const UsageError& error) {
    std::cerr << "pockettts: " << error.what() << "\nTry 'pockettts --help'." << std::endl;
    return 2;
  } catch (const pockettts::Error& error) {
    std::cerr << "pockettts: error: " << error.what() << std::endl;
    return 1;
  } catch (const std::exception& error) {
    // Anything else is a bug in a lower layer, but still deserves a message, not an abort.
    std::cerr << "pockettts: error: " << error.what() << std::endl;
    return 1;
  }
}
