#!/usr/bin/python3
"""bench/side_by_side.py on real pockettts-bench runs of the tiny model: 1 and 2 threads, 1 and 2
streams, two rounds of one configuration, and a reference file in the harness's format. It
checks the table's shape and its ratios, not speed (the tiny model measures nothing).

Usage: test_side_by_side.py BENCH_BINARY TINY_CONFIG SIDE_BY_SIDE_SCRIPT WORKDIR"""
import json
import os
import subprocess
import sys

bench, config, script, workdir = sys.argv[1:5]
os.makedirs(workdir, exist_ok=True)
runs = []
for name, threads, streams in [("t1", 1, 1), ("t1-again", 1, 1), ("t2", 2, 1), ("t2-s2", 2, 2)]:
    path = os.path.join(workdir, f"{name}.json")
    subprocess.run([bench, "--config", config, "--frames", "3", "--repeats", "1",
                    "--voice-seconds", "1", "--threads", str(threads), "--streams", str(streams),
                    "--json", path], check=True, stdout=subprocess.DEVNULL)
    runs.append(path)
    data = json.load(open(path))
    assert data["threads"] == threads and data["streams"] == streams, data
    # One batch of the streams' Mimi frames is timed only where there are several streams.
    assert ("mimi_batch_ms" in data) == (streams > 1), data
    assert set(data["resident_mb"]) == {"started", "loaded", "voice encoded", "generated"}, data
    for stage in data["resident_mb"].values():
        parts = stage["libraries"] + stage["weights"] + stage["heap"] + stage["other_anonymous"]
        assert abs(parts - stage["total"]) < 1e-6 * max(1.0, stage["total"]), stage

# A reference file as bench_reference.py writes it (lists of repeats, seconds; load a number).
reference = os.path.join(workdir, "reference.json")
json.dump({"meta": {}, "results": [{
    "threads": 1, "blas": "openblas", "rtf": [1.0, 1.5, 2.0], "ttfa_s": [0.2, 0.1, 0.3],
    "flow_step_alone_ms": [40.0], "mimi_frame_alone_ms": [14.0], "voice_state_10s_s": [7.0],
    "load_s": 3.0, "peak_rss_mb": 1600.0}]}, open(reference, "w"))

table = subprocess.run([script, "--reference", reference] + runs, check=True,
                       capture_output=True, text=True).stdout
print(table)
lines = table.strip().splitlines()
header = [c.strip() for c in lines[0].strip("|").split("|")]
assert header == ["figure", "reference (openblas, 1 thr)", "fp32, 1 thr (2 rounds)",
                  "fp32, 2 thr", "fp32, 2 thr, 2 streams"], header
rows = {r.strip("|").split("|")[0].strip(): [c.strip() for c in r.strip("|").split("|")[1:]]
        for r in lines[2:]}
assert rows["real-time factor (1 stream)"][0] == "1.5 [1–2]", rows
assert rows["time to first chunk (ms)"][0] == "200 [100–300]", rows
assert rows["real-time factor ÷ reference's"][0] == "1.00", rows
batch = rows["Mimi frames of all streams, one batch (ms)"]
assert batch[:3] == ["-", "-", "-"] and batch[3] != "-", rows
ours = [json.load(open(p)) for p in runs]
one = sorted([ours[0]["rtf"]["median"], ours[1]["rtf"]["median"]])
want = f"{ours[2]['aggregate_rtf'] / ((one[0] + one[1]) / 2):.2f}"
assert rows["aggregate ÷ 1 thread (same precision and streams)"][2] == want, (rows, want)
want = f"{ours[3]['aggregate_rtf'] / ours[2]['aggregate_rtf']:.2f}"
assert rows["aggregate ÷ 1 stream (same precision and threads)"][3] == want, (rows, want)
print("side_by_side: ok")
