//! `forklab completions SHELL` and `forklab manpage`: what a packager installs beside the
//! binary.

use crate::support::*;
use std::path::Path;
use std::process::{Command, Stdio};

/// Every visible subcommand.
const COMMANDS: [&str; 14] = [
    "spawn-cost",
    "cat",
    "inherit",
    "exec-limits",
    "race",
    "completions",
    "manpage",
    "echo",
    "jail",
    "limits",
    "guard",
    "lab",
    "report",
    "init",
];

/// Commands under a command, which get pages of their own (`forklab-echo-serve.1`).
const NESTED: [&str; 6] = [
    "echo-serve",
    "echo-load",
    "echo-compare",
    "limits-show",
    "limits-check",
    "guard-drill",
];

/// Whether `program` can be run from `PATH`; says why the caller skips when it cannot.
fn have(program: &str, needed_for: &str) -> bool {
    let found = Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        eprintln!("skipped {needed_for}: {program} is not installed");
    }
    found
}

#[test]
fn every_shell_gets_a_script_with_every_command_and_flag() {
    for shell in ["bash", "zsh", "fish"] {
        let script = stdout_of(&["completions", shell], 0);
        for command in COMMANDS {
            assert!(script.contains(command), "{shell}: no {command}");
        }
        for flag in ["parent-mib", "analyze", "stack"] {
            assert!(script.contains(flag), "{shell}: no --{flag}");
        }
        assert!(
            !script.contains("__probe"),
            "{shell} offers the internal probe"
        );
    }
}

#[test]
fn the_bash_script_completes_commands_flags_and_shells() {
    if !have("bash", "running the bash completion") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("forklab.bash");
    std::fs::write(&file, stdout_of(&["completions", "bash"], 0)).unwrap();
    // `_forklab COMMAND WORD PREVIOUS`, as bash calls it, with COMP_WORDS set the same way.
    let complete = |words: &str| -> String {
        let script = format!(
            "source {}; COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); \
             _forklab forklab \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; \
             echo \"${{COMPREPLY[*]}}\"",
            file.display()
        );
        let out = Command::new("bash").args(["-c", &script]).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    assert_eq!(complete("forklab sp"), "spawn-cost");
    assert_eq!(complete("forklab spawn-cost --par"), "--parent-mib");
    assert!(complete("forklab completions ''").ends_with("bash zsh fish"));
    assert_eq!(complete("forklab __pr"), "");
}

#[test]
fn the_zsh_and_fish_scripts_parse() {
    for (shell, check) in [("zsh", "-n"), ("fish", "--no-execute")] {
        if !have(shell, &format!("checking the {shell} script")) {
            continue;
        }
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("forklab");
        std::fs::write(&file, stdout_of(&["completions", shell], 0)).unwrap();
        let out = Command::new(shell).arg(check).arg(&file).output().unwrap();
        assert!(out.status.success(), "{shell}: {out:?}");
    }
}

#[test]
fn an_unknown_or_missing_shell_is_a_usage_error() {
    let line = error_line(["completions", "tcsh"]);
    assert!(
        line.starts_with("forklab: error: invalid value 'tcsh' for '<SHELL>'"),
        "{line}"
    );
    assert!(
        line.contains("[possible values: bash, zsh, fish]"),
        "{line}"
    );
    let line = error_line(["completions"]);
    assert!(
        line.contains("required arguments were not provided: <SHELL>"),
        "{line}"
    );
}

/// A page's text with roff's escaped hyphens (`\-`) plain.
fn unescaped(page: &str) -> String {
    page.replace(r"\-", "-")
}

/// Asserts `page` is roff for `title`: requests from its first line, then `.TH TITLE 1 …`.
fn assert_roff_titled(page: &str, title: &str) {
    let mut lines = page.lines();
    let th = lines
        .by_ref()
        .find(|l| !l.starts_with(".ie") && !l.starts_with(".el"));
    let expected = format!(
        r#".TH {title} 1 "" "forklab {}" "User Commands""#,
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(th, Some(expected.as_str()), "{page}");
    assert!(page.contains("\n.SH NAME\n"), "{page}");
}

#[test]
fn the_man_page_is_roff_naming_every_command() {
    let page = stdout_of(&["manpage"], 0);
    assert_roff_titled(&page, "FORKLAB");
    let text = unescaped(&page);
    for command in COMMANDS {
        assert!(text.contains(&format!("forklab-{command}(1)")), "{command}");
    }
    assert!(
        !text.contains("__probe") && !text.contains("forklab-help"),
        "{text}"
    );
}

#[test]
fn manpage_dir_writes_a_page_per_command() {
    let dir = tempfile::tempdir().unwrap();
    stdout_of(&["manpage", "--dir", dir.path().to_str().unwrap()], 0);
    let mut files: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    let mut expected: Vec<String> = COMMANDS
        .iter()
        .chain(&NESTED)
        .map(|c| format!("forklab-{c}.1"))
        .collect();
    expected.push("forklab.1".to_string());
    expected.sort();
    assert_eq!(files, expected);
    let page = std::fs::read_to_string(dir.path().join("forklab-spawn-cost.1")).unwrap();
    assert_roff_titled(&page, "FORKLAB-SPAWN-COST");
    assert!(unescaped(&page).contains("--parent-mib"), "{page}");
    let top = std::fs::read_to_string(dir.path().join("forklab.1")).unwrap();
    assert_eq!(
        top,
        stdout_of(&["manpage"], 0),
        "the same forklab(1) both ways"
    );
}

#[test]
fn manpage_dir_that_cannot_be_written_is_one_line() {
    let line = error_line(["manpage", "--dir", "/nonexistent/man1"]);
    assert_eq!(
        line,
        "forklab: error: cannot write /nonexistent/man1/forklab.1: No such file or directory \
         (os error 2)"
    );
}

#[test]
fn man_renders_the_page() {
    if !have("man", "rendering the man page") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("forklab.1");
    std::fs::write(&file, stdout_of(&["manpage"], 0)).unwrap();
    let out = Command::new("man")
        .arg("-l")
        .arg(Path::new(&file))
        .env("MANWIDTH", "100")
        .env("MANPAGER", "cat")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.starts_with("FORKLAB(1)"), "{text}");
    assert!(text.contains("forklab-spawn-cost(1)"), "{text}");
}

#[test]
fn help_has_examples_and_exit_statuses() {
    for command in ["completions", "manpage"] {
        let help = stdout_of(&[command, "--help"], 0);
        assert!(
            help.contains(&format!("Examples:\n  forklab {command}")),
            "{help}"
        );
        assert!(help.contains("Exit status: "), "{help}");
    }
}

#[test]
fn a_closed_or_full_stdout_is_handled() {
    let bin = assert_cmd::cargo::cargo_bin("forklab");
    for args in [&["completions", "bash"][..], &["manpage"][..]] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = Command::new(&bin)
            .args(args)
            .stdout(writer)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {out:?}");
        assert!(out.stderr.is_empty(), "{args:?}: {out:?}");
        let full = std::fs::File::options()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = Command::new(&bin).args(args).stdout(full).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            "forklab: error: cannot write output: No space left on device (os error 28)\n"
        );
    }
}
