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
  /* The seqnum the EOS must carry: the last segment's or flush-stop's. */
  guint32 expected_eos_seqnum;
  /* Set by the test that sends the element an EOS of its own: that EOS keeps its seqnum. */
  guint32 sent_eos_seqnum;
  gboolean after_flush;
  /* Set by a test whose upstream breaks the seqnum rules itself (subparse after a seek): the
   * element keeps upstream's seqnums, which the test compares instead. */
  gboolean upstream_seqnums;
  gchar* violation;
} Conformance;

/* Watches `tts`'s source pad from now on. */
Conformance* conformance_watch(GstElement* tts);
/* Sends `target` (the element or its pipeline) an EOS of the test's own, which the element's
 * EOS may carry instead of its segment's seqnum. */
gboolean conformance_send_eos(Conformance* c, GstElement* target);
/* Frees `c` without checking (the probe on another element, for comparison). */
void conformance_free(Conformance* c);
/* After EOS: no violation, and the stream did end. Frees `c` (detach the element first:
 * teardown the harness or stop the pipeline). */
void conformance_check(Conformance* c);
