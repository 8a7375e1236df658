/* Helpers shared by the element's gstcheck suites: the tiny test model, harnesses in source
 * and filter mode, pulling buffers and events, the element's bus messages. */
#pragma once

#include <gst/audio/audio.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#define RATE 24000
#define FRAME 1920

/* tests/data/tiny (POCKETTTS_TEST_DATA), set by setup_paths(). */
extern gchar* model_path;
extern gchar* voice_path;

/* Call once before the tests (in the suite function). */
void setup_paths(void);
/* A pockettts element on the tiny model at temperature 0, with `text` when not NULL. */
GstElement* make_tts(const gchar* text);
/* When a wait of `seconds` on a normal build ends, as a g_get_monotonic_time() value; sanitizer
 * runs stretch it by POCKETTTS_TEST_SLOWDOWN (scripts/sanitize sets it, as meson's timeout
 * multiplier). */
gint64 deadline_after(gint seconds);
guint test_slowdown(void); /* that factor, 1 unless set */
GstBus* attach_bus(GstElement* element);

GstHarness* source_harness(GstElement* tts);
GstHarness* filter_harness(GstElement* tts, const gchar* format);
GstBuffer* text_buffer(const gchar* text, GstClockTime pts, GstClockTime duration);

/* Every buffer up to EOS, in order. */
GPtrArray* pull_all(GstHarness* h);
/* Waits (60 s at most per event) for the EOS event on the harness's sink pad; NULL when none
 * comes. */
GstEvent* pull_eos_event(GstHarness* h);
/* Buffers are contiguous and their times exact, in samples from the segment start; returns
 * the number of samples. */
guint64 check_contiguous(GPtrArray* buffers, gsize bytes_per_sample);
gchar* current_format(GstHarness* h);
GArray* samples_f32(GPtrArray* buffers);

/* Every element message posted so far, oldest first. */
GPtrArray* collect_messages(GstBus* bus);
/* Waits for EOS or ERROR on a pipeline bus, keeping the element messages seen on the way.
 * Returns the final message type. */
GstMessageType wait_collecting(GstBus* bus, GPtrArray* all);
/* The messages named `name` in `all` (borrowed). */
GPtrArray* named(GPtrArray* all, const gchar* name);
guint64 uint64_field(GPtrArray* messages, guint index, const gchar* field);
const gchar* text_field(GPtrArray* messages, guint index);

/* A buffer probe (user_data: a gint counter from 0) that holds the second buffer until the
 * pad flushes (60 s at most), so that a flush arrives mid-utterance however fast the model. */
GstPadProbeReturn hold_second_buffer_until_flush(GstPad* pad, GstPadProbeInfo* info,
                                                 gpointer user_data);
