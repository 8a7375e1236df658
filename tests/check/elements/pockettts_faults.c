/* gstcheck tests of faults: downstream answering NOT_NEGOTIATED, ERROR, FLUSHING or EOS in the
 * middle of an utterance, a state change to NULL mid-utterance, a voice file deleted between two
 * start-ups. Each must end in a defined state: an error a person can act on where there is one,
 * EOS downstream where the stream cannot go on, upstream told the flow, and an element that can
 * be stopped and started again and then speaks as before. On the tiny model in tests/data. */
#include <glib/gstdio.h>
#include <string.h>

#include "pockettts_check.h"

#define LONG_TEXT "A long utterance, so that the fault comes in its middle. It goes on and on."

/* The tiny model ends its speech after a few frames: 40 more make the utterance long enough
 * (3.2 s) for a fault to come in its middle. */
static GstElement* make_long_tts(const gchar* text) {
  GstElement* tts = make_tts(text);
  g_object_set(tts, "frames-after-eos", 40, NULL);
  return tts;
}

/* A buffer probe on the element's src pad: the second buffer gets `answer` instead of being
 * pushed. */
typedef struct {
  GstFlowReturn answer;
  gint seen;
} Fault;

static GstPadProbeReturn answer_second_buffer(GstPad* pad, GstPadProbeInfo* info,
                                              gpointer data) {
  Fault* fault = data;
  (void)pad;
  if (g_atomic_int_add(&fault->seen, 1) != 1) return GST_PAD_PROBE_OK;
  gst_buffer_unref(GST_PAD_PROBE_INFO_BUFFER(info));
  GST_PAD_PROBE_INFO_DATA(info) = NULL;
  GST_PAD_PROBE_INFO_FLOW_RETURN(info) = fault->answer;
  return GST_PAD_PROBE_HANDLED;
}

static gulong add_fault(GstElement* tts, Fault* fault) {
  GstPad* src = gst_element_get_static_pad(tts, "src");
  gulong id = gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_BUFFER, answer_second_buffer, fault, NULL);
  gst_object_unref(src);
  return id;
}

static void remove_fault(GstElement* tts, gulong id) {
  GstPad* src = gst_element_get_static_pad(tts, "src");
  gst_pad_remove_probe(src, id);
  gst_object_unref(src);
}

/* Waits (60 s at most) until the streaming task has paused after the fault. */
static void wait_task_paused(GstElement* tts) {
  GstPad* src = gst_element_get_static_pad(tts, "src");
  const gint64 deadline = deadline_after(60);
  while (gst_pad_get_task_state(src) == GST_TASK_STARTED && g_get_monotonic_time() < deadline)
    g_usleep(1000);
  fail_unless_equals_int(gst_pad_get_task_state(src), GST_TASK_PAUSED);
  gst_object_unref(src);
}

/* The error on the bus, if any: GST_ELEMENT_FLOW_ERROR's STREAM/FAILED with the flow in its
 * details. */
static gboolean flow_error_posted(GstBus* bus, GstFlowReturn flow) {
  GstMessage* msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
  GError* error = NULL;
  const GstStructure* details = NULL;
  gint posted = 0;
  if (!msg) return FALSE;
  gst_message_parse_error(msg, &error, NULL);
  gst_message_parse_error_details(msg, &details);
  fail_unless(g_error_matches(error, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED), "%s",
              error->message);
  fail_unless(details && gst_structure_get_int(details, "flow-return", &posted));
  fail_unless_equals_int(posted, flow);
  g_error_free(error);
  gst_message_unref(msg);
  return TRUE;
}

/* After the fault the element stops and starts again, and speaks the whole text from 0 (the
 * harness remembers the EOS before, so the new one is waited for on its event queue). */
static void check_restarts(GstHarness* h, GstElement* tts) {
  GPtrArray* buffers = g_ptr_array_new_with_free_func((GDestroyNotify)gst_buffer_unref);
  GstBuffer* buf;
  GstEvent* event;
  fail_unless_equals_int(gst_element_set_state(tts, GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
  while ((buf = gst_harness_try_pull(h))) gst_buffer_unref(buf);
  while ((event = gst_harness_try_pull_event(h))) gst_event_unref(event);
  fail_unless(gst_element_set_state(tts, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  event = pull_eos_event(h);
  fail_unless(event != NULL, "no EOS after the restart");
  gst_event_unref(event);
  while ((buf = gst_harness_try_pull(h))) g_ptr_array_add(buffers, buf);
  fail_unless(buffers->len >= 40, "not the whole speech after the restart (%u buffers)",
              buffers->len);
  check_contiguous(buffers, sizeof(gfloat));
  g_ptr_array_unref(buffers);
}

/* Source mode: a fatal flow posts the flow error and ends the stream with EOS; FLUSHING pauses
 * quietly; downstream's EOS ends it without an error. */
GST_START_TEST(test_downstream_flow_in_source_mode) {
  const GstFlowReturn flows[] = {GST_FLOW_NOT_NEGOTIATED, GST_FLOW_ERROR, GST_FLOW_FLUSHING,
                                 GST_FLOW_EOS};
  for (guint i = 0; i < G_N_ELEMENTS(flows); i++) {
    GstElement* tts = make_long_tts(LONG_TEXT);
    GstBus* bus = attach_bus(tts);
    Fault fault = {flows[i], 0};
    gulong id = add_fault(tts, &fault);
    GstHarness* h = source_harness(tts);
    const gboolean fatal = flows[i] == GST_FLOW_NOT_NEGOTIATED || flows[i] == GST_FLOW_ERROR;

    wait_task_paused(tts);
    /* The task posts its error after pausing (as basesrc does) and then sends EOS: the error
     * is on the bus once the EOS is out, not always when the task reads paused. */
    if (flows[i] != GST_FLOW_FLUSHING) {
      GstEvent* eos = pull_eos_event(h);
      fail_unless(eos != NULL, "no EOS after %s", gst_flow_get_name(flows[i]));
      gst_event_unref(eos);
    }
    fail_unless_equals_int(flow_error_posted(bus, flows[i]), fatal);
    remove_fault(tts, id);
    check_restarts(h, tts);
    gst_harness_teardown(h);
    gst_object_unref(bus);
  }
}
GST_END_TEST

/* Filter mode: upstream's next push gets the flow downstream gave (it stops too), and the
 * error is posted once. */
GST_START_TEST(test_downstream_flow_in_filter_mode) {
  const GstFlowReturn flows[] = {GST_FLOW_NOT_NEGOTIATED, GST_FLOW_ERROR, GST_FLOW_EOS};
  for (guint i = 0; i < G_N_ELEMENTS(flows); i++) {
    GstElement* tts = make_long_tts(NULL);
    GstBus* bus = attach_bus(tts);
    Fault fault = {flows[i], 0};
    GstHarness* h;
    GstEvent* eos;

    add_fault(tts, &fault);
    h = filter_harness(tts, "utf8");
    fail_unless_equals_int(gst_harness_push(h, text_buffer(LONG_TEXT, 0, GST_SECOND)),
                           GST_FLOW_OK);
    wait_task_paused(tts);
    fail_unless_equals_int(gst_harness_push(h, text_buffer("More.", GST_SECOND, GST_SECOND)),
                           flows[i]);
    eos = pull_eos_event(h);  /* sent after the error is posted (see source mode) */
    fail_unless(eos != NULL);
    gst_event_unref(eos);
    fail_unless_equals_int(flow_error_posted(bus, flows[i]), flows[i] != GST_FLOW_EOS);
    fail_if(flow_error_posted(bus, flows[i]), "the error was posted twice");
    gst_harness_teardown(h);
    gst_object_unref(bus);
  }
}
GST_END_TEST

/* NULL in the middle of an utterance returns at once (the generation is cancelled and its
 * threads joined); PLAYING again speaks the text again from the start. */
GST_START_TEST(test_null_mid_utterance) {
  GstElement* tts = make_long_tts(LONG_TEXT);
  GstHarness* h = source_harness(tts);
  GstBuffer* buf = gst_harness_pull(h);
  fail_unless(buf != NULL);
  gst_buffer_unref(buf);
  check_restarts(h, tts);
  gst_harness_teardown(h);
}
GST_END_TEST

/* A voice file deleted between two start-ups: the second NULL->READY fails with
 * RESOURCE/NOT_FOUND naming the file, and leaves the element in NULL, usable again. */
GST_START_TEST(test_voice_deleted_between_startups) {
  gchar* dir = g_dir_make_tmp("pockettts-faults-XXXXXX", NULL);
  gchar* voice = g_build_filename(dir, "voice.wav", NULL);
  gchar* contents;
  gsize size;
  GstElement* tts = make_tts("Hello.");
  GstBus* bus = attach_bus(tts);
  GstMessage* msg;
  GError* error = NULL;

  fail_unless(g_file_get_contents(voice_path, &contents, &size, NULL));
  fail_unless(g_file_set_contents(voice, contents, size, NULL));
  g_object_set(tts, "voice", voice, NULL);
  fail_unless_equals_int(gst_element_set_state(tts, GST_STATE_READY), GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int(gst_element_set_state(tts, GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int(g_unlink(voice), 0);
  fail_unless_equals_int(gst_element_set_state(tts, GST_STATE_READY), GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
  fail_unless(msg != NULL);
  gst_message_parse_error(msg, &error, NULL);
  fail_unless(g_error_matches(error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND), "%s",
              error->message);
  fail_unless(strstr(error->message, voice) != NULL, "%s", error->message);
  g_error_free(error);
  gst_message_unref(msg);
  fail_unless_equals_int(gst_element_set_state(tts, GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
  /* Back in place, it is used again. */
  fail_unless(g_file_set_contents(voice, contents, size, NULL));
  fail_unless_equals_int(gst_element_set_state(tts, GST_STATE_READY), GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int(gst_element_set_state(tts, GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);

  g_unlink(voice);
  g_rmdir(dir);
  g_free(contents);
  g_free(voice);
  g_free(dir);
  gst_object_unref(tts);
  gst_object_unref(bus);
}
GST_END_TEST

static Suite* pockettts_faults_suite(void) {
  Suite* s = suite_create("pockettts_faults");
  TCase* tc = tcase_create("faults");

  setup_paths();
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_downstream_flow_in_source_mode);
  tcase_add_test(tc, test_downstream_flow_in_filter_mode);
  tcase_add_test(tc, test_null_mid_utterance);
  tcase_add_test(tc, test_voice_deleted_between_startups);
  return s;
}

GST_CHECK_MAIN(pockettts_faults);
