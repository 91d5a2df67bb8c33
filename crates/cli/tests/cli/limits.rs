//! `forklab limits show | check` against files in a temporary directory.

use crate::support::*;
use std::path::Path;

/// A directory with `limits.conf` and a `limits.d` holding `files`.
fn setup(conf: &str, files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("limits.conf"), conf).unwrap();
    std::fs::create_dir(dir.path().join("limits.d")).unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join("limits.d").join(name), text).unwrap();
    }
    dir
}

fn show_json(dir: &Path, extra: &[&str]) -> serde_json::Value {
    let conf = dir.join("limits.conf");
    let conf_dir = dir.join("limits.d");
    let mut args = vec!["limits", "show", "--json"];
    args.extend([
        "--conf",
        conf.to_str().unwrap(),
        "--conf-dir",
        conf_dir.to_str().unwrap(),
    ]);
    args.extend(extra);
    serde_json::from_str(&stdout_of(&args, 0)).unwrap()
}

fn item<'a>(json: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["item"] == name)
        .unwrap()
}

#[test]
fn show_gives_each_value_and_the_line_that_set_it() {
    let dir = setup(
        "*\tsoft\tnproc\t100\n*\thard\tnproc\tunlimited\n",
        &[
            ("20-nproc.conf", "# nproc\n\n@nogroup soft nproc 4096\n"),
            ("10-core.conf", "* - core 2\n"),
        ],
    );
    let json = show_json(dir.path(), &["--user", "nobody"]);
    assert_eq!(json["user"], "nobody");
    assert_eq!(json["uid"], 65534);
    let nproc = item(&json, "nproc");
    assert_eq!(nproc["soft"], "4096");
    assert_eq!(nproc["hard"], "unlimited");
    let d = dir.path().display();
    assert_eq!(
        nproc["soft_source"],
        format!("{d}/limits.d/20-nproc.conf:3")
    );
    assert_eq!(nproc["hard_source"], format!("{d}/limits.conf:2"));
    assert_eq!(item(&json, "core")["soft"], "2048", "KiB become bytes");
    assert_eq!(item(&json, "nofile")["soft"], serde_json::Value::Null);
    let files = json["files"].as_array().unwrap();
    assert!(
        files[1].as_str().unwrap().ends_with("10-core.conf"),
        "sorted: {files:?}"
    );
}

#[test]
fn wildcard_and_group_lines_do_not_apply_to_root() {
    let dir = setup(
        "* soft nproc 100\n@root hard nproc 200\nroot soft core 1\n",
        &[],
    );
    let json = show_json(dir.path(), &["--user", "root"]);
    assert_eq!(item(&json, "nproc")["soft"], serde_json::Value::Null);
    assert_eq!(item(&json, "nproc")["hard"], serde_json::Value::Null);
    assert_eq!(item(&json, "core")["soft"], "1024");
    let upstream = show_json(dir.path(), &["--user", "root", "--dialect", "upstream"]);
    assert_eq!(item(&upstream, "nproc")["soft"], "100");
}

#[test]
fn group_flags_answer_what_if() {
    let dir = setup("@nogroup soft nproc 1\n@root soft nproc 2\n", &[]);
    let json = show_json(dir.path(), &["--user", "nobody"]);
    assert_eq!(item(&json, "nproc")["soft"], "1");
    let json = show_json(dir.path(), &["--user", "nobody", "--group", "root"]);
    assert_eq!(item(&json, "nproc")["soft"], "2");
    assert_eq!(json["groups"], serde_json::json!(["root"]));
}

#[test]
fn a_conf_alone_skips_limits_d() {
    let dir = setup("* soft nproc 1\n", &[("x.conf", "* soft nproc 2\n")]);
    let conf = dir.path().join("limits.conf");
    let out = stdout_of(
        &[
            "limits",
            "show",
            "--user",
            "nobody",
            "--conf",
            conf.to_str().unwrap(),
        ],
        0,
    );
    let nproc = out.lines().find(|l| l.starts_with("nproc")).unwrap();
    assert!(
        nproc.contains(" 1 ") && nproc.ends_with("limits.conf:1"),
        "{nproc}"
    );
}

#[test]
fn a_no_limits_line_is_shown() {
    let dir = setup("* soft nproc 1\nnobody -\n", &[]);
    let json = show_json(dir.path(), &["--user", "nobody"]);
    assert!(
        json["no_limits"]
            .as_str()
            .unwrap()
            .ends_with("limits.conf:2")
    );
    assert_eq!(item(&json, "nproc")["soft"], serde_json::Value::Null);
}

#[test]
fn check_lists_every_bad_line_and_exits_1() {
    let dir = setup(
        "* soft nproc 1\n* soft nosuch 1\nbob soft\n* bogus core 1\n* soft nofile 12abc\n",
        &[],
    );
    let conf = dir.path().join("limits.conf");
    let out = forklab(["limits", "check", conf.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let c = conf.display();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        format!("{c}:2: unknown item \"nosuch\"; pam_limits skips the line")
    );
    assert!(lines[1].starts_with(&format!("{c}:3: wrong field count: 2 fields")));
    assert!(lines[2].starts_with(&format!("{c}:4: bad type \"bogus\"")));
    assert_eq!(
        lines[3],
        format!("{c}:5: \"abc\" after the number is ignored: pam_limits reads 12")
    );
    assert_eq!(
        lines[4],
        "1 file checked: 4 problems (3 lines skipped by pam_limits)"
    );
}

#[test]
fn check_of_a_clean_file_exits_0() {
    let dir = setup(
        "# fine\n* soft nproc 1\n@dev hard nofile unlimited\n:1000 - cpu 5\n",
        &[],
    );
    let conf = dir.path().join("limits.conf");
    let out = stdout_of(&["limits", "check", conf.to_str().unwrap()], 0);
    assert_eq!(out, "1 file checked: no problems\n");
}

#[test]
fn an_unknown_user_is_one_line_and_exit_2() {
    let line = error_line(["limits", "show", "--user", "no-such-user-here"]);
    assert_eq!(line, "forklab: error: unknown user \"no-such-user-here\"");
    let line = error_line([
        "limits",
        "show",
        "--user",
        "nobody",
        "--group",
        "no-such-group",
    ]);
    assert_eq!(line, "forklab: error: unknown group \"no-such-group\"");
}

#[test]
fn a_missing_or_unreadable_file_is_one_line_and_exit_2() {
    let line = error_line([
        "limits",
        "show",
        "--user",
        "nobody",
        "--conf",
        "/nonexistent/limits.conf",
    ]);
    assert_eq!(
        line,
        "forklab: error: cannot read /nonexistent/limits.conf: No such file or directory (os error 2)"
    );
    let line = error_line(["limits", "check", "/nonexistent/x.conf"]);
    assert_eq!(
        line,
        "forklab: error: cannot read /nonexistent/x.conf: No such file or directory (os error 2)"
    );
    let dir = tempfile::tempdir().unwrap();
    let line = error_line(["limits", "check", dir.path().to_str().unwrap()]);
    assert_eq!(
        line,
        format!(
            "forklab: error: cannot read {}: Is a directory (os error 21)",
            dir.path().display()
        )
    );
    if is_root() {
        skip("root reads a mode-000 file; the directory case covers unreadable");
    } else {
        use std::os::unix::fs::PermissionsExt;
        let file = dir.path().join("secret.conf");
        std::fs::write(&file, "* soft nproc 1\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o000)).unwrap();
        let line = error_line(["limits", "check", file.to_str().unwrap()]);
        assert!(line.ends_with("Permission denied (os error 13)"), "{line}");
    }
}

#[test]
fn help_has_examples_and_exit_statuses() {
    for command in ["show", "check"] {
        let help = stdout_of(&["limits", command, "--help"], 0);
        assert!(
            help.contains(&format!("Examples:\n  forklab limits {command}")),
            "{help}"
        );
        assert!(help.contains("Exit status: "), "{help}");
    }
}

#[test]
fn a_limits_d_file_whose_name_is_not_utf8_is_read() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("limits.conf");
    std::fs::write(&conf, "").unwrap();
    let d = dir.path().join("limits.d");
    std::fs::create_dir(&d).unwrap();
    let name = std::ffi::OsStr::from_bytes(b"a\xff.conf");
    std::fs::write(d.join(name), "* - nproc 5\n").unwrap();
    let out = crate::support::forklab(["limits", "show", "--user", "nobody", "--json", "--conf"])
        .arg(&conf)
        .arg("--conf-dir")
        .arg(&d)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let nproc = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["item"] == "nproc")
        .unwrap();
    assert_eq!(nproc["soft"], "5", "{nproc}");
}
