//! Running the binary under test.

use assert_cmd::Command;
use std::os::unix::fs::PermissionsExt;

/// `forklab` with no arguments yet.
pub fn bin() -> Command {
    Command::cargo_bin("forklab").expect("the forklab binary is built")
}

/// `forklab ARGS…`.
pub fn forklab<I, S>(args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut cmd = Command::cargo_bin("forklab").expect("the forklab binary is built");
    cmd.args(args);
    cmd
}

/// Runs `forklab ARGS…` expecting a usage or runtime error: exit 2 and exactly one line on
/// stderr, `forklab: error: …`. Returns that line.
pub fn error_line<I, S>(args: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let out = forklab(args).output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("forklab: error: "), "{stderr}");
    assert!(out.stdout.is_empty());
    stderr.trim_end().to_string()
}

/// Says that (part of) the running test checked nothing, and why, where `cargo test` shows
/// it: libtest captures `eprintln!`, not writes to the stderr handle itself. libtest names
/// each test's thread after the test.
pub fn skip(why: impl std::fmt::Display) {
    use std::io::Write;
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
}

/// Whether the tests run as root.
pub fn is_root() -> bool {
    forklab_spawn::Identity::current().euid == 0
}

/// Runs `forklab ARGS…`, asserts the exit status, returns stdout.
pub fn stdout_of(args: &[&str], code: i32) -> String {
    let out = bin().args(args).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A copy of the binary owned by `uid:gid` with `mode`, in a directory anyone may enter.
pub fn forklab_copy(dir: &std::path::Path, uid: u32, gid: u32, mode: u32) -> std::path::PathBuf {
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let copy = dir.join("forklab");
    // `cp` writes the copy: a write descriptor held here could be inherited by a concurrent
    // test's child, and exec'ing the copy would then fail with ETXTBSY.
    let cp = std::process::Command::new("cp")
        .arg(assert_cmd::cargo::cargo_bin("forklab"))
        .arg(&copy)
        .status();
    assert!(cp.unwrap().success());
    std::os::unix::fs::chown(&copy, Some(uid), Some(gid)).unwrap();
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(mode)).unwrap();
    copy
}
