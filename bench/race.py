#!/usr/bin/env python3
"""Benchmark: `forklab race --measure stdout --format tlpi` against the C yardstick race.c.

Builds the C yardstick `bench/race.c` (or $FORKLAB_REFERENCE/race.c, when set) with
`cc -O2 -Wl,-z,now` and forklab with `cargo build --release`, then runs the two alternately (C, forklab, C, forklab,
...) with the same N, stdout to a file in a temporary directory, and prints the median
per-trial time of each and the ratio of the medians (forklab / C; below 1 is faster).

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

from yardstick import build_c, build_forklab


def build(tmp: Path) -> tuple[Path, Path]:
    return build_c("race", tmp), build_forklab()


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
        c_binary, forklab = build(tmp)
        programs = {
            "c": [str(c_binary), str(args.n)],
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
    loop_ratio = loop["forklab"] / loop["c"] if loop["c"] and loop["forklab"] else None
    result = {
        "n": args.n,
        "rounds": args.rounds,
        "c_median_us": medians["c"],
        "forklab_median_us": medians["forklab"],
        "ratio": ratio,
        "c_loop_median_us": loop["c"],
        "forklab_loop_median_us": loop["forklab"],
        "loop_ratio": loop_ratio,
        "samples_us": samples,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"forklab race -n {args.n} --measure stdout --format tlpi vs race.c {args.n}, "
          f"{args.rounds} alternating rounds, stdout to a file")
    print(f"{'':10} {'median µs/trial':>16} {'loop only':>10}   samples (µs/trial, whole process)")
    for name in ("c", "forklab"):
        shown = " ".join(f"{s:.1f}" for s in samples[name])
        own = f"{loop[name]:.1f}" if loop[name] else "-"
        print(f"{name:10} {medians[name]:>16.1f} {own:>10}   {shown}")
    loop_text = f" (loop only: {loop_ratio:.3f})" if loop_ratio else ""
    print(f"ratio forklab / C: {ratio:.3f}{loop_text}")


if __name__ == "__main__":
    main()
