// The src pad's task: takes the next item from the input queue and carries it out on the
// output timeline, speaking an utterance while the model generates it.
#pragma once

#include <gst/gst.h>

namespace pockettts_gst {

// One turn of the task (a GstTaskFunction; `element` is the GstPocketTts). Pauses the task
// when flushing, after EOS and on errors.
void stream_next_item(gpointer element);

}  // namespace pockettts_gst
