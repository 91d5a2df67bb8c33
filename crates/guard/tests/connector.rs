//! The process connector on the real kernel: needs root, skips otherwise.

use std::collections::HashMap;
use std::process::Command;
use std::time::{Duration, Instant};

use forklab_guard::connector::{Connector, ConnectorError, EventKind, EventSet, Options, Received};

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
            Received::Lost => {
                skip("events were lost: the machine is too busy");
                return;
            }
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
}

/// The kinds of event seen for `pid` until its exit, or `None` when events were lost.
fn kinds_until_exit(connector: &mut Connector, pid: i32) -> Option<Vec<EventKind>> {
    let mut kinds = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let events = match connector.recv_timeout(Duration::from_millis(200)).unwrap() {
            Received::Events(events) => events,
            Received::Lost => return None,
            Received::TimedOut => continue,
        };
        for event in events
            .iter()
            .filter(|e| e.kind.task().map(|t| t.0) == Some(pid))
        {
            kinds.push(event.kind);
            if matches!(event.kind, EventKind::Exit { .. }) {
                return Some(kinds);
            }
        }
    }
    panic!("no exit of {pid} within 10 s: {kinds:?}");
}

#[test]
fn the_event_filter_leaves_out_what_was_not_asked_for() {
    let Some(mut guard) = open(&Options::default()) else {
        return;
    };
    let all = Options {
        events: EventSet::ALL,
        ..Options::default()
    };
    let mut everything = Connector::open(&all).unwrap();
    assert!(!everything.filter_sent());
    // Writing /proc/PID/comm sends a COMM event (an exec does not).
    let mut child = Command::new("/bin/sh")
        .args(["-c", "printf forklab-comm > /proc/$$/comm"])
        .spawn()
        .unwrap();
    let pid = child.id() as i32;
    assert!(child.wait().unwrap().success());
    let (Some(filtered), Some(unfiltered)) = (
        kinds_until_exit(&mut guard, pid),
        kinds_until_exit(&mut everything, pid),
    ) else {
        skip("events were lost: the machine is too busy");
        return;
    };
    let comm = |kinds: &[EventKind]| kinds.iter().any(|k| k.comm() == Some(b"forklab-comm"));
    assert!(comm(&unfiltered), "{unfiltered:?}");
    if kernel_at_least(6, 6) {
        assert!(!comm(&filtered), "the 6.6 filter was ignored: {filtered:?}");
    } else {
        skip("the event filter needs Linux 6.6");
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

#[test]
fn a_full_queue_is_reported_as_lost_and_reading_goes_on() {
    // A 16 KiB queue holds about 20 events; 50 children send 150.
    let options = Options {
        receive_buffer: 8 << 10,
        ..Options::default()
    };
    let Some(mut connector) = open(&options) else {
        return;
    };
    let mut last = 0;
    for _ in 0..50 {
        let mut child = Command::new("/bin/true").spawn().unwrap();
        last = child.id() as i32;
        child.wait().unwrap();
    }
    let (mut lost, mut events_after_loss) = (false, false);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !events_after_loss && Instant::now() < deadline {
        match connector.recv_timeout(Duration::from_millis(200)).unwrap() {
            Received::Lost => lost = true,
            Received::Events(_) if lost => events_after_loss = true,
            Received::Events(_) => {}
            Received::TimedOut if lost => {
                // The queue is drained: the next child's events still arrive.
                let mut child = Command::new("/bin/true").spawn().unwrap();
                child.wait().unwrap();
            }
            Received::TimedOut => panic!("50 children ({last} the last) overflowed nothing"),
        }
    }
    assert!(lost && events_after_loss);
    assert!(connector.stats().overflows >= 1);
}
