"""Decodes a media file with GStreamer (through gi) and returns what a test checks: the audio
as 24 kHz mono 16-bit samples and the video's frame count and end time."""
import array

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402


class Decoded:
    def __init__(self):
        self.audio = array.array("h")
        self.audio_start = None  # seconds
        self.video_frames = 0
        self.video_end = 0.0  # seconds: the last frame's PTS + duration


def decode(path, timeout_s=120):
    Gst.init(None)
    pipeline = Gst.parse_launch(
        f'filesrc location="{path}" ! decodebin name=d '
        "d. ! queue ! audioconvert ! audioresample ! audio/x-raw,format=S16LE,rate=24000,channels=1 ! "
        "appsink name=audio sync=false emit-signals=true "
        "d. ! queue ! videoconvert ! appsink name=video sync=false emit-signals=true")
    result = Decoded()

    def on_audio(sink):
        sample = sink.emit("pull-sample")
        buf = sample.get_buffer()
        if result.audio_start is None and buf.pts != Gst.CLOCK_TIME_NONE:
            result.audio_start = buf.pts / Gst.SECOND
        ok, info = buf.map(Gst.MapFlags.READ)
        result.audio.frombytes(bytes(info.data))
        buf.unmap(info)
        return Gst.FlowReturn.OK

    def on_video(sink):
        buf = sink.emit("pull-sample").get_buffer()
        result.video_frames += 1
        if buf.pts != Gst.CLOCK_TIME_NONE:
            end = buf.pts + (buf.duration if buf.duration != Gst.CLOCK_TIME_NONE else 0)
            result.video_end = max(result.video_end, end / Gst.SECOND)
        return Gst.FlowReturn.OK

    pipeline.get_by_name("audio").connect("new-sample", on_audio)
    pipeline.get_by_name("video").connect("new-sample", on_video)
    pipeline.set_state(Gst.State.PLAYING)
    msg = pipeline.get_bus().timed_pop_filtered(timeout_s * Gst.SECOND,
                                                Gst.MessageType.EOS | Gst.MessageType.ERROR)
    pipeline.set_state(Gst.State.NULL)
    if msg is None:
        raise RuntimeError(f"decoding {path} did not end in {timeout_s} s")
    if msg.type == Gst.MessageType.ERROR:
        err, debug = msg.parse_error()
        raise RuntimeError(f"decoding {path}: {err.message} ({debug})")
    return result
