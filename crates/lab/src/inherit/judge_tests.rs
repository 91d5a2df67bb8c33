//! The judge on hand-made snapshots: each value, and the skips.

use super::*;
use crate::inherit::plan::{MOVED_OFFSET, OFFSET, TIMER_SLACK_NS};
use crate::inherit::snapshot::{AltStack, RealTimer};

fn plan() -> Plan {
    Plan {
        magic: [0xA1, 0xB2, 0xC3],
        ..Plan::default()
    }
}

fn parent() -> Snapshot {
    Snapshot {
        pid: 100,
        ppid: 50,
        offset: Some(OFFSET),
        handled: Some(Disposition::Handler),
        pending: Some(true),
        flock: Some(true),
        regions: [Some(0xA1), Some(0xB2), Some(0xC3)],
        real_timer: Some(RealTimer {
            value_ms: 1_000_000,
            interval_ms: 0,
        }),
        timer_slack_ns: Some(TIMER_SLACK_NS),
        cpu_time_us: Some(30_000),
        threads: Some(2),
        dumpable: Some(0),
        altstack: Some(AltStack {
            sp: 0x1000,
            size: ALTSTACK_SIZE,
            disabled: false,
        }),
        ..Snapshot::default()
    }
}

fn value(key: &str, after: &Snapshot, post: &Post) -> Value {
    let (plan, before) = (plan(), parent());
    judge(
        key,
        &Column {
            plan: &plan,
            before: &before,
            after,
            post,
        },
    )
    .value
}

#[test]
fn a_fork_child() {
    let child = Snapshot {
        pid: 101,
        ppid: 100,
        offset: Some(OFFSET),
        handled: Some(Disposition::Handler),
        pending: Some(false),
        flock: Some(true),
        regions: [Some(0xA1), None, Some(0)],
        real_timer: Some(RealTimer::default()),
        cpu_time_us: Some(800),
        threads: Some(1),
        ..parent()
    };
    let post = Post {
        offset: Some(MOVED_OFFSET),
        flock_released: Some(true),
        regions: [Some(0xA1), Some(0xB2), Some(0xC3)],
        exit_mark: Some(true),
        ..Post::default()
    };
    assert_eq!(value("pid", &child, &post), No);
    assert_eq!(value("ppid", &child, &post), No);
    assert_eq!(value("file_offsets", &child, &post), Shared);
    assert_eq!(value("flock_locks", &child, &post), Shared);
    assert_eq!(value("handled_signal_dispositions", &child, &post), Yes);
    assert_eq!(value("pending_signals", &child, &post), No);
    assert_eq!(value("private_mappings", &child, &post), Yes);
    assert_eq!(value("madv_dontfork", &child, &post), No);
    assert_eq!(value("madv_wipeonfork", &child, &post), No);
    assert_eq!(value("alarm", &child, &post), No);
    assert_eq!(value("cpu_times", &child, &post), No);
    assert_eq!(value("threads", &child, &post), No);
    assert_eq!(value("exit_handlers", &child, &post), Yes);
    assert_eq!(value("timer_slack", &child, &post), Yes);
    assert_eq!(value("alt_signal_stack", &child, &post), Yes);
}

#[test]
fn across_exec() {
    let after = Snapshot {
        handled: Some(Disposition::Default),
        regions: [None, None, None],
        real_timer: Some(RealTimer {
            value_ms: 999_000,
            interval_ms: 0,
        }),
        cpu_time_us: Some(31_000),
        threads: Some(1),
        dumpable: Some(1),
        altstack: Some(AltStack {
            sp: 0x9000,
            size: 8192,
            disabled: false,
        }),
        ..parent()
    };
    let post = Post {
        exit_mark: Some(false),
        ..Post::default()
    };
    assert_eq!(value("pid", &after, &post), Yes);
    assert_eq!(value("file_offsets", &after, &post), Yes);
    assert_eq!(value("handled_signal_dispositions", &after, &post), No);
    assert_eq!(value("pending_signals", &after, &post), Yes);
    assert_eq!(value("alarm", &after, &post), Yes);
    assert_eq!(value("cpu_times", &after, &post), Yes);
    assert_eq!(value("private_mappings", &after, &post), No);
    assert_eq!(value("threads", &after, &post), No);
    assert_eq!(value("dumpable", &after, &post), No);
    assert_eq!(value("alt_signal_stack", &after, &post), No);
    assert_eq!(value("exit_handlers", &after, &post), No);
}

#[test]
fn a_vfork_child_shares_memory() {
    let child = Snapshot {
        pid: 102,
        ..parent()
    };
    let post = Post {
        regions: [Some(!0xA1), Some(!0xB2), Some(!0xC3)],
        dumpable: Some(1),
        ..Post::default()
    };
    assert_eq!(value("private_mappings", &child, &post), Shared);
    assert_eq!(value("madv_dontfork", &child, &post), Shared);
    assert_eq!(value("madv_wipeonfork", &child, &post), Shared);
    assert_eq!(value("dumpable", &child, &post), Shared);
}

#[test]
fn unmarked_or_unreadable_values_are_skipped() {
    let (plan, mut before) = (plan(), parent());
    before.timer_slack_ns = Some(50_000);
    before.threads = Some(1);
    before.regions[0] = None;
    let after = parent();
    let post = Post::default();
    let column = Column {
        plan: &plan,
        before: &before,
        after: &after,
        post: &post,
    };
    for key in [
        "timer_slack",
        "threads",
        "private_mappings",
        "umask",
        "nosuch",
    ] {
        let cell = judge(key, &column);
        assert_eq!(cell.value, Value::Skipped, "{key}");
        assert!(!cell.seen.is_empty());
    }
}
