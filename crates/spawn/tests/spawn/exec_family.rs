//! `PATH` search with the rules of `execvp(3)`, through `Command`, and the exec family
//! replacing a real process (this test binary, re-run in a helper mode).

use crate::strategies;
use crate::support::*;
use forklab_spawn::{Command, Stdio, exec};

strategies! {
    fn search_path_finds_the_first_executable(strategy: Strategy) {
        let (first, second) = (temp_dir(), temp_dir());
        write_executable(first.path(), "tool", "#!/bin/sh\necho first\n", 0o644);
        write_executable(second.path(), "tool", "#!/bin/sh\necho second\n", 0o755);
        let path = format!("{}:{}", first.path().display(), second.path().display());
        let mut cmd = Command::new("tool");
        cmd.env("PATH", &path).stdout(Stdio::piped());
        assert_eq!(output(&mut cmd, strategy).stdout, b"second\n", "non-executable skipped");
    }

    fn search_path_reports_eacces_when_nothing_runs(strategy: Strategy) {
        let dir = temp_dir();
        write_executable(dir.path(), "tool", "#!/bin/sh\n", 0o644);
        let path = format!("/nonexistent:{}", dir.path().display());
        let mut cmd = Command::new("tool");
        cmd.env("PATH", &path);
        let err = spawn_error(&mut cmd, strategy);
        assert_eq!(err.raw_os_error(), Some(libc::EACCES), "{err:#}");
    }

    fn search_path_that_finds_nothing_never_runs_the_file_in_cwd(strategy: Strategy) {
        let dir = temp_dir();
        write_executable(dir.path(), "tool", "#!/bin/sh\necho ran from cwd\n", 0o755);
        let mut cmd = Command::new("tool");
        cmd.env("PATH", "/nonexistent").current_dir(dir.path()).stdout(Stdio::piped());
        let err = spawn_error(&mut cmd, strategy);
        assert_eq!(err.raw_os_error(), Some(libc::ENOENT), "{err:#}");
    }

    fn a_relative_path_entry_follows_the_new_working_directory(strategy: Strategy) {
        let dir = temp_dir();
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        write_executable(&sub, "tool", "#!/bin/sh\necho found in sub\n", 0o755);
        let mut cmd = Command::new("tool");
        cmd.env("PATH", ".").current_dir(&sub).stdout(Stdio::piped());
        assert_eq!(output(&mut cmd, strategy).stdout, b"found in sub\n");
    }

    fn empty_argv_file_without_shebang_runs_with_sh(strategy: Strategy) {
        let dir = temp_dir();
        let script = write_executable(dir.path(), "plain", "echo ran by sh with $# args\n", 0o755);
        let result = Command::new(&script).empty_argv().stdout(Stdio::piped()).strategy(strategy).output();
        if strategy == Strategy::PosixSpawn {
            let err = result.unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::ENOEXEC));
            return;
        }
        // sh gets [sh, FILE] and nothing after: the array the child builds ends in NULL.
        assert_eq!(result.unwrap().stdout, b"ran by sh with 0 args\n");
    }

    fn a_file_without_shebang_runs_with_sh(strategy: Strategy) {
        let dir = temp_dir();
        let script = write_executable(dir.path(), "plain", "echo ran by sh: $1\n", 0o755);
        let result = Command::new(&script).arg("arg1").stdout(Stdio::piped()).strategy(strategy).output();
        if strategy == Strategy::PosixSpawn {
            // glibc's posix_spawn no longer falls back to /bin/sh (since 2.15).
            let err = result.unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::ENOEXEC));
            return;
        }
        assert_eq!(result.unwrap().stdout, b"ran by sh: arg1\n");
        let err = Command::new(&script).search_path(false).strategy(strategy).spawn().unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ENOEXEC), "execve rules: no fallback");
    }
}

/// Set in the environment of this test binary when it is re-run to exec something.
const HELPER: &str = "FORKLAB_EXEC_HELPER";

/// Re-runs this test binary with only `exec_helper` selected and `HELPER=case`; returns the
/// helper's stdout and exit code.
fn run_helper(case: &str) -> (String, Option<i32>) {
    let out = helper(case).output().unwrap();
    (after_harness_banner(&out.stdout), out.status.code())
}

/// This test binary, running only `exec_helper`, told which case to exec.
fn helper(case: &str) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        "exec_family::exec_helper",
        "--nocapture",
        "--test-threads=1",
        "-q",
    ])
    .env(HELPER, case)
    // Directories anyone may search (a PATH entry we may not enter makes execvp EACCES).
    .env("PATH", "/usr/bin:/bin")
    .stdout(Stdio::piped());
    cmd
}

/// What the helper printed after libtest's "running 1 test" line.
fn after_harness_banner(stdout: &[u8]) -> String {
    let text = String::from_utf8_lossy(stdout);
    let rest = text
        .split_once("running 1 test\n")
        .map_or(&*text, |(_, rest)| rest);
    rest.to_string()
}

/// Not a test on its own: the body the re-run binary executes.
#[test]
fn exec_helper() {
    let Ok(case) = std::env::var(HELPER) else {
        return;
    };
    let err = match case.as_str() {
        "execv" => exec::execv("/bin/echo", ["echo", "via", "execv"]),
        "execve" => exec::execve("/usr/bin/env", ["env"], [("ONLY", "this")]),
        "execvp" => exec::execvp("echo", ["echo", "via", "execvp"]),
        "execvpe" => exec::execvpe("env", ["env"], [("ONLY", "that")]),
        "missing" => exec::execvp("no-such-program-anywhere", ["x"]),
        "command" => Command::new("sh").args(["-c", "echo pid $$"]).exec().into(),
        "failed-exec-keeps-signals" => {
            let before = signal_lines();
            let err = Command::new("/nonexistent")
                .reset_signal_dispositions(true)
                .reset_signal_mask(true)
                .exec();
            let after = signal_lines();
            println!("{}", if before == after { "same" } else { "changed" });
            println!("before:\n{before}after:\n{after}{err:#}");
            std::process::exit(0);
        }
        "failed-exec-changes-every-thread" => {
            let (tx, rx) = std::sync::mpsc::channel::<()>();
            let other = std::thread::spawn(move || rx.recv());
            let err = Command::new("/nonexistent").uid(65534).gid(65534).exec();
            let mut uids: Vec<String> = std::fs::read_dir("/proc/self/task")
                .unwrap()
                .map(|task| {
                    let status =
                        std::fs::read_to_string(task.unwrap().path().join("status")).unwrap();
                    status
                        .lines()
                        .find(|l| l.starts_with("Uid:"))
                        .unwrap()
                        .to_string()
                })
                .collect();
            uids.dedup();
            tx.send(()).unwrap();
            other.join().unwrap().unwrap();
            println!("{} distinct: {}\n{err:#}", uids.len(), uids.join(" | "));
            std::process::exit(0);
        }
        other => panic!("unknown case {other}"),
    };
    println!("exec failed: {err}");
    std::process::exit(3);
}

#[test]
fn exec_family_replaces_the_process() {
    let (out, code) = run_helper("execv");
    assert_eq!((out.as_str(), code), ("via execv\n", Some(0)));
    assert_eq!(run_helper("execve").0, "ONLY=this\n");
    assert_eq!(run_helper("execvp").0, "via execvp\n");
    assert_eq!(
        run_helper("execvpe").0,
        "ONLY=that\n",
        "searched the caller's PATH"
    );
    let (out, code) = run_helper("missing");
    assert_eq!(code, Some(3));
    // The exec family returns the errno, as C's and std's do.
    assert_eq!(out, "exec failed: No such file or directory (os error 2)\n");
}

#[test]
fn command_exec_keeps_the_pid() {
    let child = helper("command").spawn().unwrap();
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    assert_eq!(after_harness_banner(&out.stdout), format!("pid {pid}\n"));
}

#[test]
fn empty_argv_gets_an_empty_argv0_from_the_kernel() {
    let mut cmd = Command::new("/bin/sh");
    cmd.empty_argv().stdout(Stdio::piped());
    // argc == 0: sh cannot get a script argument, so it reads commands from stdin.
    let dir = temp_dir();
    let input = dir.path().join("in");
    std::fs::write(&input, "cat /proc/$$/cmdline | od -An -c\n").unwrap();
    cmd.stdin(std::fs::File::open(&input).unwrap());
    let out = output(&mut cmd, Strategy::Auto).stdout;
    assert_eq!(
        String::from_utf8(out).unwrap().trim(),
        "\\0",
        "argv is [\"\"]"
    );
}

/// The signal lines of this process's status: blocked, ignored and caught sets.
fn signal_lines() -> String {
    let status = std::fs::read_to_string("/proc/thread-self/status").unwrap();
    status
        .lines()
        .filter(|l| l.starts_with("SigBlk") || l.starts_with("SigIgn") || l.starts_with("SigCgt"))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn failed_exec_in_place_leaves_signals_as_they_were() {
    let (out, code) = run_helper("failed-exec-keeps-signals");
    assert_eq!(code, Some(0), "{out}");
    assert!(out.starts_with("same\n"), "{out}");
    let ignored = out
        .lines()
        .find_map(|l| l.strip_prefix("SigIgn:\t"))
        .map(|hex| u64::from_str_radix(hex, 16).unwrap())
        .unwrap();
    assert_ne!(
        ignored & (1 << (libc::SIGPIPE - 1)),
        0,
        "SIGPIPE ignored again: {out}"
    );
    assert!(
        out.contains("execve failed: No such file or directory"),
        "{out}"
    );
}

#[test]
fn failed_exec_in_place_changes_credentials_of_every_thread_as_root() {
    if !is_root() {
        return skip("changing uid needs root");
    }
    let (out, code) = run_helper("failed-exec-changes-every-thread");
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.starts_with("1 distinct: Uid:\t65534\t65534\t65534\t65534\n"),
        "{out}"
    );
}
