#!/usr/bin/env python3
"""Where the time of one spawn+wait goes: the child's own work against the spawner's.

For the C floor (`spawn_floor clone-vfork`), `forklab spawn-cost --strategy auto` and
`--strategy std`, this records scheduler and syscall tracepoints with `perf record` (root) and
splits every spawn+wait cycle (from one fork to the next, in the parent) into:

  child   the child's CPU time from entering execve(2) until it is dead: the kernel's exec,
          the dynamic loader, the program, exit_group and the teardown of its memory. Any
          spawner pays this; it is the program's cost, not the spawner's.
  spawner the rest of the cycle: clone, the child's work before execve, context switches and
          wake-ups, reaping, and the parent's own bookkeeping between spawns.

From these it prints the best ratio any spawner could reach against std on this machine:
std's cycle divided by the floor's child time, as if clone, wake-ups and reaping were free.
Issue 2 asks auto to be at least 1.2x faster than std; if even this bound is below 1.2, the
target cannot be met here by any spawn strategy.

Tracing adds a few microseconds per event to every cycle alike; the ratios are taken within
one traced run of each subject, alternated over rounds.

Usage: sudo bench/spawn_phases.py [--rounds R] [-n N] [--program /bin/true] [--json]
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

from spawn_cost import build
from yardstick import OUT

EVENTS = [
    "sched:sched_process_fork",
    "sched:sched_process_exit",
    "sched:sched_switch",
    "syscalls:sys_enter_execve",
]
LINE = re.compile(r"^\s*(?P<comm>.+?)\s+(?P<pid>\d+)\s+\[\d+\]\s+(?P<ts>\d+\.\d+):\s+(?P<event>\S+):\s*(?P<rest>.*)$")
FIELD = re.compile(r"(\w+)=(\S+)")


def trace(command):
    """Runs `command` under perf record; returns the parsed events, in time order."""
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "perf.data")
        subprocess.run(["perf", "record", "-q", "-a", "-o", data]
                       + [a for e in EVENTS for a in ("-e", e)] + ["--"] + command,
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        text = subprocess.run(["perf", "script", "--ns", "-i", data, "-F", "comm,pid,cpu,time,event,trace"],
                              check=True, capture_output=True, text=True).stdout
    events = []
    for line in text.splitlines():
        m = LINE.match(line)
        if m:
            events.append((float(m["ts"]) * 1e6, int(m["pid"]), m["event"],
                           dict(FIELD.findall(m["rest"]))))
    return events


def phases(events, parent_comm):
    """Per spawn: (cycle_us, child_us), for the forks made by the process named parent_comm."""
    forks = []  # (ts, parent, child)
    exec_at, on_cpu_since, child_cpu, dead = {}, {}, {}, set()
    for ts, pid, event, f in events:
        if event == "sched:sched_process_fork" and f.get("comm") == parent_comm:
            forks.append((ts, int(f["pid"]), int(f["child_pid"])))
        elif event == "syscalls:sys_enter_execve" and pid not in exec_at:
            exec_at[pid] = ts
            on_cpu_since[pid] = ts
            child_cpu[pid] = 0.0
        elif event == "sched:sched_switch":
            prev, nxt = int(f["prev_pid"]), int(f["next_pid"])
            if prev in on_cpu_since and prev not in dead:
                child_cpu[prev] += ts - on_cpu_since.pop(prev)
                if f.get("prev_state", "").startswith(("Z", "X")):
                    dead.add(prev)
            if nxt in exec_at and nxt not in dead:
                on_cpu_since[nxt] = ts
    result = []
    by_parent = {}
    for ts, parent, child in forks:
        by_parent.setdefault(parent, []).append((ts, child))
    for spawns in by_parent.values():
        for (ts, child), (next_ts, _) in zip(spawns, spawns[1:]):
            if child in dead:
                result.append((next_ts - ts, child_cpu[child]))
    return result


def summary(cycles):
    cycle = statistics.median(c for c, _ in cycles)
    child = statistics.median(ch for _, ch in cycles)
    spawner = statistics.median(c - ch for c, ch in cycles)
    return {"spawns": len(cycles), "cycle_us": cycle, "child_us": child, "spawner_us": spawner}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("-n", type=int, default=300)
    p.add_argument("--program", default="/bin/true")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    if os.geteuid() != 0:
        sys.exit("spawn_phases: needs root (perf records scheduler and syscall tracepoints system-wide)")
    if shutil.which("perf") is None:
        sys.exit("spawn_phases: perf not found: install it (Debian: apt-get install linux-perf; "
                 "Ubuntu: linux-tools-$(uname -r); Fedora: perf)")
    floor, forklab = build()
    subjects = {
        "floor": ([str(floor), "clone-vfork", str(args.n), "0", args.program], floor.name),
        "auto": ([str(forklab), "spawn-cost", "--strategy", "auto", "-n", str(args.n),
                  "--parent-mib", "0", "--program", args.program, "--json"], "forklab"),
        "std": ([str(forklab), "spawn-cost", "--strategy", "std", "-n", str(args.n),
                 "--parent-mib", "0", "--program", args.program, "--json"], "forklab"),
    }
    rounds = {name: [] for name in subjects}
    for r in range(args.rounds):
        names = list(subjects) if r % 2 == 0 else list(reversed(subjects))
        for name in names:
            command, comm = subjects[name]
            cycles = phases(trace(command), comm)
            if len(cycles) < args.n // 2:
                sys.exit(f"spawn_phases: only {len(cycles)} spawns of {name} found in the trace")
            rounds[name].append(summary(cycles))
        print(f"  round {r + 1}/{args.rounds}", file=sys.stderr)
    med = {name: {k: statistics.median(s[k] for s in runs) for k in runs[0]}
           for name, runs in rounds.items()}
    bound = med["std"]["cycle_us"] / med["floor"]["child_us"]
    result = {"program": args.program, "n": args.n, "rounds": args.rounds, "subjects": med,
              "std_over_auto": med["std"]["cycle_us"] / med["auto"]["cycle_us"],
              "best_possible_std_over_spawner": bound, "rounds_detail": rounds}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "spawn_phases.json").write_text(json.dumps(result, indent=2))
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"spawn+wait of {args.program} under perf tracing: n={args.n}, {args.rounds} alternating rounds, "
          "medians in µs")
    print(f"{'':>8} {'cycle':>8} {'child':>8} {'spawner':>8}")
    for name, m in med.items():
        print(f"{name:>8} {m['cycle_us']:>8.1f} {m['child_us']:>8.1f} {m['spawner_us']:>8.1f}")
    print(f"std/auto: {result['std_over_auto']:.3f}x")
    print(f"best any spawner could do against std (std cycle / floor child): {bound:.3f}x"
          f"  (issue 2 target: 1.2x)")


if __name__ == "__main__":
    main()
