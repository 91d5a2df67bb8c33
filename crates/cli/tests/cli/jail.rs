//! `forklab jail`: confinement, the exit-status contract, the article's bombs contained,
//! cleanup, and every bad input the issue names.

use crate::support::{bin, error_line, forklab, is_root, skip};
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

/// Why jail cannot be exercised here, if it cannot.
fn cannot() -> Option<&'static str> {
    if !is_root() {
        return Some("jail needs root to create cgroups");
    }
    let v1 = Path::new("/sys/fs/cgroup/pids/cgroup.procs").exists();
    let v2 = std::fs::read_to_string("/sys/fs/cgroup/cgroup.controllers")
        .is_ok_and(|c| c.split_whitespace().any(|c| c == "pids"));
    (!v1 && !v2).then_some("no cgroup hierarchy with the pids controller")
}

/// Runs `forklab jail --json ARGS…`; returns the exit status and the JSON summary.
fn jail(args: &[&str]) -> (i32, Value) {
    let out = forklab(["jail", "--json"].iter().chain(args))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{stderr}", String::from_utf8_lossy(&out.stdout)));
    assert!(
        stderr.contains("forklab jail: "),
        "a summary on stderr: {stderr}"
    );
    (out.status.code().unwrap(), json)
}

/// The processes a uid has (zombies included), from /proc.
fn processes_of(uid: u32) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = entry.file_name().into_string().unwrap_or_default();
        if !name.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(status) = std::fs::read_to_string(entry.path().join("status")) else {
            continue;
        };
        let real = status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().next()?.parse::<u32>().ok());
        if real == Some(uid) {
            found.push(format!(
                "{name}: {}",
                status.lines().take(3).collect::<Vec<_>>().join(" ")
            ));
        }
    }
    found
}

/// The jail groups left behind (by any process: checked for ours by name).
fn leftover_group(dir: &str) -> bool {
    Path::new(dir).exists()
}

#[test]
fn the_commands_exit_status_and_leftovers() {
    if let Some(why) = cannot() {
        return skip(why);
    }
    let (code, json) = jail(&[
        "--pids-max",
        "5",
        "--",
        "sh",
        "-c",
        "sleep 30 & sleep 30 & exit 3",
    ]);
    assert_eq!(code, 3);
    assert_eq!(json["exit_code"], 3);
    assert_eq!(json["signal"], Value::Null);
    assert_eq!(json["timed_out"], false);
    assert_eq!(json["killed_leftovers"], 2, "{json}");
    assert!(json["peak_tasks"].as_u64().unwrap() >= 3);
    assert!(["v1", "v2"].contains(&json["cgroup"].as_str().unwrap()));
    assert!(!leftover_group(json["cgroup_dir"].as_str().unwrap()));
    for field in ["forks_refused", "elapsed_s"] {
        assert!(json[field].is_number(), "{field}: {json}");
    }
    let (code, json) = jail(&["--", "sh", "-c", "kill -TERM $$"]);
    assert_eq!((code, &json["signal"]), (128 + 15, &Value::from(15)));
}

#[test]
fn the_cap_refuses_forks_beyond_it() {
    if let Some(why) = cannot() {
        return skip(why);
    }
    // sh and two sleeps fill the cap; the third fork fails, and dash exits 2 for it.
    let script = "sleep 5 & sleep 5 & sleep 5 & exit 0";
    let (code, json) = jail(&["--pids-max", "3", "--", "sh", "-c", script]);
    assert_eq!(code, 2, "{json}");
    assert_eq!(json["peak_tasks"], 3, "{json}");
    assert_eq!(json["forks_refused"], 1, "{json}");
    assert_eq!(json["killed_leftovers"], 2, "{json}");
}

#[test]
fn the_timeout_ends_everything_with_124() {
    if let Some(why) = cannot() {
        return skip(why);
    }
    let start = Instant::now();
    let (code, json) = jail(&[
        "--timeout",
        "300ms",
        "--",
        "sh",
        "-c",
        "sleep 30 & sleep 30",
    ]);
    assert_eq!(code, 124);
    assert_eq!(json["timed_out"], true);
    assert_eq!(json["killed_leftovers"], 3, "{json}");
    assert!(start.elapsed() < Duration::from_secs(10));
}

/// Each of the article's bombs, as an unprivileged uid with no passwd entry, is held at the
/// cap and ended, with no process of that uid left (not even a zombie: jail reaps as a
/// subreaper) and no group left.
fn contains(kind: &str, uid: u32) {
    if let Some(why) = cannot() {
        return skip(why);
    }
    let exe = assert_cmd::cargo::cargo_bin("forklab");
    let exe = exe.to_str().unwrap();
    let id = uid.to_string();
    let mut args = vec![
        "--pids-max",
        "64",
        "--timeout",
        "2s",
        "--user",
        &id,
        "--group",
        &id,
        "--",
    ];
    match kind {
        // The article's line returns at once, leaving the bomb to grow: jail then ends it
        // at once. `exec sleep` (no fork needed) keeps the command there, so that the bomb
        // meets the cap and the timeout.
        "shell" => args.extend(["bash", "-c", ":(){ :|:& };:; exec sleep 30"]),
        kind => args.extend([exe, "__bomb", kind]),
    }
    let start = Instant::now();
    let (code, json) = jail(&args);
    let took = start.elapsed();
    assert!(code == 124 || code == 0, "{code} {json}");
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert!(json["peak_tasks"].as_u64().unwrap() <= 64, "{json}");
    assert!(
        json["forks_refused"].as_u64().unwrap() > 0,
        "the bomb reached the cap: {json}"
    );
    assert!(!leftover_group(json["cgroup_dir"].as_str().unwrap()));
    assert_eq!(
        processes_of(uid),
        Vec::<String>::new(),
        "{kind} bomb left processes"
    );
}

#[test]
fn a_c_style_fork_bomb_is_contained() {
    contains("fork", 61101);
}

#[test]
fn the_vfork_exec_bomb_is_contained() {
    contains("vfork-exec", 61102);
}

#[test]
fn the_bash_bomb_is_contained() {
    contains("shell", 61103);
}

#[test]
fn the_articles_bash_line_leaves_nothing_behind() {
    if let Some(why) = cannot() {
        return skip(why);
    }
    let start = Instant::now();
    let args = [
        "--pids-max",
        "64",
        "--timeout",
        "2s",
        "--user",
        "61106",
        "--group",
        "61106",
    ];
    let (code, json) = jail(&[&args[..], &["--", "bash", "-c", ":(){ :|:& };:"]].concat());
    assert!(code == 0 || code == 124, "{json}");
    assert!(start.elapsed() < Duration::from_secs(10));
    assert!(!leftover_group(json["cgroup_dir"].as_str().unwrap()));
    assert_eq!(processes_of(61106), Vec::<String>::new());
}

#[test]
fn a_group_made_inside_the_jail_is_emptied_and_removed_too() {
    if let Some(why) = cannot() {
        return skip(why);
    }
    if !Path::new("/sys/fs/cgroup/pids/cgroup.procs").exists() {
        return skip("no v1 pids hierarchy");
    }
    // A root command may make cgroups of its own inside its group (a container runtime
    // does): what it puts there is ended and removed with the rest.
    let marker = format!("{}.5", std::process::id());
    let script = format!(
        "cg=/sys/fs/cgroup/pids$(grep :pids: /proc/self/cgroup | cut -d: -f3); \
         mkdir $cg/sub && sleep {marker} & sleep 0.2; echo $! > $cg/sub/cgroup.procs; exit 0"
    );
    let (code, json) = jail(&["--", "sh", "-c", &script]);
    assert_eq!(code, 0, "{json}");
    assert!(json["killed_leftovers"].as_u64().unwrap() >= 1, "{json}");
    assert!(
        !leftover_group(json["cgroup_dir"].as_str().unwrap()),
        "{json}"
    );
    let left = std::process::Command::new("pgrep")
        .args(["-f", &format!("sleep {marker}")])
        .output();
    if let Ok(left) = left {
        assert!(
            left.stdout.is_empty(),
            "the sleep in the sub-group survived"
        );
    }
}

#[test]
fn a_signal_to_forklab_ends_everything() {
    if let Some(why) = cannot() {
        return skip(why);
    }
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("forklab"))
        .args(["jail", "--json", "--", "sh", "-c", "sleep 30 & sleep 30"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::INT).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(128 + 2));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["interrupted_by"], 2);
    assert_eq!(json["killed_leftovers"], 3, "{json}");
    assert!(!leftover_group(json["cgroup_dir"].as_str().unwrap()));
}

#[test]
fn user_group_and_nproc_reach_the_command() {
    if let Some(why) = cannot() {
        return skip(why);
    }
    let out = forklab(["jail", "--user", "nobody", "--", "sh", "-c", "id -u; id -g"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "65534\n65534\n");
    let args = [
        "jail", "--nproc", "7", "--user", "61104", "--group", "61104", "--", "sh", "-c",
    ];
    let script = "id -u; id -G; grep 'Max processes' /proc/self/limits | tr -s ' '";
    let out = forklab(args.iter().chain(&[script])).output().unwrap();
    let expected = "61104\n61104\nMax processes 7 7 processes \n";
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
    let script = "grep 'Max processes' /proc/self/limits | tr -s ' '";
    let out = forklab(["jail", "--nproc", "unlimited", "--", "sh", "-c", script])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() == Some(2) && stderr.contains("setrlimit failed: Operation not permitted")
    {
        // Raising a hard limit needs CAP_SYS_RESOURCE, which some sandboxes drop from root.
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        return skip("no CAP_SYS_RESOURCE here: --nproc unlimited is refused, as it should be");
    }
    let expected = "Max processes unlimited unlimited processes \n";
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected, "{stderr}");
}

#[test]
fn a_v1_parent_directory_is_used() {
    if let Some(why) = cannot() {
        return skip(why);
    }
    let root = Path::new("/sys/fs/cgroup/pids");
    if !root.join("cgroup.procs").exists() {
        return skip("no v1 pids hierarchy");
    }
    let parent = root.join(format!("forklab-test-parent-{}", std::process::id()));
    std::fs::create_dir(&parent).unwrap();
    let (code, json) = jail(&["--cgroup-parent", parent.to_str().unwrap(), "--", "true"]);
    let _ = std::fs::remove_dir(&parent);
    assert_eq!(code, 0);
    assert!(
        json["cgroup_dir"]
            .as_str()
            .unwrap()
            .starts_with(parent.to_str().unwrap())
    );
}

#[test]
fn cgroup_v2_is_used_where_it_has_the_pids_controller() {
    if let Some(why) = cannot() {
        return skip(why);
    }
    let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    let v2 = info.lines().find_map(|l| {
        let (left, right) = l.split_once(" - ")?;
        right
            .starts_with("cgroup2 ")
            .then(|| left.split(' ').nth(4).unwrap().to_string())
    });
    let Some(v2) = v2 else {
        return skip("no cgroup v2 hierarchy is mounted");
    };
    let controllers = std::fs::read_to_string(Path::new(&v2).join("cgroup.controllers")).unwrap();
    if !controllers.split_whitespace().any(|c| c == "pids") {
        // A hybrid machine: v2 without pids must be refused clearly when asked for.
        let line = error_line(["jail", "--cgroup-parent", &v2, "--", "true"]);
        assert!(line.contains("pids controller is not available"), "{line}");
        return skip("the v2 hierarchy here has no pids controller (it is bound to v1)");
    }
    let (code, json) = jail(&[
        "--pids-max",
        "3",
        "--",
        "sh",
        "-c",
        "sleep 5 & sleep 5 & sleep 5 & exit 0",
    ]);
    assert_eq!(code, 0);
    assert_eq!(json["cgroup"], "v2");
    assert!(json["forks_refused"].as_u64().unwrap() >= 1, "{json}");
}

#[test]
fn bad_input_gets_one_line_and_the_right_status() {
    let line = error_line(["jail", "--pids-max", "0", "--", "true"]);
    assert!(
        line.contains("--pids-max") && line.contains("at least 1"),
        "{line}"
    );
    let line = error_line(["jail", "--pids-max", "many", "--", "true"]);
    assert!(line.contains("not a number"), "{line}");
    let line = error_line(["jail", "--user", "no-such-user-here", "--", "true"]);
    assert!(
        line.contains("unknown user \"no-such-user-here\""),
        "{line}"
    );
    let line = error_line(["jail", "--group", "no-such-group-here", "--", "true"]);
    assert!(line.contains("unknown group"), "{line}");
    let line = error_line(["jail", "--user", "61999", "--", "true"]);
    assert!(line.contains("--group"), "{line}");
    let line = error_line(["jail", "--timeout", "soon", "--", "true"]);
    assert!(line.contains("duration"), "{line}");
    let line = error_line(["jail"]);
    assert!(line.contains("CMD"), "{line}");
    if let Some(why) = cannot() {
        return skip(why);
    }
    for (program, code, message) in [
        ("no-such-program-here", 127, "No such file or directory"),
        ("/etc/passwd", 126, "Permission denied"),
    ] {
        let out = forklab(["jail", "--", program]).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with("forklab: error: ") && stderr.contains(message),
            "{stderr}"
        );
    }
}

#[test]
fn without_permission_it_says_what_is_needed() {
    if !is_root() {
        let line = error_line(["jail", "--", "true"]);
        return assert!(line.contains("needs root"), "{line}");
    }
    // As root: run it as nobody, who may not create cgroups.
    let exe = assert_cmd::cargo::cargo_bin("forklab");
    let out = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(&exe)
        .args(["jail", "--", "true"])
        .output();
    let Ok(out) = out else {
        return skip("setpriv is not installed");
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.contains("Permission denied") && stderr.contains(exe.to_str().unwrap()) {
        return skip("nobody cannot run the test binary here");
    }
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("needs root") && stderr.contains("--cgroup-parent"),
        "{stderr}"
    );
}

#[test]
fn a_bomb_refuses_to_start_unconfined() {
    let out = bin().args(["__bomb", "fork"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    if is_root() {
        assert!(stderr.contains("never runs as root"), "{stderr}");
        let exe = assert_cmd::cargo::cargo_bin("forklab");
        let out = std::process::Command::new("setpriv")
            .args(["--reuid=61105", "--regid=61105", "--clear-groups", "--"])
            .arg(&exe)
            .args(["__bomb", "vfork-exec"])
            .output();
        if let Ok(out) = out {
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{stderr}");
            assert!(stderr.contains("pids.max cap"), "{stderr}");
        }
    }
}
