#!/usr/bin/python3
"""Prints pockettts-bench runs beside the reference's (bench_reference.py) as one markdown table.

Usage: side_by_side.py [--reference REF.json] OURS.json...   (each OURS file one pockettts-bench
--json run; the columns come in the order given; runs of one configuration are merged). Medians [min-max]; the ratio rows divide each
column's real-time factor by the reference's and by the same precision's 1-thread, 1-stream run.
"""
import argparse
import json
import statistics


def span(values, scale=1.0):
    values = [v * scale for v in (values if isinstance(values, list) else [values])]
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def reference_column(path):
    data = json.load(open(path))
    runs = [r for r in data["results"] if r.get("threads") == 1] or data["results"]
    r = runs[0]
    return {
        "label": f"reference ({r.get('blas', '?')}, {r.get('threads', '?')} thr)",
        "precision": "reference",
        "threads": r.get("threads"),
        "streams": 1,
        "rtf": span(r["rtf"]),
        "ttfa_ms": span(r["ttfa_s"], 1e3),
        "flow_step_ms": span(r["flow_step_alone_ms"]),
        "mimi_frame_ms": span(r["mimi_frame_alone_ms"]),
        "encode_10s_ms": span(r["voice_state_10s_s"], 1e3),
        "load_ms": span(r["load_s"], 1e3),
        "peak_rss_mb": r["peak_rss_mb"],
        "aggregate_rtf": statistics.median(r["rtf"]),
    }


def ours_column(path):
    r = json.load(open(path))
    r["label"] = f"{r['precision']}, {r['threads']} thr" + (
        f", {r['streams']} streams" if r["streams"] > 1 else "")
    return r


def merge_rounds(runs):
    """One column from several rounds of one configuration (interleaved with the others, so a
    noisy minute of a shared machine moves one round, not one column): the median of the
    rounds' medians, the least min and the greatest max."""
    if len(runs) == 1:
        return runs[0]
    merged = dict(runs[0])
    for key, value in runs[0].items():
        if isinstance(value, dict) and "median" in value:
            merged[key] = {"median": statistics.median(r[key]["median"] for r in runs),
                           "min": min(r[key]["min"] for r in runs),
                           "max": max(r[key]["max"] for r in runs)}
        elif key in ("aggregate_rtf", "peak_rss_mb"):
            merged[key] = statistics.median(r[key] for r in runs)
    merged["label"] += f" ({len(runs)} rounds)"
    return merged


def cell(figure, digits=3):
    if figure is None:
        return "-"
    if isinstance(figure, (int, float)):
        return f"{figure:.{digits}g}"
    return f"{figure['median']:.{digits}g} [{figure['min']:.{digits}g}–{figure['max']:.{digits}g}]"


ROWS = [
    ("rtf", "real-time factor (1 stream)"),
    ("aggregate_rtf", "aggregate real-time factor (all streams)"),
    ("ttfa_ms", "time to first chunk (ms)"),
    ("flow_step_ms", "flow-LM step, alone (ms)"),
    ("mimi_frame_ms", "Mimi frame, alone (ms)"),
    ("mimi_batch_ms", "Mimi frames of all streams, one batch (ms)"),
    ("encode_10s_ms", "10 s voice -> voice state (ms)"),
    ("load_ms", "model load (ms)"),
    ("peak_rss_mb", "peak RSS, VmHWM (MiB)"),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reference")
    ap.add_argument("ours", nargs="+")
    args = ap.parse_args()
    groups = {}
    for path in args.ours:
        run = ours_column(path)
        groups.setdefault(run["label"], []).append(run)
    columns = ([reference_column(args.reference)] if args.reference else []) + [
        merge_rounds(runs) for runs in groups.values()]
    print("| figure | " + " | ".join(c["label"] for c in columns) + " |")
    print("|---|" + "---|" * len(columns))
    for key, label in ROWS:
        print(f"| {label} | " + " | ".join(cell(c.get(key)) for c in columns) + " |")
    ref = columns[0] if args.reference else None
    if ref:
        print("| real-time factor ÷ reference's | " + " | ".join(
            f"{c['rtf']['median'] / ref['rtf']['median']:.2f}" for c in columns) + " |")
    def ratio(c, **same):
        match = [b for b in columns if b is not c and b["precision"] == c["precision"] and
                 all(b.get(k) == v for k, v in same.items())]
        return f"{c['aggregate_rtf'] / match[0]['aggregate_rtf']:.2f}" if match else "-"
    print("| aggregate ÷ 1 thread (same precision and streams) | " + " | ".join(
        ratio(c, threads=1, streams=c["streams"]) if c.get("threads") != 1 else "-"
        for c in columns) + " |")
    print("| aggregate ÷ 1 stream (same precision and threads) | " + " | ".join(
        ratio(c, threads=c.get("threads"), streams=1) if c["streams"] > 1 else "-"
        for c in columns) + " |")

if __name__ == "__main__":
    main()
