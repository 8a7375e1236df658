// pockettts-bench: times the library on one model, the figures of issue 4 and of the Python
// reference's benchmark (shared/refharness/bench_reference.py), measured the same way so the two
// can be put side by side: time to first audio, real-time factor over a fixed number of frames,
// one flow-LM step and one Mimi frame alone, voice prompt encoding, model load, peak memory.
//
// Unlike the other examples it includes the internal headers (and so libtorch): the per-step
// figures time FlowLm::step and Mimi::decode_frame directly, which the public API hides.
//
// Exit codes: 0 success, 1 a failure (missing file, unsupported option value, ...), 2 a command
// line that cannot be understood.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/InferenceMode.h>
#include <glib.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <functional>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <pockettts/audio_decoder.h>
#include <pockettts/error.h>
#include <pockettts/text.h>
#include <pockettts/tts_model.h>
#include <pockettts/wav_writer.h>
#include "common/log.h"
#include "engine/engine.h"
#include "engine/generation.h"
#include "formats/config.h"
#include "kernels/worker_pool.h"
#include "model/flow_lm.h"
#include "model/mimi.h"
#include "resources/resolve.h"

namespace {

using Clock = std::chrono::steady_clock;

// The reference benchmark's text (TEXT_10W in bench_reference.py): same text, same frames.
constexpr const char* kDefaultText =
    "Good morning, this is a short test of the pocket speech model.";
// The reference disables EOS with this threshold; any logit stays below it.
constexpr float kEosOutOfReach = 1e9f;
constexpr double kEncodeSeconds = 10.0;
constexpr double kPi = 3.14159265358979323846;

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Args {
  std::string config = pockettts::kDefaultVariant;
  bool random_weights = false;
  uint64_t seed = 1;
  std::optional<std::string> voice;
  double voice_seconds = 10.0;  // the reference's voice prompt is 10 s
  std::string text = kDefaultText;
  std::optional<int> frames;  // unset: all the frames the text allows (max_gen_len)
  int repeats = 5;
  int threads = 1;
  std::string precision = "fp32";
  int streams = 1;
  std::optional<std::string> json;
};

const char* kUsage =
    "Usage: pockettts-bench [OPTIONS]\n"
    "\n"
    "Times libpockettts as the reference's bench_reference.py times pocket_tts.\n"
    "\n"
    "  --config PATH|VARIANT  model config (default b6369a24); its tokenizer must be local\n"
    "  --random-weights       random weights made in memory from --seed (the default when\n"
    "                         the config's weights cannot be found)\n"
    "  --seed N               seed of random weights, synthetic voice and sampling (default 1)\n"
    "  --voice AUDIO          voice prompt file (any format GStreamer decodes)\n"
    "  --voice-seconds N      else N seconds of synthetic voice-like audio (default 10)\n"
    "  --text TEXT            text to speak (default the reference's 10-word text)\n"
    "  --frames N             frames generated per run, EOS disabled (default: the text's\n"
    "                         max_gen_len, as the reference)\n"
    "  --repeats N            runs per figure (default 5)\n"
    "  --threads N            compute threads (default 1)\n"
    "  --precision P          fp32 | bf16 | int8 (default fp32)\n"
    "  --streams N            N concurrent streams on one model: aggregate_rtf (default 1)\n"
    "  --json FILE            write the figures as one JSON object\n"
    "  -h, --help             this text\n";

int parse_int(const std::string& option, const std::string& value, int min) {
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || errno != 0 || v < min || v > 1000000) {
    throw UsageError(option + " needs an integer >= " + std::to_string(min) + ", not '" + value +
                     "'");
  }
  return static_cast<int>(v);
}

double parse_seconds(const std::string& option, const std::string& value) {
  char* end = nullptr;
  const double v = std::strtod(value.c_str(), &end);
  if (value.empty() || *end != '\0' || !(v > 0) || v > 3600) {
    throw UsageError(option + " needs a positive number of seconds, not '" + value + "'");
  }
  return v;
}

Args parse_args(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw UsageError(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "-h" || arg == "--help") {
      std::cout << kUsage;
      std::exit(0);
    } else if (arg == "--config") {
      args.config = value();
    } else if (arg == "--random-weights") {
      args.random_weights = true;
    } else if (arg == "--seed") {
      const std::string v = value();
      char* end = nullptr;
      errno = 0;
      args.seed = std::strtoull(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || errno != 0 || v[0] == '-') {
        throw UsageError("--seed needs a non-negative integer, not '" + v + "'");
      }
    } else if (arg == "--voice") {
      args.voice = value();
    } else if (arg == "--voice-seconds") {
      args.voice_seconds = parse_seconds(arg, value());
    } else if (arg == "--text") {
      args.text = value();
    } else if (arg == "--frames") {
      args.frames = parse_int(arg, value(), 1);
    } else if (arg == "--repeats") {
      args.repeats = parse_int(arg, value(), 1);
    } else if (arg == "--threads") {
      args.threads = parse_int(arg, value(), 1);
    } else if (arg == "--precision") {
      args.precision = value();
      if (args.precision != "fp32" && args.precision != "bf16" && args.precision != "int8") {
        throw UsageError("--precision is fp32, bf16 or int8, not '" + args.precision + "'");
      }
    } else if (arg == "--streams") {
      args.streams = parse_int(arg, value(), 1);
    } else if (arg == "--json") {
      args.json = value();
    } else {
      throw UsageError("unknown option '" + arg + "'");
    }
  }
  return args;
}

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

struct Stats {
  double median = std::numeric_limits<double>::quiet_NaN();
  double min = median, max = median;
};

Stats stats(std::vector<double> xs) {
  Stats s;
  if (xs.empty()) return s;
  std::sort(xs.begin(), xs.end());
  const size_t n = xs.size();
  s.median = n % 2 ? xs[n / 2] : (xs[n / 2 - 1] + xs[n / 2]) / 2;  // as Python's statistics
  s.min = xs.front();
  s.max = xs.back();
  return s;
}

double median(std::vector<double> xs) { return stats(std::move(xs)).median; }

// VmHWM (peak resident set) in MiB, as the reference reads it: getrusage's ru_maxrss would
// include the high-water mark of a parent that forked us.
double peak_rss_mb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::strtod(line.c_str() + 6, nullptr) / 1024.0;
  }
  return std::numeric_limits<double>::quiet_NaN();
}

// What is resident now, by kind of mapping (/proc/self/smaps), in MiB: where the peak goes.
struct Resident {
  std::string stage;
  double total = 0, libraries = 0, weights = 0, heap = 0, other_anonymous = 0;
};

Resident resident_now(const std::string& stage) {
  Resident r{stage};
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  double* bucket = &r.other_anonymous;
  while (std::getline(smaps, line)) {
    // A mapping's first line: "start-end perms offset dev inode [path]"; then "Key: value".
    const size_t colon = line.find(':'), dash = line.find('-');
    if (dash != std::string::npos && dash < colon && colon > 20) {
      const size_t slash = line.find('/');
      const std::string path = slash == std::string::npos ? "" : line.substr(slash);
      if (line.find("[heap]") != std::string::npos) {
        bucket = &r.heap;
      } else if (path.find(".safetensors") != std::string::npos) {
        bucket = &r.weights;
      } else if (!path.empty()) {
        bucket = &r.libraries;  // the program, its libraries, other mapped files
      } else {
        bucket = &r.other_anonymous;  // big allocations (mmap), thread stacks and arenas
      }
    } else if (line.rfind("Rss:", 0) == 0) {
      const double mb = std::strtod(line.c_str() + 4, nullptr) / 1024.0;
      *bucket += mb;
      r.total += mb;
    }
  }
  return r;
}

// Voice-like audio: a gliding fundamental with decaying harmonics, a syllable-rate envelope
// and a little noise. Speed does not depend on the content; this only keeps the encoder's
// activations in a plausible range, with no file needed.
pockettts::Audio synthetic_voice(double seconds, int sample_rate, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> noise(0.0f, 1.0f);
  std::uniform_real_distribution<double> phase0(0.0, 2 * kPi);
  constexpr int kHarmonics = 12;
  std::vector<double> phases(kHarmonics);
  for (double& p : phases) p = phase0(rng);
  pockettts::Audio audio;
  audio.sample_rate = sample_rate;
  audio.channels = 1;
  const size_t n = static_cast<size_t>(seconds * sample_rate);
  audio.samples.resize(n);
  double f0_phase = 0;
  for (size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / sample_rate;
    const double f0 = 150.0 + 30.0 * std::sin(2 * kPi * 0.7 * t) + 10.0 * std::sin(2 * kPi * 5 * t);
    f0_phase += 2 * kPi * f0 / sample_rate;
    double voiced = 0;
    for (int k = 0; k < kHarmonics; ++k) {
      voiced += std::sin((k + 1) * f0_phase + phases[static_cast<size_t>(k)]) / (k + 1);
    }
    const double envelope = 0.5 + 0.5 * std::sin(2 * kPi * 4.0 * t);  // ~4 syllables a second
    audio.samples[i] = static_cast<float>(0.15 * envelope * voiced + 0.01 * noise(rng));
  }
  return audio;
}

// The first `seconds` of `audio`, or synthetic audio when it is shorter.
pockettts::Audio ten_seconds_of(const pockettts::Audio& audio, int sample_rate, uint64_t seed) {
  const size_t n = static_cast<size_t>(kEncodeSeconds * sample_rate);
  if (audio.channels != 1 || audio.frames() < n) {
    return synthetic_voice(kEncodeSeconds, sample_rate, seed);
  }
  pockettts::Audio out{audio.sample_rate, 1, {}};
  out.samples.assign(audio.samples.begin(), audio.samples.begin() + static_cast<long>(n));
  return out;
}

// How many frames the text allows with EOS disabled: the sum of each chunk's max_gen_len,
// tokenized and split exactly as generation does.
int text_frame_capacity(const pockettts::Engine& impl, const std::string& text,
                        std::vector<int64_t>& first_chunk_tokens) {
  int total = 0;
  bool first = true;
  for (const std::string& chunk : pockettts::split_into_best_sentences(
           *impl.tokenizer, text, pockettts::kDefaultMaxTokensPerChunk, impl.behaviour.text)) {
    const std::vector<int> ids = impl.tokenizer->encode(chunk);
    if (first) first_chunk_tokens.assign(ids.begin(), ids.end());
    first = false;
    total +=
        pockettts::max_generation_length(static_cast<int>(ids.size()), impl.config.mimi.frame_rate);
  }
  return total;
}

// The figures of one run of the benchmark, each over --repeats.
struct Results {
  Stats ttfa_ms, rtf, flow_step_ms, mimi_frame_ms, mimi_batch_ms, encode_10s_ms, load_ms;
  double peak_rss_mb = 0;
  std::vector<Resident> resident;  // after each stage of the run
  double aggregate_rtf = 0;
  int text_tokens = 0, max_frames = 0;
  std::string weights;
};

// Audio of exactly `frames` frames from one stream. With the EOS out of reach a text yields
// max_gen_len frames: when that is the number asked, this is generate_audio itself; fewer are
// taken from the stream, which is then cancelled (within one step).
size_t generate_frames(const pockettts::TTSModel& model, pockettts::VoiceState& voice,
                       const std::string& text, const pockettts::GenerateOptions& options,
                       int frames, int max_frames) {
  if (frames == max_frames) return model.generate_audio(voice, text, options).size();
  auto stream = model.generate_audio_stream(voice, text, options);
  std::vector<float> chunk;
  size_t samples = 0;
  for (int i = 0; i < frames && stream->next(chunk); ++i) samples += chunk.size();
  return samples;
}

// The reference logs nothing when EOS never comes in a benchmark; our library warns that the
// maximum length was reached, which here is the point. Other messages go through as usual.
void quiet_expected_warnings(const gchar* domain, GLogLevelFlags level, const gchar* message,
                             gpointer) {
  if (std::strncmp(message, "maximum generation length", 25) == 0) return;
  g_log_default_handler(domain, level, message, nullptr);
}

void print_row(const char* label, const Stats& s, const char* unit) {
  std::printf("| %-44s | %10.3f | %10.3f | %10.3f | %-4s |\n", label, s.median, s.min, s.max, unit);
}

nlohmann::ordered_json json_stats(const Stats& s) {
  // NaN (a figure not measured) is written as null by nlohmann::json.
  return {{"median", s.median}, {"min", s.min}, {"max", s.max}};
}

void write_json(const std::string& path, const Args& args, int frames, const Results& r) {
  // ordered_json: the keys in the order issue 4 lists them, for people reading the file.
  nlohmann::ordered_json j;
  j["precision"] = args.precision;
  j["threads"] = args.threads;
  j["frames"] = frames;
  j["repeats"] = args.repeats;
  j["streams"] = args.streams;
  j["ttfa_ms"] = json_stats(r.ttfa_ms);
  j["rtf"] = json_stats(r.rtf);
  j["flow_step_ms"] = json_stats(r.flow_step_ms);
  j["mimi_frame_ms"] = json_stats(r.mimi_frame_ms);
  if (args.streams > 1) j["mimi_batch_ms"] = json_stats(r.mimi_batch_ms);
  j["encode_10s_ms"] = json_stats(r.encode_10s_ms);
  j["load_ms"] = json_stats(r.load_ms);
  j["peak_rss_mb"] = r.peak_rss_mb;
  for (const Resident& m : r.resident) {
    j["resident_mb"][m.stage] = {{"total", m.total},
                                 {"libraries", m.libraries},
                                 {"weights", m.weights},
                                 {"heap", m.heap},
                                 {"other_anonymous", m.other_anonymous}};
  }
  j["aggregate_rtf"] = r.aggregate_rtf;
  std::ofstream out(path);
  out << j.dump(2) << "\n";
  out.close();
  if (!out) throw pockettts::Error(pockettts::ErrorCode::kNotFound, "cannot write " + path);
}

// Decides between the config's weights and random ones, and checks the tokenizer first: random
// weights still need the real tokenizer (the text's tokens decide the number of frames).
std::optional<uint64_t> choose_weights(const Args& args, std::string& description) {
  const pockettts::Config config = pockettts::load_config(args.config);
  try {
    pockettts::resolve_resource(config.flow_lm.lookup_table.tokenizer_path);
  } catch (const pockettts::Error& error) {
    throw pockettts::Error(
        pockettts::ErrorCode::kNotFound,
        std::string("the tokenizer of ") + config.source + " is not available (" + error.what() +
            "); pass --config with a config whose tokenizer is local, e.g. the reference "
            "harness workdir: --config /tmp/bench/pocket_bench/config.yaml");
  }
  if (!args.random_weights) {
    for (const auto& path : {config.weights_path, config.weights_path_without_voice_cloning}) {
      if (!path) continue;
      try {
        description = pockettts::resolve_resource(*path);
        return std::nullopt;
      } catch (const pockettts::Error&) {
      }
    }
    std::cerr << "pockettts-bench: the weights of " << config.source
              << " are not available: using random weights (seed " << args.seed << ")\n";
  }
  description = "random, seed " + std::to_string(args.seed);
  return args.seed;
}

Results run(const Args& args, int& frames) {
  Results r;
  const std::optional<uint64_t> random_seed = choose_weights(args, r.weights);
  pockettts::set_compute_threads(args.threads);

  pockettts::LoadOptions load;
  load.config = args.config;
  load.precision = pockettts::parse_precision(args.precision);
  load.random_weights_seed = random_seed;
  std::vector<double> load_ms;
  r.resident.push_back(resident_now("started"));  // libtorch and the other libraries
  auto start = Clock::now();
  std::shared_ptr<const pockettts::TTSModel> model = pockettts::TTSModel::load_model(load);
  load_ms.push_back(ms_since(start));
  r.resident.push_back(resident_now("loaded"));

  const pockettts::Engine& impl = pockettts::engine_of(*model);
  const int sample_rate = model->sample_rate();
  std::vector<int64_t> tokens;
  r.max_frames = text_frame_capacity(impl, args.text, tokens);
  r.text_tokens = static_cast<int>(tokens.size());
  frames = args.frames.value_or(r.max_frames);
  if (frames > r.max_frames) {
    throw pockettts::Error(pockettts::ErrorCode::kInvalidArgument,
                           "the text allows at most " + std::to_string(r.max_frames) +
                               " frames (max_gen_len of its " + std::to_string(r.text_tokens) +
                               " tokens), fewer than --frames " + std::to_string(frames) +
                               ": pass a longer --text or fewer --frames");
  }

  pockettts::Audio voice_audio;
  if (args.voice) {
    pockettts::AudioReadOptions read;
    read.sample_rate = sample_rate;
    read.channels = 1;
    voice_audio = pockettts::read_audio(*args.voice, read);
  } else {
    voice_audio = synthetic_voice(args.voice_seconds, sample_rate, args.seed);
  }

  const int repeats = args.repeats;
  // encode_10s_ms: the public call, prefill of the flow LM included; one warm-up run, as the
  // reference (its first call is much slower: allocator and BLAS buffers).
  {
    const pockettts::Audio ten = ten_seconds_of(voice_audio, sample_rate, args.seed);
    std::vector<double> ms;
    for (int i = 0; i <= repeats; ++i) {
      start = Clock::now();
      pockettts::VoiceState state = model->get_state_for_audio_prompt(ten);
      if (i > 0) ms.push_back(ms_since(start));
    }
    r.encode_10s_ms = stats(ms);
  }
  r.resident.push_back(resident_now("voice encoded"));
  pockettts::VoiceState voice = model->get_state_for_audio_prompt(voice_audio);

  pockettts::GenerateOptions options;
  pockettts::SamplingOptions sampling;
  sampling = load.sampling;
  sampling.eos_threshold = kEosOutOfReach;
  options.sampling = sampling;

  // ttfa_ms: stream call to first chunk; the stream is then dropped (cancelled), untimed.
  {
    std::vector<double> ms;
    std::vector<float> chunk;
    for (int i = 0; i <= repeats; ++i) {
      options.seed = args.seed + static_cast<uint64_t>(i);
      start = Clock::now();
      auto stream = model->generate_audio_stream(voice, args.text, options);
      if (!stream->next(chunk)) {
        throw pockettts::Error(pockettts::ErrorCode::kInvalidData, "the stream yielded no audio");
      }
      if (i > 0) ms.push_back(ms_since(start));
    }
    r.ttfa_ms = stats(ms);
  }

  // rtf: audio seconds per wall second, both threads of the stream running as in real use.
  {
    std::vector<double> rtf;
    for (int i = 0; i < repeats; ++i) {
      options.seed = args.seed + 100 + static_cast<uint64_t>(i);
      start = Clock::now();
      const size_t samples =
          generate_frames(*model, voice, args.text, options, frames, r.max_frames);
      const double wall_s = ms_since(start) / 1000;
      rtf.push_back(static_cast<double>(samples) / sample_rate / wall_s);
    }
    r.rtf = stats(rtf);
  }
  r.resident.push_back(resident_now("generated"));

  // flow_step_ms and mimi_frame_ms: each network alone on this thread (its products split over
  // --threads cores), the median step of a run per repeat. The flow LM runs the loop of
  // generation.cpp on the first text chunk (as many steps as --frames, whatever that chunk's
  // max_gen_len); Mimi decodes those latents.
  {
    c10::InferenceMode guard;
    pockettts::kernels::ComputeScope cores(args.threads);
    const pockettts::FlowLm& flow = *impl.flow_lm;
    const pockettts::Mimi& mimi = *impl.mimi;
    const pockettts::SamplingOptions s = impl.sampling(options.sampling);
    const at::Tensor token_tensor = at::tensor(tokens, at::kLong);
    std::vector<double> flow_ms, mimi_ms;
    std::vector<at::Tensor> latents;
    for (int i = 0; i < repeats; ++i) {
      at::Generator rng =
          at::make_generator<at::CPUGeneratorImpl>(args.seed + 200 + static_cast<uint64_t>(i));
      pockettts::FlowLmState state = pockettts::flow_state(voice).clone();
      state.reserve(state.length() + static_cast<int64_t>(tokens.size()) + frames);
      flow.prompt_text(token_tensor, state, s, &rng);
      at::Tensor latent =
          at::full({1, flow.latent_dim()}, std::numeric_limits<float>::quiet_NaN(), at::kFloat);
      std::vector<double> steps;
      latents.clear();
      pockettts::FlowStepWorkspace workspace;  // as the scheduler keeps one
      std::vector<pockettts::FlowStep> out;
      for (int f = 0; f < frames; ++f) {
        start = Clock::now();
        flow.step({{&latent, &state, &s, &rng}}, workspace, out);
        steps.push_back(ms_since(start));
        latent = out.front().latent;
        latents.push_back(flow.denormalize(latent));
      }
      flow_ms.push_back(median(steps));
    }
    for (int i = 0; i < repeats; ++i) {
      pockettts::MimiDecoderState state = mimi.init_decoder_state();
      std::vector<double> steps;
      std::vector<float> audio(static_cast<size_t>(mimi.frame_size() * mimi.channels()));
      for (const at::Tensor& latent : latents) {
        start = Clock::now();
        mimi.decode_frame(latent.data_ptr<float>(), state, audio.data());
        steps.push_back(ms_since(start));
      }
      mimi_ms.push_back(median(steps));
    }
    // mimi_batch_ms: the frames of --streams streams decoded as one batch (Mimi::decode_frames,
    // as the scheduler batches concurrent decoders): per batch, to set beside N x mimi_frame_ms.
    std::vector<double> batch_ms;
    const size_t batch = std::min<size_t>(static_cast<size_t>(args.streams), pockettts::kMaxFrames);
    for (int i = 0; args.streams > 1 && i < repeats; ++i) {
      std::vector<pockettts::MimiDecoderState> states;
      std::vector<std::vector<float>> audio(batch);
      for (size_t k = 0; k < batch; ++k) {
        states.push_back(mimi.init_decoder_state());
        audio[k].resize(static_cast<size_t>(mimi.frame_size() * mimi.channels()));
      }
      std::vector<double> steps;
      std::vector<pockettts::Mimi::Frame> frames_in(batch);
      for (const at::Tensor& latent : latents) {
        for (size_t k = 0; k < batch; ++k)
          frames_in[k] = {latent.data_ptr<float>(), &states[k], audio[k].data()};
        start = Clock::now();
        mimi.decode_frames(frames_in.data(), batch);
        steps.push_back(ms_since(start));
      }
      batch_ms.push_back(median(steps));
    }
    r.flow_step_ms = stats(flow_ms);
    r.mimi_frame_ms = stats(mimi_ms);
    if (!batch_ms.empty()) r.mimi_batch_ms = stats(batch_ms);
  }

  // aggregate_rtf: N streams on the one model at once, each from a thread of its own with its
  // own copy of the voice; all the audio over the wall time of the slowest. One stream is the
  // rtf figure above.
  if (args.streams == 1) {
    r.aggregate_rtf = r.rtf.median;
  } else {
    std::vector<double> aggregate;
    for (int i = 0; i < repeats; ++i) {
      std::vector<pockettts::VoiceState> voices(static_cast<size_t>(args.streams), voice);
      std::vector<size_t> samples(voices.size());
      std::vector<std::exception_ptr> errors(voices.size());
      std::vector<std::thread> threads;
      start = Clock::now();
      for (size_t k = 0; k < voices.size(); ++k) {
        threads.emplace_back([&, k] {
          try {
            pockettts::GenerateOptions o = options;
            o.seed = args.seed + 300 + k;
            samples[k] = generate_frames(*model, voices[k], args.text, o, frames, r.max_frames);
          } catch (...) {
            errors[k] = std::current_exception();
          }
        });
      }
      for (std::thread& t : threads) t.join();
      const double wall_s = ms_since(start) / 1000;
      for (const auto& error : errors) {
        if (error) std::rethrow_exception(error);
      }
      size_t total = 0;
      for (size_t n : samples) total += n;
      aggregate.push_back(static_cast<double>(total) / sample_rate / wall_s);
    }
    r.aggregate_rtf = median(aggregate);
  }

  // The peak is read before the extra loads below: one model at a time, as in real use.
  r.peak_rss_mb = peak_rss_mb();

  // load_ms over the repeats: the first load above (page cache as the run found it) and fresh
  // loads after the model is gone, so no two sets of weights are ever held together.
  voice = pockettts::InternalAccess::make_voice(pockettts::FlowLmState{});  // frees its caches
  model.reset();
  for (int i = 1; i < repeats; ++i) {
    start = Clock::now();
    auto again = pockettts::TTSModel::load_model(load);
    load_ms.push_back(ms_since(start));
  }
  r.load_ms = stats(load_ms);
  return r;
}

void print_table(const Args& args, int frames, const Results& r) {
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%g", args.voice_seconds);
  const std::string voice_description =
      args.voice ? *args.voice : std::string(seconds) + " s synthetic";
  std::printf("pockettts-bench: config %s, weights %s\n", args.config.c_str(), r.weights.c_str());
  std::printf("BLAS: %s; precision %s, %d compute thread(s), %d stream(s)\n",
              pockettts::blas_description().c_str(), args.precision.c_str(), args.threads,
              args.streams);
  std::printf(
      "text: %d tokens, max_gen_len %d; %d frames per run (%.2f s of audio), EOS "
      "disabled; voice %s; median, min, max over %d repeats\n\n",
      r.text_tokens, r.max_frames, frames, frames * 0.08, voice_description.c_str(), args.repeats);
  std::printf("| %-44s | %10s | %10s | %10s | %-4s |\n", "metric", "median", "min", "max", "unit");
  std::printf("|%s|------------|------------|------------|------|\n", std::string(46, '-').c_str());
  print_row("ttfa_ms: stream call to first chunk", r.ttfa_ms, "ms");
  print_row("rtf: audio s / wall s (generate_audio)", r.rtf, "x");
  print_row("flow_step_ms: one flow-LM step, alone", r.flow_step_ms, "ms");
  print_row("mimi_frame_ms: one Mimi frame, alone", r.mimi_frame_ms, "ms");
  if (args.streams > 1) {
    const std::string label = "mimi_batch_ms: " + std::to_string(std::min(args.streams, 8)) +
                              " streams' frames as one batch";
    print_row(label.c_str(), r.mimi_batch_ms, "ms");
  }
  print_row("encode_10s_ms: 10 s voice -> voice state", r.encode_10s_ms, "ms");
  print_row("load_ms: load_model", r.load_ms, "ms");
  std::printf("| %-44s | %10.1f | %10s | %10s | %-4s |\n", "peak_rss_mb: VmHWM", r.peak_rss_mb, "",
              "", "MiB");
  std::printf("| %-44s | %10.3f | %10s | %10s | %-4s |\n",
              ("aggregate_rtf: " + std::to_string(args.streams) + " stream(s)").c_str(),
              r.aggregate_rtf, "", "", "x");
  std::printf("\nresident (MiB) | total | libraries | weights (mapped) | heap | other anonymous\n");
  for (const Resident& m : r.resident) {
    std::printf("%-14s | %5.0f | %9.0f | %16.0f | %4.0f | %15.0f\n", m.stage.c_str(), m.total,
                m.libraries, m.weights, m.heap, m.other_anonymous);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  try {
    args = parse_args(argc, argv);
  } catch (const UsageError& error) {
    std::cerr << "pockettts-bench: " << error.what() << "\n(see pockettts-bench --help)\n";
    return 2;
  }
  g_log_set_handler("pockettts", G_LOG_LEVEL_WARNING, quiet_expected_warnings, nullptr);
  try {
    int frames = 0;
    const Results r = run(args, frames);
    print_table(args, frames, r);
    if (args.json) write_json(*args.json, args, frames, r);
  } catch (const std::exception& error) {
    std::cerr << "pockettts-bench: " << error.what() << "\n";
    return 1;
  }
  return 0;
}
