//! `forklab guard` and `forklab guard drill`: a bomb caught by the daemon (events file,
//! metrics), the drill's report, and every bad input and fault the issue names. Every bomb
//! here runs as an unprivileged uid inside a pids-capped cgroup, which is removed after.

use crate::support::{error_line, forklab, is_root, skip};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn exe() -> std::path::PathBuf {
    assert_cmd::cargo::cargo_bin("forklab")
}

/// A TOML file with `text`, kept until dropped.
fn config(text: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    file
}

#[test]
fn a_bad_config_names_the_file_and_the_key() {
    let cases = [
        ("actoin = \"kill\"\n", "actoin: unknown field `actoin`"),
        (
            "[thresholds]\nscore = \"high\"\n",
            "thresholds.score: invalid type",
        ),
        (
            "[thresholds]\ntasks = 0\n",
            "thresholds.tasks: must be at least 1",
        ),
        (
            "action = \"explode\"\n",
            "action: unknown variant `explode`",
        ),
    ];
    for (text, expected) in cases {
        let file = config(text);
        let path = file.path().to_str().unwrap();
        let line = error_line(["guard", "--config", path]);
        assert!(line.contains(&format!("{path}: {expected}")), "{line}");
    }
    let file = config("exempt_users = [\"no-such-user-here\"]\n");
    let path = file.path().to_str().unwrap();
    let line = error_line(["guard", "--config", path]);
    assert!(
        line.contains(&format!("{path}: exempt_users: unknown user")),
        "{line}"
    );
    let line = error_line(["guard", "--config", "/no/such/guard.toml"]);
    assert!(line.contains("cannot read /no/such/guard.toml"), "{line}");
}

#[test]
fn bad_flags_are_usage_errors() {
    for (args, expected) in [
        (&["guard", "--action", "explode"][..], "unknown action"),
        (&["guard", "--score", "0"], "at least 1"),
        (&["guard", "--tasks", "many"], "whole number"),
        (&["guard", "--half-life", "soon"], "duration"),
        (
            &["guard", "--exempt-user", "no-such-user-here"],
            "unknown user",
        ),
        (
            &["guard", "drill", "--kind", "nuke"],
            "unknown bomb \"nuke\"",
        ),
        (
            &["guard", "drill", "--uid", "61000", "--benign-uid", "61000"],
            "must differ",
        ),
    ] {
        let line = error_line(args);
        assert!(line.contains(expected), "{args:?}: {line}");
    }
    if is_root() {
        let line = error_line(["guard", "drill", "--uid", "500"]);
        assert!(line.contains("uid 500 is exempt"), "{line}");
    }
}

/// Runs forklab as `nobody`; None when that cannot be done here.
fn as_nobody(args: &[&str]) -> Option<std::process::Output> {
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(exe())
        .args(args)
        .output()
        .ok()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    (!stderr.contains("Permission denied") || stderr.contains("forklab: error")).then_some(out)
}

#[test]
fn without_root_it_says_so() {
    if !is_root() {
        let line = error_line(["guard"]);
        assert!(line.contains("needs root"), "{line}");
        let line = error_line(["guard", "drill"]);
        return assert!(line.contains("needs root"), "{line}");
    }
    for args in [&["guard"][..], &["guard", "drill"]] {
        let Some(out) = as_nobody(args) else {
            return skip("setpriv cannot run the binary as nobody here");
        };
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with("forklab: error: ") && stderr.contains("needs root"),
            "{stderr}"
        );
    }
}

#[test]
fn without_the_process_connector_it_says_why() {
    if !is_root() {
        return skip("needs root to make a user namespace that looks like root");
    }
    // In a new user namespace the guard is "root" there, but the kernel answers the process
    // connector only in the initial namespaces.
    let out = Command::new("unshare")
        .args(["--user", "--map-root-user", "--"])
        .arg(exe())
        .arg("guard")
        .output();
    let Ok(out) = out else {
        return skip("unshare is not installed");
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.contains("unshare failed") || stderr.contains("unshare: ") {
        return skip(format!("cannot make a user namespace here: {stderr}"));
    }
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("process connector is not available"),
        "{stderr}"
    );
}

/// A guard daemon watching only `uid`, with its events file and metrics.
struct Daemon {
    child: std::process::Child,
    stderr: BufReader<std::process::ChildStderr>,
    events: tempfile::NamedTempFile,
    metrics: String,
    _config: tempfile::NamedTempFile,
}

impl Daemon {
    fn start(uid: u32, extra: &[&str]) -> Daemon {
        let events = tempfile::NamedTempFile::new().unwrap();
        let config = config(&format!("only_uids = [{uid}]\n"));
        let mut child = Command::new(exe())
            .args(["guard", "--metrics", "127.0.0.1:0", "--events"])
            .arg(events.path())
            .arg("--config")
            .arg(config.path())
            .args(extra)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut metrics = String::new();
        let mut line = String::new();
        while !line.contains("watching") {
            line.clear();
            assert!(stderr.read_line(&mut line).unwrap() > 0, "the guard ended");
            if let Some(at) = line.find("http://") {
                metrics = line[at..].trim().to_string();
            }
        }
        Daemon {
            child,
            stderr,
            events,
            metrics,
            _config: config,
        }
    }

    /// Stops it with SIGTERM; returns its exit status, the rest of its stderr and its
    /// events file.
    fn stop(mut self) -> (Option<i32>, String, String) {
        let pid = rustix::process::Pid::from_raw(self.child.id() as i32).unwrap();
        rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
        let mut rest = String::new();
        self.stderr.read_to_string(&mut rest).unwrap();
        let code = self.child.wait().unwrap().code();
        (
            code,
            rest,
            std::fs::read_to_string(self.events.path()).unwrap(),
        )
    }
}

/// `GET` over plain HTTP/1.0.
fn http_get(url: &str) -> String {
    let addr = url.trim_start_matches("http://").split('/').next().unwrap();
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    write!(stream, "GET /metrics HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut body = String::new();
    stream.read_to_string(&mut body).unwrap();
    body
}

/// A fork bomb as `uid` in a jail capped at 3000 tasks with a timeout: the safety net if the
/// guard misses it. Returns jail's JSON summary.
fn jailed_bomb(uid: u32, timeout: &str) -> Value {
    let id = uid.to_string();
    let exe = exe();
    let out = forklab([
        "jail",
        "--json",
        "--pids-max",
        "3000",
        "--timeout",
        timeout,
        "--user",
        &id,
        "--group",
        &id,
        "--",
        exe.to_str().unwrap(),
        "__bomb",
        "fork",
    ])
    .output()
    .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn the_daemon_catches_a_bomb_and_reports_it_everywhere() {
    if !is_root() {
        return skip("the guard needs root");
    }
    let uid = 61410;
    let daemon = Daemon::start(uid, &[]);
    let start = Instant::now();
    let jail = jailed_bomb(uid, "20s");
    let took = start.elapsed();
    // The guard killed the bomb, jail's command included, long before jail's own timeout.
    assert_eq!(jail["timed_out"], false, "{jail}");
    assert_eq!(jail["signal"], 9, "{jail}");
    assert!(took < Duration::from_secs(10), "{took:?}");
    std::thread::sleep(Duration::from_millis(300));
    let events = std::fs::read_to_string(daemon.events.path()).unwrap();
    let incident: Value =
        serde_json::from_str(events.lines().next().expect("an incident")).unwrap();
    assert_eq!(incident["uid"], uid);
    assert_eq!(
        incident["user"],
        Value::Null,
        "uid {uid} has no passwd entry: {incident}"
    );
    assert_eq!(incident["survivors"], 0);
    assert_eq!(incident["action"], "kill");
    assert!(incident["tasks"].as_u64().unwrap() >= 300, "{incident}");
    for field in [
        "detected_at",
        "score",
        "tasks_stopped",
        "tasks_killed",
        "detect_ms",
        "zero_ms",
    ] {
        assert!(!incident[field].is_null(), "{field}: {incident}");
    }
    // Tick: the metrics are refreshed once a second.
    std::thread::sleep(Duration::from_millis(1100));
    let metrics = http_get(&daemon.metrics);
    assert!(metrics.contains("text/plain; version=0.0.4"), "{metrics}");
    assert!(
        metrics.contains(&format!("forklab_guard_incidents_total{{uid=\"{uid}\"}} 1")),
        "{metrics}"
    );
    assert!(
        metrics.contains(&format!("forklab_guard_forks_total{{uid=\"{uid}\"}}")),
        "{metrics}"
    );
    assert!(
        metrics.contains("forklab_guard_events_lost_total"),
        "{metrics}"
    );
    let (code, stderr, _) = daemon.stop();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!("\"uid\":{uid}")),
        "the incident on stderr too: {stderr}"
    );
}

#[test]
fn a_dry_run_only_reports() {
    if !is_root() {
        return skip("the guard needs root");
    }
    let uid = 61411;
    let daemon = Daemon::start(uid, &["--dry-run"]);
    let jail = jailed_bomb(uid, "1500ms");
    assert_eq!(jail["timed_out"], true, "the bomb ran on: {jail}");
    let (code, stderr, events) = daemon.stop();
    assert_eq!(code, Some(0), "{stderr}");
    // Only logged, the bomb goes on: one burst, one incident, however long it runs.
    assert_eq!(events.lines().count(), 1, "{events}");
    let line = events.lines().next().expect("an incident line");
    assert!(stderr.contains(line), "the same line on stderr: {stderr}");
    let incident: Value = serde_json::from_str(line).unwrap();
    assert_eq!(incident["uid"], uid);
    assert_eq!(incident["action"], "log");
    assert_eq!(incident["tasks_killed"], 0);
}

#[test]
fn the_drill_catches_every_bomb_and_leaves_nothing() {
    if !is_root() {
        let line = error_line(["guard", "drill"]);
        return assert!(line.contains("needs root"), "{line}");
    }
    let out = forklab([
        "guard",
        "drill",
        "--json",
        "--uid",
        "61420",
        "--benign-uid",
        "61421",
        "--cap",
        "4000",
        "--benign-processes",
        "300",
    ])
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    assert_eq!(out.status.code(), Some(0), "{report}");
    let bombs = report["bombs"].as_array().unwrap();
    let kinds: Vec<_> = bombs.iter().map(|b| b["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["fork", "vfork-exec", "shell"]);
    for bomb in bombs {
        assert_eq!(bomb["detected"], true, "{bomb}");
        assert_eq!(bomb["survivors"], 0, "{bomb}");
        for field in ["detect_ms", "peak_tasks", "zero_ms"] {
            assert!(bomb[field].is_number(), "{field}: {bomb}");
        }
    }
    assert_eq!(report["benign"]["incidents"], 0);
    assert_eq!(report["benign"]["processes"], 900);
    let left: Vec<_> = std::fs::read_dir("/sys/fs/cgroup/pids")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("forklab-drill-"))
        .collect();
    assert_eq!(left, Vec::<String>::new(), "safety groups left");
    for uid in [61420, 61421] {
        let alive = forklab_guard::procfs::tasks_of(uid)
            .into_iter()
            .filter(|t| t.state != 'Z')
            .count();
        assert_eq!(alive, 0, "uid {uid} has processes left");
    }
}
