#!/usr/bin/env python3
"""Runs examples/subtitles/srt-to-video on its film.srt, to Matroska and to MP4, and checks the
file: audio and video each last as long as the subtitles (8 s, to the end of the last cue;
within one 40 ms video frame), the video has all its frames, and the speech starts at each cue
(silence just before the cue, sound within 200 ms after its start).
Usage: test_subtitles.py EXAMPLES_SUBTITLES_DIR
"""
import os
import subprocess
import sys
import tempfile

from example_util import MODEL, RATE, VOICE, Checks
from media_probe import decode

CUE_STARTS = [0.5, 3.0, 6.0]  # film.srt
END = 8.0  # the end of its last cue
FPS = 25
# Default eos-threshold: the tiny model's speech is short (a few frames), so each line ends well
# before the next cue and the silence between them can be checked.
PROPS = [f"model={MODEL}", f"voice={VOICE}", "temperature=0"]


def peak(samples, start, end):
    window = samples[int(start * RATE):int(end * RATE)]
    return max(map(abs, window), default=0)


def main():
    here = sys.argv[1]
    script = os.path.join(here, "srt-to-video")
    checks = Checks()
    with tempfile.TemporaryDirectory() as tmp:
        for ext in ["mkv", "mp4"]:
            out = os.path.join(tmp, f"film.{ext}")
            p = subprocess.run([script, os.path.join(here, "film.srt"), out, *PROPS],
                               capture_output=True, text=True, timeout=300)
            if not checks.check(f"{ext}: srt-to-video ran", p.returncode == 0, p.stdout + p.stderr):
                continue
            media = decode(out)
            audio_s = len(media.audio) / RATE
            checks.check(f"{ext}: audio lasts as long as the subtitles",
                         media.audio_start is not None and media.audio_start < 0.001
                         and abs(audio_s - END) <= 1 / FPS, f"{audio_s:.3f} s from {media.audio_start}")
            checks.check(f"{ext}: video lasts as long as the subtitles",
                         media.video_frames == END * FPS and abs(media.video_end - END) <= 1 / FPS,
                         f"{media.video_frames} frames to {media.video_end:.3f} s")
            # Full scale is 32768; Opus smears an onset by a few milliseconds only.
            quiet, loud = 330, 3300
            checks.check(f"{ext}: silence before the first cue",
                         peak(media.audio, 0, CUE_STARTS[0] - 0.05) <= quiet)
            for start in CUE_STARTS:
                before = peak(media.audio, start - 0.3, start - 0.05)
                after = peak(media.audio, start, start + 0.2)
                checks.check(f"{ext}: speech starts at the cue at {start} s",
                             before <= quiet and after >= loud, f"peak {before} before, {after} after")

        for name, args, code, pattern in [
            ("missing subtitle file", ["/nonexistent.srt", os.path.join(tmp, "x.mkv")], 2, "cannot read"),
            ("unknown container", [os.path.join(here, "film.srt"), os.path.join(tmp, "x.avi")], 2,
             ".mkv or .mp4"),
        ]:
            p = subprocess.run([script, *args, *PROPS], capture_output=True, text=True, timeout=60)
            checks.check(f"{name} fails with a message", p.returncode == code and pattern in p.stderr,
                         p.stderr)
    checks.finish()


if __name__ == "__main__":
    main()
