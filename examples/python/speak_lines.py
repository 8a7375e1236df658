#!/usr/bin/env python3
"""speak_lines.py: the pockettts element in a Python program, through GObject introspection.

Every line typed on stdin is spoken through the element's `speak` action signal and the
utterance messages of the bus are printed. Ctrl-C cancels what is being spoken (and what is
queued); at the end of input (Ctrl-D) the program waits until every queued line is spoken,
sends EOS (which ends a source's stream at once), waits for it to reach the sink, then goes
to NULL and exits.

Needs (Debian): python3-gi gir1.2-gstreamer-1.0, and the pockettts plugin (installed, or
GST_PLUGIN_PATH=build/gst before installing).

    ./speak_lines.py                                   # real model, voice alba, to the speakers
    ./speak_lines.py --model tests/data/tiny/config.yaml \\
        --voice tests/data/tiny/voice/voice_s16.wav --sink "fakesink sync=true"
"""
import argparse
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GLib", "2.0")
from gi.repository import GLib, Gst  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description="Speak each line of stdin with pockettts.")
    parser.add_argument("--model", help="model variant id or YAML config path (default b6369a24)")
    parser.add_argument("--voice", help="predefined voice, audio file or .safetensors voice (default alba)")
    parser.add_argument("--sink", default="audioconvert ! audioresample ! autoaudiosink",
                        help="where the audio goes, as a gst-launch-1.0 description")
    args = parser.parse_args()

    Gst.init(None)
    try:
        # is-live: with no `text`, the element stays up and speaks what `speak` queues.
        pipeline = Gst.parse_launch(f"pockettts name=tts is-live=true ! {args.sink}")
    except GLib.Error as e:
        print(f"speak_lines.py: bad --sink: {e.message}", file=sys.stderr)
        return 2
    tts = pipeline.get_by_name("tts")
    if tts is None:
        print("speak_lines.py: the pockettts element is not installed "
              "(or not on GST_PLUGIN_PATH)", file=sys.stderr)
        return 1
    if args.model:
        tts.set_property("model", args.model)
    if args.voice:
        tts.set_property("voice", args.voice)

    loop = GLib.MainLoop()
    status = {"failed": False}
    # Lines accepted by `speak`, utterances started / ended, end of input seen, EOS sent.
    count = {"queued": 0, "started": 0, "ended": 0, "input_done": False, "eos_sent": False}

    def end_when_spoken():
        # EOS ends the stream right away: send it once stdin is done and every line spoken.
        if count["input_done"] and not count["eos_sent"] and count["ended"] >= count["queued"]:
            count["eos_sent"] = True
            tts.send_event(Gst.Event.new_eos())

    def on_message(bus, msg):
        if msg.type == Gst.MessageType.ELEMENT:
            s = msg.get_structure()
            if s.get_name() == "pockettts-utterance-start":
                count["started"] += 1
                print(f'utterance-start "{s.get_string("text")}" at '
                      f'{s.get_uint64("running-time")[1] / Gst.SECOND:.3f} s', flush=True)
            elif s.get_name() == "pockettts-utterance-end":
                cancelled = ", cancelled" if s.get_boolean("cancelled")[1] else ""
                print(f'utterance-end "{s.get_string("text")}" at '
                      f'{s.get_uint64("running-time")[1] / Gst.SECOND:.3f} s, '
                      f'{s.get_uint("frames")[1]} frames{cancelled}', flush=True)
                count["ended"] += 1
                end_when_spoken()
        elif msg.type == Gst.MessageType.EOS:
            loop.quit()
        elif msg.type == Gst.MessageType.ERROR:
            error, debug = msg.parse_error()
            print(f"speak_lines.py: {error.message}", file=sys.stderr)
            status["failed"] = True
            loop.quit()

    def on_stdin(channel, condition):
        # The channel's own buffer, not sys.stdin's: the watch then knows when a line waits.
        line = channel.readline()
        if line:
            text = line.strip()
            if text:
                if tts.emit("speak", text):
                    count["queued"] += 1
                    print(f'queued "{text}"', flush=True)
                else:
                    print(f"speak_lines.py: not spoken: {text}", file=sys.stderr)
            return GLib.SOURCE_CONTINUE
        # End of input: EOS once what is queued is spoken; the bus's EOS (all sinks done) then
        # ends the loop.
        count["input_done"] = True
        end_when_spoken()
        return GLib.SOURCE_REMOVE

    def on_interrupt():
        print("cancel", flush=True)
        tts.emit("cancel")
        # The queued lines are dropped without messages: only the one speaking will still end.
        count["queued"] = count["ended"] + (1 if count["started"] > count["ended"] else 0)
        end_when_spoken()
        return GLib.SOURCE_CONTINUE

    bus = pipeline.get_bus()
    # The model loads at NULL -> READY: a bad model or voice fails here, its reason on the bus.
    if pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
        msg = bus.pop_filtered(Gst.MessageType.ERROR)
        print(f"speak_lines.py: {msg.parse_error()[0].message if msg else 'the pipeline did not start'}",
              file=sys.stderr)
        pipeline.set_state(Gst.State.NULL)
        return 1
    bus.add_signal_watch()
    bus.connect("message", on_message)
    GLib.io_add_watch(GLib.IOChannel.unix_new(sys.stdin.fileno()), GLib.PRIORITY_DEFAULT,
                      GLib.IOCondition.IN | GLib.IOCondition.HUP, on_stdin)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, on_interrupt)
    loop.run()
    bus.remove_signal_watch()
    pipeline.set_state(Gst.State.NULL)
    return 1 if status["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
