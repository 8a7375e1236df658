// What /metrics reports, in the Prometheus text exposition format: requests by endpoint and
// status, generations running and queued, audio produced, and histograms of time to first
// byte and real-time factor. Thread-safe: workers and the HTTP thread update it at once.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace pockettts_serve {

class Metrics {
 public:
  void count_request(const std::string& endpoint, int status);
  void set_generations(int running, int queued);
  // One finished generation: its audio length, the time from the request to its first byte,
  // and generation time over audio time (lower is faster; < 1 is faster than real time).
  void record_generation(double audio_seconds, double first_byte_seconds, double real_time_factor);
  void count_cancelled();

  std::string render() const;  // the text format, version 0.0.4

 private:
  struct Histogram {
    std::vector<double> bounds;
    std::vector<unsigned long long> counts;  // per bound, not cumulative; one more for +Inf
    double sum = 0;
    unsigned long long total = 0;
    void observe(double value);
  };
  static void render_histogram(std::string& out, const std::string& name, const std::string& help,
                               const Histogram& histogram);

  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, unsigned long long> requests_;
  int running_ = 0;
  int queued_ = 0;
  double audio_seconds_ = 0;
  unsigned long long generations_ = 0;
  unsigned long long cancelled_ = 0;
  Histogram first_byte_{{0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30}, {}};
  Histogram real_time_factor_{{0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 5}, {}};
};

}  // namespace pockettts_serve
