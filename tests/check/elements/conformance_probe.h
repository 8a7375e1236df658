/* The rules gst-validate enforces that apply to the element, checked by a probe on its
 * source pad (conformance_probe.c). */
#pragma once

#include <gst/check/gstcheck.h>

typedef struct {
  GMutex lock;
  gboolean stream_start, caps, segment, eos;
  gboolean expect_discont;
  GstSegment seg;
  GstClockTime next_pts;
  guint buffers, segments, eoses;
  guint32 segment_seqnum, eos_seqnum, flush_seqnum;
  gchar* violation;
} Conformance;

/* Watches `tts`'s source pad from now on. */
Conformance* conformance_watch(GstElement* tts);
/* After EOS: no violation, and the stream did end. Frees `c` (detach the element first:
 * teardown the harness or stop the pipeline). */
void conformance_check(Conformance* c);
