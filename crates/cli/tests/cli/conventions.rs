//! What every command promises: a closed or full stdout never panics, clap's suggestions
//! reach the one error line, and every subcommand's help has examples and exit statuses.

use crate::support::*;
use std::process::{Command, Output, Stdio};

/// Runs `forklab ARGS…` with stdout connected to `stdout`; returns its status and stderr.
fn run_into(args: &[&str], stdout: impl Into<Stdio>) -> (Option<i32>, String) {
    let out: Output = Command::new(assert_cmd::cargo::cargo_bin("forklab"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    (out.status.code(), String::from_utf8(out.stderr).unwrap())
}

/// A pipe whose reading end is already closed: every write to the other end fails with
/// EPIPE, however early the command writes.
fn closed_pipe() -> std::io::PipeWriter {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    writer
}

/// A short file in the article's format, for `race --analyze`.
fn race_lines() -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), "0 parent\n0 child\n1 child\n1 parent\n").unwrap();
    file
}

#[test]
fn a_closed_stdout_ends_every_command_quietly() {
    let lines = race_lines();
    let file = lines.path().to_str().unwrap();
    let spawn_cost = ["spawn-cost", "-n", "3", "--parent-mib", "0"];
    let spawn_cost = &spawn_cost[..];
    let commands: [&[&str]; 14] = [
        spawn_cost,
        &[spawn_cost, &["--json"]].concat(),
        &["race", "-n", "300"],
        &["race", "-n", "300", "--json"],
        &["race", "-n", "300", "--format", "tlpi"],
        &[
            "race",
            "-n",
            "300",
            "--measure",
            "stdout",
            "--format",
            "tlpi",
        ],
        &["race", "-n", "20", "--sweep"],
        &["race", "--analyze", file],
        &["race", "--analyze", file, "--json"],
        &["inherit", "--only", "pid,file_offsets"],
        &["inherit", "--only", "pid", "--json"],
        &["exec-limits"],
        &["exec-limits", "--json"],
        &["--help"],
    ];
    for args in commands {
        let (code, stderr) = run_into(args, closed_pipe());
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!stderr.contains("error"), "{args:?}: {stderr}");
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
    }
}

#[test]
fn a_full_disk_is_one_line_and_exit_2() {
    let lines = race_lines();
    let file = lines.path().to_str().unwrap();
    for args in [
        &["race", "--analyze", file][..],
        &["race", "--analyze", file, "--json"][..],
        &[
            "race",
            "-n",
            "300",
            "--measure",
            "stdout",
            "--format",
            "tlpi",
        ][..],
        &[
            "spawn-cost",
            "-n",
            "1",
            "--parent-mib",
            "0",
            "--strategy",
            "auto",
        ][..],
    ] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let (code, stderr) = run_into(args, full);
        assert_eq!(
            stderr, "forklab: error: cannot write output: No space left on device (os error 28)\n",
            "{args:?}"
        );
        assert_eq!(code, Some(2), "{args:?}");
    }
}

#[test]
fn a_closed_or_full_stderr_never_panics() {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), "0 parent\n0 child\n1 dog\n").unwrap();
    let file = file.path().to_str().unwrap();
    for (args, expected) in [
        (&["race", "--analyze", file][..], 1),
        (
            &["spawn-cost", "-n", "1", "--program", "/nonexistent"][..],
            2,
        ),
        (&["no-such-command"][..], 2),
    ] {
        for stderr in [
            Stdio::from(closed_pipe()),
            Stdio::from(
                std::fs::File::options()
                    .write(true)
                    .open("/dev/full")
                    .unwrap(),
            ),
        ] {
            let status = Command::new(assert_cmd::cargo::cargo_bin("forklab"))
                .args(args)
                .stdout(Stdio::null())
                .stderr(stderr)
                .status()
                .unwrap();
            assert_eq!(status.code(), Some(expected), "{args:?}");
        }
    }
}

#[test]
fn the_hidden_probe_says_a_descriptor_is_too_large() {
    assert_eq!(
        error_line(["__probe", "--report-fd", "99999999999", "--ids-only"]),
        "forklab: error: invalid value '99999999999' for '--report-fd <REPORT_FD>': too large \
         (max 2147483647) (see --help)"
    );
}

#[test]
fn clap_suggestions_stay_on_the_one_line() {
    assert_eq!(
        error_line(["spawncost"]),
        "forklab: error: unrecognized subcommand 'spawncost'; tip: a similar subcommand exists: \
         'spawn-cost' (see --help)"
    );
    assert_eq!(
        error_line(["race", "--jsn"]),
        "forklab: error: unexpected argument '--jsn' found; tip: a similar argument exists: \
         '--json' (see --help)"
    );
}

#[test]
fn every_subcommand_has_examples_and_exit_statuses_in_its_help() {
    for command in ["spawn-cost", "cat", "race", "inherit", "exec-limits"] {
        let help = stdout_of(&[command, "--help"], 0);
        let examples = format!("Examples:\n  forklab {command}");
        let examples = help.contains(&examples) || help.contains("Examples:\n  sudo forklab");
        assert!(examples, "{command}:\n{help}");
        assert!(help.contains("Exit status: "), "{command}:\n{help}");
    }
    let cat = stdout_of(&["cat", "--help"], 0);
    assert!(
        cat.contains("errors and exit status are cat's own"),
        "{cat}"
    );
}

#[test]
fn inherit_help_lists_every_key_and_explains_the_dash() {
    let help = stdout_of(&["inherit", "--help"], 0);
    let listed = help.split("Keys for --only: ").nth(1).unwrap();
    let listed = listed.split("\n\n").next().unwrap().replace('\n', " ");
    let listed: Vec<&str> = listed.split(", ").map(str::trim).collect();
    let keys: Vec<&str> = forklab_lab::inherit::keys().collect();
    assert_eq!(listed, keys);
    assert!(help.contains("- (not measured in this column"), "{help}");
}
