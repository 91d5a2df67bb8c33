#!/usr/bin/env python3
"""Benchmark: `forklab guard` against fork bombs, measured from outside.

An independent harness: it runs `forklab guard` as a separate daemon (events to a file),
and starts each bomb itself — its own cgroup (v1 pids + freezer, made here, not by forklab),
its own uid, its own clock:
- `c-fork`: bench/bomb.c's `for (;;) fork();`
- `c-vfork-exec`: bench/bomb.c's vfork + exec-yourself loop (the SunOS killer's blind spot)
- `shell`: bash's `:(){ :|:& };:`
For each bomb it measures, from the moment it started the bomb: when the guard's incident was
detected (the incident's wall-clock `detected_at`), when the bomb's cgroup held no task
(`pids.current` polled every millisecond), the peak (`pids.peak`), and survivors after 10 s.
The cgroup's `pids.max` (20000) is only a safety net; the harness empties it (freezer) and
removes it whatever happens.

It also runs a benign burst as another uid (N short processes serially, then two such loops
at once), which must raise no incident, and reads the guard's CPU time while idle and
while handling the bombs (utime + stime from /proc/PID/stat).

Targets (issue 11): each bomb detected, zero tasks within 2000 ms of its start, peak <= 5000,
0 survivors (moonshot: 500 ms, peak 1000); benign: 0 incidents; idle CPU ~ 0.

Usage: python3 bench/guard.py [--rounds R] [--benign N] [--json]   (root, cgroup v1 pids)
"""

import argparse
import datetime
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

BOMB_UID = 61500
BENIGN_UID = 61501
PIDS = Path("/sys/fs/cgroup/pids")
FREEZER = Path("/sys/fs/cgroup/freezer")
CAP = 20000
LIMIT_S = 10.0


class Group:
    """A v1 pids group with a freezer twin, made and removed by the harness."""

    def __init__(self, name: str):
        self.pids = PIDS / name
        self.freezer = FREEZER / name
        self.pids.mkdir()
        self.freezer.mkdir()
        (self.pids / "pids.max").write_text(str(CAP))

    def read(self, file: str) -> str:
        return (self.pids / file).read_text()

    def procs(self) -> list[int]:
        return [int(p) for p in self.read("cgroup.procs").split()]

    def empty(self) -> int:
        """Freezes, SIGKILLs every (frozen, so not recycled) member, thaws, until empty.
        Returns how many processes it had to kill."""
        killed = 0
        state = self.freezer / "freezer.state"
        for _ in range(200):
            if not self.procs():
                return killed
            state.write_text("FROZEN")
            deadline = time.monotonic() + 1
            while state.read_text().strip() != "FROZEN" and time.monotonic() < deadline:
                time.sleep(0.001)
            for pid in [int(p) for p in (self.freezer / "cgroup.procs").read_text().split()]:
                try:
                    os.kill(pid, 9)
                    killed += 1
                except ProcessLookupError:
                    pass
            state.write_text("THAWED")
            time.sleep(0.02)
        raise RuntimeError(f"{self.pids} would not empty")

    def remove(self) -> int:
        killed = self.empty()
        for directory in (self.pids, self.freezer):
            for _ in range(500):
                try:
                    directory.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)
        return killed


def become(uid: int, group: Group | None):
    """A preexec_fn: join the group (both hierarchies), drop to uid, default priority."""

    def child():
        if group is not None:
            (group.pids / "cgroup.procs").write_text("0")
            (group.freezer / "cgroup.procs").write_text("0")
        os.setgroups([uid])
        os.setgid(uid)
        os.setuid(uid)

    return child


def alive_of(uid: int) -> int:
    """Processes of uid that are not zombies."""
    count = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid != uid:
                continue
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        count += state not in ("Z", "X")
    return count


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def incidents(events: Path) -> list[dict]:
    if not events.exists():
        return []
    return [json.loads(line) for line in events.read_text().splitlines() if line.strip()]


def wall(iso: str) -> float:
    return datetime.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def run_bomb(name: str, argv: list[str], events: Path, round_: int) -> dict:
    group = Group(f"forklab-bench-guard-{os.getpid()}-{round_}-{name}")
    seen = len(incidents(events))
    try:
        start_wall = time.time()
        start = time.monotonic()
        bomb = subprocess.Popen(argv, preexec_fn=become(BOMB_UID, group), stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        zero_ms = None
        grew = False
        while time.monotonic() - start < LIMIT_S:
            # cgroup.procs lists live processes only; pids.current also counts dead ones
            # that their new parent (here PID 1) has not reaped yet.
            current = len(group.procs())
            grew = grew or current > 1
            if grew and current == 0:
                zero_ms = (time.monotonic() - start) * 1000
                break
            time.sleep(0.001)
            bomb.poll()
        survivors = alive_of(BOMB_UID)
        peak = int(group.read("pids.peak"))
        refused = int(group.read("pids.events").split()[1])
    finally:
        killed = group.remove()
        try:
            bomb.wait(timeout=5)
        except Exception:
            pass
    time.sleep(0.3)
    found = [i for i in incidents(events)[seen:] if i["uid"] == BOMB_UID]
    detect_ms = (wall(found[0]["detected_at"]) - start_wall) * 1000 if found else None
    return {"detected": bool(found), "detect_ms": detect_ms, "zero_ms": zero_ms, "peak": peak,
            "survivors": survivors, "refused": refused, "harness_killed": killed}


def run_benign(n: int, events: Path) -> dict:
    seen = len(incidents(events))
    script = f"i=0; while [ $i -lt {n} ]; do /bin/true; i=$((i+1)); done"
    start = time.monotonic()
    subprocess.run(["sh", "-c", script], preexec_fn=become(BENIGN_UID, None), check=True)
    serial = time.monotonic() - start
    start = time.monotonic()
    two = [subprocess.Popen(["sh", "-c", script], preexec_fn=become(BENIGN_UID, None)) for _ in range(2)]
    for p in two:
        p.wait()
    parallel = time.monotonic() - start
    # A parallel build: 4 compilers at a time (cc, cc1, as, and the shells around them).
    build = Path(tempfile.mkdtemp(prefix="forklab-bench-build-"))
    os.chmod(build, 0o777)
    source = Path(__file__).resolve().parent / "race.c"
    start = time.monotonic()
    subprocess.run(["sh", "-c", f"seq 200 | xargs -P 4 -I{{}} cc -O2 -c {source} -o {build}/x{{}}.o"],
                   preexec_fn=become(BENIGN_UID, None), check=True)
    build_s = time.monotonic() - start
    shutil.rmtree(build, ignore_errors=True)
    time.sleep(1.5)
    found = [i for i in incidents(events)[seen:] if i["uid"] == BENIGN_UID]
    return {"processes": 3 * n, "incidents": len(found), "serial_s": serial, "parallel_s": parallel,
            "build_compiles": 200, "build_s": build_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--benign", type=int, default=3000, help="short processes per benign loop")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench/guard.py: needs root")
    if not (PIDS / "cgroup.procs").exists() or not (FREEZER / "cgroup.procs").exists():
        sys.exit("bench/guard.py: needs the cgroup v1 pids and freezer hierarchies")
    forklab = build_forklab()
    # Under a bomb an ordinary process barely runs: measure at real-time priority, and let
    # every process started from here (the bombs) begin as an ordinary one.
    os.sched_setscheduler(0, os.SCHED_FIFO | os.SCHED_RESET_ON_FORK, os.sched_param(20))
    work = Path(tempfile.mkdtemp(prefix="forklab-bench-guard-"))
    os.chmod(work, 0o755)
    events = work / "events.jsonl"
    config = work / "guard.toml"
    # Watch only the harness's uids: other users of this machine are none of its business.
    config.write_text(f"only_uids = [{BOMB_UID}, {BENIGN_UID}]\n")
    guard = None
    try:
        bomb_bin = build_c("bomb", work, PLAIN_CFLAGS)
        bombs = {
            "c-fork": [str(bomb_bin), "fork"],
            "c-vfork-exec": [str(bomb_bin), "vfork-exec"],
            "shell": ["bash", "-c", ":(){ :|:& };:"],
        }
        guard = subprocess.Popen([str(forklab), "guard", "--config", str(config), "--events", str(events)],
                                 stderr=subprocess.PIPE, text=True)
        line = guard.stderr.readline()
        if "watching" not in line:
            sys.exit(f"the guard did not start: {line}{guard.stderr.read()}")
        cpu0 = cpu_seconds(guard.pid)
        time.sleep(10)
        idle_cpu = cpu_seconds(guard.pid) - cpu0
        rows = {name: [] for name in bombs}
        cpu0 = cpu_seconds(guard.pid)
        for round_ in range(args.rounds):
            for name, argv in bombs.items():
                rows[name].append(run_bomb(name, argv, events, round_))
                r = rows[name][-1]
                print(f"round {round_ + 1}/{args.rounds} {name}: detected {r['detected']} "
                      f"zero {r['zero_ms']} ms peak {r['peak']}", file=sys.stderr)
                time.sleep(1.2)
        bomb_cpu = cpu_seconds(guard.pid) - cpu0
        benign = run_benign(args.benign, events)
    finally:
        if guard is not None:
            guard.terminate()
            guard.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    summary = {}
    for name, runs in rows.items():
        detects = [r["detect_ms"] for r in runs if r["detect_ms"] is not None]
        zeros = [r["zero_ms"] for r in runs if r["zero_ms"] is not None]
        summary[name] = {
            "detected": sum(r["detected"] for r in runs), "rounds": len(runs),
            "detect_ms_median": statistics.median(detects) if detects else None,
            "detect_ms_max": max(detects) if detects else None,
            "zero_ms_median": statistics.median(zeros) if zeros else None,
            "zero_ms_max": max(zeros) if len(zeros) == len(runs) else None,
            "peak_max": max(r["peak"] for r in runs),
            "survivors": sum(r["survivors"] for r in runs),
            "refused": sum(r["refused"] for r in runs),
        }
    result = {"bombs": summary, "benign": benign, "guard_idle_cpu_s_per_10s": idle_cpu,
              "guard_cpu_s_during_bombs": bomb_cpu, "runs": rows}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"forklab guard (defaults), {args.rounds} rounds; bombs as uid {BOMB_UID} in a cgroup capped at {CAP}")
    print(f"{'bomb':<13} {'caught':>7} {'detect ms med/max':>18} {'zero ms med/max':>16} {'peak max':>9} {'survivors':>10}")
    fmt = lambda v: "-" if v is None else f"{v:.0f}"
    for name, s in summary.items():
        print(f"{name:<13} {s['detected']:>3}/{s['rounds']:<3} {fmt(s['detect_ms_median']):>8}/{fmt(s['detect_ms_max']):<9} "
              f"{fmt(s['zero_ms_median']):>7}/{fmt(s['zero_ms_max']):<8} {s['peak_max']:>9} {s['survivors']:>10}")
    print(f"benign: {benign['processes']} short processes (serial {benign['serial_s']:.1f} s, two at once "
          f"{benign['parallel_s']:.1f} s) and {benign['build_compiles']} compiles 4 at a time "
          f"({benign['build_s']:.1f} s): {benign['incidents']} incidents")
    print(f"guard CPU: {idle_cpu:.2f} s in 10 s idle; {bomb_cpu:.2f} s over all the bomb rounds")


if __name__ == "__main__":
    main()
