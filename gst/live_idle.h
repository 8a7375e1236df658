// Live idle: a live source with nothing to say covers the time with silence at the clock's
// pace, from the start of the stream on, so that an aggregator (audiomixer), a muxer or an
// encoder downstream never waits for data that is not coming, and a file written from a live
// recording is as long as the recording.
//
// Silence buffers flagged GAP rather than GAP events: every element handles a buffer (wavenc,
// filesink and encoders write it, where they would drop a GAP event and leave the file
// shorter than the stream), and the elements that care (audiomixer, encoders) skip the
// GAP-flagged ones. The silence before a subtitle is made of the same buffers.
#pragma once

#include <gst/gst.h>

#include <cstddef>

#include "gstpockettts.h"
#include "input_queue.h"

namespace pockettts_gst {

// Samples per idle buffer: 20 ms, so that an utterance asked for while idle starts at most
// 20 ms later than asked.
inline constexpr size_t kIdleSamples = 480;

// One step of live idle (the streaming task, on a kIdle item): waits until the clock reaches
// the output cursor, then pushes one idle buffer. Each buffer is pushed when its start time
// comes, never late and never more than one buffer ahead of the clock. Returns at once,
// without pushing, when an item arrives, a flush or PAUSED comes.
GstFlowReturn fill_live_idle(GstPocketTts* self);

// Live, before an utterance: the first buffer of the stream, and every utterance of a live
// filter (whose upstream timeline has holes of its own), start at the clock's position with
// DISCONT; later utterances of a source follow silence up to the clock's position, so its
// stream stays contiguous even when the task fell behind the clock.
GstFlowReturn keep_up_with_clock(GstPocketTts* self, const Item& item);

}  // namespace pockettts_gst
