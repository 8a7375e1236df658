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
  fail_unless(
      gst_test_clock_timed_wait_for_multiple_pending_ids(clock, 1, 30000 * test_slowdown(), NULL),
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
  fail_unless(gst_test_clock_timed_wait_for_multiple_pending_ids(clock, 1, 30000 * test_slowdown(),
                                                                 &pending),
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

/* --- The bounded input queue (max-queued) */

/* A blocking probe on the element's source pad: its streaming task stops at its next buffer
 * until released, whatever the model's speed. */
typedef struct {
  GstPad* pad;
  gulong id;
  gint held;
} Hold;

static GstPadProbeReturn note_held(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
  (void)pad;
  (void)info;
  g_atomic_int_set(&((Hold*)data)->held, 1);
  return GST_PAD_PROBE_OK;
}

static void hold_output(Hold* hold, GstElement* tts) {
  hold->pad = gst_element_get_static_pad(tts, "src");
  hold->held = 0;
  hold->id = gst_pad_add_probe(hold->pad, GST_PAD_PROBE_TYPE_BLOCK | GST_PAD_PROBE_TYPE_BUFFER,
                               note_held, hold, NULL);
}

/* Waits (30 s at most) for the task to be stopped at the probe. `live`: the harness whose test
 * clock a live element waits on, or NULL. That clock moves only when told: each wait the
 * element makes before its first buffer is let through (the first idle buffer may be due a
 * fraction of a sample after the clock's time, the cursor being whole samples). */
static void wait_until_held(Hold* hold, GstHarness* live) {
  GstTestClock* clock = live ? gst_harness_get_testclock(live) : NULL;
  const gint64 deadline = deadline_after(30);
  while (!g_atomic_int_get(&hold->held) && g_get_monotonic_time() < deadline) {
    GstClockID pending = NULL;
    if (clock && gst_test_clock_peek_next_pending_id(clock, &pending)) {
      gst_clock_id_unref(pending);
      gst_test_clock_crank(clock);
    }
    g_usleep(1000);
  }
  if (clock) gst_object_unref(clock);
  fail_unless(g_atomic_int_get(&hold->held), "the element pushed nothing");
}

static void release_output(Hold* hold) {
  if (hold->id) gst_pad_remove_probe(hold->pad, hold->id);
  hold->id = 0;
  gst_object_unref(hold->pad);
}

/* Upstream's thread: pushes timed lines, one a second from `first`. */
typedef struct {
  GstHarness* h;
  const gchar* const* lines;
  guint first;
  gint returned;
  GstFlowReturn last;
} Pusher;

static gpointer push_lines(gpointer data) {
  Pusher* pusher = data;
  for (guint i = pusher->first; pusher->lines[i]; i++) {
    GstFlowReturn flow =
        gst_harness_push(pusher->h, text_buffer(pusher->lines[i], i * GST_SECOND, GST_SECOND));
    pusher->last = flow;
    g_atomic_int_inc(&pusher->returned);
    if (flow != GST_FLOW_OK) break;
  }
  return NULL;
}

/* Waits (30 s at most) until `count` pushes have returned. */
static void wait_for_returns(Pusher* pusher, gint count) {
  const gint64 deadline = deadline_after(30);
  while (g_atomic_int_get(&pusher->returned) < count && g_get_monotonic_time() < deadline)
    g_usleep(1000);
  fail_unless_equals_int(g_atomic_int_get(&pusher->returned), count);
}

static const gchar* const kLines[] = {"One.", "Two.", "Three.", "Four.", "Five.", NULL};

/* Not live, full: upstream's push blocks until the element has room, then goes on; nothing is
 * lost. The first line is being spoken (held at the probe), two wait: the fourth blocks. */
GST_START_TEST(test_full_queue_blocks_upstream) {
  static const gchar* const lines[] = {"One.", "Two.", "Three.", "Four.", NULL};
  GstElement* tts = make_tts(NULL);
  GstBus* bus = attach_bus(tts);
  GstHarness* h;
  Hold hold;
  Pusher pusher = {NULL, lines, 1, 0, GST_FLOW_OK};
  GThread* thread;
  GPtrArray *buffers, *all, *starts;

  g_object_set(tts, "max-queued", 2u, NULL);
  hold_output(&hold, tts);
  h = filter_harness(tts, "utf8");
  pusher.h = h;
  fail_unless_equals_int(gst_harness_push(h, text_buffer(lines[0], 0, GST_SECOND)), GST_FLOW_OK);
  wait_until_held(&hold, NULL);
  /* Two and Three wait; Four must wait for room. */
  thread = g_thread_new("upstream", push_lines, &pusher);
  wait_for_returns(&pusher, 2);
  g_usleep(300 * 1000);
  fail_unless_equals_int(g_atomic_int_get(&pusher.returned), 2);
  release_output(&hold);
  g_thread_join(thread);
  fail_unless_equals_int(pusher.returned, 3);
  fail_unless_equals_int(pusher.last, GST_FLOW_OK);
  gst_harness_push_event(h, gst_event_new_eos());

  buffers = pull_all(h);
  all = collect_messages(bus);
  starts = named(all, "pockettts-utterance-start");
  fail_unless_equals_int(starts->len, 4);
  for (guint i = 0; i < 4; i++) fail_unless_equals_string(text_field(starts, i), lines[i]);
  g_ptr_array_unref(starts);
  g_ptr_array_unref(all);
  g_ptr_array_unref(buffers);
  gst_harness_teardown(h);
  gst_object_unref(bus);
}
GST_END_TEST

/* An upstream blocked on the full queue is released by a flush (its push returns FLUSHING)
 * and by a state change to NULL: neither waits for room. */
GST_START_TEST(test_full_queue_released_by_flush_and_stop) {
  for (guint stop = 0; stop < 2; stop++) {
    GstElement* tts = make_tts(NULL);
    GstHarness* h;
    Hold hold;
    static const gchar* const lines[] = {"One.", "Two.", "Three.", NULL};
    Pusher pusher = {NULL, lines, 1, 0, GST_FLOW_OK};
    GThread* thread;

    g_object_set(tts, "max-queued", 1u, NULL);
    hold_output(&hold, tts);
    h = filter_harness(tts, "utf8");
    pusher.h = h;
    fail_unless_equals_int(gst_harness_push(h, text_buffer(lines[0], 0, GST_SECOND)),
                           GST_FLOW_OK);
    wait_until_held(&hold, NULL);
    thread = g_thread_new("upstream", push_lines, &pusher);
    wait_for_returns(&pusher, 1);
    if (stop) {
      fail_unless_equals_int(gst_element_set_state(tts, GST_STATE_NULL),
                             GST_STATE_CHANGE_SUCCESS);
    } else {
      fail_unless(gst_harness_push_event(h, gst_event_new_flush_start()));
    }
    g_thread_join(thread);
    fail_unless_equals_int(pusher.returned, 2);
    fail_unless_equals_int(pusher.last, GST_FLOW_FLUSHING);
    if (!stop) fail_unless(gst_harness_push_event(h, gst_event_new_flush_stop(TRUE)));
    release_output(&hold);
    gst_harness_teardown(h);
  }
}
GST_END_TEST

/* The warnings posted so far, each the max-queued one: the debug string of each. The element
 * messages on the way are kept in `elements`. */
static GPtrArray* warning_details(GstBus* bus, GPtrArray* elements) {
  GPtrArray* details = g_ptr_array_new_with_free_func(g_free);
  GstMessage* msg;
  while ((msg = gst_bus_pop(bus))) {
    GError* error = NULL;
    gchar* debug = NULL;
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ELEMENT)
      g_ptr_array_add(elements, gst_structure_copy(gst_message_get_structure(msg)));
    if (GST_MESSAGE_TYPE(msg) != GST_MESSAGE_WARNING) {
      gst_message_unref(msg);
      continue;
    }
    gst_message_parse_warning(msg, &error, &debug);
    fail_unless(g_error_matches(error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NO_SPACE_LEFT));
    fail_unless(strstr(error->message, "max-queued") != NULL);
    g_ptr_array_add(details, debug);
    g_error_free(error);
    gst_message_unref(msg);
  }
  return details;
}

/* The element messages kept on the way and those posted since. */
static GPtrArray* add_messages(GPtrArray* kept, GstBus* bus) {
  GPtrArray* rest = collect_messages(bus);
  for (guint i = 0; i < rest->len; i++)
    g_ptr_array_add(kept, gst_structure_copy(g_ptr_array_index(rest, i)));
  g_ptr_array_unref(rest);
  return kept;
}

/* Live, full: the oldest waiting line is dropped with a warning that names it, and upstream
 * never blocks. */
GST_START_TEST(test_full_live_queue_drops_oldest) {
  GstElement* tts = make_tts(NULL);
  GstBus* bus = attach_bus(tts);
  GstHarness* h;
  Hold hold;
  GPtrArray *warnings, *buffers, *starts;
  GPtrArray* all = g_ptr_array_new_with_free_func((GDestroyNotify)gst_structure_free);

  g_object_set(tts, "is-live", TRUE, "max-queued", 2u, NULL);
  hold_output(&hold, tts);
  h = filter_harness(tts, "utf8");
  fail_unless_equals_int(gst_harness_push(h, text_buffer(kLines[0], 0, GST_SECOND)),
                         GST_FLOW_OK);
  wait_until_held(&hold, NULL);
  for (guint i = 1; kLines[i]; i++) {
    fail_unless_equals_int(gst_harness_push(h, text_buffer(kLines[i], i * GST_SECOND, GST_SECOND)),
                           GST_FLOW_OK);
  }
  warnings = warning_details(bus, all);
  fail_unless_equals_int(warnings->len, 2);
  fail_unless(strstr(g_ptr_array_index(warnings, 0), "\"Two.\"") != NULL);
  fail_unless(strstr(g_ptr_array_index(warnings, 1), "\"Three.\"") != NULL);

  release_output(&hold);
  gst_harness_push_event(h, gst_event_new_eos());
  buffers = pull_all(h);
  starts = named(add_messages(all, bus), "pockettts-utterance-start");
  fail_unless_equals_int(starts->len, 3);
  fail_unless_equals_string(text_field(starts, 0), "One.");
  fail_unless_equals_string(text_field(starts, 1), "Four.");
  fail_unless_equals_string(text_field(starts, 2), "Five.");
  g_ptr_array_unref(starts);
  g_ptr_array_unref(all);
  g_ptr_array_unref(buffers);
  g_ptr_array_unref(warnings);
  gst_harness_teardown(h);
  gst_object_unref(bus);
}
GST_END_TEST

/* speak() never blocks the application: a full queue refuses the text when not live, and
 * drops the oldest waiting text (with the warning) when live. Raising max-queued makes room
 * at once. */
GST_START_TEST(test_speak_into_full_queue) {
  for (guint live = 0; live < 2; live++) {
    GstElement* tts = make_tts(live ? NULL : "One.");
    GstBus* bus = attach_bus(tts);
    GstHarness* h;
    Hold hold;
    gboolean queued = FALSE;
    GPtrArray* warnings;
    GPtrArray* all = g_ptr_array_new_with_free_func((GDestroyNotify)gst_structure_free);

    g_object_set(tts, "max-queued", 2u, "is-live", live, NULL);
    h = gst_harness_new_with_element(tts, NULL, "src");
    hold_output(&hold, tts);
    gst_harness_play(h);
    wait_until_held(&hold, live ? h : NULL); /* at "One." or, live, the first idle buffer */
    g_signal_emit_by_name(tts, "speak", "Two.", &queued);
    fail_unless(queued);
    g_signal_emit_by_name(tts, "speak", "Three.", &queued);
    fail_unless(queued);
    g_signal_emit_by_name(tts, "speak", "Four.", &queued);
    warnings = warning_details(bus, all);
    if (live) {
      fail_unless(queued, "a live queue drops the oldest instead");
      fail_unless_equals_int(warnings->len, 1);
      fail_unless(strstr(g_ptr_array_index(warnings, 0), "\"Two.\"") != NULL);
    } else {
      fail_if(queued, "speak() queued past max-queued");
      fail_unless_equals_int(warnings->len, 0);
      g_object_set(tts, "max-queued", 3u, NULL);
      g_signal_emit_by_name(tts, "speak", "Four.", &queued);
      fail_unless(queued);
    }
    g_ptr_array_unref(warnings);
    release_output(&hold);
    if (!live) {
      GPtrArray* buffers = pull_all(h);
      GPtrArray* starts = named(add_messages(all, bus), "pockettts-utterance-start");
      fail_unless_equals_int(starts->len, 4);
      for (guint i = 0; i < 4; i++) fail_unless_equals_string(text_field(starts, i), kLines[i]);
      g_ptr_array_unref(starts);
      g_ptr_array_unref(buffers);
    }
    g_ptr_array_unref(all);
    gst_harness_teardown(h);
    gst_object_unref(bus);
  }
}
GST_END_TEST

/* --- Timed text whose speech runs past the next cue (overflow) */

/* The lines of test_subtitle_timing_with_gaps' overrun: "Third." is due 100 ms into the
 * second line's speech. All are queued before the element pushes anything. */
static GPtrArray* speak_overrun(const gchar* overflow, GPtrArray** messages) {
  GstElement* tts = make_tts(NULL);
  GstBus* bus = attach_bus(tts);
  GstHarness* h;
  Hold hold;
  GPtrArray* buffers;

  gst_util_set_object_arg(G_OBJECT(tts), "overflow", overflow);
  hold_output(&hold, tts);
  h = filter_harness(tts, "utf8");
  gst_harness_push(h, text_buffer("Second line.", GST_SECOND, GST_SECOND));
  gst_harness_push(h, text_buffer("Third.", GST_SECOND + 100 * GST_MSECOND, GST_SECOND));
  gst_harness_push_event(h, gst_event_new_eos());
  wait_until_held(&hold, NULL);
  release_output(&hold);
  buffers = pull_all(h);
  *messages = collect_messages(bus);
  gst_harness_teardown(h);
  gst_object_unref(bus);
  return buffers;
}

/* The speech samples of the buffers from `start` (in samples) on, `count` of them. */
static GArray* samples_from(GPtrArray* buffers, guint64 start, guint64 count) {
  GArray* all = samples_f32(buffers);
  GArray* out = g_array_new(FALSE, FALSE, sizeof(gfloat));
  fail_unless(start + count <= all->len);
  g_array_append_vals(out, &g_array_index(all, gfloat, start), count);
  g_array_unref(all);
  return out;
}

#define SECOND_LINE_AT RATE                   /* samples */
#define THIRD_AT (RATE + RATE / 10)           /* 1.1 s */
#define FADE 120                              /* 5 ms */

/* clip: the second line stops exactly where "Third." starts, its last 5 ms faded out (the
 * same samples as shift's otherwise); "Third." starts on time; the stream stays contiguous. */
GST_START_TEST(test_overflow_clip) {
  GPtrArray *shift_msgs, *clip_msgs, *overruns, *ends, *starts;
  GPtrArray* shifted = speak_overrun("shift", &shift_msgs);
  GPtrArray* clipped = speak_overrun("clip", &clip_msgs);
  GArray *reference, *cut;
  gboolean was_clipped = FALSE;

  check_contiguous(clipped, sizeof(gfloat));
  starts = named(clip_msgs, "pockettts-utterance-start");
  ends = named(clip_msgs, "pockettts-utterance-end");
  overruns = named(clip_msgs, "pockettts-overrun");
  fail_unless_equals_uint64(uint64_field(ends, 0, "running-time"),
                            GST_SECOND + 100 * GST_MSECOND);
  fail_unless(gst_structure_get_boolean(g_ptr_array_index(ends, 0), "clipped", &was_clipped));
  fail_unless(was_clipped);
  fail_unless_equals_uint64(uint64_field(starts, 1, "running-time"),
                            GST_SECOND + 100 * GST_MSECOND);
  fail_unless_equals_int(overruns->len, 1);
  fail_unless_equals_string(text_field(overruns, 0), "Third.");
  fail_unless_equals_string(
      gst_structure_get_string(g_ptr_array_index(overruns, 0), "overflow"), "clip");
  fail_unless_equals_uint64(uint64_field(overruns, 0, "lateness"), 0);
  fail_unless_equals_uint64(uint64_field(overruns, 0, "running-time"),
                            GST_SECOND + 100 * GST_MSECOND);

  /* The same speech as shift's up to the fade; the fade is linear to the cut. */
  reference = samples_from(shifted, SECOND_LINE_AT, THIRD_AT - SECOND_LINE_AT);
  cut = samples_from(clipped, SECOND_LINE_AT, THIRD_AT - SECOND_LINE_AT);
  for (guint i = 0; i < cut->len; i++) {
    const guint from_end = cut->len - i;
    const gfloat gain = from_end <= FADE ? (gfloat)from_end / (FADE + 1) : 1.0f;
    fail_unless(g_array_index(cut, gfloat, i) == g_array_index(reference, gfloat, i) * gain,
                "sample %u: %g, not %g x %g", i, g_array_index(cut, gfloat, i),
                g_array_index(reference, gfloat, i), gain);
  }
  g_array_unref(reference);
  g_array_unref(cut);
  g_ptr_array_unref(starts);
  g_ptr_array_unref(ends);
  g_ptr_array_unref(overruns);
  g_ptr_array_unref(shift_msgs);
  g_ptr_array_unref(clip_msgs);
  g_ptr_array_unref(shifted);
  g_ptr_array_unref(clipped);
}
GST_END_TEST

/* overlap: "Third." starts at its own time, back over the second line's speech (DISCONT), and
 * is the same speech as shift's; the overrun says how far the second line reached past it. */
GST_START_TEST(test_overflow_overlap) {
  GPtrArray *shift_msgs, *overlap_msgs, *overruns, *starts, *ends, *shift_ends;
  GPtrArray* shifted = speak_overrun("shift", &shift_msgs);
  GPtrArray* overlapped = speak_overrun("overlap", &overlap_msgs);
  guint64 second_end, shift_third_at, third_samples;
  GstBuffer* third = NULL;
  guint third_index = 0;
  GArray *reference, *ours;

  starts = named(overlap_msgs, "pockettts-utterance-start");
  ends = named(overlap_msgs, "pockettts-utterance-end");
  overruns = named(overlap_msgs, "pockettts-overrun");
  shift_ends = named(shift_msgs, "pockettts-utterance-end");
  second_end = uint64_field(ends, 0, "running-time");
  fail_unless_equals_uint64(second_end, uint64_field(shift_ends, 0, "running-time"));
  fail_unless(second_end > GST_SECOND + 100 * GST_MSECOND);
  fail_unless_equals_uint64(uint64_field(starts, 1, "running-time"),
                            GST_SECOND + 100 * GST_MSECOND);
  fail_unless_equals_int(overruns->len, 1);
  fail_unless_equals_string(
      gst_structure_get_string(g_ptr_array_index(overruns, 0), "overflow"), "overlap");
  fail_unless_equals_uint64(uint64_field(overruns, 0, "lateness"),
                            second_end - GST_SECOND - 100 * GST_MSECOND);

  /* The one buffer that goes back in time is the first of "Third.", flagged DISCONT. */
  for (guint i = 1; i < overlapped->len; i++) {
    GstBuffer* prev = g_ptr_array_index(overlapped, i - 1);
    GstBuffer* buf = g_ptr_array_index(overlapped, i);
    if (GST_BUFFER_PTS(buf) < GST_BUFFER_PTS(prev) + GST_BUFFER_DURATION(prev)) {
      fail_unless(third == NULL, "more than one step back");
      third = buf;
      third_index = i;
    }
  }
  fail_unless(third != NULL);
  fail_unless_equals_uint64(GST_BUFFER_PTS(third), GST_SECOND + 100 * GST_MSECOND);
  fail_unless_equals_uint64(GST_BUFFER_OFFSET(third), THIRD_AT);
  fail_unless(GST_BUFFER_FLAG_IS_SET(third, GST_BUFFER_FLAG_DISCONT));

  /* "Third." is the same speech as when shifted. */
  shift_third_at = gst_util_uint64_scale_int(second_end, RATE, GST_SECOND);
  third_samples = 0;
  for (guint i = third_index; i < overlapped->len; i++)
    third_samples += gst_buffer_get_size(g_ptr_array_index(overlapped, i)) / sizeof(gfloat);
  reference = samples_from(shifted, shift_third_at, third_samples);
  {
    GPtrArray* tail = g_ptr_array_new();
    for (guint i = third_index; i < overlapped->len; i++)
      g_ptr_array_add(tail, g_ptr_array_index(overlapped, i));
    ours = samples_f32(tail);
    g_ptr_array_unref(tail);
  }
  fail_unless_equals_int(ours->len, reference->len);
  fail_unless(memcmp(ours->data, reference->data, ours->len * sizeof(gfloat)) == 0);

  g_array_unref(reference);
  g_array_unref(ours);
  g_ptr_array_unref(starts);
  g_ptr_array_unref(ends);
  g_ptr_array_unref(shift_ends);
  g_ptr_array_unref(overruns);
  g_ptr_array_unref(shift_msgs);
  g_ptr_array_unref(overlap_msgs);
  g_ptr_array_unref(shifted);
  g_ptr_array_unref(overlapped);
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

  TCase* bounded = tcase_create("max_queued");
  suite_add_tcase(s, bounded);
  tcase_add_test(bounded, test_full_queue_blocks_upstream);
  tcase_add_test(bounded, test_full_queue_released_by_flush_and_stop);
  tcase_add_test(bounded, test_full_live_queue_drops_oldest);
  tcase_add_test(bounded, test_speak_into_full_queue);

  TCase* overflow = tcase_create("overflow");
  suite_add_tcase(s, overflow);
  tcase_add_test(overflow, test_overflow_clip);
  tcase_add_test(overflow, test_overflow_overlap);
  return s;
}

GST_CHECK_MAIN(pockettts_flow);
