"""Building what the benchmark scripts compare: the C yardsticks in bench/ and forklab.

The yardsticks are small C programs shipped with the project: the floors (`spawn_floor.c`,
`race_floor.c`: nothing but system calls, built with `cc -O2 -Wl,-z,now`) and `race.c`, the
article's loop as a C program usually runs it (stdio, a plain `cc -O2` build). Setting
FORKLAB_REFERENCE to a directory builds that directory's copies instead (e.g. to compare
against another version of a floor).
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "out"
# For the floors. -z now: library calls are bound at start-up, so no child pays the lazy
# binding of a call (execve, _exit) its parent never made.
FLOOR_CFLAGS = ["-O2", "-Wl,-z,now"]
# For a program built the usual way.
PLAIN_CFLAGS = ["-O2"]


def source(name: str) -> Path:
    """The C source of yardstick `name`: bench/NAME.c, or $FORKLAB_REFERENCE/NAME.c."""
    directory = Path(os.environ.get("FORKLAB_REFERENCE", REPO / "bench"))
    path = directory / f"{name}.c"
    if not path.is_file():
        hint = " (FORKLAB_REFERENCE is set: unset it to use bench/)" if "FORKLAB_REFERENCE" in os.environ else ""
        sys.exit(f"bench: {path} not found{hint}")
    return path


def build_c(name: str, out_dir: Path = OUT, cflags: list[str] = FLOOR_CFLAGS) -> Path:
    """Compiles yardstick `name` into out_dir; returns the binary (named NAME)."""
    if shutil.which("cc") is None:
        sys.exit("bench: no C compiler: the yardsticks need `cc` (e.g. apt-get install gcc)")
    out_dir.mkdir(parents=True, exist_ok=True)
    binary = out_dir / name
    subprocess.run(["cc", *cflags, "-o", str(binary), str(source(name))], check=True)
    return binary


def build_forklab() -> Path:
    """`cargo build --release -p forklab`; returns the binary."""
    subprocess.run(["cargo", "build", "--release", "--quiet", "-p", "forklab"], cwd=REPO, check=True)
    target = REPO / os.environ.get("CARGO_TARGET_DIR", "target")
    return target / "release" / "forklab"
