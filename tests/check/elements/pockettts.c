/* gstcheck tests for the pockettts element, on the tiny random-weight model in
 * tests/data/tiny (its audio is noise; temperature 0 makes it deterministic). */
#include <glib/gstdio.h>
#include <gst/audio/audio.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <string.h>
#include <unistd.h>

#include "conformance_probe.h"
#include "pockettts_check.h"

GST_START_TEST(test_caps_f32le_preferred) {
  GstHarness* h = source_harness(make_tts("Hello world."));
  GPtrArray* buffers = pull_all(h);
  gchar* format = current_format(h);
  GstCaps* caps = gst_pad_get_current_caps(h->sinkpad);
  GstStructure* s = gst_caps_get_structure(caps, 0);
  gint rate = 0, channels = 0;

  fail_unless_equals_string(format, "F32LE");
  fail_unless(gst_structure_get_int(s, "rate", &rate));
  fail_unless(gst_structure_get_int(s, "channels", &channels));
  fail_unless_equals_int(rate, RATE);
  fail_unless_equals_int(channels, 1);
  fail_unless_equals_string(gst_structure_get_string(s, "layout"), "interleaved");
  fail_unless(buffers->len > 0);
  check_contiguous(buffers, 4);

  gst_caps_unref(caps);
  g_free(format);
  g_ptr_array_unref(buffers);
  gst_harness_teardown(h);
}
GST_END_TEST

/* S16LE when downstream insists; the samples are the F32 ones clamped and scaled by
 * 32767 with truncation, as the reference's WAV writer does. */
GST_START_TEST(test_caps_s16le) {
  GstHarness* hf = source_harness(make_tts("Hello world."));
  GPtrArray* f32 = pull_all(hf);
  GArray* reference = samples_f32(f32);
  GstElement* bin = gst_bin_new(NULL);
  GstElement* tts = make_tts("Hello world.");
  GstElement* filter = gst_element_factory_make("capsfilter", NULL);
  GstCaps* s16 =
      gst_caps_from_string("audio/x-raw, format=S16LE, layout=interleaved, rate=24000, channels=1");
  GstPad* filter_src;
  GstHarness* h;
  GPtrArray* buffers;
  gchar* format;
  guint64 total, k = 0;

  /* Downstream insists from the start: a capsfilter inside a bin that shows only its src
   * pad (the harness starts any element with a sink pad before caps could be set). */
  g_object_set(filter, "caps", s16, NULL);
  gst_caps_unref(s16);
  gst_bin_add_many(GST_BIN(bin), tts, filter, NULL);
  fail_unless(gst_element_link(tts, filter));
  filter_src = gst_element_get_static_pad(filter, "src");
  gst_element_add_pad(bin, gst_ghost_pad_new("src", filter_src));
  gst_object_unref(filter_src);
  h = gst_harness_new_with_element(bin, NULL, "src");
  gst_harness_play(h);

  buffers = pull_all(h);
  format = current_format(h);
  fail_unless_equals_string(format, "S16LE");
  total = check_contiguous(buffers, 2);
  fail_unless_equals_uint64(total, reference->len);

  for (guint i = 0; i < buffers->len; i++) {
    GstMapInfo map;
    GstBuffer* buf = g_ptr_array_index(buffers, i);
    const gint16* s16;
    gst_buffer_map(buf, &map, GST_MAP_READ);
    s16 = (const gint16*)map.data;
    for (gsize j = 0; j < map.size / 2; j++, k++) {
      gfloat x = CLAMP(g_array_index(reference, gfloat, k), -1.0f, 1.0f);
      fail_unless_equals_int(GINT16_FROM_LE(s16[j]), (gint16)(x * 32767.0f));
    }
    gst_buffer_unmap(buf, &map);
  }

  g_free(format);
  g_array_unref(reference);
  g_ptr_array_unref(f32);
  g_ptr_array_unref(buffers);
  gst_harness_teardown(hf);
  gst_harness_teardown(h);
}
GST_END_TEST

GST_START_TEST(test_source_mode_timestamps) {
  GstElement* tts = make_tts("Hello world, this is a test.");
  GstBus* bus = attach_bus(tts);
  GstHarness* h = source_harness(tts);
  GPtrArray* buffers = pull_all(h);
  GPtrArray* all = collect_messages(bus);
  GPtrArray* starts = named(all, "pockettts-utterance-start");
  GPtrArray* ends = named(all, "pockettts-utterance-end");
  guint64 total;
  guint frames = 0;
  gboolean cancelled = TRUE;

  fail_unless(buffers->len > 1);
  total = check_contiguous(buffers, 4);
  /* One model frame per buffer. */
  fail_unless_equals_uint64(total, (guint64)buffers->len * FRAME);

  fail_unless_equals_int(starts->len, 1);
  fail_unless_equals_int(ends->len, 1);
  fail_unless_equals_string(text_field(starts, 0), "Hello world, this is a test.");
  fail_unless_equals_uint64(uint64_field(starts, 0, "running-time"), 0);
  fail_unless(gst_structure_get_uint(g_ptr_array_index(ends, 0), "frames", &frames));
  fail_unless_equals_int(frames, buffers->len);
  fail_unless(gst_structure_get_boolean(g_ptr_array_index(ends, 0), "cancelled", &cancelled));
  fail_if(cancelled);
  fail_unless_equals_uint64(uint64_field(ends, 0, "running-time"),
                            gst_util_uint64_scale_int(total, GST_SECOND, RATE));

  g_ptr_array_unref(starts);
  g_ptr_array_unref(ends);
  g_ptr_array_unref(all);
  g_ptr_array_unref(buffers);
  gst_harness_teardown(h);
  gst_object_unref(bus);
}
GST_END_TEST

GST_START_TEST(test_upstream_text_then_eos) {
  const gchar* texts[] = {"First sentence.", "Second one here.", "And a third."};
  GstElement* tts = make_tts("The text property is not spoken in filter mode.");
  GstBus* bus = attach_bus(tts);
  GstHarness* h = filter_harness(tts, "utf8");
  GPtrArray *buffers, *all, *starts;

  for (guint i = 0; i < G_N_ELEMENTS(texts); i++)
    fail_unless_equals_int(
        gst_harness_push(h, text_buffer(texts[i], GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE)),
        GST_FLOW_OK);
  fail_unless(gst_harness_push_event(h, gst_event_new_eos()));

  buffers = pull_all(h);
  check_contiguous(buffers, 4);
  all = collect_messages(bus);
  starts = named(all, "pockettts-utterance-start");
  fail_unless_equals_int(starts->len, G_N_ELEMENTS(texts));
  for (guint i = 0; i < G_N_ELEMENTS(texts); i++)
    fail_unless_equals_string(text_field(starts, i), texts[i]);

  g_ptr_array_unref(starts);
  g_ptr_array_unref(all);
  g_ptr_array_unref(buffers);
  gst_harness_teardown(h);
  gst_object_unref(bus);
}
GST_END_TEST

/* Subtitles: a PTS places speech on the timeline, silence (zeroed GAP buffers) fills the
 * time before it, and a line due while the previous one still speaks starts late. */
GST_START_TEST(test_subtitle_timing_with_gaps) {
  GstElement* tts = make_tts(NULL);
  GstBus* bus = attach_bus(tts);
  GstHarness* h = filter_harness(tts, "pango-markup");
  GPtrArray *buffers, *all, *starts, *ends, *overruns;
  guint64 second_end;

  gst_harness_push(h, text_buffer("<i>Hello</i> &amp; welcome", 2 * GST_SECOND, GST_SECOND));
  gst_harness_push(h, text_buffer("Second line.", 10 * GST_SECOND, GST_SECOND));
  /* Due 100 ms into the second line. */
  gst_harness_push(h, text_buffer("Third.", 10 * GST_SECOND + 100 * GST_MSECOND, GST_SECOND));
  gst_harness_push_event(h, gst_event_new_eos());

  buffers = pull_all(h);
  check_contiguous(buffers, 4);
  all = collect_messages(bus);
  starts = named(all, "pockettts-utterance-start");
  ends = named(all, "pockettts-utterance-end");
  overruns = named(all, "pockettts-overrun");

  fail_unless_equals_int(starts->len, 3);
  fail_unless_equals_string(text_field(starts, 0), "Hello & welcome");
  fail_unless_equals_uint64(uint64_field(starts, 0, "running-time"), 2 * GST_SECOND);
  fail_unless(uint64_field(ends, 0, "running-time") < 10 * GST_SECOND);
  fail_unless_equals_uint64(uint64_field(starts, 1, "running-time"), 10 * GST_SECOND);

  second_end = uint64_field(ends, 1, "running-time");
  fail_unless(second_end > 10 * GST_SECOND + 100 * GST_MSECOND);
  fail_unless_equals_int(overruns->len, 1);
  fail_unless_equals_string(text_field(overruns, 0), "Third.");
  fail_unless_equals_uint64(uint64_field(overruns, 0, "scheduled-running-time"),
                            10 * GST_SECOND + 100 * GST_MSECOND);
  fail_unless_equals_uint64(uint64_field(overruns, 0, "running-time"), second_end);
  fail_unless_equals_uint64(uint64_field(overruns, 0, "lateness"),
                            second_end - 10 * GST_SECOND - 100 * GST_MSECOND);
  fail_unless_equals_string(gst_structure_get_string(g_ptr_array_index(overruns, 0), "overflow"),
                            "shift");
  fail_unless_equals_uint64(uint64_field(starts, 2, "running-time"), second_end);

  /* Silence is zeroed and flagged GAP; speech is not. */
  for (guint i = 0; i < buffers->len; i++) {
    GstBuffer* buf = g_ptr_array_index(buffers, i);
    GstClockTime pts = GST_BUFFER_PTS(buf);
    gboolean silence = pts < 2 * GST_SECOND ||
                       (pts >= uint64_field(ends, 0, "running-time") && pts < 10 * GST_SECOND);
    fail_unless_equals_int(GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_GAP), silence);
    if (silence) {
      GstMapInfo map;
      gst_buffer_map(buf, &map, GST_MAP_READ);
      for (gsize j = 0; j < map.size; j++) fail_unless_equals_int(map.data[j], 0);
      gst_buffer_unmap(buf, &map);
    }
  }

  g_ptr_array_unref(starts);
  g_ptr_array_unref(ends);
  g_ptr_array_unref(overruns);
  g_ptr_array_unref(all);
  g_ptr_array_unref(buffers);
  gst_harness_teardown(h);
  gst_object_unref(bus);
}
GST_END_TEST

/* An empty subtitle is silence until its end, not an error. */
GST_START_TEST(test_empty_subtitle_is_silence) {
  GstHarness* h = filter_harness(make_tts(NULL), "utf8");
  GPtrArray* buffers;
  guint64 total;

  gst_harness_push(h, text_buffer("", 0, GST_SECOND));
  gst_harness_push_event(h, gst_event_new_eos());
  buffers = pull_all(h);
  total = check_contiguous(buffers, 4);
  fail_unless_equals_uint64(total, RATE);
  for (guint i = 0; i < buffers->len; i++)
    fail_unless(GST_BUFFER_FLAG_IS_SET(g_ptr_array_index(buffers, i), GST_BUFFER_FLAG_GAP));
  g_ptr_array_unref(buffers);
  gst_harness_teardown(h);
}
GST_END_TEST

static GstPadProbeReturn cancel_on_third_buffer(GstPad* pad, GstPadProbeInfo* info,
                                                gpointer user_data) {
  guint* count = user_data;
  (void)info;
  if (++*count == 3) g_signal_emit_by_name(GST_PAD_PARENT(pad), "cancel");
  return GST_PAD_PROBE_OK;
}

GST_START_TEST(test_speak_and_cancel) {
  GstElement* tts = make_tts("Hello there.");
  GstBus* bus = attach_bus(tts);
  GstHarness* h;
  GPtrArray *buffers, *all, *starts, *ends;
  gboolean queued = FALSE, cancelled = FALSE;
  guint count = 0, frames = 0;
  GstPad* src = gst_element_get_static_pad(tts, "src");

  /* Queued before start (in NULL): spoken after the text property, before EOS. */
  g_signal_emit_by_name(tts, "speak",
                        "A long second utterance that will be cut short "
                        "after three frames, because the test cancels it.",
                        &queued);
  fail_unless(queued);
  g_signal_emit_by_name(tts, "speak", "", &queued);
  fail_if(queued);
  g_signal_emit_by_name(tts, "speak", "\xff\xfe", &queued);
  fail_if(queued);

  /* The harness starts the element. */
  h = gst_harness_new_with_element(tts, NULL, "src");
  buffers = pull_all(h);
  check_contiguous(buffers, 4);
  all = collect_messages(bus);
  starts = named(all, "pockettts-utterance-start");
  ends = named(all, "pockettts-utterance-end");
  fail_unless_equals_int(starts->len, 2);
  fail_unless_equals_string(text_field(starts, 0), "Hello there.");
  fail_unless(gst_structure_get_boolean(g_ptr_array_index(ends, 0), "cancelled", &cancelled));
  fail_if(cancelled);
  g_ptr_array_unref(starts);
  g_ptr_array_unref(ends);
  g_ptr_array_unref(all);
  g_ptr_array_unref(buffers);

  /* After EOS nothing more can be queued. */
  g_signal_emit_by_name(tts, "speak", "Too late.", &queued);
  fail_if(queued);
  gst_harness_teardown(h);
  gst_object_unref(src);

  /* cancel stops the current utterance at the frame being pushed. */
  tts = make_tts(
      "A long utterance that will be cut short after three frames, because "
      "the test cancels it from the streaming thread.");
  gst_element_set_bus(tts, bus);
  src = gst_element_get_static_pad(tts, "src");
  gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_BUFFER, cancel_on_third_buffer, &count, NULL);
  h = source_harness(tts);
  buffers = pull_all(h);
  fail_unless_equals_int(buffers->len, 3);
  all = collect_messages(bus);
  ends = named(all, "pockettts-utterance-end");
  fail_unless_equals_int(ends->len, 1);
  fail_unless(gst_structure_get_boolean(g_ptr_array_index(ends, 0), "cancelled", &cancelled));
  fail_unless(cancelled);
  fail_unless(gst_structure_get_uint(g_ptr_array_index(ends, 0), "frames", &frames));
  fail_unless_equals_int(frames, 3);
  g_ptr_array_unref(ends);
  g_ptr_array_unref(all);
  g_ptr_array_unref(buffers);
  gst_harness_teardown(h);
  gst_object_unref(src);
  gst_object_unref(bus);
}
GST_END_TEST

/* Holds the second buffer until the pad flushes, so the flush lands mid-utterance however
 * fast the model is. */
/* flush-start/stop from upstream (a seek in subparse) drops the utterance being spoken;
 * speech resumes with the text that follows the flush. */
GST_START_TEST(test_flush_during_speech) {
  GstElement* tts = make_tts(NULL);
  GstBus* bus = attach_bus(tts);
  GstHarness* h;
  GstBuffer* buf;
  GPtrArray *buffers, *all, *starts, *ends;
  GstSegment segment;
  gboolean cancelled = FALSE;
  gint64 t0;
  gint count = 0;
  GstPad* src = gst_element_get_static_pad(tts, "src");
  gulong probe = gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_BUFFER, hold_second_buffer_until_flush,
                                   &count, NULL);

  h = filter_harness(tts, "utf8");

  gst_harness_push(h, text_buffer("A long utterance that is being spoken when the "
                                  "flush arrives, and will never finish.",
                                  0, GST_CLOCK_TIME_NONE));
  buf = gst_harness_pull(h);
  fail_unless(buf != NULL);
  gst_buffer_unref(buf);

  t0 = g_get_monotonic_time();
  fail_unless(gst_harness_push_event(h, gst_event_new_flush_start()));
  fail_unless(gst_harness_push_event(h, gst_event_new_flush_stop(TRUE)));
  /* Flushing waits for the task; that must not take an utterance's time. */
  fail_unless(g_get_monotonic_time() - t0 < 2 * G_USEC_PER_SEC);
  gst_pad_remove_probe(src, probe);
  gst_object_unref(src);

  /* Drop what was queued on the harness before the flush. */
  while ((buf = gst_harness_try_pull(h))) gst_buffer_unref(buf);

  gst_segment_init(&segment, GST_FORMAT_TIME);
  fail_unless(gst_harness_push_event(h, gst_event_new_segment(&segment)));
  gst_harness_push(h, text_buffer("After the flush.", 0, GST_CLOCK_TIME_NONE));
  gst_harness_push_event(h, gst_event_new_eos());
  buffers = pull_all(h);
  fail_unless(buffers->len > 0);
  check_contiguous(buffers, 4);

  all = collect_messages(bus);
  starts = named(all, "pockettts-utterance-start");
  ends = named(all, "pockettts-utterance-end");
  fail_unless_equals_int(starts->len, 2);
  fail_unless_equals_int(ends->len, 2);
  fail_unless(gst_structure_get_boolean(g_ptr_array_index(ends, 0), "cancelled", &cancelled));
  fail_unless(cancelled);
  fail_unless_equals_string(text_field(starts, 1), "After the flush.");
  fail_unless(gst_structure_get_boolean(g_ptr_array_index(ends, 1), "cancelled", &cancelled));
  fail_if(cancelled);

  g_ptr_array_unref(starts);
  g_ptr_array_unref(ends);
  g_ptr_array_unref(all);
  g_ptr_array_unref(buffers);
  gst_harness_teardown(h);
  gst_object_unref(bus);
}
GST_END_TEST

/* A flush sent upstream by the application (source mode) also stops speech at once; the
 * source then ends its stream. */
GST_START_TEST(test_flush_source_mode) {
  GstHarness* h =
      source_harness(make_tts("A long utterance that is being spoken when "
                              "the flush arrives from downstream, and will never finish."));
  GstBuffer* buf = gst_harness_pull(h);
  gint64 t0;

  fail_unless(buf != NULL);
  gst_buffer_unref(buf);
  t0 = g_get_monotonic_time();
  fail_unless(gst_harness_push_upstream_event(h, gst_event_new_flush_start()));
  fail_unless(gst_harness_push_upstream_event(h, gst_event_new_flush_stop(TRUE)));
  fail_unless(g_get_monotonic_time() - t0 < 2 * G_USEC_PER_SEC);
  /* EOS follows; whatever was pushed before the flush may still be queued. */
  while (gst_harness_pull_until_eos(h, &buf) && buf) gst_buffer_unref(buf);
  gst_harness_teardown(h);
}
GST_END_TEST

GST_START_TEST(test_state_cycles) {
  GstElement* pipeline = gst_pipeline_new(NULL);
  GstElement* tts = make_tts("Hi.");
  GstElement* sink = gst_element_factory_make("fakesink", NULL);
  GstBus* bus = gst_element_get_bus(pipeline);

  g_object_set(sink, "sync", FALSE, NULL);
  gst_bin_add_many(GST_BIN(pipeline), tts, sink, NULL);
  fail_unless(gst_element_link(tts, sink));

  for (int i = 0; i < 50; i++) {
    GstMessage* msg;
    fail_unless(gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
    if (i % 2 == 0) {
      /* Every other cycle speaks to the end; the others stop mid-way. */
      msg = gst_bus_timed_pop_filtered(bus, 60 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
      fail_unless(msg != NULL);
      fail_unless_equals_int(GST_MESSAGE_TYPE(msg), GST_MESSAGE_EOS);
      gst_message_unref(msg);
    }
    fail_unless(gst_element_set_state(pipeline, GST_STATE_PAUSED) != GST_STATE_CHANGE_FAILURE);
    fail_unless_equals_int(gst_element_set_state(pipeline, GST_STATE_READY),
                           GST_STATE_CHANGE_SUCCESS);
    if (i % 10 == 9)
      fail_unless_equals_int(gst_element_set_state(pipeline, GST_STATE_NULL),
                             GST_STATE_CHANGE_SUCCESS);
    gst_bus_set_flushing(bus, TRUE);
    gst_bus_set_flushing(bus, FALSE);
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(bus);
  gst_object_unref(pipeline);
}
GST_END_TEST

static gint models_loaded;
static gint models_shared;

static void count_model_loads(GstDebugCategory* category, GstDebugLevel level, const gchar* file,
                              const gchar* function, gint line, GObject* object,
                              GstDebugMessage* message, gpointer user_data) {
  const gchar* text = gst_debug_message_get(message);
  (void)level;
  (void)file;
  (void)function;
  (void)line;
  (void)object;
  (void)user_data;
  if (strcmp(gst_debug_category_get_name(category), "pockettts") != 0 || !text) return;
  if (g_str_has_prefix(text, "loaded model"))
    g_atomic_int_inc(&models_loaded);
  else if (g_str_has_prefix(text, "sharing the loaded model"))
    g_atomic_int_inc(&models_shared);
}

/* Two elements with the same model share one loaded copy and both speak. */
GST_START_TEST(test_two_elements_share_model) {
  GstHarness *h1, *h2;
  GPtrArray *b1, *b2;
  GArray *s1, *s2;

  gst_debug_set_threshold_for_name("pockettts", GST_LEVEL_INFO);
  gst_debug_add_log_function(count_model_loads, NULL, NULL);
  models_loaded = models_shared = 0;

  h1 = gst_harness_new_with_element(make_tts("Shared model."), NULL, "src");
  h2 = gst_harness_new_with_element(make_tts("Shared model."), NULL, "src");
  gst_harness_play(h1);
  gst_harness_play(h2);
  fail_unless_equals_int(g_atomic_int_get(&models_loaded), 1);
  fail_unless_equals_int(g_atomic_int_get(&models_shared), 1);

  b1 = pull_all(h1);
  b2 = pull_all(h2);
  s1 = samples_f32(b1);
  s2 = samples_f32(b2);
  fail_unless_equals_int(s1->len, s2->len);
  fail_unless(memcmp(s1->data, s2->data, s1->len * sizeof(gfloat)) == 0);

  /* Released with the last element: the next one loads it again. */
  gst_harness_teardown(h1);
  gst_harness_teardown(h2);
  h1 = gst_harness_new_with_element(make_tts("Shared model."), NULL, "src");
  gst_harness_play(h1);
  fail_unless_equals_int(g_atomic_int_get(&models_loaded), 2);
  gst_harness_teardown(h1);

  gst_debug_remove_log_function(count_model_loads);
  g_array_unref(s1);
  g_array_unref(s2);
  g_ptr_array_unref(b1);
  g_ptr_array_unref(b2);
}
GST_END_TEST

/* The error message of the first ERROR on the bus, checked for domain and code. */
static void expect_error(GstBus* bus, GQuark domain, gint code, const gchar* mentions) {
  GstMessage* msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
  GError* err = NULL;
  gchar* debug = NULL;
  fail_unless(msg != NULL, "no error message posted");
  gst_message_parse_error(msg, &err, &debug);
  GST_INFO("error: %s (%s)", err->message, debug);
  fail_unless(g_error_matches(err, domain, code), "unexpected error %s", err->message);
  if (mentions)
    fail_unless(strstr(err->message, mentions) != NULL, "'%s' does not mention '%s'", err->message,
                mentions);
  g_error_free(err);
  g_free(debug);
  gst_message_unref(msg);
}

GST_START_TEST(test_error_bad_model_path) {
  GstElement* tts = make_tts("Hello.");
  GstBus* bus = attach_bus(tts);
  g_object_set(tts, "model", "/nonexistent/pockettts/config.yaml", NULL);
  fail_unless_equals_int(gst_element_set_state(tts, GST_STATE_READY), GST_STATE_CHANGE_FAILURE);
  expect_error(bus, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
               "/nonexistent/pockettts/config.yaml");
  gst_element_set_state(tts, GST_STATE_NULL);
  gst_object_unref(tts);
  gst_object_unref(bus);
}
GST_END_TEST

GST_START_TEST(test_error_bad_voice) {
  GstElement* tts = make_tts("Hello.");
  GstBus* bus = attach_bus(tts);
  g_object_set(tts, "voice", "/nonexistent/voice.wav", NULL);
  fail_unless_equals_int(gst_element_set_state(tts, GST_STATE_READY), GST_STATE_CHANGE_FAILURE);
  expect_error(bus, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND, "/nonexistent/voice.wav");
  gst_element_set_state(tts, GST_STATE_NULL);
  gst_object_unref(tts);
  gst_object_unref(bus);
}
GST_END_TEST

/* A voice changed while playing that cannot be loaded stops the stream with an error
 * at the next utterance, without a hang. */
GST_START_TEST(test_error_bad_voice_while_playing) {
  GstElement* tts = make_tts(NULL);
  GstBus* bus = attach_bus(tts);
  GstHarness* h = filter_harness(tts, "utf8");
  GstBuffer* buf = NULL;

  g_object_set(tts, "voice", "/nonexistent/voice.wav", NULL);
  gst_harness_push(h, text_buffer("Hello.", GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE));
  fail_unless(gst_harness_pull_until_eos(h, &buf));
  fail_unless(buf == NULL);
  expect_error(bus, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND, "voice");
  fail_unless_equals_int(
      gst_harness_push(h, text_buffer("More.", GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE)),
      GST_FLOW_ERROR);
  gst_harness_teardown(h);
  gst_object_unref(bus);
}
GST_END_TEST

/* A `text` property the element cannot speak fails READY->PAUSED with a settings error
 * whose message contains `what`. */
static void expect_unspeakable_text(const gchar* text, const gchar* what) {
  GstElement* tts = make_tts(text);
  GstBus* bus = attach_bus(tts);
  fail_unless_equals_int(gst_element_set_state(tts, GST_STATE_PAUSED), GST_STATE_CHANGE_FAILURE);
  expect_error(bus, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS, what);
  gst_element_set_state(tts, GST_STATE_NULL);
  gst_object_unref(tts);
  gst_object_unref(bus);
}

GST_START_TEST(test_error_invalid_utf8_property) {
  expect_unspeakable_text("caf\xe9 au lait", "UTF-8");
}
GST_END_TEST

GST_START_TEST(test_error_invalid_utf8_upstream) {
  GstElement* tts = make_tts(NULL);
  GstBus* bus = attach_bus(tts);
  GstHarness* h = filter_harness(tts, "utf8");
  fail_unless_equals_int(
      gst_harness_push(h, text_buffer("caf\xe9", GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE)),
      GST_FLOW_ERROR);
  expect_error(bus, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE, "UTF-8");
  gst_harness_teardown(h);
  gst_object_unref(bus);
}
GST_END_TEST

GST_START_TEST(test_error_empty_text) { expect_unspeakable_text("   ", "Nothing to speak"); }
GST_END_TEST

/* A text file through filesrc: read in blocks that cut words and characters, spoken one
 * paragraph at a time. */
GST_START_TEST(test_text_file_paragraphs) {
  gchar* path = NULL;
  gint fd = g_file_open_tmp("pockettts-XXXXXX.txt", &path, NULL);
  const gchar* contents =
      "A first paragraph\nwrapped over two lines.\n\n\n"
      "The second paragraph.\n";
  gchar* launch;
  GstElement *pipeline, *tts;
  GstBus* bus;
  GPtrArray *all, *starts;

  fail_unless(fd >= 0);
  fail_unless(g_file_set_contents(path, contents, -1, NULL));
  close(fd);
  launch = g_strdup_printf(
      "filesrc location=%s blocksize=5 ! pockettts name=tts "
      "model=%s voice=%s temperature=0 ! fakesink",
      path, model_path, voice_path);
  pipeline = gst_parse_launch(launch, NULL);
  fail_unless(pipeline != NULL);
  tts = gst_bin_get_by_name(GST_BIN(pipeline), "tts");
  bus = gst_element_get_bus(pipeline);
  fail_unless(gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  all = g_ptr_array_new_with_free_func((GDestroyNotify)gst_structure_free);
  fail_unless_equals_int(wait_collecting(bus, all), GST_MESSAGE_EOS);
  starts = named(all, "pockettts-utterance-start");
  fail_unless_equals_int(starts->len, 2);
  fail_unless_equals_string(text_field(starts, 0), "A first paragraph\nwrapped over two lines.");
  fail_unless_equals_string(text_field(starts, 1), "The second paragraph.");

  g_ptr_array_unref(starts);
  g_ptr_array_unref(all);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(tts);
  gst_object_unref(bus);
  gst_object_unref(pipeline);
  g_unlink(path);
  g_free(path);
  g_free(launch);
}
GST_END_TEST

GST_START_TEST(test_latency_query) {
  GstElement* tts = make_tts("Hello.");
  GstHarness* h = gst_harness_new_with_element(tts, NULL, "src");
  GstQuery* query = gst_query_new_latency();
  gboolean live = TRUE;
  GstClockTime min = 0, max = 0;

  gst_harness_play(h);
  fail_unless(gst_element_query(tts, query));
  gst_query_parse_latency(query, &live, &min, &max);
  fail_if(live);
  gst_query_unref(query);
  gst_harness_teardown(h);

  tts = make_tts("Hello.");
  g_object_set(tts, "is-live", TRUE, NULL);
  h = gst_harness_new_with_element(tts, NULL, "src");
  gst_harness_play(h);
  query = gst_query_new_latency();
  fail_unless(gst_element_query(tts, query));
  gst_query_parse_latency(query, &live, &min, &max);
  fail_unless(live);
  /* Measured at start-up on a warm-up utterance. */
  fail_unless(min > 0 && GST_CLOCK_TIME_IS_VALID(min));
  gst_query_unref(query);
  gst_harness_teardown(h);
}
GST_END_TEST

static void count_bytes(GstElement* sink, GstBuffer* buf, GstPad* pad, gpointer user_data) {
  gsize* bytes = user_data;
  (void)sink;
  (void)pad;
  g_atomic_pointer_add(bytes, gst_buffer_get_size(buf));
}

static GstPadProbeReturn count_samples(GstPad* pad, GstPadProbeInfo* info, gpointer user_data) {
  gsize* samples = user_data;
  (void)pad;
  *samples += gst_buffer_get_size(GST_PAD_PROBE_INFO_BUFFER(info)) / sizeof(gfloat);
  return GST_PAD_PROBE_OK;
}

/* The documented RTP pair: L16 over UDP to 127.0.0.1, every sample received. */
GST_START_TEST(test_rtp_l16_loopback) {
  GstElement* receiver = gst_parse_launch(
      "udpsrc name=src port=0 address=127.0.0.1 "
      "caps=\"application/x-rtp, media=audio, clock-rate=24000, encoding-name=L16, "
      "channels=1\" ! rtpL16depay ! fakesink name=sink signal-handoffs=true sync=false",
      NULL);
  GstElement *udpsrc, *fakesink, *sender, *tts;
  GstBus* bus;
  GstMessage* msg;
  GstPad* src;
  gchar* launch;
  gint port = 0;
  gsize received = 0, sent = 0;
  gint64 deadline;

  fail_unless(receiver != NULL);
  udpsrc = gst_bin_get_by_name(GST_BIN(receiver), "src");
  fakesink = gst_bin_get_by_name(GST_BIN(receiver), "sink");
  g_signal_connect(fakesink, "handoff", G_CALLBACK(count_bytes), &received);
  fail_unless(gst_element_set_state(receiver, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  g_object_get(udpsrc, "port", &port, NULL);
  fail_unless(port > 0, "udpsrc did not report its port");

  launch = g_strdup_printf(
      "pockettts name=tts model=%s voice=%s temperature=0 "
      "text=\"Hello world, this is sent over RTP.\" ! audioconvert ! rtpL16pay ! "
      "udpsink host=127.0.0.1 port=%d",
      model_path, voice_path, port);
  sender = gst_parse_launch(launch, NULL);
  fail_unless(sender != NULL);
  tts = gst_bin_get_by_name(GST_BIN(sender), "tts");
  src = gst_element_get_static_pad(tts, "src");
  gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_BUFFER, count_samples, &sent, NULL);
  bus = gst_element_get_bus(sender);
  fail_unless(gst_element_set_state(sender, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered(bus, 60 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless(msg != NULL);
  fail_unless_equals_int(GST_MESSAGE_TYPE(msg), GST_MESSAGE_EOS);
  gst_message_unref(msg);
  fail_unless(sent > 0);

  /* UDP has no EOS: wait until the last packet is in. */
  deadline = deadline_after(10);
  while ((gsize)g_atomic_pointer_get(&received) < sent * 2 && g_get_monotonic_time() < deadline)
    g_usleep(10000);
  fail_unless_equals_uint64((guint64)g_atomic_pointer_get(&received), (guint64)sent * 2);

  gst_element_set_state(sender, GST_STATE_NULL);
  gst_element_set_state(receiver, GST_STATE_NULL);
  gst_object_unref(src);
  gst_object_unref(tts);
  gst_object_unref(bus);
  gst_object_unref(sender);
  gst_object_unref(udpsrc);
  gst_object_unref(fakesink);
  gst_object_unref(receiver);
  g_free(launch);
}
GST_END_TEST

/* A live source with no text covers the time with idle silence (GAP buffers) until speak();
 * speech then starts at the clock's running time, after the silence without a hole
 * (tests/check/elements/pockettts_flow.c has the idle silence in detail). */
GST_START_TEST(test_live_speak) {
  GstElement* tts = make_tts(NULL);
  GstHarness* h;
  GstBuffer* buf;
  GstClock* clock;
  GstClockTime before, next = 0;
  gboolean queued = FALSE;

  g_object_set(tts, "is-live", TRUE, NULL);
  h = gst_harness_new_with_element(tts, NULL, "src");
  gst_harness_play(h);

  g_usleep(200 * 1000);
  clock = gst_element_get_clock(tts);
  fail_unless(clock != NULL);
  before = gst_clock_get_time(clock) - gst_element_get_base_time(tts);
  g_signal_emit_by_name(tts, "speak", "Live speech.", &queued);
  fail_unless(queued);
  while ((buf = gst_harness_pull(h)) && GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_GAP)) {
    fail_unless_equals_uint64(GST_BUFFER_PTS(buf), next);
    next += GST_BUFFER_DURATION(buf);
    gst_buffer_unref(buf);
  }
  fail_unless(buf != NULL);
  fail_unless(GST_BUFFER_PTS(buf) >= before);
  fail_unless_equals_uint64(GST_BUFFER_PTS(buf), next);
  fail_if(GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DISCONT));
  fail_unless_equals_uint64(GST_BUFFER_OFFSET(buf),
                            gst_util_uint64_scale_int_ceil(GST_BUFFER_PTS(buf), RATE, GST_SECOND));
  gst_buffer_unref(buf);
  gst_object_unref(clock);
  gst_harness_teardown(h);
}
GST_END_TEST

static GstPadProbeReturn eos_on_second_buffer(GstPad* pad, GstPadProbeInfo* info,
                                              gpointer user_data) {
  guint* count = user_data;
  (void)info;
  if (++*count == 2)
    fail_unless(gst_element_send_event(GST_ELEMENT(GST_PAD_PARENT(pad)), gst_event_new_eos()));
  return GST_PAD_PROBE_OK;
}

/* EOS sent to a source ends its stream after the frame being pushed, live or not; speak()
 * is refused afterwards. */
static void check_eos_event_ends_source(gboolean live) {
  GstElement* tts = make_tts(
      "A long utterance that the application stops after two frames by sending EOS "
      "to the element, as gst-launch-1.0 -e does on Ctrl-C.");
  GstBus* bus = attach_bus(tts);
  GstPad* src = gst_element_get_static_pad(tts, "src");
  GstHarness* h;
  GPtrArray *buffers, *all, *ends;
  guint count = 0, speech = 0;
  gboolean queued = TRUE, cancelled = FALSE;

  /* Before PAUSED there is no stream to end. */
  fail_if(gst_element_send_event(tts, gst_event_new_eos()));
  fail_unless(GST_OBJECT_FLAG_IS_SET(tts, GST_ELEMENT_FLAG_SOURCE));
  g_object_set(tts, "is-live", live, NULL);
  gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_BUFFER, eos_on_second_buffer, &count, NULL);
  h = source_harness(tts);
  buffers = pull_all(h);
  for (guint i = 0; i < buffers->len; i++) {
    if (!GST_BUFFER_FLAG_IS_SET(g_ptr_array_index(buffers, i), GST_BUFFER_FLAG_GAP)) speech++;
  }
  /* The EOS came while the second buffer was being pushed: it is the last one. */
  fail_unless_equals_int(buffers->len, 2);
  fail_unless(speech >= 1);
  all = collect_messages(bus);
  ends = named(all, "pockettts-utterance-end");
  fail_unless_equals_int(ends->len, 1);
  fail_unless(gst_structure_get_boolean(g_ptr_array_index(ends, 0), "cancelled", &cancelled));
  fail_unless(cancelled);
  g_signal_emit_by_name(tts, "speak", "Too late.", &queued);
  fail_if(queued);

  g_ptr_array_unref(ends);
  g_ptr_array_unref(all);
  g_ptr_array_unref(buffers);
  gst_harness_teardown(h);
  gst_object_unref(src);
  gst_object_unref(bus);
}

GST_START_TEST(test_eos_event_ends_source) { check_eos_event_ends_source(FALSE); }
GST_END_TEST

GST_START_TEST(test_eos_event_ends_live_source) { check_eos_event_ends_source(TRUE); }
GST_END_TEST

/* A pipeline's EOS reaches a live source that waits for speak(), and a source that speaks:
 * the pipeline posts EOS (gst-launch-1.0 -e relies on it). */
GST_START_TEST(test_pipeline_eos_event) {
  for (int live = 0; live < 2; live++) {
    gchar* launch = g_strdup_printf(
        "pockettts name=tts model=%s voice=%s temperature=0 is-live=%s text=\"%s\" ! "
        "fakesink sync=false",
        model_path, voice_path, live ? "true" : "false",
        live ? "" : "A long utterance that the pipeline's EOS stops.");
    GstElement* pipeline = gst_parse_launch(launch, NULL);
    GstBus* bus = gst_element_get_bus(pipeline);
    GstMessage* msg;
    fail_unless(pipeline != NULL);
    fail_unless(gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
    fail_unless(gst_element_get_state(pipeline, NULL, NULL, 60 * GST_SECOND) !=
                GST_STATE_CHANGE_FAILURE);
    fail_unless(gst_element_send_event(pipeline, gst_event_new_eos()));
    msg = gst_bus_timed_pop_filtered(bus, 60 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    fail_unless(msg != NULL, "no EOS after the pipeline's EOS event");
    fail_unless_equals_int(GST_MESSAGE_TYPE(msg), GST_MESSAGE_EOS);
    gst_message_unref(msg);
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(bus);
    gst_object_unref(pipeline);
    g_free(launch);
  }
}
GST_END_TEST

/* Fed from upstream the element is not a source: a pipeline's EOS goes to upstream's source. */
GST_START_TEST(test_source_flag_follows_link) {
  GstElement* tts = make_tts(NULL);
  GstElement* src = gst_element_factory_make("fakesrc", NULL);
  GstElement* bin = gst_bin_new(NULL);
  gst_bin_add_many(GST_BIN(bin), src, tts, NULL);
  fail_unless(GST_OBJECT_FLAG_IS_SET(tts, GST_ELEMENT_FLAG_SOURCE));
  fail_unless(gst_element_link_pads(src, "src", tts, "sink"));
  fail_if(GST_OBJECT_FLAG_IS_SET(tts, GST_ELEMENT_FLAG_SOURCE));
  gst_element_unlink(src, tts);
  fail_unless(GST_OBJECT_FLAG_IS_SET(tts, GST_ELEMENT_FLAG_SOURCE));
  gst_object_unref(bin);
}
GST_END_TEST

static GstPadProbeReturn change_text_on_first_buffer(GstPad* pad, GstPadProbeInfo* info,
                                                     gpointer user_data) {
  (void)info;
  g_object_set(GST_PAD_PARENT(pad), "text", (const gchar*)user_data, NULL);
  return GST_PAD_PROBE_REMOVE;
}

/* `text` set while PLAYING is the next utterance, live or not; the stream then ends. */
static void check_text_change_while_playing(gboolean live) {
  GstElement* tts = make_tts("The first text.");
  GstBus* bus = attach_bus(tts);
  GstPad* src = gst_element_get_static_pad(tts, "src");
  Conformance* c = conformance_watch(tts);
  GstHarness* h;
  GPtrArray *buffers, *all, *starts;

  g_object_set(tts, "is-live", live, NULL);
  gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_BUFFER, change_text_on_first_buffer,
                    (gpointer) "The changed text.", NULL);
  h = source_harness(tts);
  buffers = pull_all(h);
  all = collect_messages(bus);
  starts = named(all, "pockettts-utterance-start");
  fail_unless_equals_int(starts->len, 2);
  fail_unless_equals_string(text_field(starts, 0), "The first text.");
  fail_unless_equals_string(text_field(starts, 1), "The changed text.");
  g_ptr_array_unref(starts);
  g_ptr_array_unref(all);
  g_ptr_array_unref(buffers);
  gst_object_unref(src);
  gst_harness_teardown(h);
  gst_object_unref(bus);
  conformance_check(c);
}

GST_START_TEST(test_text_change_while_playing) { check_text_change_while_playing(FALSE); }
GST_END_TEST

GST_START_TEST(test_text_change_while_playing_live) { check_text_change_while_playing(TRUE); }
GST_END_TEST

/* Filter mode: the segment and EOS sent downstream carry upstream's seqnums; upstream's tags
 * reach downstream; a new segment without a flush makes the next buffer DISCONT. */
GST_START_TEST(test_filter_seqnums_tags_discont) {
  GstElement* tts = make_tts(NULL);
  Conformance* c = conformance_watch(tts);
  GstHarness* h = filter_harness(tts, "utf8");
  GstSegment segment;
  GstEvent *seg1, *seg2, *eos, *event;
  guint32 seg2_seqnum, eos_seqnum;
  gboolean tag_seen = FALSE;
  GPtrArray* buffers;
  guint discont = 0;

  gst_segment_init(&segment, GST_FORMAT_TIME);
  seg1 = gst_event_new_segment(&segment);
  fail_unless(gst_harness_push_event(h, seg1));
  fail_unless(gst_harness_push_event(
      h, gst_event_new_tag(gst_tag_list_new(GST_TAG_LANGUAGE_CODE, "en", NULL))));
  gst_harness_push(h, text_buffer("First.", 0, GST_SECOND));
  segment.base = 5 * GST_SECOND;
  seg2 = gst_event_new_segment(&segment);
  seg2_seqnum = gst_event_get_seqnum(seg2);
  fail_unless(gst_harness_push_event(h, seg2));
  gst_harness_push(h, text_buffer("Second.", 0, GST_SECOND));
  /* A conformant upstream: its EOS carries its last segment's seqnum. */
  eos = gst_event_new_eos();
  gst_event_set_seqnum(eos, seg2_seqnum);
  eos_seqnum = gst_event_get_seqnum(eos);
  fail_unless(gst_harness_push_event(h, eos));
  buffers = pull_all(h);

  for (guint i = 0; i < buffers->len; i++)
    discont += GST_BUFFER_FLAG_IS_SET(g_ptr_array_index(buffers, i), GST_BUFFER_FLAG_DISCONT);
  /* The first buffer, and the first after the second segment. */
  fail_unless_equals_int(discont, 2);
  while ((event = gst_harness_try_pull_event(h))) {
    if (GST_EVENT_TYPE(event) == GST_EVENT_TAG) {
      GstTagList* tags;
      gchar* code = NULL;
      gst_event_parse_tag(event, &tags);
      if (gst_tag_list_get_string(tags, GST_TAG_LANGUAGE_CODE, &code))
        tag_seen = g_strcmp0(code, "en") == 0;
      g_free(code);
    }
    gst_event_unref(event);
  }
  fail_unless(tag_seen, "upstream's tags did not reach downstream");
  fail_unless_equals_int(c->segment_seqnum, seg2_seqnum);
  fail_unless_equals_int(c->eos_seqnum, eos_seqnum);
  g_ptr_array_unref(buffers);
  gst_harness_teardown(h);
  conformance_check(c);
}
GST_END_TEST

/* Filter mode answers the latency query with upstream's latency plus its own. */
GST_START_TEST(test_filter_latency_forwarded) {
  GstElement* tts = make_tts(NULL);
  GstHarness* h = filter_harness(tts, "utf8");
  GstQuery* query = gst_query_new_latency();
  GstPad* src = gst_element_get_static_pad(tts, "src");
  gboolean live = FALSE;
  GstClockTime min = 0, max = 0;

  gst_harness_set_upstream_latency(h, 300 * GST_MSECOND);
  fail_unless(gst_pad_query(src, query));
  gst_query_parse_latency(query, &live, &min, &max);
  fail_unless(live, "a live upstream's latency was lost");
  fail_unless(min > 300 * GST_MSECOND);
  gst_query_unref(query);
  gst_object_unref(src);
  gst_harness_teardown(h);
}
GST_END_TEST

/* A flush from downstream in filter mode after upstream's EOS: the stream still ends. */
GST_START_TEST(test_downstream_flush_keeps_upstream_eos) {
  GstElement* tts = make_tts(NULL);
  GstPad* src = gst_element_get_static_pad(tts, "src");
  gint count = 0;
  gulong probe = gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_BUFFER, hold_second_buffer_until_flush,
                                   &count, NULL);
  GstHarness* h = filter_harness(tts, "utf8");
  GstBuffer* buf;
  GstEvent *upstream_eos, *event;
  guint32 eos_seqnum;

  gst_harness_push(h, text_buffer("A long utterance that is being spoken when the flush "
                                  "arrives from downstream.",
                                  0, GST_CLOCK_TIME_NONE));
  upstream_eos = gst_event_new_eos();
  eos_seqnum = gst_event_get_seqnum(upstream_eos);
  fail_unless(gst_harness_push_event(h, upstream_eos));
  buf = gst_harness_pull(h);
  fail_unless(buf != NULL);
  gst_buffer_unref(buf);
  fail_unless(gst_harness_push_upstream_event(h, gst_event_new_flush_start()));
  fail_unless(gst_harness_push_upstream_event(h, gst_event_new_flush_stop(TRUE)));
  gst_pad_remove_probe(src, probe);
  gst_object_unref(src);
  event = pull_eos_event(h);
  fail_unless(event != NULL, "upstream's EOS was lost in the flush");
  fail_unless_equals_int(gst_event_get_seqnum(event), eos_seqnum);
  gst_event_unref(event);
  gst_harness_teardown(h);
}
GST_END_TEST

static Suite* pockettts_suite(void) {
  Suite* s = suite_create("pockettts");
  TCase* tc = tcase_create("general");

  setup_paths();
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_caps_f32le_preferred);
  tcase_add_test(tc, test_caps_s16le);
  tcase_add_test(tc, test_source_mode_timestamps);
  tcase_add_test(tc, test_upstream_text_then_eos);
  tcase_add_test(tc, test_subtitle_timing_with_gaps);
  tcase_add_test(tc, test_empty_subtitle_is_silence);
  tcase_add_test(tc, test_speak_and_cancel);
  tcase_add_test(tc, test_flush_during_speech);
  tcase_add_test(tc, test_flush_source_mode);
  tcase_add_test(tc, test_state_cycles);
  tcase_add_test(tc, test_two_elements_share_model);
  tcase_add_test(tc, test_error_bad_model_path);
  tcase_add_test(tc, test_error_bad_voice);
  tcase_add_test(tc, test_error_bad_voice_while_playing);
  tcase_add_test(tc, test_error_invalid_utf8_property);
  tcase_add_test(tc, test_error_invalid_utf8_upstream);
  tcase_add_test(tc, test_error_empty_text);
  tcase_add_test(tc, test_text_file_paragraphs);
  tcase_add_test(tc, test_latency_query);
  tcase_add_test(tc, test_rtp_l16_loopback);
  tcase_add_test(tc, test_live_speak);
  tcase_add_test(tc, test_eos_event_ends_source);
  tcase_add_test(tc, test_eos_event_ends_live_source);
  tcase_add_test(tc, test_pipeline_eos_event);
  tcase_add_test(tc, test_source_flag_follows_link);
  tcase_add_test(tc, test_text_change_while_playing);
  tcase_add_test(tc, test_text_change_while_playing_live);
  tcase_add_test(tc, test_filter_seqnums_tags_discont);
  tcase_add_test(tc, test_filter_latency_forwarded);
  tcase_add_test(tc, test_downstream_flush_keeps_upstream_eos);
  return s;
}

GST_CHECK_MAIN(pockettts);
