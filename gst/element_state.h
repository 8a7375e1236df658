// What one pockettts element holds, shared by the files of the element: the Settings the
// properties write, apart from the State that exists between start and stop.
#pragma once

#include <atomic>
#include <mutex>

#include "gstpockettts.h"
#include "input_queue.h"
#include "model_and_voice.h"
#include "output_timeline.h"
#include "settings.h"

struct PocketTtsPrivate {
  PocketTtsPrivate(GstElement* element, GstPad* srcpad) : output(element, srcpad) {}

  // Settings: what the properties say.
  std::mutex settings_lock;
  pockettts_gst::Settings settings;

  // State: what exists between start and stop.

  // Every thread: the streaming task, upstream's thread, the application's threads.
  pockettts_gst::InputQueue input;
  pockettts_gst::FirstChunkLatency latency;
  // is-live as last read by NULL->READY or READY->PAUSED (the property may change in READY).
  std::atomic<bool> live{false};

  // NULL->READY, then the streaming task.
  pockettts_gst::ModelAndVoice model_and_voice;
  // The streaming task; reset while the task is stopped.
  pockettts_gst::OutputTimeline output;
  // Upstream's streaming thread.
  pockettts_gst::UpstreamText upstream;
};

struct _GstPocketTts {
  GstElement parent;
  GstPad* srcpad;
  GstPad* sinkpad;
  PocketTtsPrivate* priv;
};

inline pockettts_gst::Settings copy_settings(GstPocketTts* self) {
  std::lock_guard<std::mutex> guard(self->priv->settings_lock);
  return self->priv->settings;
}
