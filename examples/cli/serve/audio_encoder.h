// The bytes of an audio response, made while the audio is generated: the reference's
// streamed WAV, raw PCM, or a compressed format through a GStreamer encoder. An encoder turns
// float samples (24 kHz mono) into bytes to send now; finish() gives the last ones.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include "speech_request.h"

namespace pockettts_serve {

class AudioEncoder {
 public:
  virtual ~AudioEncoder() = default;
  virtual const char* content_type() const = 0;
  // What can be sent after these samples (empty while a compressed frame fills).
  virtual std::string write(const float* samples, size_t count) = 0;
  // The rest, after the last samples. Throws EncoderError when the encoder failed.
  virtual std::string finish() = 0;
};

class EncoderError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The WAV the reference's server streams (its StreamingWAVWriter through Python's wave module):
// 16-bit mono, a header that declares 10^9 frames (a stream of unknown length) and is never
// patched, the samples, and `trailing_silence_seconds` of zeros at the end (the reference
// adds 0.2 s "to ensure proper playback").
std::unique_ptr<AudioEncoder> make_wav_encoder(int sample_rate, double trailing_silence_seconds);
// Raw signed 16-bit little-endian samples, nothing else (OpenAI's "pcm").
std::unique_ptr<AudioEncoder> make_pcm_encoder();
// mp3 (lamemp3enc), opus in Ogg (opusenc, oggmux), flac (flacenc), aac in ADTS (avenc_aac,
// aacparse) through `appsrc ! audioconvert ! audioresample ! encoder ! appsink`; wav and pcm
// as above (no trailing silence). Throws EncoderError naming the missing GStreamer element.
std::unique_ptr<AudioEncoder> make_encoder(AudioFormat format, int sample_rate);
// The GStreamer elements a format needs that are not installed, or "" when it can be served.
std::string missing_encoder_elements(AudioFormat format);
// The 44-byte header of make_wav_encoder's stream.
std::string reference_wav_header(int sample_rate);

}  // namespace pockettts_serve
