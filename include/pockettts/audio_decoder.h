// Decoding audio files and URIs with GStreamer (any format it can play), converted to float
// samples at a chosen rate and channel count. No GStreamer type appears here.
#pragma once

#include <optional>
#include <string>

#include <pockettts/audio.h>

namespace pockettts {

struct AudioReadOptions {
  std::optional<int> sample_rate;     // resample to this rate (GStreamer audioresample)
  std::optional<int> channels;        // downmix/upmix to this many channels
  std::optional<double> max_seconds;  // stop decoding after this much audio
};

// Throws Error(kNotFound) when the file does not exist and Error(kInvalidData) when GStreamer
// cannot decode it (the message says which format or plugin is missing).
Audio read_audio(const std::string& path_or_uri, const AudioReadOptions& options = {});

}  // namespace pockettts
