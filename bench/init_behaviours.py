#!/usr/bin/env python3
"""The same behaviour checks against tini and against `forklab init`, side by side.

Each check runs a command under each init (both as subreapers, not PID 1; with --pid-ns also
as PID 1 of a new PID namespace, through `unshare --pid --fork --mount-proc`, as root) and
compares what happened with what the init contract says. The checks use only the shell and
coreutils, so they say nothing of either implementation's insides:

- exit code passed through (CMD exits 3 -> 3)
- a signal death becomes 128+n (CMD kills itself with SIGTERM -> 143)
- `-e 143` maps that code to 0
- SIGTERM, SIGUSR1, SIGWINCH and SIGRTMIN+3 sent to the init reach CMD (its traps record them)
- `-g`: SIGUSR1 reaches CMD's whole process group (a background job too); without `-g`, CMD alone
- 200 quickly-exiting orphans leave no zombie behind the init
- `-p SIGUSR1`: the init gets SIGUSR1 when its parent dies, and passes it to CMD
- a CMD that does not exist: 127; one that is not executable: 126

Usage: python3 bench/init_behaviours.py [--pid-ns]   (needs tini: apt-get install -y tini)
Exit status: 0 when forklab init passes every check tini passes; 1 otherwise.
"""

import argparse
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from yardstick import build_forklab

TINI = "/usr/bin/tini"
SKIP = "n/a"


def start(argv: list[str], **kwargs) -> subprocess.Popen:
    """Starts argv in a session of its own, so that `end` can find everything it started."""
    return subprocess.Popen(argv, start_new_session=True, **kwargs)


def end(proc: subprocess.Popen) -> None:
    """Kills whatever is left of a session `start` made (CMD included), then reaps."""
    subprocess.run(["pkill", "-KILL", "-s", str(proc.pid)], capture_output=True)
    proc.kill()
    proc.wait()


def wait_for(path: Path, text: str, limit: float = 5.0) -> bool:
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if path.exists() and text in path.read_text():
            return True
        time.sleep(0.01)
    return False


class Init:
    """How to run a CMD under one init implementation, in one mode."""

    def __init__(self, name: str, argv: list[str], pid_ns: bool):
        self.name, self.argv, self.pid_ns = name, argv, pid_ns

    def command(self, flags: list[str], cmd: list[str]) -> list[str]:
        line = [*self.argv, *flags, "--", *cmd]
        if self.pid_ns:
            return ["unshare", "--pid", "--fork", "--mount-proc", *line]
        return line

    def init_pid(self, proc: subprocess.Popen) -> int:
        """The init's pid (under unshare, the child of unshare)."""
        if not self.pid_ns:
            return proc.pid
        for _ in range(500):
            children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
            if children:
                return int(children[0])
            time.sleep(0.01)
        raise RuntimeError("unshare started no init")


def check_exit_codes(init: Init, work: Path) -> str | None:
    for flags, script, want in [
        ([], "exit 3", 3),
        ([], "kill -TERM $$", 143),
        (["-e", "143"], "kill -TERM $$", 0),
    ]:
        got = subprocess.run(init.command(flags, ["sh", "-c", script]), capture_output=True).returncode
        if got != want:
            return f"{flags} {script!r}: exit {got}, expected {want}"
    return None


TRAPS = "for s in USR1 WINCH RTMIN+3; do trap \"echo $s >> {log}\" $s; done; " \
        "trap 'echo TERM >> {log}; exit 0' TERM; echo ready >> {log}; while :; do sleep 0.05; done"


def check_forwarding(init: Init, work: Path) -> str | None:
    log = work / f"forward-{init.name}"
    log.write_text("")
    proc = start(init.command([], ["bash", "-c", TRAPS.format(log=log)]), stderr=subprocess.DEVNULL)
    try:
        if not wait_for(log, "ready"):
            return "CMD never started"
        pid = init.init_pid(proc)
        for name, number in [("USR1", signal.SIGUSR1), ("WINCH", signal.SIGWINCH),
                             ("RTMIN+3", signal.SIGRTMIN + 3), ("TERM", signal.SIGTERM)]:
            os.kill(pid, number)
            if not wait_for(log, name):
                return f"SIG{name} did not reach CMD"
        return None
    finally:
        end(proc)


def check_group(init: Init, work: Path) -> str | None:
    for flags, want_job in [(["-g"], True), ([], False)]:
        log = work / f"group-{init.name}-{bool(flags)}"
        log.write_text("")
        script = (f"sh -c 'trap \"echo job >> {log}\" USR1; echo job-ready >> {log}; "
                  f"while :; do sleep 0.05; done' & "
                  f"trap 'echo cmd >> {log}' USR1; echo ready >> {log}; while :; do sleep 0.05; done")
        proc = start(init.command(flags, ["bash", "-c", script]), stderr=subprocess.DEVNULL)
        try:
            if not (wait_for(log, "ready") and wait_for(log, "job-ready")):
                return "CMD never started"
            os.kill(init.init_pid(proc), signal.SIGUSR1)
            if not wait_for(log, "cmd"):
                return f"{flags}: SIGUSR1 did not reach CMD"
            time.sleep(0.3)
            got_job = "job\n" in log.read_text()
            if got_job != want_job:
                return f"{flags}: the background job {'did not get' if want_job else 'got'} SIGUSR1"
        finally:
            end(proc)
    return None


def check_reaping(init: Init, work: Path) -> str | None:
    # 200 orphans that exit at once, then CMD lingers so that the init is still there.
    script = "for i in $(seq 200); do (sleep 0.01 &) ; done; sleep 1"
    proc = start(init.command([], ["sh", "-c", script]))
    time.sleep(0.8)
    pid = init.init_pid(proc)
    zombies = 0
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    for child in children:
        try:
            state = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        zombies += state == "Z"
    proc.wait()
    end(proc)
    return f"{zombies} zombies left among its children" if zombies else None


def check_parent_death(init: Init, work: Path) -> str | None:
    if init.pid_ns:
        # The init's parent is then unshare(1), which outlives the shell here.
        return SKIP
    log = work / f"pdeath-{init.name}"
    log.write_text("")
    script = f"trap 'echo USR1 >> {log}; exit 0' USR1; echo ready >> {log}; while :; do sleep 0.05; done"
    line = shlex.join(init.command(["-p", "SIGUSR1"], ["bash", "-c", script]))
    # A parent shell that starts the init in the background and then exits: the init's
    # parent dies.
    parent = start(["sh", "-c", f"{line} & sleep 0.5"])
    try:
        if not wait_for(log, "ready"):
            return "CMD never started"
        parent.wait()
        if not wait_for(log, "USR1", 3):
            return "the parent-death signal did not reach CMD"
        return None
    finally:
        end(parent)


def check_cannot_run(init: Init, work: Path) -> str | None:
    not_exec = work / "not-executable"
    not_exec.write_text("#!/bin/sh\n")
    os.chmod(not_exec, 0o644)
    for cmd, want in [(["no-such-program-here"], 127), ([str(not_exec)], 126)]:
        got = subprocess.run(init.command([], cmd), capture_output=True).returncode
        if got != want:
            return f"{cmd[0]}: exit {got}, expected {want}"
    return None


CHECKS = [
    ("exit codes, 128+n, -e", check_exit_codes),
    ("signals reach CMD", check_forwarding),
    ("-g: the whole group", check_group),
    ("200 orphans, no zombie", check_reaping),
    ("-p: parent-death signal", check_parent_death),
    ("127 / 126", check_cannot_run),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pid-ns", action="store_true", help="also as PID 1 of a new PID namespace (root)")
    args = parser.parse_args()
    if not Path(TINI).exists():
        sys.exit("bench/init_behaviours.py: needs tini (apt-get install -y tini)")
    forklab = build_forklab()
    modes = [False, True] if args.pid_ns else [False]
    work = Path(tempfile.mkdtemp(prefix="forklab-init-behaviours-"))
    failures = 0
    try:
        print(f"{'check':<26} {'mode':<10} {'tini':<34} {'forklab init':<34}")
        for pid_ns in modes:
            inits = [Init("tini", [TINI, "-s"], pid_ns), Init("forklab", [str(forklab), "init", "-s"], pid_ns)]
            mode = "PID 1" if pid_ns else "subreaper"
            for title, check in CHECKS:
                results = [check(init, work) for init in inits]
                cells = ["ok" if r is None else r if r == SKIP else f"FAIL: {r}" for r in results]
                print(f"{title:<26} {mode:<10} {cells[0]:<34} {cells[1]:<34}")
                failures += results[1] not in (None, SKIP) and results[0] in (None, SKIP)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
