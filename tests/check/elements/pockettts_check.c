/* Helpers shared by the element's gstcheck suites (pockettts_check.h). */
#include "pockettts_check.h"

#include <string.h>

gchar* model_path;
gchar* voice_path;

void setup_paths(void) {
  const gchar* data = g_getenv("POCKETTTS_TEST_DATA");
  /* Runs before any test: check's fail_unless is not usable here yet. */
  if (data == NULL) g_error("POCKETTTS_TEST_DATA is not set");
  model_path = g_build_filename(data, "tiny", "config.yaml", NULL);
  voice_path = g_build_filename(data, "tiny", "voice", "voice_s16.wav", NULL);
}

guint test_slowdown(void) {
  const gchar* slowdown = g_getenv("POCKETTTS_TEST_SLOWDOWN");
  return slowdown ? (guint)CLAMP(g_ascii_strtoll(slowdown, NULL, 10), 1, 100) : 1;
}

gint64 deadline_after(gint seconds) {
  return g_get_monotonic_time() + (gint64)test_slowdown() * seconds * G_USEC_PER_SEC;
}

GstElement* make_tts(const gchar* text) {
  GstElement* tts = gst_element_factory_make("pockettts", NULL);
  fail_unless(tts != NULL, "pockettts not found (GST_PLUGIN_PATH?)");
  g_object_set(tts, "model", model_path, "voice", voice_path, "temperature", 0.0f, NULL);
  if (text) g_object_set(tts, "text", text, NULL);
  return tts;
}

GstBus* attach_bus(GstElement* element) {
  GstBus* bus = gst_bus_new();
  gst_element_set_bus(element, bus);
  return bus;
}

/* Every buffer up to EOS, in order. */
GPtrArray* pull_all(GstHarness* h) {
  GPtrArray* buffers = g_ptr_array_new_with_free_func((GDestroyNotify)gst_buffer_unref);
  GstBuffer* buf = NULL;
  while (TRUE) {
    fail_unless(gst_harness_pull_until_eos(h, &buf), "timed out waiting for audio");
    if (!buf) break;
    g_ptr_array_add(buffers, buf);
  }
  return buffers;
}

/* Waits (60 s at most per event) for the EOS event on the harness's sink pad; NULL when none
 * comes. gst_harness_pull_until_eos() may return before the EOS event is in the harness's
 * event queue (the harness flags EOS, then queues the event), so a gst_harness_try_pull_event()
 * right after it can miss the EOS: wait on the event queue itself. */
GstEvent* pull_eos_event(GstHarness* h) {
  GstEvent* event;
  while ((event = gst_harness_pull_event(h))) {
    if (GST_EVENT_TYPE(event) == GST_EVENT_EOS) return event;
    gst_event_unref(event);
  }
  return NULL;
}

/* Every element message posted so far, oldest first. */
GPtrArray* collect_messages(GstBus* bus) {
  GPtrArray* all = g_ptr_array_new_with_free_func((GDestroyNotify)gst_structure_free);
  GstMessage* msg;
  while ((msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ELEMENT))) {
    g_ptr_array_add(all, gst_structure_copy(gst_message_get_structure(msg)));
    gst_message_unref(msg);
  }
  return all;
}

/* Waits for EOS or ERROR on a pipeline bus, keeping the element messages seen on the way
 * (gst_bus_timed_pop_filtered would drop them). Returns the final message type. */
GstMessageType wait_collecting(GstBus* bus, GPtrArray* all) {
  while (TRUE) {
    GstMessage* msg = gst_bus_timed_pop(bus, 120 * GST_SECOND);
    GstMessageType type;
    fail_unless(msg != NULL, "timed out waiting for EOS");
    type = GST_MESSAGE_TYPE(msg);
    if (type == GST_MESSAGE_ELEMENT)
      g_ptr_array_add(all, gst_structure_copy(gst_message_get_structure(msg)));
    gst_message_unref(msg);
    if (type == GST_MESSAGE_EOS || type == GST_MESSAGE_ERROR) return type;
  }
}

/* The messages named `name` in `all` (borrowed). */
GPtrArray* named(GPtrArray* all, const gchar* name) {
  GPtrArray* out = g_ptr_array_new();
  for (guint i = 0; i < all->len; i++) {
    if (gst_structure_has_name(g_ptr_array_index(all, i), name))
      g_ptr_array_add(out, g_ptr_array_index(all, i));
  }
  return out;
}

guint64 uint64_field(GPtrArray* messages, guint index, const gchar* field) {
  guint64 value = 0;
  fail_unless(index < messages->len);
  fail_unless(gst_structure_get_uint64(g_ptr_array_index(messages, index), field, &value));
  return value;
}

const gchar* text_field(GPtrArray* messages, guint index) {
  fail_unless(index < messages->len);
  return gst_structure_get_string(g_ptr_array_index(messages, index), "text");
}

/* Buffers are contiguous and their times exact, in samples from the segment start. */
guint64 check_contiguous(GPtrArray* buffers, gsize bytes_per_sample) {
  guint64 offset = 0;
  for (guint i = 0; i < buffers->len; i++) {
    GstBuffer* buf = g_ptr_array_index(buffers, i);
    guint64 n = gst_buffer_get_size(buf) / bytes_per_sample;
    fail_unless(n > 0 && n <= FRAME);
    fail_unless_equals_uint64(GST_BUFFER_OFFSET(buf), offset);
    fail_unless_equals_uint64(GST_BUFFER_OFFSET_END(buf), offset + n);
    fail_unless_equals_uint64(GST_BUFFER_PTS(buf),
                              gst_util_uint64_scale_int(offset, GST_SECOND, RATE));
    fail_unless_equals_uint64(
        GST_BUFFER_DURATION(buf),
        gst_util_uint64_scale_int(offset + n, GST_SECOND, RATE) - GST_BUFFER_PTS(buf));
    fail_unless_equals_int(GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DISCONT), i == 0);
    offset += n;
  }
  return offset;
}

GstHarness* source_harness(GstElement* tts) {
  GstHarness* h = gst_harness_new_with_element(tts, NULL, "src");
  gst_harness_play(h);
  return h;
}

GstHarness* filter_harness(GstElement* tts, const gchar* format) {
  gchar* caps = g_strdup_printf("text/x-raw, format=%s", format);
  GstHarness* h = gst_harness_new_with_element(tts, "sink", "src");
  gst_harness_set_src_caps_str(h, caps);
  g_free(caps);
  gst_harness_play(h);
  return h;
}

GstBuffer* text_buffer(const gchar* text, GstClockTime pts, GstClockTime duration) {
  GstBuffer* buf = *text ? gst_buffer_new_memdup(text, strlen(text)) : gst_buffer_new();
  GST_BUFFER_PTS(buf) = pts;
  GST_BUFFER_DURATION(buf) = duration;
  return buf;
}

gchar* current_format(GstHarness* h) {
  GstCaps* caps = gst_pad_get_current_caps(h->sinkpad);
  gchar* format;
  fail_unless(caps != NULL);
  format = g_strdup(gst_structure_get_string(gst_caps_get_structure(caps, 0), "format"));
  gst_caps_unref(caps);
  return format;
}

GArray* samples_f32(GPtrArray* buffers) {
  GArray* out = g_array_new(FALSE, FALSE, sizeof(gfloat));
  for (guint i = 0; i < buffers->len; i++) {
    GstMapInfo map;
    GstBuffer* buf = g_ptr_array_index(buffers, i);
    gst_buffer_map(buf, &map, GST_MAP_READ);
    g_array_append_vals(out, map.data, map.size / sizeof(gfloat));
    gst_buffer_unmap(buf, &map);
  }
  return out;
}

GstPadProbeReturn hold_second_buffer_until_flush(GstPad* pad, GstPadProbeInfo* info,
                                                 gpointer user_data) {
  gint* count = user_data;
  (void)info;
  if (g_atomic_int_add(count, 1) == 1) {
    const gint64 deadline = deadline_after(60);
    while (!GST_PAD_IS_FLUSHING(pad) && g_get_monotonic_time() < deadline) g_usleep(1000);
  }
  return GST_PAD_PROBE_OK;
}
