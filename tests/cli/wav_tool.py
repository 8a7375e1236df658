#!/usr/bin/env python3
"""WAV and safetensors checks for test_cli.sh, on the Python standard library only.

  wav_tool.py info WAV                      -> "format=f32 rate=24000 channels=1 samples=N"
  wav_tool.py compare WAV REF.safetensors TENSOR [--silence SECONDS] [--tolerance T]
      the first len(TENSOR) samples match TENSOR (max-abs / rms <= T; for s16 files the
      quantisation step is allowed on top) and exactly SECONDS of zeros follow
  wav_tool.py same WAV1 WAV2 [--tolerance T]  two WAVs hold the same samples
Exit code 0 on success, 1 with a one-line reason otherwise.
"""
import json
import math
import struct
import sys


def fail(message):
    print(message)
    sys.exit(1)


def read_wav(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        fail(f"{path}: {e.strerror}")
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        fail(f"{path}: not a RIFF/WAVE file")
    pos, fmt, samples = 12, None, None
    while pos + 8 <= len(data):
        chunk_id, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        body = pos + 8
        if chunk_id == b"fmt ":
            tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", data[body : body + 16])
            if tag == 0xFFFE:  # WAVE_FORMAT_EXTENSIBLE: the real tag starts the sub-format GUID
                tag = struct.unpack("<H", data[body + 24 : body + 26])[0]
            fmt = (tag, channels, rate, bits)
        elif chunk_id == b"data":
            if fmt is None:
                fail(f"{path}: data chunk before fmt chunk")
            # A streamed file (stdout) cannot know its length: the size says 0xFFFFFFFF
            # (or 0); the samples then run to the end of the file.
            end = len(data) if size in (0, 0xFFFFFFFF) else body + size
            if end > len(data):
                fail(f"{path}: data chunk claims {size} bytes, file has {len(data) - body}")
            samples = data[body:end]
            break
        pos = body + size + (size & 1)
    if fmt is None or samples is None:
        fail(f"{path}: missing fmt or data chunk")
    tag, channels, rate, bits = fmt
    if tag == 3 and bits == 32:
        name, values = "f32", struct.unpack(f"<{len(samples) // 4}f", samples[: len(samples) // 4 * 4])
    elif tag == 1 and bits == 16:
        count = len(samples) // 2
        name, values = "s16", [v / 32767.0 for v in struct.unpack(f"<{count}h", samples[: count * 2])]
    else:
        fail(f"{path}: unexpected sample format tag={tag} bits={bits}")
    return {"format": name, "rate": rate, "channels": channels, "samples": list(values)}


def read_safetensors(path, name):
    with open(path, "rb") as f:
        data = f.read()
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + header_len])
    if name not in header:
        fail(f"{path}: no tensor {name!r}")
    info = header[name]
    if info["dtype"] != "F32":
        fail(f"{path}: tensor {name!r} is {info['dtype']}, expected F32")
    start, end = info["data_offsets"]
    raw = data[8 + header_len + start : 8 + header_len + end]
    return list(struct.unpack(f"<{len(raw) // 4}f", raw))


def difference(got, want):
    max_abs = max((abs(a - b) for a, b in zip(got, want)), default=0.0)
    rms = math.sqrt(sum(b * b for b in want) / len(want)) if want else 0.0
    return max_abs, rms


def option(args, name, default):
    if name in args:
        return float(args[args.index(name) + 1])
    return default


def main(argv):
    if len(argv) < 2:
        fail(__doc__)
    command, args = argv[1], argv[2:]
    if command == "info":
        wav = read_wav(args[0])
        print(f"format={wav['format']} rate={wav['rate']} channels={wav['channels']} "
              f"samples={len(wav['samples'])}")
    elif command == "compare":
        wav_path, ref_path, tensor = args[:3]
        silence = option(args, "--silence", 0.0)
        tolerance = option(args, "--tolerance", 1e-4)
        wav, ref = read_wav(wav_path), read_safetensors(ref_path, tensor)
        got = wav["samples"]
        n_silence = int(wav["rate"] * silence)
        if len(got) != len(ref) + n_silence:
            fail(f"{len(got)} samples, expected {len(ref)} + {n_silence} of silence")
        if any(v != 0.0 for v in got[len(ref) :]):
            fail("the trailing silence is not all zeros")
        want = ref
        if wav["format"] == "s16":
            # The reference's conversion: clamp to [-1, 1], scale by 32767, truncate to int.
            want = [int(max(-1.0, min(1.0, v)) * 32767) / 32767.0 for v in ref]
        max_abs, rms = difference(got[: len(ref)], want)
        ratio = max_abs / rms if rms else max_abs
        if ratio > tolerance:
            fail(f"max_abs {max_abs:.3g} / rms {rms:.3g} = {ratio:.3g} > {tolerance}")
        print(f"{len(ref)} samples + {n_silence} silence, max_abs/rms {ratio:.2g}")
    elif command == "same":
        a, b = read_wav(args[0]), read_wav(args[1])
        tolerance = option(args, "--tolerance", 0.0)
        for key in ("format", "rate", "channels"):
            if a[key] != b[key]:
                fail(f"{key} differs: {a[key]} vs {b[key]}")
        if len(a["samples"]) != len(b["samples"]):
            fail(f"sample counts differ: {len(a['samples'])} vs {len(b['samples'])}")
        max_abs, rms = difference(a["samples"], b["samples"])
        ratio = max_abs / rms if rms else max_abs
        if ratio > tolerance:
            fail(f"samples differ: max_abs/rms {ratio:.3g} > {tolerance}")
        print(f"{len(a['samples'])} samples, " + ("identical" if max_abs == 0 else f"max_abs/rms {ratio:.2g}"))
    else:
        fail(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv)
