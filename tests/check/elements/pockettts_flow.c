/* gstcheck tests of how the pockettts element paces and bounds its streams: live idle (silence
 * at the clock's pace while a live source has nothing to say), the bounded input queue
 * (max-queued) and what timed text does when its speech runs past the next cue (overflow).
 * On the tiny random-weight model in tests/data/tiny; the harness's test clock drives the
 * live tests, so they do not depend on how fast the machine is. */
#include <gst/check/gsttestclock.h>
#include <string.h>

#include "conformance_probe.h"
#include "pockettts_check.h"

#define IDLE_SAMPLES 480 /* 20 ms, the element's idle buffer */
#define IDLE_NS (20 * GST_MSECOND)

/* Waits (30 s at most) until the element waits on the harness's test clock, then lets the
 * clock reach the time it waits for. */
static void crank(GstHarness* h) {
  GstTestClock* clock = gst_harness_get_testclock(h);
  fail_unless(gst_test_clock_timed_wait_for_multiple_pending_ids(clock, 1, 30000, NULL),
              "the element does not wait on the clock");
  fail_unless(gst_test_clock_crank(clock));
  gst_object_unref(clock);
}

/* Waits (30 s at most) until the element waits on the clock: everything it had to push before
 * is in the harness's queue. Returns the clock time it waits for. */
static GstClockTime wait_for_clock_wait(GstHarness* h) {
  GstTestClock* clock = gst_harness_get_testclock(h);
  GList* pending = NULL;
  GstClockTime time;
  fail_unless(gst_test_clock_timed_wait_for_multiple_pending_ids(clock, 1, 30000, &pending),
              "the element does not wait on the clock");
  time = gst_clock_id_get_time(pending->data);
  g_list_free_full(pending, (GDestroyNotify)gst_clock_id_unref);
  gst_object_unref(clock);
  return time;
}

static void set_clock_time(GstHarness* h, GstClockTime time) {
  GstTestClock* clock = gst_harness_get_testclock(h);
  gst_test_clock_set_time(clock, time);
  gst_object_unref(clock);
}

static gboolean is_zeroed(GstBuffer* buf) {
  GstMapInfo map;
  gboolean zero = TRUE;
  gst_buffer_map(buf, &map, GST_MAP_READ);
  for (gsize i = 0; i < map.size && zero; i++) zero = map.data[i] == 0;
  gst_buffer_unmap(buf, &map);
  return zero;
}

/* One idle buffer: 20 ms of zeroed F32 silence flagged GAP at `pts`. */
static void check_idle_buffer(GstBuffer* buf, GstClockTime pts) {
  fail_unless(buf != NULL, "no idle buffer");
  fail_unless(GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_GAP));
  fail_unless_equals_uint64(GST_BUFFER_PTS(buf), pts);
  fail_unless_equals_uint64(gst_buffer_get_size(buf), IDLE_SAMPLES * sizeof(gfloat));
  fail_unless(is_zeroed(buf));
}

/* The harness starts the element at once (it has a sink pad), on a test clock at `time`. */
static GstHarness* live_harness_at(GstElement* tts, GstClockTime time) {
  GstClock* clock = gst_test_clock_new_with_start_time(time);
  GstHarness* h;
  g_object_set(tts, "is-live", TRUE, NULL);
  fail_unless(gst_element_set_clock(tts, clock));
  gst_object_unref(clock);
  h = gst_harness_new_with_element(tts, NULL, "src");
  return h;
}

static GstHarness* live_harness(GstElement* tts) { return live_harness_at(tts, 0); }

/* A live source with nothing to say covers the time from the start of the stream: one 20 ms
 * GAP buffer when its start time comes, never ahead of the clock; falling behind (the clock
 * jumped) it catches up without a hole. */
GST_START_TEST(test_live_idle_from_start) {
  GstElement* tts = make_tts(NULL);
  Conformance* c = conformance_watch(tts);
  GstHarness* h = live_harness(tts);
  GstBuffer* buf;
  GstEvent* eos;

  buf = gst_harness_pull(h);
  check_idle_buffer(buf, 0);
  fail_unless(GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DISCONT));
  fail_unless_equals_uint64(GST_BUFFER_OFFSET(buf), 0);
  gst_buffer_unref(buf);

  for (guint i = 1; i <= 5; i++) {
    /* Waiting for the clock to reach the next buffer, with nothing pushed ahead of it. */
    fail_unless_equals_uint64(wait_for_clock_wait(h), i * IDLE_NS);
    fail_unless(gst_harness_try_pull(h) == NULL, "idle silence ran ahead of the clock");
    crank(h);
    buf = gst_harness_pull(h);
    check_idle_buffer(buf, i * IDLE_NS);
    fail_if(GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DISCONT));
    gst_buffer_unref(buf);
  }

  /* The clock jumps 200 ms (a test clock keeps the element's wait pending until it is
   * cranked): the buffers it owes come at once, contiguous. */
  set_clock_time(h, 6 * IDLE_NS + 200 * GST_MSECOND);
  crank(h);
  fail_unless_equals_uint64(wait_for_clock_wait(h), 17 * IDLE_NS);
  for (guint i = 6; i < 17; i++) {
    buf = gst_harness_pull(h);
    check_idle_buffer(buf, i * IDLE_NS);
    gst_buffer_unref(buf);
  }
  fail_unless(gst_harness_try_pull(h) == NULL);

  /* EOS (gst-launch-1.0 -e) ends the idle stream. */
  fail_unless(conformance_send_eos(c, tts));
  eos = pull_eos_event(h);
  fail_unless(eos != NULL, "EOS did not end the idle stream");
  gst_event_unref(eos);
  gst_harness_teardown(h);
  conformance_check(c);
}
GST_END_TEST

/* A live source started when the pipeline's running time is already 1 s begins there. */
GST_START_TEST(test_live_idle_starts_at_running_time) {
  GstHarness* h = live_harness_at(make_tts(NULL), GST_SECOND);
  GstBuffer* buf = gst_harness_pull(h);

  check_idle_buffer(buf, GST_SECOND);
  fail_unless(GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DISCONT));
  fail_unless_equals_uint64(GST_BUFFER_OFFSET(buf), RATE);
  gst_buffer_unref(buf);
  fail_unless_equals_uint64(wait_for_clock_wait(h), GST_SECOND + IDLE_NS);
  gst_harness_teardown(h);
}
GST_END_TEST

/* speak() while idle: the speech follows the idle silence without a hole (no DISCONT) and
 * starts at most one idle buffer after it was asked for; after it, idle silence resumes where
 * the speech ends, when the clock gets there. */
GST_START_TEST(test_live_idle_around_speech) {
  GstElement* tts = make_tts(NULL);
  GstBus* bus = attach_bus(tts);
  Conformance* c = conformance_watch(tts);
  GstHarness* h = live_harness(tts);
  GPtrArray *buffers = g_ptr_array_new_with_free_func((GDestroyNotify)gst_buffer_unref), *all,
            *starts, *ends;
  GstBuffer* buf;
  GstClockTime speech_start = GST_CLOCK_TIME_NONE, speech_end, next_wait;
  guint frames = 0, speech_buffers = 0;
  gboolean queued = FALSE;
  GstEvent* eos;

  fail_unless_equals_uint64(wait_for_clock_wait(h), IDLE_NS);
  /* The clock moves on 50 ms (two more idle buffers are due), then the text comes. */
  set_clock_time(h, 50 * GST_MSECOND);
  g_signal_emit_by_name(tts, "speak", "Spoken while idle.", &queued);
  fail_unless(queued);
  /* Speech done: the element waits for the clock to reach its end. */
  next_wait = wait_for_clock_wait(h);
  while ((buf = gst_harness_try_pull(h))) g_ptr_array_add(buffers, buf);
  check_contiguous(buffers, sizeof(gfloat));

  all = collect_messages(bus);
  starts = named(all, "pockettts-utterance-start");
  ends = named(all, "pockettts-utterance-end");
  fail_unless_equals_int(starts->len, 1);
  fail_unless(gst_structure_get_uint(g_ptr_array_index(ends, 0), "frames", &frames));
  for (guint i = 0; i < buffers->len; i++) {
    buf = g_ptr_array_index(buffers, i);
    if (GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_GAP)) {
      fail_unless(speech_buffers == 0, "idle silence inside the speech");
      fail_unless(is_zeroed(buf));
      continue;
    }
    if (!speech_buffers) speech_start = GST_BUFFER_PTS(buf);
    speech_buffers++;
  }
  fail_unless_equals_int(speech_buffers, frames);
  /* Asked for at 50 ms: it starts at the end of the idle buffer being played then. */
  fail_unless(speech_start >= 50 * GST_MSECOND && speech_start <= 50 * GST_MSECOND + IDLE_NS,
              "speech at %" GST_TIME_FORMAT, GST_TIME_ARGS(speech_start));
  fail_unless_equals_uint64(uint64_field(starts, 0, "running-time"), speech_start);
  speech_end = uint64_field(ends, 0, "running-time");
  fail_unless_equals_uint64(
      speech_end, speech_start + gst_util_uint64_scale_int(frames * FRAME, GST_SECOND, RATE));
  fail_unless_equals_uint64(next_wait, speech_end);

  /* The clock reaches the end of the speech: idle silence from there. */
  crank(h);
  buf = gst_harness_pull(h);
  check_idle_buffer(buf, speech_end);
  fail_if(GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DISCONT));
  gst_buffer_unref(buf);

  fail_unless(conformance_send_eos(c, tts));
  eos = pull_eos_event(h);
  fail_unless(eos != NULL);
  gst_event_unref(eos);
  g_ptr_array_unref(starts);
  g_ptr_array_unref(ends);
  g_ptr_array_unref(all);
  g_ptr_array_unref(buffers);
  gst_harness_teardown(h);
  gst_object_unref(bus);
  conformance_check(c);
}
GST_END_TEST

/* PAUSED stops the idle silence (a live source produces nothing in PAUSED); PLAYING resumes
 * it where it was. */
GST_START_TEST(test_live_idle_paused) {
  GstElement* tts = make_tts(NULL);
  GstHarness* h = live_harness(tts);
  GstBuffer* buf;

  fail_unless_equals_uint64(wait_for_clock_wait(h), IDLE_NS);
  fail_unless_equals_int(gst_element_set_state(tts, GST_STATE_PAUSED), GST_STATE_CHANGE_NO_PREROLL);
  set_clock_time(h, GST_SECOND);
  /* In PAUSED the element does not wait on the clock, so nothing can be pushed. */
  {
    GstTestClock* clock = gst_harness_get_testclock(h);
    fail_if(gst_test_clock_timed_wait_for_multiple_pending_ids(clock, 1, 200, NULL));
    gst_object_unref(clock);
  }
  buf = gst_harness_pull(h); /* the first idle buffer, pushed before the pause */
  check_idle_buffer(buf, 0);
  gst_buffer_unref(buf);
  fail_unless(gst_harness_try_pull(h) == NULL, "idle silence pushed in PAUSED");
  gst_harness_play(h);
  buf = gst_harness_pull(h);
  check_idle_buffer(buf, IDLE_NS);
  gst_buffer_unref(buf);
  gst_harness_teardown(h);
}
GST_END_TEST

/* A live filter follows upstream's timeline: no idle silence of its own. */
GST_START_TEST(test_live_filter_no_idle) {
  GstElement* tts = make_tts(NULL);
  GstHarness* h;
  GstTestClock* clock;

  g_object_set(tts, "is-live", TRUE, NULL);
  h = filter_harness(tts, "utf8");
  clock = gst_harness_get_testclock(h);
  gst_test_clock_set_time(clock, GST_SECOND);
  fail_if(gst_test_clock_timed_wait_for_multiple_pending_ids(clock, 1, 200, NULL));
  fail_unless(gst_harness_try_pull(h) == NULL);
  gst_object_unref(clock);
  gst_harness_teardown(h);
}
GST_END_TEST

static Suite* pockettts_flow_suite(void) {
  Suite* s = suite_create("pockettts_flow");
  TCase* live = tcase_create("live_idle");

  setup_paths();
  suite_add_tcase(s, live);
  tcase_add_test(live, test_live_idle_from_start);
  tcase_add_test(live, test_live_idle_starts_at_running_time);
  tcase_add_test(live, test_live_idle_around_speech);
  tcase_add_test(live, test_live_idle_paused);
  tcase_add_test(live, test_live_filter_no_idle);
  return s;
}

GST_CHECK_MAIN(pockettts_flow);
