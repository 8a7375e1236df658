/* gstcheck tests of SSML in the pockettts element: application/ssml+xml text from upstream
 * (timed, and a byte stream read whole), the ssml property for the text property and speak(),
 * breaks on the timeline, and malformed documents as errors a person can act on. The samples
 * themselves are the library's (elements_pockettts_parity). On the tiny model in tests/data. */
#include <string.h>

#include "pockettts_check.h"

#define DOC "<speak>Hello.<break time=\"500ms\"/>World.</speak>"
#define BREAK_SAMPLES (RATE / 2)

static GstHarness* ssml_harness(GstElement* tts) {
  GstHarness* h = gst_harness_new_with_element(tts, "sink", "src");
  gst_harness_set_src_caps_str(h, "application/ssml+xml");
  gst_harness_play(h);
  return h;
}

/* The longest run of exactly zero samples. */
static guint longest_zero_run(GArray* samples) {
  guint best = 0, run = 0;
  for (guint i = 0; i < samples->len; i++) {
    run = g_array_index(samples, gfloat, i) == 0.0f ? run + 1 : 0;
    if (run > best) best = run;
  }
  return best;
}

/* A timed SSML document is one utterance at its cue's time; its break is 500 ms of exact
 * silence inside the speech (not GAP: it is part of what is said). */
GST_START_TEST(test_timed_ssml_on_the_timeline) {
  GstElement* tts = make_tts(NULL);
  GstBus* bus = attach_bus(tts);
  GstHarness* h = ssml_harness(tts);
  GPtrArray *buffers, *all, *starts, *ends;
  GPtrArray* speech = g_ptr_array_new();
  GArray* samples;
  guint64 start, end;

  fail_unless_equals_int(gst_harness_push(h, text_buffer(DOC, GST_SECOND, 2 * GST_SECOND)),
                         GST_FLOW_OK);
  gst_harness_push_event(h, gst_event_new_eos());
  buffers = pull_all(h);
  check_contiguous(buffers, sizeof(gfloat));
  all = collect_messages(bus);
  starts = named(all, "pockettts-utterance-start");
  ends = named(all, "pockettts-utterance-end");
  fail_unless_equals_int(starts->len, 1);
  fail_unless_equals_string(text_field(starts, 0), DOC);
  start = uint64_field(starts, 0, "running-time");
  end = uint64_field(ends, 0, "running-time");
  fail_unless_equals_uint64(start, GST_SECOND);

  for (guint i = 0; i < buffers->len; i++) {
    GstBuffer* buf = g_ptr_array_index(buffers, i);
    if (GST_BUFFER_PTS(buf) < start) {
      fail_unless(GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_GAP));
      continue;
    }
    fail_if(GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_GAP), "speech flagged GAP");
    g_ptr_array_add(speech, buf);
  }
  samples = samples_f32(speech);
  fail_unless_equals_uint64(gst_util_uint64_scale_int(samples->len, GST_SECOND, RATE),
                            end - start);
  fail_unless(longest_zero_run(samples) >= BREAK_SAMPLES, "no 500 ms break in the speech");
  fail_unless(samples->len > BREAK_SAMPLES + 2 * FRAME, "the words around the break are missing");

  g_array_unref(samples);
  g_ptr_array_unref(speech);
  g_ptr_array_unref(starts);
  g_ptr_array_unref(ends);
  g_ptr_array_unref(all);
  g_ptr_array_unref(buffers);
  gst_harness_teardown(h);
  gst_object_unref(bus);
}
GST_END_TEST

/* A byte stream of SSML (filesrc) is read whole and spoken as one document, however it is cut. */
GST_START_TEST(test_ssml_byte_stream_is_one_document) {
  GstElement* tts = make_tts(NULL);
  GstBus* bus = attach_bus(tts);
  GstHarness* h = gst_harness_new_with_element(tts, "sink", "src");
  const gchar* doc = "<speak>\n<p>First paragraph.</p>\n\n<p>Second<break time=\"100ms\"/>one.</p>\n</speak>\n";
  const gsize len = strlen(doc);
  GstSegment segment;
  GPtrArray *buffers, *all, *starts;

  gst_harness_set_src_caps_str(h, "application/ssml+xml");
  gst_harness_play(h);
  gst_segment_init(&segment, GST_FORMAT_BYTES);
  fail_unless(gst_harness_push_event(h, gst_event_new_segment(&segment)));
  /* Cut inside a tag and between the paragraphs' blank line. */
  fail_unless_equals_int(gst_harness_push(h, gst_buffer_new_memdup(doc, 12)), GST_FLOW_OK);
  fail_unless_equals_int(gst_harness_push(h, gst_buffer_new_memdup(doc + 12, 30)), GST_FLOW_OK);
  fail_unless_equals_int(gst_harness_push(h, gst_buffer_new_memdup(doc + 42, len - 42)),
                         GST_FLOW_OK);
  gst_harness_push_event(h, gst_event_new_eos());
  buffers = pull_all(h);
  check_contiguous(buffers, sizeof(gfloat));
  all = collect_messages(bus);
  starts = named(all, "pockettts-utterance-start");
  fail_unless_equals_int(starts->len, 1);
  fail_unless_equals_string(text_field(starts, 0), doc);
  g_ptr_array_unref(starts);
  g_ptr_array_unref(all);
  g_ptr_array_unref(buffers);
  gst_harness_teardown(h);
  gst_object_unref(bus);
}
GST_END_TEST

/* The first error on the bus: its domain, code and message are checked by the caller. */
static GError* pop_error(GstBus* bus) {
  GstMessage* msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
  GError* error = NULL;
  fail_unless(msg != NULL, "no error posted");
  gst_message_parse_error(msg, &error, NULL);
  gst_message_unref(msg);
  return error;
}

/* Malformed SSML from upstream fails the push with a STREAM/DECODE error that says where. */
GST_START_TEST(test_malformed_ssml_from_upstream) {
  GstElement* tts = make_tts(NULL);
  GstBus* bus = attach_bus(tts);
  GstHarness* h = ssml_harness(tts);
  GError* error;

  fail_unless_equals_int(
      gst_harness_push(h, text_buffer("<speak>Hello.<break time=\"soon\"/></speak>", 0,
                                      GST_SECOND)),
      GST_FLOW_ERROR);
  error = pop_error(bus);
  fail_unless(g_error_matches(error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE));
  fail_unless(strstr(error->message, "SSML") != NULL, "%s", error->message);
  fail_unless(strstr(error->message, "soon") != NULL, "%s", error->message);
  g_error_free(error);
  gst_harness_teardown(h);
  gst_object_unref(bus);
}
GST_END_TEST

/* ssml=true: a malformed text property fails READY->PAUSED with RESOURCE/SETTINGS. */
GST_START_TEST(test_malformed_ssml_text_property) {
  GstElement* tts = make_tts("<speak>Unclosed.");
  GstBus* bus = attach_bus(tts);
  GError* error;

  g_object_set(tts, "ssml", TRUE, NULL);
  fail_unless_equals_int(gst_element_set_state(tts, GST_STATE_PAUSED), GST_STATE_CHANGE_FAILURE);
  error = pop_error(bus);
  fail_unless(g_error_matches(error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS));
  fail_unless(strstr(error->message, "SSML") != NULL, "%s", error->message);
  g_error_free(error);
  gst_element_set_state(tts, GST_STATE_NULL);
  gst_object_unref(tts);
  gst_object_unref(bus);
}
GST_END_TEST

/* ssml=true with speak(): a malformed document is refused with a warning (the stream goes on);
 * an element the subset does not know is spoken as its content, with a STREAM/FORMAT warning. */
GST_START_TEST(test_ssml_speak) {
  GstElement* tts = make_tts(NULL);
  GstBus* bus = attach_bus(tts);
  GstHarness* h;
  gboolean queued = TRUE;
  GstMessage* msg;
  GError* error = NULL;
  GPtrArray *all, *ends;
  guint frames = 0;

  g_object_set(tts, "ssml", TRUE, "is-live", TRUE, NULL);
  h = gst_harness_new_with_element(tts, NULL, "src");
  gst_harness_play(h);
  g_signal_emit_by_name(tts, "speak", "<speak>Not closed", &queued);
  fail_if(queued);
  msg = gst_bus_pop_filtered(bus, GST_MESSAGE_WARNING);
  fail_unless(msg != NULL);
  gst_message_parse_warning(msg, &error, NULL);
  fail_unless(g_error_matches(error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS));
  g_clear_error(&error);
  gst_message_unref(msg);

  g_signal_emit_by_name(tts, "speak", "<speak><emphasis>Loud</emphasis> words.</speak>", &queued);
  fail_unless(queued);
  /* The warning comes when it is spoken. */
  msg = gst_bus_timed_pop_filtered(bus, 60 * GST_SECOND, GST_MESSAGE_WARNING);
  fail_unless(msg != NULL, "no warning for <emphasis>");
  gst_message_parse_warning(msg, &error, NULL);
  fail_unless(g_error_matches(error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT));
  fail_unless(strstr(error->message, "emphasis") != NULL, "%s", error->message);
  g_clear_error(&error);
  gst_message_unref(msg);

  /* It is spoken all the same. */
  all = g_ptr_array_new_with_free_func((GDestroyNotify)gst_structure_free);
  while ((msg = gst_bus_timed_pop_filtered(bus, 60 * GST_SECOND, GST_MESSAGE_ELEMENT))) {
    g_ptr_array_add(all, gst_structure_copy(gst_message_get_structure(msg)));
    gst_message_unref(msg);
    if (gst_structure_has_name(g_ptr_array_index(all, all->len - 1), "pockettts-utterance-end"))
      break;
  }
  ends = named(all, "pockettts-utterance-end");
  fail_unless_equals_int(ends->len, 1);
  fail_unless(gst_structure_get_uint(g_ptr_array_index(ends, 0), "frames", &frames));
  fail_unless(frames > 0);
  g_ptr_array_unref(ends);
  g_ptr_array_unref(all);
  gst_harness_teardown(h);
  gst_object_unref(bus);
}
GST_END_TEST

static Suite* pockettts_ssml_suite(void) {
  Suite* s = suite_create("pockettts_ssml");
  TCase* tc = tcase_create("ssml");

  setup_paths();
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_timed_ssml_on_the_timeline);
  tcase_add_test(tc, test_ssml_byte_stream_is_one_document);
  tcase_add_test(tc, test_malformed_ssml_from_upstream);
  tcase_add_test(tc, test_malformed_ssml_text_property);
  tcase_add_test(tc, test_ssml_speak);
  return s;
}

GST_CHECK_MAIN(pockettts_ssml);
