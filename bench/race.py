#!/usr/bin/env python3
"""Benchmark: `forklab race --measure stdout --format tlpi` against the C yardsticks.

Builds `bench/race.c` (the article's loop as a C program: stdio, `cc -O2`), the floor
`bench/race_floor.c` (the same loop with nothing but system calls, `cc -O2 -Wl,-z,now`) and
forklab (`cargo build --release`); $FORKLAB_REFERENCE/NAME.c replaces a yardstick when set.
Then runs the three alternately (C, floor, forklab, C, floor, forklab, ...) with the same N,
stdout to a file in a temporary directory, and prints the median per-trial time of each and
the ratios of the medians: forklab / C (the target: at most 1.0) and forklab / floor (what is
left above bare system calls).

Per-trial time is the wall time of the whole process (start-up included) divided by N,
measured here the same way for both. The times each program reports about its own loop
(race.c: "elapsed", forklab: its stderr summary) are shown too. Every run's output is checked
to have exactly 2N lines.

Usage: python3 bench/race.py [-n N] [--rounds R] [--json]
"""

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from yardstick import PLAIN_CFLAGS, build_c, build_forklab

NAMES = ("c", "floor", "forklab")


def run_once(argv: list[str], out: Path, n: int) -> tuple[float, float | None]:
    """Runs argv with stdout to `out`; returns (wall s, the program's own loop time s)."""
    with open(out, "wb") as stdout:
        start = time.perf_counter()
        done = subprocess.run(argv, stdout=stdout, stderr=subprocess.PIPE, check=True)
        wall = time.perf_counter() - start
    with open(out, "rb") as f:
        lines = sum(1 for _ in f)
    if lines != 2 * n:
        sys.exit(f"race.py: {argv[0]} wrote {lines} lines, expected {2 * n}")
    err = done.stderr.decode(errors="replace")
    own = re.search(r"elapsed ([0-9.]+) s|trials in ([0-9.]+) s", err)
    inner = float(own.group(1) or own.group(2)) if own else None
    return wall, inner


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20000, help="trials per run (default 20000)")
    parser.add_argument("--rounds", type=int, default=7, help="runs of each, alternating (default 7, at least 5)")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args()
    if args.n < 1 or args.rounds < 5:
        sys.exit("race.py: -n must be at least 1 and --rounds at least 5")
    with tempfile.TemporaryDirectory(prefix="forklab-race-bench-") as tmp:
        tmp = Path(tmp)
        c_binary = build_c("race", tmp, PLAIN_CFLAGS)
        floor = build_c("race_floor", tmp)
        forklab = build_forklab()
        programs = {
            "c": [str(c_binary), str(args.n)],
            "floor": [str(floor), str(args.n)],
            "forklab": [str(forklab), "race", "-n", str(args.n), "--measure", "stdout", "--format", "tlpi"],
        }
        samples = {name: [] for name in programs}
        inner = {name: [] for name in programs}
        for _ in range(args.rounds):
            for name, argv in programs.items():
                wall, own = run_once(argv, tmp / f"{name}.txt", args.n)
                samples[name].append(wall * 1e6 / args.n)
                if own is not None:
                    inner[name].append(own * 1e6 / args.n)
    report(args, samples, inner)


def report(args, samples: dict, inner: dict) -> None:
    medians = {name: statistics.median(s) for name, s in samples.items()}
    loop = {name: statistics.median(s) if s else None for name, s in inner.items()}
    ratio = medians["forklab"] / medians["c"]
    floor_ratio = medians["forklab"] / medians["floor"]
    loop_ratio = loop["forklab"] / loop["c"] if loop["c"] and loop["forklab"] else None
    result = {
        "n": args.n,
        "rounds": args.rounds,
        "c_median_us": medians["c"],
        "floor_median_us": medians["floor"],
        "forklab_median_us": medians["forklab"],
        "ratio": ratio,
        "floor_ratio": floor_ratio,
        "c_loop_median_us": loop["c"],
        "floor_loop_median_us": loop["floor"],
        "forklab_loop_median_us": loop["forklab"],
        "loop_ratio": loop_ratio,
        "samples_us": samples,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"forklab race -n {args.n} --measure stdout --format tlpi vs race.c and race_floor.c "
          f"{args.n}, {args.rounds} alternating rounds, stdout to a file")
    print(f"{'':10} {'median µs/trial':>16} {'loop only':>10}   samples (µs/trial, whole process)")
    for name in NAMES:
        shown = " ".join(f"{s:.1f}" for s in samples[name])
        own = f"{loop[name]:.1f}" if loop[name] else "-"
        print(f"{name:10} {medians[name]:>16.1f} {own:>10}   {shown}")
    loop_text = f" (loop only: {loop_ratio:.3f})" if loop_ratio else ""
    print(f"ratio forklab / C: {ratio:.3f}{loop_text}   (target: at most 1.0)")
    print(f"ratio forklab / floor: {floor_ratio:.3f}   (bare system calls; no target)")


if __name__ == "__main__":
    main()
