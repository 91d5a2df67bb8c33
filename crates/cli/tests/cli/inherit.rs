//! `forklab inherit` end to end: the measured table against the man pages' claims, the
//! set-user-ID rows (root) and their skip (not root), `--only`, bad input, and the probe's
//! behaviour when it runs set-user-ID.

use crate::support::bin as forklab;
use crate::support::{error_line, forklab_copy, stdout_of};
use crate::support::{is_root, skip};
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::sync::OnceLock;

/// `forklab inherit --json`, run once for all the tests that only read it: (exit code, JSON).
fn table() -> &'static (i32, Value) {
    static TABLE: OnceLock<(i32, Value)> = OnceLock::new();
    TABLE.get_or_init(|| {
        let out = forklab().args(["inherit", "--json"]).output().unwrap();
        let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
        });
        (out.status.code().unwrap(), json)
    })
}

fn row(key: &str) -> &'static Value {
    let rows = table().1["rows"].as_array().unwrap();
    rows.iter()
        .find(|r| r["key"] == key)
        .unwrap_or_else(|| panic!("no row {key}"))
}

fn cells(key: &str) -> [&'static str; 4] {
    let r = row(key);
    let s = |c: &str| r[c].as_str().unwrap_or("-");
    [s("fork"), s("exec"), s("vfork"), s("posix_spawn")]
}

/// "A -> B" from a row's `seen` column.
fn seen(key: &str, column: &str) -> (String, String) {
    let text = row(key)["seen"][column].as_str().unwrap();
    let (a, b) = text.split_once(" -> ").unwrap();
    (a.to_string(), b.to_string())
}

#[test]
fn every_key_of_the_issue_is_a_row_with_its_fields() {
    let keys = "pid ppid pgid sid real_uid supplementary_groups setuid_exec_euid \
        setuid_exec_saved_uid open_fds cloexec_fds file_offsets cwd root_dir umask environment \
        handled_signal_dispositions ignored_signal_dispositions signal_mask pending_signals \
        alt_signal_stack alarm itimer_real posix_timers rlimits nice sched_policy cpu_affinity \
        fcntl_locks flock_locks memory_locks private_mappings madv_dontfork madv_wipeonfork \
        pdeathsig no_new_privs dumpable timer_slack cpu_times threads exit_handlers";
    assert!(table().1["kernel"].as_str().is_some_and(|k| !k.is_empty()));
    for key in keys.split_whitespace() {
        let r = row(key);
        for field in [
            "attribute",
            "fork",
            "exec",
            "expected_fork",
            "expected_exec",
            "note",
        ] {
            assert!(r[field].is_string(), "{key}.{field}");
        }
        for field in [
            "vfork",
            "posix_spawn",
            "expected_vfork",
            "expected_posix_spawn",
        ] {
            assert!(r.get(field).is_some(), "{key}.{field}");
        }
        assert!(r["matches"].is_boolean());
    }
}

#[test]
fn exit_status_says_whether_anything_differs() {
    let (code, json) = table();
    let rows = json["rows"].as_array().unwrap();
    let differing = rows.iter().filter(|r| r["matches"] == false).count();
    assert_eq!(json["mismatches"], differing);
    assert_eq!(*code, if differing > 0 { 1 } else { 0 }, "{json:#}");
    for r in rows.iter().filter(|r| r["matches"] == false) {
        assert!(r["note"].as_str().unwrap().contains("DIFFERS"), "{r}");
    }
}

#[test]
fn the_pid_changes_across_fork_and_not_across_exec() {
    assert_eq!(cells("pid"), ["no", "yes", "no", "no"]);
    let (parent, child) = seen("pid", "fork");
    assert_ne!(parent, child);
    let (before, after) = seen("pid", "exec");
    assert_eq!(before, after);
    let (parent, child_ppid) = seen("ppid", "fork");
    assert_ne!(parent, child_ppid);
}

#[test]
fn signals_follow_the_article() {
    // "A child created via fork() initially has an empty pending signal set; the pending
    // signal set is preserved across an execve()."
    assert_eq!(cells("pending_signals"), ["no", "yes", "no", "no"]);
    // "During an execve(), the dispositions of handled signals are reset to the default;
    // the dispositions of ignored signals are left unchanged."
    assert_eq!(
        cells("handled_signal_dispositions"),
        ["yes", "no", "yes", "no"]
    );
    assert_eq!(cells("ignored_signal_dispositions"), ["yes"; 4]);
    assert_eq!(cells("signal_mask"), ["yes"; 4]);
}

#[test]
fn descriptors_offsets_and_locks() {
    assert_eq!(cells("open_fds"), ["yes"; 4]);
    assert_eq!(cells("cloexec_fds"), ["yes", "no", "yes", "no"]);
    assert_eq!(cells("file_offsets"), ["shared", "yes", "shared", "shared"]);
    assert_eq!(cells("flock_locks"), ["shared", "yes", "shared", "shared"]);
    assert_eq!(cells("fcntl_locks"), ["no", "yes", "no", "no"]);
}

#[test]
fn memory_is_copied_by_fork_and_shared_by_vfork() {
    assert_eq!(cells("private_mappings"), ["yes", "no", "shared", "no"]);
    assert_eq!(cells("madv_dontfork"), ["no", "no", "shared", "no"]);
    assert_eq!(cells("madv_wipeonfork"), ["no", "no", "shared", "no"]);
    assert_eq!(seen("madv_wipeonfork", "fork").1, "zeros");
    assert_eq!(seen("madv_dontfork", "fork").1, "unmapped");
}

#[test]
fn timers_threads_and_exit_handlers() {
    assert_eq!(cells("alarm"), ["no", "yes", "no", "no"]);
    assert_eq!(cells("itimer_real"), ["no", "yes", "no", "no"]);
    assert_eq!(cells("posix_timers"), ["no"; 4]);
    assert_eq!(cells("cpu_times"), ["no", "yes", "no", "no"]);
    assert_eq!(cells("threads"), ["no"; 4]);
    assert_eq!(cells("exit_handlers"), ["yes", "no", "-", "no"]);
}

#[test]
fn set_user_id_rows_when_root() {
    if !is_root() {
        skip("the exec column needs root (a set-user-ID copy owned by root, run as uid 65534)");
        let r = row("setuid_exec_euid");
        assert_eq!(r["exec"], "skipped");
        assert!(r["note"].as_str().unwrap().contains("needs root"));
        return;
    }
    let r = row("setuid_exec_euid");
    if r["exec"] == "skipped" && r["note"].as_str().unwrap().contains("nosuid") {
        skip(format_args!(
            "the temporary directory is on a nosuid mount: {}",
            r["note"]
        ));
        return;
    }
    // The article's execve_cat: uid 65534 execs a set-user-ID-root file; the effective and
    // saved IDs become 0, the real one stays.
    assert_eq!(cells("setuid_exec_euid")[..2], ["yes", "no"]);
    assert_eq!(cells("setuid_exec_saved_uid")[..2], ["yes", "no"]);
    let text = row("setuid_exec_euid")["seen"]["exec"].as_str().unwrap();
    assert!(text.contains("65534 -> 0"), "{text}");
    assert!(text.contains("65534/0/0"), "{text}");
}

#[test]
fn set_user_id_rows_are_skipped_without_root() {
    if !is_root() {
        skip("as not root this is set_user_id_rows_when_root's check");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let copy = forklab_copy(dir.path(), 0, 0, 0o755);
    let out = std::process::Command::new(&copy)
        .args([
            "inherit",
            "--json",
            "--only",
            "setuid_exec_euid,setuid_exec_saved_uid",
        ])
        .current_dir(dir.path())
        .uid(65534)
        .gid(65534)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    for r in json["rows"].as_array().unwrap() {
        assert_eq!(r["exec"], "skipped");
        assert!(r["note"].as_str().unwrap().contains("needs root"), "{r}");
        assert_eq!(r["matches"], true);
    }
}

#[test]
fn only_keeps_the_table_order() {
    let stdout = stdout_of(&["inherit", "--only", "pending_signals,pid"], 0);
    let pid = stdout.find("Process ID").unwrap();
    let pending = stdout.find("Pending signals").unwrap();
    assert!(pid < pending);
    assert!(!stdout.contains("Session ID"));
    assert!(stdout.contains("2 attributes, 0 differ"));
}

#[test]
fn an_unknown_key_is_a_usage_error() {
    let stderr = error_line(["inherit", "--only", "pid,no_such_key"]);
    assert!(stderr.contains("unknown key \"no_such_key\""), "{stderr}");
    assert!(
        stderr.contains("pending_signals"),
        "lists the known keys: {stderr}"
    );
}

#[test]
fn the_probe_is_hidden() {
    let out = forklab()
        .arg("--help")
        .assert()
        .code(0)
        .get_output()
        .clone();
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains("inherit") && help.contains("exec-limits"));
    assert!(!help.contains("__probe"));
}

#[test]
fn a_set_user_id_copy_only_reports_credentials() {
    if !is_root() {
        skip("needs root to make a set-user-ID-root copy");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let copy = forklab_copy(dir.path(), 0, 0, 0o755);
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o4755)).unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(&copy)
            .args(args)
            .uid(65534)
            .gid(65534)
            .output()
            .unwrap()
    };
    // The credentials probe reports the IDs the set-user-ID exec gave it.
    let out = run(&["__probe", "--report-fd", "1", "--ids-only"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value = serde_json::from_slice(&out.stdout).unwrap();
    if seen["uid"] == serde_json::json!([65534, 65534, 65534]) {
        skip("the temporary directory is mounted nosuid");
        return;
    }
    assert_eq!(seen["uid"], serde_json::json!([65534, 0, 0]));
    // Anything else is refused, as set-ID forklab always is.
    for args in [
        &["inherit"][..],
        &["__probe", "--report-fd", "1", "--plan", "{}"],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("refusing to run set-user-ID"), "{stderr}");
    }
}

#[test]
fn one_attribute_is_singular() {
    let stdout = stdout_of(&["inherit", "--only", "pid"], 0);
    assert!(stdout.contains("\n1 attribute, 0 differ"), "{stdout}");
}
