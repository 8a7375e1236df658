#include "live_idle.h"

#include "diagnostics.h"
#include "element_state.h"

namespace pockettts_gst {

GstFlowReturn fill_live_idle(GstPocketTts* self) {
  PocketTtsPrivate& p = *self->priv;
  const GstFlowReturn ret = p.output.start_output();
  if (ret != GST_FLOW_OK) return ret;
  // The first buffer of a live stream is at the clock's running time (a source added to a
  // running pipeline does not owe it the time before), the next ones follow it.
  if (p.output.at_discont()) p.output.follow_clock();
  GstClock* clock = gst_element_get_clock(GST_ELEMENT(self));
  // Without a clock (an element set to PLAYING outside a pipeline) there is no pace to keep:
  // wait for something to say.
  const bool due = p.input.wait_idle(clock, p.output.clock_time_of_cursor());
  if (clock) gst_object_unref(clock);
  if (!due) return GST_FLOW_OK;
  return p.output.push_silence(kIdleSamples);
}

GstFlowReturn keep_up_with_clock(GstPocketTts* self, const Item& item) {
  PocketTtsPrivate& p = *self->priv;
  if (!p.input.source_mode() || p.output.at_discont()) {
    p.output.follow_clock();
    return GST_FLOW_OK;
  }
  const GstClockTime now = p.output.clock_position();
  if (!GST_CLOCK_TIME_IS_VALID(now) || now <= p.output.cursor()) return GST_FLOW_OK;
  GST_LOG_OBJECT(self, "live: silence from %" GST_TIME_FORMAT " up to the clock, %" GST_TIME_FORMAT,
                 GST_TIME_ARGS(p.output.cursor()), GST_TIME_ARGS(now));
  return p.output.push_silence_until(now, kIdleSamples,
                                     [&p, &item] { return p.input.is_cancelled(item.epoch); });
}

}  // namespace pockettts_gst
