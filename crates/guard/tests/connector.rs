//! The process connector on the real kernel: needs root, skips otherwise.

use std::collections::HashMap;
use std::process::Command;
use std::time::{Duration, Instant};

use forklab_guard::connector::{Connector, ConnectorError, EventKind, Options, Received};

/// Says that the running test checked nothing, and why, where `cargo test` shows it.
fn skip(why: impl std::fmt::Display) {
    use std::io::Write;
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
}

/// Opens the connector, or says why the test skips.
fn open(options: &Options) -> Option<Connector> {
    if !rustix::process::geteuid().is_root() {
        skip("needs root");
        return None;
    }
    match Connector::open(options) {
        Ok(connector) => Some(connector),
        Err(e @ ConnectorError::Unavailable { .. }) => {
            skip(e);
            None
        }
        Err(e) => panic!("opening the connector as root: {e}"),
    }
}

/// What was seen of one child.
#[derive(Debug, Default)]
struct Seen {
    fork: bool,
    exec: bool,
    exit: bool,
    comm: bool,
}

#[test]
fn sees_fork_exec_and_exit_of_children() {
    let Some(mut connector) = open(&Options::default()) else {
        return;
    };
    let me = std::process::id() as i32;
    let mut seen: HashMap<i32, Seen> = HashMap::new();
    let mut children = Vec::new();
    for _ in 0..3 {
        let mut child = Command::new("/bin/true").spawn().unwrap();
        let pid = child.id() as i32;
        assert!(child.wait().unwrap().success());
        children.push(pid);
        seen.insert(pid, Seen::default());
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline && !seen.values().all(|s| s.fork && s.exec && s.exit) {
        let events = match connector.recv_timeout(Duration::from_millis(200)).unwrap() {
            Received::Events(events) => events,
            Received::Lost => panic!("events lost on a quiet machine"),
            Received::TimedOut => continue,
        };
        for event in events {
            let Some((pid, _)) = event.kind.task() else {
                continue;
            };
            let Some(child) = seen.get_mut(&pid) else {
                continue;
            };
            match event.kind {
                EventKind::Fork {
                    parent_tgid,
                    child_pid,
                    child_tgid,
                    ..
                } => {
                    assert_eq!(parent_tgid, me, "{event:?}");
                    assert_eq!(child_pid, child_tgid, "a process, not a thread: {event:?}");
                    assert!(!event.kind.is_thread());
                    child.fork = true;
                }
                EventKind::Exec { tgid, .. } => {
                    assert_eq!(tgid, pid);
                    child.exec = true;
                }
                EventKind::Exit {
                    exit_code,
                    parent_tgid,
                    ..
                } => {
                    assert_eq!(exit_code, 0, "/bin/true exits 0: {event:?}");
                    assert_eq!(parent_tgid, me);
                    child.exit = true;
                }
                EventKind::Comm { .. } => child.comm = true,
                _ => {}
            }
        }
    }
    for pid in &children {
        let s = &seen[pid];
        assert!(s.fork && s.exec && s.exit, "child {pid}: {s:?}");
    }
    let stats = connector.stats();
    assert_eq!(stats.foreign, 0);
    assert_eq!(stats.malformed, 0);
    assert!(connector.filter_sent());
    // The default filter leaves out COMM events (an exec renames the task): a kernel that
    // has the filter (6.6 and later) sends none.
    if kernel_at_least(6, 6) {
        assert!(
            seen.values().all(|s| !s.comm),
            "the filter was ignored: {seen:?}"
        );
    }
}

#[test]
fn two_connectors_each_get_their_own_answer_and_events() {
    let Some(mut first) = open(&Options::default()) else {
        return;
    };
    let mut second = Connector::open(&Options::default()).unwrap();
    let mut child = Command::new("/bin/true").spawn().unwrap();
    let pid = child.id() as i32;
    child.wait().unwrap();
    for connector in [&mut first, &mut second] {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut exited = false;
        while !exited && Instant::now() < deadline {
            if let Received::Events(events) =
                connector.recv_timeout(Duration::from_millis(200)).unwrap()
            {
                exited = events
                    .iter()
                    .any(|e| matches!(e.kind, EventKind::Exit { pid: p, .. } if p == pid));
            }
        }
        assert!(exited, "the exit of {pid} reached every listener");
    }
}

#[test]
fn recv_timeout_returns_when_idle() {
    let Some(mut connector) = open(&Options::default()) else {
        return;
    };
    // The machine is rarely silent for long: read until a timeout shows up.
    let start = Instant::now();
    loop {
        let began = Instant::now();
        match connector.recv_timeout(Duration::from_millis(50)).unwrap() {
            Received::TimedOut => {
                assert!(began.elapsed() >= Duration::from_millis(45));
                break;
            }
            _ => assert!(start.elapsed() < Duration::from_secs(20), "never idle"),
        }
    }
}

fn kernel_at_least(major: u32, minor: u32) -> bool {
    let uname = rustix::system::uname();
    let release = uname.release().to_string_lossy();
    let mut parts = release.split(|c: char| !c.is_ascii_digit());
    let found_major: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let found_minor: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    (found_major, found_minor) >= (major, minor)
}
