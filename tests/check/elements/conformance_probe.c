#include "conformance_probe.h"

/* The rules gst-validate enforces that apply to this element, checked by a probe on its
 * source pad: stream-start, caps, segment before buffers; no buffer outside the segment or
 * after EOS; DISCONT on the first buffer after a segment or a flush; timestamps contiguous
 * (or, flagged DISCONT, forward); the segment after a flush carries the flush's seqnum, EOS
 * the last segment's (or the EOS the test sent, its own); seqnums recorded for the test. The first
 * violation is kept (the probe runs on the streaming thread) and checked by
 * conformance_check(). */
static void violate(Conformance* c, gchar* what) {
  if (!c->violation)
    c->violation = what;
  else
    g_free(what);
}

static GstPadProbeReturn conformance_probe(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
  Conformance* c = data;
  (void)pad;
  g_mutex_lock(&c->lock);
  if (GST_PAD_PROBE_INFO_TYPE(info) & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer* buf = GST_PAD_PROBE_INFO_BUFFER(info);
    GstClockTime pts = GST_BUFFER_PTS(buf);
    GstClockTime end = pts + GST_BUFFER_DURATION(buf);
    gboolean discont = GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DISCONT);
    if (!c->stream_start || !c->caps || !c->segment)
      violate(c, g_strdup_printf("buffer %u before stream-start, caps or segment", c->buffers));
    if (c->eos) violate(c, g_strdup_printf("buffer %u after EOS", c->buffers));
    if (!GST_CLOCK_TIME_IS_VALID(pts) || !GST_BUFFER_DURATION_IS_VALID(buf))
      violate(c, g_strdup_printf("buffer %u without PTS or duration", c->buffers));
    if (c->expect_discont && !discont)
      violate(c, g_strdup_printf("buffer %u after a segment or flush is not DISCONT", c->buffers));
    if (!discont && GST_CLOCK_TIME_IS_VALID(c->next_pts) && pts != c->next_pts)
      violate(c, g_strdup_printf("buffer %u at %" GST_TIME_FORMAT ", expected %" GST_TIME_FORMAT,
                                 c->buffers, GST_TIME_ARGS(pts), GST_TIME_ARGS(c->next_pts)));
    if (discont && !c->expect_discont && GST_CLOCK_TIME_IS_VALID(c->next_pts) && pts < c->next_pts)
      violate(c, g_strdup_printf("buffer %u goes back in time", c->buffers));
    if (c->segment && !gst_segment_clip(&c->seg, GST_FORMAT_TIME, pts, end, NULL, NULL))
      violate(c, g_strdup_printf("buffer %u at %" GST_TIME_FORMAT " outside the segment",
                                 c->buffers, GST_TIME_ARGS(pts)));
    c->expect_discont = FALSE;
    c->next_pts = end;
    c->buffers++;
  } else if (GST_PAD_PROBE_INFO_TYPE(info) & GST_PAD_PROBE_TYPE_EVENT_BOTH) {
    GstEvent* event = GST_PAD_PROBE_INFO_EVENT(info);
    switch (GST_EVENT_TYPE(event)) {
      case GST_EVENT_STREAM_START:
        if (c->caps || c->segment) violate(c, g_strdup("stream-start after caps or segment"));
        c->stream_start = TRUE;
        break;
      case GST_EVENT_CAPS:
        if (!c->stream_start) violate(c, g_strdup("caps before stream-start"));
        c->caps = TRUE;
        break;
      case GST_EVENT_SEGMENT:
        if (!c->caps) violate(c, g_strdup("segment before caps"));
        if (c->eos) violate(c, g_strdup("segment after EOS"));
        gst_event_copy_segment(event, &c->seg);
        if (c->seg.format != GST_FORMAT_TIME) violate(c, g_strdup("segment not in TIME"));
        c->segment = TRUE;
        c->expect_discont = TRUE;
        c->next_pts = GST_CLOCK_TIME_NONE;
        c->segment_seqnum = gst_event_get_seqnum(event);
        if (c->after_flush && !c->upstream_seqnums && c->segment_seqnum != c->flush_seqnum)
          violate(c, g_strdup_printf("segment seqnum %u after flush-stop %u", c->segment_seqnum,
                                     c->flush_seqnum));
        c->after_flush = FALSE;
        c->expected_eos_seqnum = c->segment_seqnum;
        c->segments++;
        break;
      case GST_EVENT_GAP:
        if (!c->segment) violate(c, g_strdup("gap before segment"));
        break;
      case GST_EVENT_EOS:
        if (c->eos) violate(c, g_strdup("two EOS without a flush"));
        if (!c->stream_start) violate(c, g_strdup("EOS before stream-start"));
        c->eos = TRUE;
        c->eos_seqnum = gst_event_get_seqnum(event);
        if (!c->upstream_seqnums && c->eos_seqnum != c->expected_eos_seqnum &&
            (c->sent_eos_seqnum == GST_SEQNUM_INVALID || c->eos_seqnum != c->sent_eos_seqnum))
          violate(c, g_strdup_printf("EOS seqnum %u, the segment's is %u", c->eos_seqnum,
                                     c->expected_eos_seqnum));
        c->eoses++;
        break;
      case GST_EVENT_FLUSH_STOP:
        c->eos = FALSE;
        c->segment = FALSE;
        c->flush_seqnum = gst_event_get_seqnum(event);
        c->expected_eos_seqnum = c->flush_seqnum;
        c->after_flush = TRUE;
        break;
      default:
        break;
    }
  }
  g_mutex_unlock(&c->lock);
  return GST_PAD_PROBE_OK;
}

Conformance* conformance_watch(GstElement* tts) {
  Conformance* c = g_new0(Conformance, 1);
  GstPad* src = gst_element_get_static_pad(tts, "src");
  g_mutex_init(&c->lock);
  gst_segment_init(&c->seg, GST_FORMAT_TIME);
  c->next_pts = GST_CLOCK_TIME_NONE;
  c->expected_eos_seqnum = GST_SEQNUM_INVALID;
  c->sent_eos_seqnum = GST_SEQNUM_INVALID;
  gst_pad_add_probe(src,
                    GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM |
                        GST_PAD_PROBE_TYPE_EVENT_FLUSH,
                    conformance_probe, c, NULL);
  gst_object_unref(src);
  return c;
}

gboolean conformance_send_eos(Conformance* c, GstElement* target) {
  GstEvent* eos = gst_event_new_eos();
  g_mutex_lock(&c->lock);
  c->sent_eos_seqnum = gst_event_get_seqnum(eos);
  g_mutex_unlock(&c->lock);
  return gst_element_send_event(target, eos);
}

void conformance_free(Conformance* c) {
  g_mutex_clear(&c->lock);
  g_free(c->violation);
  g_free(c);
}

void conformance_check(Conformance* c) {
  fail_unless(c->violation == NULL, "conformance: %s", c->violation);
  fail_unless(c->eos, "conformance: the stream did not end with EOS");
  fail_unless(c->buffers > 0, "conformance: no buffer");
  conformance_free(c);
}
