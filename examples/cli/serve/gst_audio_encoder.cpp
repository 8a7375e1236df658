// The compressed formats of /v1/audio/speech, through GStreamer's encoders: a small pipeline
// per response, fed samples by appsrc as they are generated and drained from appsink.
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>

#include <cstdint>
#include <sstream>
#include <vector>

#include <pockettts/audio.h>

#include "audio_encoder.h"

namespace pockettts_serve {

namespace {

struct FormatPipeline {
  const char* content_type;
  const char* description;            // between audioresample and appsink
  std::vector<const char*> elements;  // what must be installed
};

FormatPipeline pipeline_for(AudioFormat format) {
  switch (format) {
    case AudioFormat::kMp3:
      return {"audio/mpeg", "lamemp3enc", {"lamemp3enc"}};
    case AudioFormat::kOpus:
      return {"audio/ogg", "opusenc ! oggmux", {"opusenc", "oggmux"}};
    case AudioFormat::kFlac:
      return {"audio/flac", "flacenc", {"flacenc"}};
    case AudioFormat::kAac:
      // ADTS, the streamable AAC framing OpenAI returns.
      return {"audio/aac",
              "avenc_aac ! aacparse ! audio/mpeg,stream-format=adts",
              {"avenc_aac", "aacparse"}};
    default:
      return {"", "", {}};
  }
}

class GstAudioEncoder : public AudioEncoder {
 public:
  GstAudioEncoder(const FormatPipeline& format, int sample_rate)
      : content_type_(format.content_type), sample_rate_(sample_rate) {
    std::ostringstream description;
    // 16-bit samples made by the library's one conversion (as wav and pcm): a lossless format
    // then holds exactly the pcm response's samples.
    description << "appsrc name=src format=time caps=audio/x-raw,format=S16LE,layout=interleaved,"
                << "rate=" << sample_rate << ",channels=1 ! audioconvert dithering=none ! "
                << "audioresample ! " << format.description << " ! appsink name=sink sync=false";
    GError* error = nullptr;
    pipeline_ = gst_parse_launch(description.str().c_str(), &error);
    if (!pipeline_ || error) {
      const std::string message = error ? error->message : "unknown error";
      if (error) g_error_free(error);
      if (pipeline_) gst_object_unref(pipeline_);
      pipeline_ = nullptr;
      throw EncoderError("cannot build the encoder pipeline: " + message);
    }
    src_ = gst_bin_get_by_name(GST_BIN(pipeline_), "src");
    sink_ = gst_bin_get_by_name(GST_BIN(pipeline_), "sink");
    if (gst_element_set_state(pipeline_, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
      throw EncoderError("the encoder pipeline does not start: " + bus_error());
    }
  }
  ~GstAudioEncoder() override {
    if (pipeline_) {
      gst_element_set_state(pipeline_, GST_STATE_NULL);
      if (src_) gst_object_unref(src_);
      if (sink_) gst_object_unref(sink_);
      gst_object_unref(pipeline_);
    }
  }

  const char* content_type() const override { return content_type_; }

  std::string write(const float* samples, size_t count) override {
    std::vector<int16_t> s16(count);
    pockettts::float_to_s16(samples, count, s16.data());
    GstBuffer* buffer = gst_buffer_new_memdup(s16.data(), count * sizeof(int16_t));
    GST_BUFFER_PTS(buffer) = gst_util_uint64_scale(samples_, GST_SECOND, sample_rate_);
    samples_ += count;
    GST_BUFFER_DURATION(buffer) =
        gst_util_uint64_scale(samples_, GST_SECOND, sample_rate_) - GST_BUFFER_PTS(buffer);
    if (gst_app_src_push_buffer(GST_APP_SRC(src_), buffer) != GST_FLOW_OK) {
      throw EncoderError("the encoder stopped: " + bus_error());
    }
    return drain(0);
  }

  std::string finish() override {
    gst_app_src_end_of_stream(GST_APP_SRC(src_));
    std::string bytes;
    // Bounded: an encoder that neither finishes nor fails within 10 s is a failure.
    for (int i = 0; i < 100 && !gst_app_sink_is_eos(GST_APP_SINK(sink_)); ++i) {
      bytes += drain(100 * GST_MSECOND);
      const std::string error = bus_error();
      if (!error.empty()) throw EncoderError("the encoder failed: " + error);
    }
    if (!gst_app_sink_is_eos(GST_APP_SINK(sink_))) throw EncoderError("the encoder did not finish");
    return bytes + drain(0);
  }

 private:
  std::string drain(GstClockTime first_wait) {
    std::string bytes;
    GstClockTime wait = first_wait;
    while (GstSample* sample = gst_app_sink_try_pull_sample(GST_APP_SINK(sink_), wait)) {
      GstBuffer* buffer = gst_sample_get_buffer(sample);
      GstMapInfo map;
      if (buffer && gst_buffer_map(buffer, &map, GST_MAP_READ)) {
        bytes.append(reinterpret_cast<const char*>(map.data), map.size);
        gst_buffer_unmap(buffer, &map);
      }
      gst_sample_unref(sample);
      wait = 0;
    }
    return bytes;
  }

  std::string bus_error() {
    GstBus* bus = gst_element_get_bus(pipeline_);
    std::string result;
    while (GstMessage* message = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR)) {
      GError* error = nullptr;
      gst_message_parse_error(message, &error, nullptr);
      if (result.empty() && error) result = error->message;
      if (error) g_error_free(error);
      gst_message_unref(message);
    }
    gst_object_unref(bus);
    return result;
  }

  const char* content_type_;
  int sample_rate_;
  GstElement* pipeline_ = nullptr;
  GstElement* src_ = nullptr;
  GstElement* sink_ = nullptr;
  guint64 samples_ = 0;
};

}  // namespace

std::string missing_encoder_elements(AudioFormat format) {
  std::string missing;
  for (const char* element : pipeline_for(format).elements) {
    GstElementFactory* factory = gst_element_factory_find(element);
    if (factory) {
      gst_object_unref(factory);
    } else {
      missing += (missing.empty() ? "" : ", ") + std::string(element);
    }
  }
  return missing;
}

std::unique_ptr<AudioEncoder> make_encoder(AudioFormat format, int sample_rate) {
  switch (format) {
    case AudioFormat::kWav:
      return make_wav_encoder(sample_rate, 0.0);
    case AudioFormat::kPcm:
      return make_pcm_encoder();
    default:
      break;
  }
  const std::string missing = missing_encoder_elements(format);
  if (!missing.empty()) {
    throw EncoderError(std::string("response_format '") + audio_format_name(format) +
                       "' needs the GStreamer element(s) " + missing + ", which are not installed");
  }
  return std::make_unique<GstAudioEncoder>(pipeline_for(format), sample_rate);
}

}  // namespace pockettts_serve
