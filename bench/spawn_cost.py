#!/usr/bin/env python3
"""Side-by-side benchmark of `forklab spawn-cost` against the bare C floor.

Builds the C yardstick `bench/spawn_floor.c` (or $FORKLAB_REFERENCE/spawn_floor.c, when set)
and forklab (cargo build --release), then for each parent size runs,
alternately (A B, B A, A B, ...), `spawn_floor clone-vfork N MIB PROGRAM` and
`forklab spawn-cost --strategy auto,std -n N --parent-mib MIB --json` (auto and std interleaved
spawn by spawn inside forklab), then `forklab spawn-cost --strategy fork-exec` on its own (a
fork write-protects the parent's memory, and the faults that follow would be charged to
whatever spawn came next). Every figure is the median over rounds of each run's median; ratios
are ratios of those medians, and beside them the median of the rounds' own ratios (each
round's runs are minutes apart at most, so this one is less moved by the machine's drift).

Then, at 0 MiB, the environment's share: the example `spawn_threaded` (forklab-spawn, auto)
from a process with one thread, which passes its environment as it is, and with a second idle
thread, which copies it under std's lock for every spawn, alternated with the floor.

Targets: auto <= 1.05x the C floor (issue 2, and again with the environment copied, issue 8);
auto at least 1.2x faster than std (issue 2, not reachable here: see the README).

Usage: bench/spawn_cost.py [--rounds R] [-n N] [--parent-mib 0,1024] [--program /bin/true] [--json]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

from yardstick import OUT, REPO, build_c, build_forklab


def build():
    """The floor's binary, forklab's and the spawn_threaded example's, freshly built."""
    subprocess.run(["cargo", "build", "--release", "--quiet", "-p", "forklab-spawn", "--example",
                    "spawn_threaded"], cwd=REPO, check=True)
    target = REPO / os.environ.get("CARGO_TARGET_DIR", "target")
    return build_c("spawn_floor"), build_forklab(), target / "release" / "examples" / "spawn_threaded"


def run_example(example, n, program, with_thread):
    argv = [str(example)] + (["--with-thread"] if with_thread else []) + [str(n), program]
    return float(subprocess.run(argv, check=True, capture_output=True, text=True).stdout.split()[0])


def round_ratio(runs, a, b):
    """The median of the rounds' own ratios a/b."""
    return statistics.median(x / y for x, y in zip(runs[a], runs[b]))


def measure_threaded(args, floor, example):
    """Alternates the floor and the example with one thread and with two, at 0 MiB."""
    runs = {"floor": [], "one": [], "two": []}
    for r in range(args.rounds):
        order = list(runs)[r % 3:] + list(runs)[:r % 3]
        for who in order:
            if who == "floor":
                runs[who].append(run_floor(floor, args.n, 0, args.program))
            else:
                runs[who].append(run_example(example, args.n, args.program, who == "two"))
        print(f"  threads round {r + 1}/{args.rounds}", file=sys.stderr)
    med = {k: statistics.median(v) for k, v in runs.items()}
    return {
        "floor_us": med["floor"], "one_thread_us": med["one"], "two_threads_us": med["two"],
        "one_over_floor": med["one"] / med["floor"], "two_over_floor": med["two"] / med["floor"],
        "one_over_floor_by_round": round_ratio(runs, "one", "floor"),
        "two_over_floor_by_round": round_ratio(runs, "two", "floor"),
        "copy_us": med["two"] - med["one"], "runs": runs,
    }


def run_floor(floor, n, mib, program):
    out = subprocess.run([str(floor), "clone-vfork", str(n), str(mib), program],
                         check=True, capture_output=True, text=True).stdout.split()
    return float(out[2])  # MODE MIB median p10 p90


def run_forklab(forklab, n, mib, program, strategies):
    out = subprocess.run([str(forklab), "spawn-cost", "--strategy", ",".join(strategies), "-n", str(n),
                          "--parent-mib", str(mib), "--program", program, "--json"],
                         check=True, capture_output=True, text=True).stdout
    return {cell["strategy"]: cell["median_us"] for cell in json.loads(out)["results"]}


def measure(args, floor, forklab):
    strategies = ["auto", "std"]
    sizes = []
    for mib in args.parent_mib:
        runs = {"floor": []} | {s: [] for s in strategies + ["fork-exec"]}
        for r in range(args.rounds):
            order = ["floor", "forklab"] if r % 2 == 0 else ["forklab", "floor"]
            for who in order:
                if who == "floor":
                    runs["floor"].append(run_floor(floor, args.n, mib, args.program))
                else:
                    for s, median in run_forklab(forklab, args.n, mib, args.program, strategies).items():
                        runs[s].append(median)
            fork_n = max(args.n // 3, 10)
            runs["fork-exec"] += run_forklab(forklab, fork_n, mib, args.program, ["fork-exec"]).values()
            print(f"  {mib} MiB round {r + 1}/{args.rounds}", file=sys.stderr)
        med = {k: statistics.median(v) for k, v in runs.items()}
        sizes.append({
            "parent_mib": mib,
            "floor_us": med["floor"], "auto_us": med["auto"], "std_us": med["std"],
            "fork_exec_us": med["fork-exec"],
            "auto_over_floor": med["auto"] / med["floor"],
            "auto_over_floor_by_round": round_ratio(runs, "auto", "floor"),
            "std_over_auto": med["std"] / med["auto"],
            "fork_exec_over_auto": med["fork-exec"] / med["auto"],
            "runs": runs,
        })
    return sizes


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("-n", type=int, default=300)
    p.add_argument("--parent-mib", type=lambda s: [int(x) for x in s.split(",")], default=[0, 1024])
    p.add_argument("--program", default="/bin/true")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    floor, forklab, example = build()
    sizes = measure(args, floor, forklab)
    threaded = measure_threaded(args, floor, example)
    result = {"program": args.program, "n": args.n, "rounds": args.rounds, "sizes": sizes,
              "threads": threaded}
    (OUT / "spawn_cost.json").write_text(json.dumps(result, indent=2))
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"spawn+wait of {args.program}: n={args.n} per run, {args.rounds} alternating rounds, medians in µs")
    print(f"{'parent':>8} {'C floor':>9} {'auto':>9} {'std':>9} {'fork-exec':>10} "
          f"{'auto/floor':>11} {'(by round)':>10} {'std/auto':>9} {'fork/auto':>10}")
    for s in sizes:
        print(f"{s['parent_mib']:>4} MiB {s['floor_us']:>9.1f} {s['auto_us']:>9.1f} {s['std_us']:>9.1f} "
              f"{s['fork_exec_us']:>10.1f} {s['auto_over_floor']:>10.3f}x "
              f"{s['auto_over_floor_by_round']:>9.3f}x {s['std_over_auto']:>8.3f}x "
              f"{s['fork_exec_over_auto']:>9.1f}x")
    t = threaded
    print(f"0 MiB, auto from the spawn_threaded example: floor {t['floor_us']:.1f}, one thread "
          f"{t['one_thread_us']:.1f} ({t['one_over_floor']:.3f}x, by round "
          f"{t['one_over_floor_by_round']:.3f}x), two threads (environment copied) "
          f"{t['two_threads_us']:.1f} ({t['two_over_floor']:.3f}x, by round "
          f"{t['two_over_floor_by_round']:.3f}x): the copy costs {t['copy_us']:.1f} us")
    print("targets: auto/floor <= 1.05 (also with the environment copied); std/auto >= 1.2")


if __name__ == "__main__":
    main()
