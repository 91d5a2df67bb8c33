//! `forklab init`: exit statuses, every forwarded signal, `-g`, reaping, the subreaper, `-e`,
//! `-p`, `--grace`, and bad input — each where init is PID 1 of a new PID namespace (root,
//! `unshare`) and where it is not.

use crate::support::{error_line, forklab, is_root, skip};
use forklab_spawn::{PidFd, Signal};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where init runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// A child of the test: not PID 1, so a child subreaper.
    Plain,
    /// PID 1 of a new PID namespace: `unshare --pid --fork --mount-proc forklab init …`.
    Pid1,
}

/// The modes that can run here; says why PID 1 cannot, when it cannot.
fn modes() -> Vec<Mode> {
    if !is_root() {
        skip("the PID 1 half: a new PID namespace needs root");
        return vec![Mode::Plain];
    }
    let unshare = Command::new("unshare")
        .args(["--pid", "--fork", "--mount-proc", "true"])
        .status();
    if !unshare.is_ok_and(|s| s.success()) {
        skip("the PID 1 half: `unshare --pid --fork --mount-proc true` fails here");
        return vec![Mode::Plain];
    }
    vec![Mode::Plain, Mode::Pid1]
}

/// `forklab init ARGS…` in `mode`.
fn init(mode: Mode, args: &[&str]) -> Command {
    let bin = assert_cmd::cargo::cargo_bin("forklab");
    let mut command = match mode {
        Mode::Plain => Command::new(&bin),
        Mode::Pid1 => {
            let mut c = Command::new("unshare");
            c.args(["--pid", "--fork", "--mount-proc"]).arg(&bin);
            c
        }
    };
    command.arg("init").args(args).stdin(Stdio::null());
    command
}

/// Runs init to the end (at most 10 s) and returns its exit code and stderr.
fn run(mode: Mode, args: &[&str]) -> (i32, String) {
    let mut child = init(mode, args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let code = finish(&mut child, Duration::from_secs(10));
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    (code, stderr)
}

/// Waits at most `limit` for `child`, killing it past that; its exit code.
fn finish(child: &mut Child, limit: Duration) -> i32 {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().expect("init exits, it is not killed");
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("init still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// init's own pid as seen from here: the child, or the child of `unshare`.
fn init_pid(mode: Mode, child: &Child) -> i32 {
    let pid = child.id() as i32;
    if mode == Mode::Plain {
        return pid;
    }
    let children = format!("/proc/{pid}/task/{pid}/children");
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(3) {
        let list = std::fs::read_to_string(&children).unwrap_or_default();
        if let Some(first) = list.split_whitespace().next() {
            return first.parse().unwrap();
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    panic!("unshare started no init");
}

/// Sends signal `sig` to `pid` through a pidfd.
fn send(pid: i32, sig: i32) {
    let pid = rustix::process::Pid::from_raw(pid).unwrap();
    let fd = rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty()).unwrap();
    PidFd::from(fd)
        .send_signal(Signal::new(sig).unwrap())
        .unwrap();
}

/// Whether `file` has the line `line` within `limit`.
fn wait_for_line(file: &Path, line: &str, limit: Duration) -> bool {
    let start = Instant::now();
    loop {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        if text.lines().any(|l| l == line) {
            return true;
        }
        if start.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A shell script that records each signal it gets as a line in FILE (`TERM` ends it), after
/// writing `ready`; with a second argument it first starts a copy of itself recording there.
fn recorder(dir: &Path) -> PathBuf {
    let script = dir.join("record.sh");
    let rt = forklab_init::parse_signal("SIGRTMIN+3").unwrap().as_raw();
    let text = format!(
        "[ -n \"$2\" ] && sh \"$0\" \"$2\" &\n\
         for s in HUP INT QUIT USR1 USR2 ALRM WINCH TSTP CONT TTIN TTOU {rt}; do\n\
         trap \"echo $s >> $1\" $s\n\
         done\n\
         trap \"echo TERM >> $1; exit 0\" TERM\n\
         echo ready >> \"$1\"\n\
         while :; do sleep 0.02; done\n"
    );
    std::fs::write(&script, text).unwrap();
    script
}

const SIGNALS: [(&str, i32); 11] = [
    ("HUP", 1),
    ("INT", 2),
    ("QUIT", 3),
    ("USR1", 10),
    ("USR2", 12),
    ("ALRM", 14),
    ("WINCH", 28),
    ("TSTP", 20),
    ("CONT", 18),
    ("TTIN", 21),
    ("TTOU", 22),
];

#[test]
fn init_passes_exit_codes_and_signal_deaths_on() {
    for mode in modes() {
        assert_eq!(run(mode, &["--", "sh", "-c", "exit 3"]).0, 3, "{mode:?}");
        assert_eq!(run(mode, &["sh", "-c", "kill -TERM $$"]).0, 143, "{mode:?}");
        assert_eq!(run(mode, &["sh", "-c", "kill -USR1 $$"]).0, 138, "{mode:?}");
        assert_eq!(
            run(mode, &["-e", "143", "--", "sh", "-c", "kill -TERM $$"]).0,
            0
        );
        let remapped = ["-e", "3", "-e", "4", "--", "sh", "-c", "exit 4"];
        assert_eq!(run(mode, &remapped).0, 0, "{mode:?}");
        assert_eq!(run(mode, &["-e", "3", "--", "sh", "-c", "exit 5"]).0, 5);
    }
}

#[test]
fn init_forwards_each_signal_to_cmd() {
    let rt = forklab_init::parse_signal("SIGRTMIN+3").unwrap().as_raw();
    let signals = SIGNALS.iter().copied().chain([("", rt)]);
    let signals: Vec<(String, i32)> = signals
        .map(|(name, n)| {
            (
                if name.is_empty() {
                    n.to_string()
                } else {
                    name.into()
                },
                n,
            )
        })
        .collect();
    for mode in modes() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("signals");
        let script = recorder(dir.path());
        let log_arg = log.to_str().unwrap();
        let mut child = init(mode, &["--", "sh", script.to_str().unwrap(), log_arg])
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let pid = init_pid(mode, &child);
        assert!(wait_for_line(&log, "ready", Duration::from_secs(5)));
        for (name, number) in &signals {
            send(pid, *number);
            let arrived = wait_for_line(&log, name, Duration::from_secs(3));
            if !arrived {
                send(pid, 9);
            }
            assert!(arrived, "{mode:?}: SIG{name} did not reach CMD");
        }
        send(pid, 15);
        assert_eq!(finish(&mut child, Duration::from_secs(5)), 0, "{mode:?}");
        assert!(wait_for_line(&log, "TERM", Duration::ZERO));
    }
}

#[test]
fn init_g_reaches_the_whole_group_and_without_it_cmd_alone() {
    for mode in modes() {
        for group in [true, false] {
            let dir = tempfile::tempdir().unwrap();
            let (cmd_log, other_log) = (dir.path().join("cmd"), dir.path().join("other"));
            let script = recorder(dir.path());
            let mut args = vec!["--grace", "2s"];
            if group {
                args.push("-g");
            }
            let logs = [cmd_log.to_str().unwrap(), other_log.to_str().unwrap()];
            args.extend(["--", "sh", script.to_str().unwrap(), logs[0], logs[1]]);
            let mut child = init(mode, &args).stderr(Stdio::null()).spawn().unwrap();
            let pid = init_pid(mode, &child);
            assert!(wait_for_line(&cmd_log, "ready", Duration::from_secs(5)));
            assert!(wait_for_line(&other_log, "ready", Duration::from_secs(5)));
            send(pid, 10);
            assert!(wait_for_line(&cmd_log, "USR1", Duration::from_secs(3)));
            let reached = wait_for_line(&other_log, "USR1", Duration::from_millis(300));
            send(pid, 15);
            assert_eq!(finish(&mut child, Duration::from_secs(5)), 0);
            assert_eq!(reached, group, "{mode:?}, -g {group}");
            // Without -g the other recorder gets its TERM from --grace, after CMD's exit.
            assert!(
                wait_for_line(&other_log, "TERM", Duration::ZERO),
                "{mode:?}"
            );
        }
    }
}

#[test]
fn init_reaps_200_quickly_exiting_orphans_leaving_no_zombie() {
    // CMD leaves 200 orphans, then waits until init has no child but CMD (zombies are
    // children until reaped): exit 0, or 1 with the count after 2 s.
    let script = "for i in $(seq 200); do (sleep 0 &); done; i=0; \
                  while [ $i -lt 200 ]; do \
                  n=$(cat /proc/$PPID/task/*/children | wc -w); \
                  [ \"$n\" -le 1 ] && exit 0; sleep 0.01; i=$((i+1)); done; \
                  echo \"$n children of init left\" >&2; exit 1";
    for mode in modes() {
        let (code, stderr) = run(mode, &["-v", "--", "sh", "-c", script]);
        assert_eq!(code, 0, "{mode:?}: {stderr}");
        let reaped = stderr
            .lines()
            .filter(|l| l.contains("reaped an orphan"))
            .count();
        assert_eq!(reaped, 200, "{mode:?}: {stderr}");
    }
}

#[test]
fn init_is_a_subreaper_outside_a_namespace() {
    // The orphan's parent must be init ($PPID of CMD), not the machine's init.
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("orphan");
    let script = format!(
        "(sleep 3 & echo $! > {0}); p=$(cat {0}); \
         ppid=$(sed 's/.*) //' /proc/$p/stat | cut -d' ' -f2); \
         [ \"$ppid\" = \"$PPID\" ] || {{ echo \"parent $ppid, not $PPID\" >&2; exit 1; }}",
        pidfile.display()
    );
    let (code, stderr) = run(Mode::Plain, &["--grace", "1s", "--", "sh", "-c", &script]);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn init_grace_leaves_no_descendant() {
    // One descendant ignores SIGTERM (so needs the SIGKILL), one is an orphan; both hold
    // init's stdout, so reading it to the end proves that none is left.
    // CMD exits only once the first one ignores SIGTERM, or SIGTERM could beat its trap.
    let dir = tempfile::tempdir().unwrap();
    let ready = dir.path().join("ignoring");
    let script = format!(
        "(trap '' TERM; : > {0}; exec sleep 5) & (sleep 5 &); \\
         while [ ! -e {0} ]; do sleep 0.01; done; echo started; exit 4",
        ready.display()
    );
    let script = script.as_str();
    for mode in modes() {
        let start = Instant::now();
        let _ = std::fs::remove_file(&ready);
        let out = init(mode, &["--grace", "200ms", "--", "sh", "-c", script])
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let elapsed = start.elapsed();
        assert_eq!(out.status.code(), Some(4), "{mode:?}");
        assert_eq!(out.stdout, b"started\n");
        assert!(
            elapsed >= Duration::from_millis(200),
            "{mode:?}: {elapsed:?}"
        );
        assert!(elapsed < Duration::from_secs(3), "{mode:?}: {elapsed:?}");
    }
}

#[test]
fn init_p_forwards_the_parent_death_signal() {
    // Init's parent (a shell here; `unshare` for PID 1, whose parent is outside the
    // namespace) is killed; init gets SIGTERM from the kernel and forwards it to CMD, which
    // records it and exits: init ends with it.
    for mode in modes() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("signals");
        let script = recorder(dir.path());
        let init_args = ["-p", "SIGTERM", "--", "sh", script.to_str().unwrap()];
        let mut command = init(mode, &init_args);
        command.arg(&log);
        let mut parent = match mode {
            Mode::Plain => {
                let mut sh = Command::new("sh");
                sh.args([
                    "-c",
                    "\"$@\" & wait",
                    "sh",
                    command.get_program().to_str().unwrap(),
                ]);
                sh.args(command.get_args())
                    .stdin(Stdio::null())
                    .spawn()
                    .unwrap()
            }
            Mode::Pid1 => command.spawn().unwrap(),
        };
        assert!(
            wait_for_line(&log, "ready", Duration::from_secs(5)),
            "{mode:?}"
        );
        parent.kill().unwrap();
        parent.wait().unwrap();
        assert!(
            wait_for_line(&log, "TERM", Duration::from_secs(3)),
            "{mode:?}"
        );
    }
}

#[test]
fn init_sleeps_while_cmd_runs() {
    let mut child = init(Mode::Plain, &["sleep", "5"]).spawn().unwrap();
    let switches = || {
        let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
        let lines = status.lines().filter(|l| l.contains("ctxt_switches"));
        lines.map(str::to_string).collect::<Vec<_>>()
    };
    std::thread::sleep(Duration::from_millis(200));
    let before = switches();
    std::thread::sleep(Duration::from_millis(300));
    let after = switches();
    send(child.id() as i32, 15);
    assert_eq!(finish(&mut child, Duration::from_secs(5)), 143);
    assert_eq!(before, after, "init woke up while idle");
}

#[test]
fn init_arguments_after_cmd_reach_it_unchanged() {
    let out = forklab([
        "init",
        "--",
        "sh",
        "-c",
        "echo \"$@\"",
        "x",
        "-g",
        "-e",
        "1",
        "--grace",
    ])
    .output()
    .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "-g -e 1 --grace\n");
    let out = forklab(["init", "-g", "echo", "-v", "--", "-p"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "-v -- -p\n");
    assert!(out.status.success());
}

#[test]
fn init_cmd_not_found_is_127_not_executable_126() {
    for (cmd, code) in [("/nonexistent/cmd", 127), ("no-such-command-here", 127)] {
        // A PATH of directories anyone may search: one the user may not enter (root's own,
        // when the tests run as another user) makes the search end in EACCES, a 126.
        let out = forklab(["init", "--", cmd])
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.starts_with("forklab: error: cannot run"), "{stderr}");
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("data");
    std::fs::write(&file, "#!/bin/sh\n").unwrap();
    let out = forklab(["init".as_ref(), "--".as_ref(), file.as_os_str()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(126), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("Permission denied"), "{stderr}");
}

#[test]
fn init_bad_flags_are_usage_errors() {
    assert!(error_line(["init", "--bogus", "--", "true"]).contains("--bogus"));
    assert!(error_line(["init", "-x", "true"]).contains("-x"));
    assert!(error_line(["init"]).contains("CMD"));
    assert!(error_line(["init", "-e", "256", "true"]).contains("256"));
    assert!(error_line(["init", "-e", "x", "true"]).contains("-e"));
    assert!(error_line(["init", "-p", "NOPE", "true"]).contains("not a signal"));
    assert!(error_line(["init", "--grace", "soon", "true"]).contains("duration"));
}

/// On a terminal (a pseudo-terminal from script(1)), CMD's own process group gets the
/// foreground, as under tini (with -g too: tini does it whatever -g says), and init is not
/// stopped by the terminal signals that come with it.
#[test]
fn init_gives_cmd_the_terminal() {
    let exe = assert_cmd::cargo::cargo_bin("forklab");
    let probe = "ps -o pid=,pgid=,tpgid= -p $$";
    for flags in [&[][..], &["-g"]] {
        let line = format!(
            "{} init {} -- sh -c '{probe}'",
            exe.display(),
            flags.join(" ")
        );
        let out = Command::new("script")
            .args(["-qec", &line, "/dev/null"])
            .output();
        let Ok(out) = out else {
            return skip("script(1) is not installed: no pseudo-terminal to test with");
        };
        let text = String::from_utf8_lossy(&out.stdout);
        let ids: Vec<i64> = text
            .split_whitespace()
            .filter_map(|n| n.parse().ok())
            .collect();
        assert_eq!(ids.len(), 3, "{flags:?}: {text}");
        let (pid, pgid, foreground) = (ids[0], ids[1], ids[2]);
        assert_eq!(pgid, pid, "{flags:?}: CMD leads a group of its own");
        assert_eq!(
            foreground, pgid,
            "{flags:?}: CMD's group is in the foreground"
        );
        assert_eq!(out.status.code(), Some(0), "{flags:?}: init ran to the end");
    }
}

/// Review fixes: each one fails on the code before it.
mod after_review {
    use super::*;

    fn exe() -> PathBuf {
        assert_cmd::cargo::cargo_bin("forklab")
    }

    #[test]
    fn an_ignored_sigchld_inherited_from_the_caller_does_not_hide_cmds_end() {
        // An ignored SIGCHLD survives execve; with it the kernel reaps CMD itself and init
        // would wait for ever.
        let line = format!(
            "trap '' CHLD; exec {} init -- sh -c 'exit 7'",
            exe().display()
        );
        let mut child = Command::new("sh").args(["-c", &line]).spawn().unwrap();
        assert_eq!(finish(&mut child, Duration::from_secs(10)), 7);
    }

    #[test]
    fn signal_32_is_forwarded_not_obeyed() {
        let mut child = Command::new(exe())
            .args(["init", "--", "sleep", "5"])
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(300));
        send(child.id() as i32, 32);
        // sleep dies of signal 32; init lives to report it.
        assert_eq!(finish(&mut child, Duration::from_secs(5)), 128 + 32);
    }

    #[test]
    fn with_grace_a_stop_request_ends_every_descendant() {
        let script = "trap '' TERM; sleep 31 & sleep 31 & wait";
        let mut child = Command::new(exe())
            .args(["init", "--grace", "500ms", "--", "sh", "-c", script])
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(300));
        let start = Instant::now();
        send(child.id() as i32, 15);
        // CMD ignores SIGTERM: the grace period ends it with SIGKILL, and its children too.
        assert_eq!(finish(&mut child, Duration::from_secs(10)), 128 + 9);
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn a_stopped_descendant_is_continued_so_that_sigterm_ends_it() {
        let start = Instant::now();
        let (code, _) = run(
            Mode::Plain,
            &[
                "--grace",
                "5s",
                "--",
                "sh",
                "-c",
                "sleep 30 & kill -STOP $!",
            ],
        );
        assert_eq!(code, 0);
        assert!(
            start.elapsed() < Duration::from_secs(4),
            "waited out the grace period"
        );
    }

    #[test]
    fn the_terminal_comes_back_to_the_caller() {
        let line = format!(
            "sh -c '{} init -- true; ps -o pgid=,tpgid= -p $$'",
            exe().display()
        );
        let Ok(out) = Command::new("script")
            .args(["-qec", &line, "/dev/null"])
            .output()
        else {
            return skip("script(1) is not installed: no pseudo-terminal to test with");
        };
        let text = String::from_utf8_lossy(&out.stdout);
        let ids: Vec<&str> = text.split_whitespace().collect();
        assert_eq!(ids.len(), 2, "{text}");
        assert_eq!(
            ids[0], ids[1],
            "the caller's group has the terminal again: {text}"
        );
    }

    #[test]
    fn a_closed_stderr_is_no_reason_to_die() {
        // stderr is a pipe whose reader is gone; -v makes init write a line per signal.
        let mut child = Command::new(exe())
            .args(["init", "-v", "--", "sleep", "1"])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stderr.take());
        std::thread::sleep(Duration::from_millis(200));
        send(child.id() as i32, 28);
        // sleep ignores SIGWINCH by default: init reports sleep's own exit, not a panic
        // (101) or a SIGPIPE of its own passed on to CMD.
        assert_eq!(finish(&mut child, Duration::from_secs(5)), 0);
    }
}
