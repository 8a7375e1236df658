/* The conformance suite: in every mode the element has (source, live source, timed text, a
 * byte stream, after a flush, after a seek in subparse) its output obeys the rules
 * gst-validate enforces (conformance_probe.c), and it answers the latency query; plus the
 * generic up-and-down state test GStreamer runs on every element. */
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <string.h>
#include <unistd.h>

#include "conformance_probe.h"
#include "pockettts_check.h"

/* The latency query is answered, live or not as the mode is. */
static void check_latency_answer(GstElement* tts, gboolean expect_live) {
  GstQuery* query = gst_query_new_latency();
  gboolean live = !expect_live;
  GstClockTime min = GST_CLOCK_TIME_NONE, max = 0;
  fail_unless(gst_element_query(tts, query), "the latency query is not answered");
  gst_query_parse_latency(query, &live, &min, &max);
  fail_unless_equals_int(live, expect_live);
  fail_unless(GST_CLOCK_TIME_IS_VALID(min));
  fail_unless(!GST_CLOCK_TIME_IS_VALID(max) || max >= min);
  gst_query_unref(query);
}

static gchar* write_temp_file(const gchar* pattern, const gchar* contents) {
  gchar* path = NULL;
  gint fd = g_file_open_tmp(pattern, &path, NULL);
  fail_unless(fd >= 0);
  close(fd);
  fail_unless(g_file_set_contents(path, contents, -1, NULL));
  return path;
}

/* A pipeline whose pockettts is named "tts", watched from before it starts. */
typedef struct {
  GstElement* pipeline;
  GstElement* tts;
  GstBus* bus;
  Conformance* c;
} Watched;

static Watched watch_pipeline(const gchar* description) {
  Watched w;
  GError* error = NULL;
  w.pipeline = gst_parse_launch(description, &error);
  fail_unless(w.pipeline != NULL, "%s", error ? error->message : description);
  w.tts = gst_bin_get_by_name(GST_BIN(w.pipeline), "tts");
  fail_unless(w.tts != NULL);
  w.bus = gst_element_get_bus(w.pipeline);
  w.c = conformance_watch(w.tts);
  return w;
}

/* The next message of `types`, 60 s at most. */
static GstMessageType wait_for(Watched* w, GstMessageType types) {
  GstMessage* msg = gst_bus_timed_pop_filtered(w->bus, 60 * GST_SECOND, types);
  GstMessageType type;
  fail_unless(msg != NULL, "timed out waiting for %s", gst_message_type_get_name(types));
  type = GST_MESSAGE_TYPE(msg);
  if (type == GST_MESSAGE_ERROR) {
    GError* error = NULL;
    gst_message_parse_error(msg, &error, NULL);
    fail("error: %s", error->message);
  }
  gst_message_unref(msg);
  return type;
}

/* Stops the pipeline, then checks what the probe saw. */
static void finish(Watched* w) {
  fail_unless_equals_int(gst_element_set_state(w->pipeline, GST_STATE_NULL),
                         GST_STATE_CHANGE_SUCCESS);
  conformance_check(w->c);
  gst_object_unref(w->tts);
  gst_object_unref(w->bus);
  gst_object_unref(w->pipeline);
}

static gchar* source_pipeline(gboolean live) {
  return g_strdup_printf(
      "pockettts name=tts model=%s voice=%s temperature=0 is-live=%d "
      "text=\"Hello there. How are you today?\" ! fakesink sync=%d",
      model_path, voice_path, live, live);
}

GST_START_TEST(test_source) {
  gchar* launch = source_pipeline(FALSE);
  Watched w = watch_pipeline(launch);
  fail_unless(gst_element_set_state(w.pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  fail_unless_equals_int(wait_for(&w, GST_MESSAGE_EOS | GST_MESSAGE_ERROR), GST_MESSAGE_EOS);
  check_latency_answer(w.tts, FALSE);
  /* Its own EOS carries its segment's seqnum (the probe checks the rule; here it is ours). */
  fail_unless_equals_int(w.c->eos_seqnum, w.c->segment_seqnum);
  finish(&w);
  g_free(launch);
}
GST_END_TEST

static gboolean is_utterance_end(GstMessage* msg) {
  const GstStructure* s = gst_message_get_structure(msg);
  return s && gst_structure_has_name(s, "pockettts-utterance-end");
}

/* A live source ends by itself after its text (with its segment's seqnum, as the test of the
 * source mode checks); without text it covers the time with silence, speaks what speak()
 * gives it, and ends with the pipeline's EOS (what gst-launch-1.0 -e sends on Ctrl-C),
 * whose seqnum it keeps. */
GST_START_TEST(test_live_source) {
  gchar* launch = g_strdup_printf(
      "pockettts name=tts model=%s voice=%s temperature=0 is-live=true ! fakesink sync=true",
      model_path, voice_path);
  Watched w = watch_pipeline(launch);
  gboolean spoken = FALSE, queued = FALSE;
  fail_unless(gst_element_set_state(w.pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  fail_if(gst_element_get_state(w.pipeline, NULL, NULL, 30 * GST_SECOND) ==
          GST_STATE_CHANGE_FAILURE);
  g_usleep(100 * 1000); /* live idle before the speech */
  g_signal_emit_by_name(w.tts, "speak", "Hello there.", &queued);
  fail_unless(queued);
  while (!spoken) {
    GstMessage* msg = gst_bus_timed_pop_filtered(w.bus, 60 * GST_SECOND,
                                                 GST_MESSAGE_ELEMENT | GST_MESSAGE_ERROR);
    fail_unless(msg != NULL, "the live source did not speak");
    fail_if(GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR);
    spoken = is_utterance_end(msg);
    gst_message_unref(msg);
  }
  check_latency_answer(w.tts, TRUE);
  g_usleep(100 * 1000); /* live idle after it */
  fail_unless(conformance_send_eos(w.c, w.pipeline));
  fail_unless_equals_int(wait_for(&w, GST_MESSAGE_EOS | GST_MESSAGE_ERROR), GST_MESSAGE_EOS);
  fail_unless_equals_int(w.c->eos_seqnum, w.c->sent_eos_seqnum);
  finish(&w);
  g_free(launch);
}
GST_END_TEST

/* Timed text from a conformant upstream: its segment, cues, a gap, EOS. */
GST_START_TEST(test_timed_text) {
  GstElement* tts = make_tts(NULL);
  Conformance* c = conformance_watch(tts);
  GstHarness* h = filter_harness(tts, "utf8");
  GstSegment segment;
  GstEvent *seg, *eos;
  GPtrArray* buffers;

  gst_segment_init(&segment, GST_FORMAT_TIME);
  segment.base = 2 * GST_SECOND;
  seg = gst_event_new_segment(&segment);
  fail_unless(gst_harness_push_event(h, gst_event_ref(seg)));
  gst_harness_push(h, text_buffer("The first cue.", 0, GST_SECOND));
  fail_unless(gst_harness_push_event(h, gst_event_new_gap(GST_SECOND, GST_SECOND)));
  gst_harness_push(h, text_buffer("The second cue.", 3 * GST_SECOND, GST_SECOND));
  eos = gst_event_new_eos();
  gst_event_set_seqnum(eos, gst_event_get_seqnum(seg));
  fail_unless(gst_harness_push_event(h, eos));
  buffers = pull_all(h);
  /* The harness's source answers as a live upstream; the element passes that on. */
  check_latency_answer(tts, TRUE);
  fail_unless_equals_int(c->segment_seqnum, gst_event_get_seqnum(seg));
  gst_event_unref(seg);
  g_ptr_array_unref(buffers);
  gst_harness_teardown(h);
  conformance_check(c);
}
GST_END_TEST

/* A text file: filesrc's byte segment lends its seqnum to our time segment, so that
 * filesrc's EOS matches the segment before it (it had a seqnum of our own). */
GST_START_TEST(test_byte_stream) {
  gchar* path = write_temp_file("pockettts-XXXXXX.txt", "One paragraph.\n\nAnother one.\n");
  gchar* launch = g_strdup_printf(
      "filesrc location=%s ! pockettts name=tts model=%s voice=%s temperature=0 ! "
      "fakesink sync=false",
      path, model_path, voice_path);
  Watched w = watch_pipeline(launch);
  fail_unless(gst_element_set_state(w.pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  fail_unless_equals_int(wait_for(&w, GST_MESSAGE_EOS | GST_MESSAGE_ERROR), GST_MESSAGE_EOS);
  check_latency_answer(w.tts, FALSE);
  finish(&w);
  g_unlink(path);
  g_free(path);
  g_free(launch);
}
GST_END_TEST

static GstEvent* flush_start_with(guint32 seqnum) {
  GstEvent* event = gst_event_new_flush_start();
  gst_event_set_seqnum(event, seqnum);
  return event;
}

static GstEvent* flush_stop_with(guint32 seqnum) {
  GstEvent* event = gst_event_new_flush_stop(TRUE);
  gst_event_set_seqnum(event, seqnum);
  return event;
}

/* Upstream flushes mid-utterance (a seek upstream): the flush passes, the segment after it
 * and the EOS carry the flush's seqnum, the first buffer after it is DISCONT. */
GST_START_TEST(test_after_upstream_flush) {
  GstElement* tts = make_tts(NULL);
  Conformance* c = conformance_watch(tts);
  GstHarness* h = filter_harness(tts, "utf8");
  const guint32 seek = gst_util_seqnum_next();
  GstSegment segment;
  GstEvent *seg, *eos;
  GstBuffer* buf;
  GPtrArray* buffers;

  gst_segment_init(&segment, GST_FORMAT_TIME);
  fail_unless(gst_harness_push_event(h, gst_event_new_segment(&segment)));
  gst_harness_push(h, text_buffer("A long cue that is being spoken when upstream flushes.", 0,
                                  GST_CLOCK_TIME_NONE));
  buf = gst_harness_pull(h);
  fail_unless(buf != NULL);
  gst_buffer_unref(buf);
  fail_unless(gst_harness_push_event(h, flush_start_with(seek)));
  fail_unless(gst_harness_push_event(h, flush_stop_with(seek)));
  /* What was pushed before the flush reached the harness's queue is stale. */
  while ((buf = gst_harness_try_pull(h))) gst_buffer_unref(buf);

  segment.start = segment.time = 10 * GST_SECOND;
  seg = gst_event_new_segment(&segment);
  gst_event_set_seqnum(seg, seek);
  fail_unless(gst_harness_push_event(h, seg));
  gst_harness_push(h, text_buffer("After the seek.", 10 * GST_SECOND, GST_SECOND));
  eos = gst_event_new_eos();
  gst_event_set_seqnum(eos, seek);
  fail_unless(gst_harness_push_event(h, eos));
  buffers = pull_all(h);
  fail_unless(buffers->len > 0);
  fail_unless_equals_int(c->flush_seqnum, seek);
  fail_unless_equals_int(c->segment_seqnum, seek);
  fail_unless_equals_int(c->eos_seqnum, seek);
  g_ptr_array_unref(buffers);
  gst_harness_teardown(h);
  conformance_check(c);
}
GST_END_TEST

/* A source flushed from downstream mid-utterance: the next segment carries the flush's
 * seqnum, and so does the EOS that still ends the stream. */
GST_START_TEST(test_after_downstream_flush) {
  GstElement* tts = make_tts("A long utterance that is being spoken when the flush arrives "
                             "from downstream.");
  Conformance* c = conformance_watch(tts);
  GstPad* src = gst_element_get_static_pad(tts, "src");
  gint count = 0;
  gulong hold = gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_BUFFER, hold_second_buffer_until_flush,
                                  &count, NULL);
  GstHarness* h = source_harness(tts);
  const guint32 flush = gst_util_seqnum_next();
  GstBuffer* buf = gst_harness_pull(h);
  GstEvent* eos;

  fail_unless(buf != NULL);
  gst_buffer_unref(buf);
  fail_unless(gst_harness_push_upstream_event(h, flush_start_with(flush)));
  fail_unless(gst_harness_push_upstream_event(h, flush_stop_with(flush)));
  gst_pad_remove_probe(src, hold);
  gst_object_unref(src);
  eos = pull_eos_event(h);
  fail_unless(eos != NULL);
  fail_unless_equals_int(gst_event_get_seqnum(eos), flush);
  gst_event_unref(eos);
  gst_harness_teardown(h);
  /* The stream may end right after the flush, with no buffer: the probe still counts the
   * one before it. */
  conformance_check(c);
}
GST_END_TEST

static const gchar* kSubtitles =
    "1\n00:00:00,000 --> 00:00:01,000\nThe first cue.\n\n"
    "2\n00:00:02,000 --> 00:00:03,000\nThe second cue.\n\n"
    "3\n00:00:04,000 --> 00:00:05,000\nThe third cue.\n";

/* Holds a pad's buffers (a blocking probe) until the probe is removed. */
static GstPadProbeReturn hold_buffers(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
  (void)pad;
  (void)info;
  (void)data;
  return GST_PAD_PROBE_OK;
}

/* Subtitles through subparse, sought while prerolled: speech for the cues after the seek
 * position, on their times, with upstream's seqnums on the flush, segment and EOS. */
GST_START_TEST(test_after_subparse_seek) {
  gchar* path = write_temp_file("pockettts-XXXXXX.srt", kSubtitles);
  gchar* launch = g_strdup_printf(
      "filesrc location=%s ! subparse name=parser ! pockettts name=tts model=%s voice=%s "
      "temperature=0 ! fakesink sync=false",
      path, model_path, voice_path);
  Watched w = watch_pipeline(launch);
  GstElement* parser = gst_bin_get_by_name(GST_BIN(w.pipeline), "parser");
  Conformance* upstream = conformance_watch(parser);
  GstPad* parser_sink = gst_element_get_static_pad(parser, "sink");
  GstEvent* seek;
  gulong hold;

  /* subparse 1.22 gives its flush a seqnum of its own and its segment another. */
  w.c->upstream_seqnums = TRUE;

  fail_unless(gst_element_set_state(w.pipeline, GST_STATE_PAUSED) != GST_STATE_CHANGE_FAILURE);
  fail_unless_equals_int(wait_for(&w, GST_MESSAGE_ASYNC_DONE | GST_MESSAGE_ERROR),
                         GST_MESSAGE_ASYNC_DONE);
  seek = gst_event_new_seek(1.0, GST_FORMAT_TIME, GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE,
                            GST_SEEK_TYPE_SET, 1500 * GST_MSECOND, GST_SEEK_TYPE_NONE, -1);
  /* subparse 1.22 passes the seek to filesrc first and applies it to its own segment after:
   * the file's first buffer can reach it in between and go out on the old segment, cues from
   * 0 s included. The file waits until subparse has applied the seek. */
  hold = gst_pad_add_probe(parser_sink, GST_PAD_PROBE_TYPE_BLOCK | GST_PAD_PROBE_TYPE_BUFFER,
                           hold_buffers, NULL, NULL);
  fail_unless(gst_element_send_event(w.pipeline, seek), "the seek was refused");
  gst_pad_remove_probe(parser_sink, hold);
  gst_object_unref(parser_sink);
  fail_unless_equals_int(wait_for(&w, GST_MESSAGE_ASYNC_DONE | GST_MESSAGE_ERROR),
                         GST_MESSAGE_ASYNC_DONE);
  fail_unless(gst_element_set_state(w.pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  fail_unless_equals_int(wait_for(&w, GST_MESSAGE_EOS | GST_MESSAGE_ERROR), GST_MESSAGE_EOS);
  /* The flush, segment and EOS keep subparse's seqnums (which are subparse's to get right). */
  fail_unless(upstream->flush_seqnum != 0, "no flush came from subparse");
  fail_unless_equals_int(w.c->flush_seqnum, upstream->flush_seqnum);
  fail_unless_equals_int(w.c->segment_seqnum, upstream->segment_seqnum);
  fail_unless_equals_int(w.c->eos_seqnum, upstream->eos_seqnum);
  gst_object_unref(parser);
  /* Nothing before the seek position is spoken after it. */
  fail_unless(w.c->seg.start >= 1500 * GST_MSECOND || w.c->seg.time >= 1500 * GST_MSECOND);
  finish(&w);
  conformance_free(upstream);
  g_unlink(path);
  g_free(path);
  g_free(launch);
}
GST_END_TEST

/* GStreamer's generic state test, in each mode: every transition up and down, in order and
 * skipping states, each completing. */
static void cycle_states(const gchar* launch) {
  static const GstState kSequence[] = {
      GST_STATE_READY,   GST_STATE_PAUSED, GST_STATE_PLAYING, GST_STATE_PAUSED,
      GST_STATE_READY,   GST_STATE_NULL,   GST_STATE_PAUSED,  GST_STATE_NULL,
      GST_STATE_PLAYING, GST_STATE_READY,  GST_STATE_PLAYING, GST_STATE_NULL,
      GST_STATE_PLAYING, GST_STATE_PAUSED, GST_STATE_NULL,
  };
  GstElement* pipeline = gst_parse_launch(launch, NULL);
  fail_unless(pipeline != NULL);
  for (guint round = 0; round < 3; round++) {
    for (guint i = 0; i < G_N_ELEMENTS(kSequence); i++) {
      GstState state = GST_STATE_VOID_PENDING;
      fail_if(gst_element_set_state(pipeline, kSequence[i]) == GST_STATE_CHANGE_FAILURE,
              "to %s", gst_element_state_get_name(kSequence[i]));
      fail_if(gst_element_get_state(pipeline, &state, NULL, 30 * GST_SECOND) ==
                  GST_STATE_CHANGE_FAILURE,
              "to %s", gst_element_state_get_name(kSequence[i]));
      fail_unless_equals_int(state, kSequence[i]);
    }
  }
  gst_object_unref(pipeline);
}

GST_START_TEST(test_states_source) {
  gchar* launch = source_pipeline(FALSE);
  cycle_states(launch);
  g_free(launch);
}
GST_END_TEST

GST_START_TEST(test_states_live_source) {
  gchar* launch = source_pipeline(TRUE);
  cycle_states(launch);
  g_free(launch);
}
GST_END_TEST

GST_START_TEST(test_states_filter) {
  gchar* path = write_temp_file("pockettts-XXXXXX.srt", kSubtitles);
  gchar* launch = g_strdup_printf(
      "filesrc location=%s ! subparse ! pockettts model=%s voice=%s temperature=0 ! "
      "fakesink sync=true",
      path, model_path, voice_path);
  cycle_states(launch);
  g_unlink(path);
  g_free(path);
  g_free(launch);
}
GST_END_TEST

/* The element on its own, no pads linked: it only has to change state cleanly. */
GST_START_TEST(test_states_unlinked) {
  GstElement* tts = make_tts("Hello.");
  GstBus* bus = attach_bus(tts);
  static const GstState kSequence[] = {GST_STATE_READY, GST_STATE_PAUSED, GST_STATE_PLAYING,
                                       GST_STATE_PAUSED, GST_STATE_READY, GST_STATE_NULL,
                                       GST_STATE_PLAYING, GST_STATE_NULL};
  for (guint i = 0; i < G_N_ELEMENTS(kSequence); i++)
    fail_if(gst_element_set_state(tts, kSequence[i]) == GST_STATE_CHANGE_FAILURE, "to %s",
            gst_element_state_get_name(kSequence[i]));
  gst_element_set_bus(tts, NULL);
  gst_object_unref(bus);
  gst_object_unref(tts);
}
GST_END_TEST

static Suite* conformance_suite(void) {
  Suite* s = suite_create("pockettts_conformance");
  TCase* modes = tcase_create("modes");
  TCase* states = tcase_create("states");

  setup_paths();
  suite_add_tcase(s, modes);
  tcase_add_test(modes, test_source);
  tcase_add_test(modes, test_live_source);
  tcase_add_test(modes, test_timed_text);
  tcase_add_test(modes, test_byte_stream);
  tcase_add_test(modes, test_after_upstream_flush);
  tcase_add_test(modes, test_after_downstream_flush);
  tcase_add_test(modes, test_after_subparse_seek);
  suite_add_tcase(s, states);
  tcase_add_test(states, test_states_source);
  tcase_add_test(states, test_states_live_source);
  tcase_add_test(states, test_states_filter);
  tcase_add_test(states, test_states_unlinked);
  return s;
}

GST_CHECK_MAIN(conformance);
