#include "metrics.h"

#include <sstream>

namespace pockettts_serve {

void Metrics::Histogram::observe(double value) {
  if (counts.empty()) counts.assign(bounds.size() + 1, 0);
  size_t i = 0;
  while (i < bounds.size() && value > bounds[i]) ++i;
  ++counts[i];
  sum += value;
  ++total;
}

void Metrics::count_request(const std::string& endpoint, int status) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++requests_[{endpoint, status}];
}

void Metrics::set_generations(int running, int queued) {
  std::lock_guard<std::mutex> lock(mutex_);
  running_ = running;
  queued_ = queued;
}

void Metrics::record_generation(double audio_seconds, double first_byte_seconds,
                                double real_time_factor) {
  std::lock_guard<std::mutex> lock(mutex_);
  audio_seconds_ += audio_seconds;
  ++generations_;
  first_byte_.observe(first_byte_seconds);
  if (audio_seconds > 0) real_time_factor_.observe(real_time_factor);
}

void Metrics::count_cancelled() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++cancelled_;
}

namespace {
std::string number(double value) {
  std::ostringstream out;
  out.precision(10);
  out << value;
  return out.str();
}
}  // namespace

void Metrics::render_histogram(std::string& out, const std::string& name, const std::string& help,
                               const Histogram& histogram) {
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " histogram\n";
  unsigned long long cumulative = 0;
  for (size_t i = 0; i <= histogram.bounds.size(); ++i) {
    cumulative += histogram.counts.empty() ? 0 : histogram.counts[i];
    const std::string le = i < histogram.bounds.size() ? number(histogram.bounds[i]) : "+Inf";
    out += name + "_bucket{le=\"" + le + "\"} " + std::to_string(cumulative) + "\n";
  }
  out += name + "_sum " + number(histogram.sum) + "\n";
  out += name + "_count " + std::to_string(histogram.total) + "\n";
}

std::string Metrics::render() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string out;
  out +=
      "# HELP pockettts_requests_total HTTP and Wyoming requests by endpoint and status.\n"
      "# TYPE pockettts_requests_total counter\n";
  for (const auto& [key, count] : requests_) {
    out += "pockettts_requests_total{endpoint=\"" + key.first + "\",status=\"" +
           std::to_string(key.second) + "\"} " + std::to_string(count) + "\n";
  }
  out +=
      "# HELP pockettts_generations_running Generations running now (their steps batch).\n"
      "# TYPE pockettts_generations_running gauge\n"
      "pockettts_generations_running " +
      std::to_string(running_) + "\n";
  out +=
      "# HELP pockettts_generations_queued Requests waiting for a generation slot.\n"
      "# TYPE pockettts_generations_queued gauge\n"
      "pockettts_generations_queued " +
      std::to_string(queued_) + "\n";
  out +=
      "# HELP pockettts_generations_total Generations finished (complete or cut short).\n"
      "# TYPE pockettts_generations_total counter\n"
      "pockettts_generations_total " +
      std::to_string(generations_) + "\n";
  out +=
      "# HELP pockettts_generations_cancelled_total Generations stopped because the client "
      "left or stalled.\n"
      "# TYPE pockettts_generations_cancelled_total counter\n"
      "pockettts_generations_cancelled_total " +
      std::to_string(cancelled_) + "\n";
  out +=
      "# HELP pockettts_audio_seconds_total Seconds of speech produced.\n"
      "# TYPE pockettts_audio_seconds_total counter\n"
      "pockettts_audio_seconds_total " +
      number(audio_seconds_) + "\n";
  render_histogram(out, "pockettts_time_to_first_byte_seconds",
                   "Time from a request to the first byte of its audio.", first_byte_);
  render_histogram(out, "pockettts_real_time_factor",
                   "Generation time over audio time per request (below 1: faster than real time).",
                   real_time_factor_);
  return out;
}

}  // namespace pockettts_serve
