#!/usr/bin/env python3
"""Benchmark: `forklab init` against Debian's tini, side by side, alternating, R rounds.

- reaping: CMD is bench/init_orphans.c, which leaves N (2000) short-lived orphans for the init
  above it to reap. Measured: the init's own CPU time (its process CPU clock, read once it has
  exited but before this script reaps it, so the CPU of what it reaped is not counted), and the
  wall time from starting the init to its exit. Both inits are subreapers (`-s`), not PID 1.
  Targets: CPU <= 1.5x tini's (moonshot 1.0x), wall within 1.1x.
- forwarding: CMD is bench/init_stamp.c, whose SIGTERM handler writes CLOCK_MONOTONIC to a
  pipe; SIGTERM goes to the init, the latency is the stamp minus the time just before kill(2).
  K signals per round, one at a time. Target: median within 1.1x of tini's.
- startup: init's CPU time for CMD /bin/true (what a Rust binary costs before it does anything).
- memory: VmRSS of an idle init (CMD sleep).

Needs `tini` (apt-get install -y tini); builds forklab (release) and the two C programs.
Usage: python3 bench/init.py [--rounds R] [--orphans N] [--signals K] [--json]
"""

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

from yardstick import build_c, build_forklab

TINI = "/usr/bin/tini"


def cpu_clock(pid: int) -> int:
    """The process CPU clock of `pid` (CPUCLOCK_SCHED, as clock_getcpuclockid(3) makes it)."""
    return ((~pid) << 3) | 2


def run_to_zombie(argv: list[str], **popen) -> tuple[float, float, subprocess.Popen]:
    """Runs argv; once it has exited (not yet reaped) returns its CPU seconds and the wall
    seconds since it was started, then reaps it."""
    start = time.monotonic()
    proc = subprocess.Popen(argv, **popen)
    os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
    wall = time.monotonic() - start
    cpu = time.clock_gettime_ns(cpu_clock(proc.pid)) / 1e9
    proc.wait()
    return cpu, wall, proc


def reaping(init: list[str], orphans: Path, n: int) -> tuple[float, float]:
    cpu, wall, proc = run_to_zombie([*init, "--", str(orphans), str(n)])
    if proc.returncode != 0:
        sys.exit(f"bench: {init[0]} exited with {proc.returncode}")
    return cpu, wall


def forwarding(init: list[str], stamp: Path, k: int) -> list[float]:
    """K latencies in microseconds."""
    proc = subprocess.Popen([*init, "--", str(stamp)], stdout=subprocess.PIPE)
    out = proc.stdout
    assert out.read(8) == bytes(8), "the stamp program did not start"
    latencies = []
    for _ in range(k):
        sent = time.monotonic_ns()
        os.kill(proc.pid, signal.SIGTERM)
        got = int.from_bytes(out.read(8), sys.byteorder)
        latencies.append((got - sent) / 1000)
    os.kill(proc.pid, signal.SIGUSR1)  # forwarded: its default action ends the stamp program
    proc.wait()
    return latencies


def startup(init: list[str]) -> float:
    cpu, _, _ = run_to_zombie([*init, "--", "/bin/true"])
    return cpu


def idle_rss_kib(init: list[str]) -> int:
    proc = subprocess.Popen([*init, "--", "sleep", "30"])
    time.sleep(0.3)
    status = Path(f"/proc/{proc.pid}/status").read_text()
    rss = next(int(l.split()[1]) for l in status.splitlines() if l.startswith("VmRSS:"))
    os.kill(proc.pid, signal.SIGTERM)
    proc.wait()
    return rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--orphans", type=int, default=2000)
    parser.add_argument("--signals", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not Path(TINI).is_file():
        sys.exit("bench: needs Debian's tini at /usr/bin/tini (apt-get install -y tini)")
    forklab = build_forklab()
    orphans, stamp = build_c("init_orphans"), build_c("init_stamp")
    inits = {"tini": [TINI, "-s"], "forklab": [str(forklab), "init", "-s"]}
    samples = {name: {"cpu": [], "wall": [], "latency": [], "startup": []} for name in inits}
    for r in range(args.rounds):
        order = list(inits) if r % 2 == 0 else list(reversed(inits))
        for name in order:
            cpu, wall = reaping(inits[name], orphans, args.orphans)
            samples[name]["cpu"].append(cpu)
            samples[name]["wall"].append(wall)
            samples[name]["startup"].append(startup(inits[name]))
        for name in order:
            samples[name]["latency"].extend(forwarding(inits[name], stamp, args.signals))
        print(f"round {r + 1}/{args.rounds}", file=sys.stderr)
    rss = {name: idle_rss_kib(argv) for name, argv in inits.items()}
    med = {n: {k: statistics.median(v) for k, v in s.items()} for n, s in samples.items()}
    result = {
        "rounds": args.rounds,
        "orphans": args.orphans,
        "signals_per_round": args.signals,
        "median": med,
        "ratio": {k: med["forklab"][k] / med["tini"][k] for k in med["tini"]},
        "idle_rss_kib": rss,
        "tini": subprocess.run([TINI, "--version"], capture_output=True, text=True).stdout.strip(),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    rows = [
        ("reaping: init CPU (ms)", "cpu", 1e3, "<= 1.5x (moonshot 1.0x)"),
        ("reaping: wall (ms)", "wall", 1e3, "<= 1.1x"),
        ("forwarding: SIGTERM latency (us)", "latency", 1, "<= 1.1x"),
        ("startup: init CPU, CMD /bin/true (ms)", "startup", 1e3, "-"),
    ]
    print(f"{'median':40} {'tini':>10} {'forklab':>10} {'ratio':>7}  target")
    for label, key, scale, target in rows:
        t, f = med["tini"][key] * scale, med["forklab"][key] * scale
        print(f"{label:40} {t:10.3f} {f:10.3f} {f / t:6.2f}x  {target}")
    print(f"{'idle VmRSS (KiB)':40} {rss['tini']:10} {rss['forklab']:10} "
          f"{rss['forklab'] / rss['tini']:6.2f}x")
    print(f"{args.rounds} rounds, {args.orphans} orphans, {args.signals} signals per round; "
          f"{result['tini']}")


if __name__ == "__main__":
    main()
