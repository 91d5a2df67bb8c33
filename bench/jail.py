#!/usr/bin/env python3
"""Benchmark: `forklab jail` containing the article's fork bombs.

Runs `forklab jail --pids-max 64 --timeout 2s` (both settable) around each bomb, as an
unprivileged uid with no passwd entry, R rounds, alternating the bombs:
- `c-fork`, `c-vfork-exec`: bench/bomb.c (`for (;;) fork();`, and the vfork + exec-yourself
  loop), built with `cc -O2`;
- `fork`, `vfork-exec`: the same bombs as forklab's own hidden `__bomb` command;
- `shell`: `bash -c ':(){ :|:& };:'`, the article's line (bash returns at once and jail ends
  the bomb then); `shell-held`: the same with `; exec sleep 30`, so the bomb meets the cap and the
  timeout.

For each it reports the median and worst wall time from starting jail to its return (the
target: under 3 s with a 2 s timeout), the peak task count, forks refused, processes killed,
and what was left: processes of the bomb's uid (zombies included) and jail groups. Both must
be 0. Needs root (cgroups, another uid).

Usage: python3 bench/jail.py [--rounds R] [--pids-max N] [--timeout DUR] [--json]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from yardstick import PLAIN_CFLAGS, build_c, build_forklab

UID = 61200


def processes_of(uid: int) -> int:
    """Processes (zombies included) whose real uid is `uid`."""
    count = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("Uid:"):
                count += int(line.split()[1]) == uid
                break
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pids-max", default="64")
    parser.add_argument("--timeout", default="2s")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench/jail.py: needs root (cgroups, and an unprivileged uid for the bombs)")
    forklab = build_forklab()
    # Built where the bomb's uid can run it.
    out_dir = Path(tempfile.mkdtemp(prefix="forklab-bench-jail-"))
    os.chmod(out_dir, 0o755)
    try:
        bomb = build_c("bomb", out_dir, PLAIN_CFLAGS)
        exe = out_dir / "forklab"
        shutil.copy(forklab, exe)
        bombs = {
            "c-fork": [str(bomb), "fork"],
            "c-vfork-exec": [str(bomb), "vfork-exec"],
            "fork": [str(exe), "__bomb", "fork"],
            "vfork-exec": [str(exe), "__bomb", "vfork-exec"],
            "shell": ["bash", "-c", ":(){ :|:& };:"],
            "shell-held": ["bash", "-c", ":(){ :|:& };:; exec sleep 30"],
        }
        rows = {name: [] for name in bombs}
        for round_ in range(args.rounds):
            for name, command in bombs.items():
                uid = str(UID + round_ % 50)
                argv = [str(exe), "jail", "--json", "--pids-max", args.pids_max, "--timeout",
                        args.timeout, "--user", uid, "--group", uid, "--", *command]
                start = time.perf_counter()
                done = subprocess.run(argv, capture_output=True, text=True)
                wall = time.perf_counter() - start
                if done.returncode not in (0, 124):
                    sys.exit(f"{name}: jail exited {done.returncode}: {done.stderr}")
                summary = json.loads(done.stdout)
                rows[name].append({
                    "wall_s": wall,
                    "peak": summary["peak_tasks"],
                    "refused": summary["forks_refused"],
                    "killed": summary["killed_leftovers"],
                    "left_processes": processes_of(int(uid)),
                    "left_group": Path(summary["cgroup_dir"]).exists(),
                })
                print(f"round {round_ + 1}/{args.rounds} {name}: {wall:.2f} s", file=sys.stderr)
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)
    result = {}
    for name, runs in rows.items():
        walls = [r["wall_s"] for r in runs]
        result[name] = {
            "median_s": statistics.median(walls),
            "max_s": max(walls),
            "peak": max(r["peak"] for r in runs),
            "refused_median": statistics.median(r["refused"] for r in runs),
            "killed_median": statistics.median(r["killed"] for r in runs),
            "left_processes": sum(r["left_processes"] for r in runs),
            "left_groups": sum(r["left_group"] for r in runs),
        }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"forklab jail --pids-max {args.pids_max} --timeout {args.timeout}, {args.rounds} rounds")
    print(f"{'bomb':<13} {'median s':>9} {'worst s':>8} {'peak':>5} {'refused':>9} "
          f"{'killed':>7} {'left procs':>11} {'left groups':>12}")
    for name, r in result.items():
        print(f"{name:<13} {r['median_s']:>9.2f} {r['max_s']:>8.2f} {r['peak']:>5} "
              f"{r['refused_median']:>9.0f} {r['killed_median']:>7.0f} {r['left_processes']:>11} "
              f"{r['left_groups']:>12}")


if __name__ == "__main__":
    main()
