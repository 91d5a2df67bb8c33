//! `forklab cat FILE`: the process becomes cat.

use crate::support::*;

#[test]
fn becomes_cat_with_the_same_pid() {
    let bin = assert_cmd::cargo::cargo_bin("forklab");
    let child = std::process::Command::new(bin)
        .args(["cat", "/proc/self/status"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let status = String::from_utf8(out.stdout).unwrap();
    assert!(status.lines().any(|l| l == "Name:\tcat"), "{status}");
    assert!(
        status.lines().any(|l| l == format!("Pid:\t{pid}")),
        "same pid as forklab: {status}"
    );
}

#[test]
fn prints_the_file_with_an_empty_environment() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("f");
    std::fs::write(&file, "contents\n").unwrap();
    forklab(["cat".as_ref(), file.as_os_str()])
        .assert()
        .success()
        .stdout("contents\n");
    let environ = forklab(["cat", "/proc/self/environ"])
        .env("VISIBLE", "1")
        .output()
        .unwrap();
    assert!(environ.stdout.is_empty(), "cat got no environment");
}

#[test]
fn a_missing_file_is_cats_own_error() {
    let out = forklab(["cat", "/nonexistent/file"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with("/bin/cat: /nonexistent/file: No such file"),
        "{stderr}"
    );
}

#[test]
fn no_file_is_a_usage_error() {
    let out = forklab(["cat"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with(
            "forklab: error: the following required arguments were not provided: <FILE>"
        ),
        "{stderr}"
    );
}

#[test]
fn a_file_named_like_an_option_is_a_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("-n"), "dash n\n").unwrap();
    forklab(["cat", "--", "-n"])
        .current_dir(dir.path())
        .write_stdin("not this\n")
        .assert()
        .success()
        .stdout("dash n\n");
}
