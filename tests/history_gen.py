#!/usr/bin/env python3
"""Synthetic qbench results files for the history tests: no measurement.

history_gen.py OUT --commit C --started T [--records N] [--samples S]
    [--scale ID=F ...] [--seed K] [--noise SD] [--dup-metric] [--rounds R]
    [--cpu NAME] [--no-gate ID ...]
history_gen.py --batch < LINES   (one file per line of the same arguments)

Each record ops/kI/fp32 has time (s, lower), gops (GOP/s, higher), bytes
(B, none) and cv; --scale multiplies one record's times (a step or a drift),
--dup-metric gives the last record two 'time' metrics (a file that parses
but that a database refuses half way through); --rounds splits each metric's
samples into R rounds (default 3 when they divide by 3, else 1); --cpu names
another machine; --no-gate marks a record "gate": false."""
import argparse
import json
import random
import shlex
import sys

ap = argparse.ArgumentParser()
ap.add_argument("out", nargs="?")
ap.add_argument("--commit", default="c")
ap.add_argument("--branch", default="")
ap.add_argument("--started", default="2026-01-01T00:00:00Z")
ap.add_argument("--records", type=int, default=6)
ap.add_argument("--samples", type=int, default=9)
ap.add_argument("--scale", action="append", default=[])
ap.add_argument("--seed", type=int, default=1)
ap.add_argument("--noise", type=float, default=0.01)
ap.add_argument("--dup-metric", action="store_true")
ap.add_argument("--batch", action="store_true")
ap.add_argument("--rounds", type=int, default=0)
ap.add_argument("--cpu", default="AMD EPYC")
ap.add_argument("--no-gate", action="append", default=[])


def metric(unit, better, samples, rounds=0):
    rounds = rounds or (3 if len(samples) % 3 == 0 else 1)
    size = len(samples) // rounds
    meds = [sorted(samples[i * size:(i + 1) * size])[size // 2] for i in range(rounds)]
    return {"value": sorted(samples)[len(samples) // 2], "unit": unit, "better": better,
            "samples": samples, "round_medians": meds, "round_sizes": [size] * rounds}


def generate(a):
    rnd = random.Random(a.seed)
    scale = {s.split("=")[0]: float(s.split("=")[1]) for s in a.scale}
    results = []
    for i in range(a.records):
        rid = "ops/k%d/fp32" % i
        base = 1e-4 * (1 + i % 7) * scale.get(rid, 1.0)
        t = [base * (1 + rnd.gauss(0, a.noise)) for _ in range(a.samples)]
        results.append({
            "id": rid, "group": "ops",
            "params": dict({"op": "k%d" % i, "dtype": "fp32", "threads": 1},
                           **({"gate": False} if rid in a.no_gate else {})),
            "metrics": {"time": metric("s", "lower", t, a.rounds),
                        "gops": metric("GOP/s", "higher", [1e-3 / x for x in t], a.rounds),
                        "bytes": {"value": 4096.0 * (i + 1), "unit": "B", "better": "none"},
                        "cv": {"value": a.noise, "unit": "ratio", "better": "lower"}}})
    text = json.dumps({
        "schema": "qbench.results/1",
        "tool": {"name": "qbench", "version": "0.1.0", "git": a.commit, "branch": a.branch,
                 "compiler": "gcc 12.2.0", "flags": "-O3"},
        "machine": {"cpu": a.cpu, "vendor": "AuthenticAMD", "family": 25, "model": 17, "cores": 2,
                    "threads": 2, "core_ghz": 3.2,
                    "caches": [{"level": 1, "type": "data", "bytes": 32768, "shared_by": 1}]},
        "settings": {"repetition": {"quick": True, "rounds": 3}},
        "started": a.started,
        "results": results,
    }, indent=1)
    if a.dup_metric:
        # a second "time" key in the last record's metrics
        cut = text.rindex('"time": {')
        text = text[:cut] + '"time": {"value": 1.0, "unit": "s", "better": "lower"},\n' + text[cut:]
    with open(a.out, "w") as f:
        f.write(text)


args = ap.parse_args()
if args.batch:
    for line in sys.stdin:
        if line.strip():
            generate(ap.parse_args(shlex.split(line)))
else:
    generate(args)
