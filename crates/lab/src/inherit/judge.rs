//! From observations to values: given the reference process's [`Snapshot`] (the subject, or
//! the exec child before it execs), the child's, and what the subject read back afterwards
//! ([`Post`]), decide `yes`, `no`, `shared` or `skipped` for one attribute. Pure functions.
//!
//! A value is only judged when the reference carries the distinctive mark the subject set
//! up; otherwise the cell is `skipped` with the reason, never guessed.

use super::Value::{self, No, Shared, Yes};
use super::plan::{ALTSTACK_SIZE, DEATH_SIGNAL, MOVED_OFFSET, OFFSET, Plan, TIMER_SLACK_NS};
use super::snapshot::{Disposition, Snapshot};
use serde::{Deserialize, Serialize};
use std::fmt::{self, Display};

/// What the subject reads back after a child has ended: the evidence that tells an object the
/// child shares with it from a copy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Post {
    /// The subject's file offset (a child moved a shared one to `MOVED_OFFSET`).
    pub offset: Option<u64>,
    /// Whether the subject's `flock` was released by the child's unlock.
    pub flock_released: Option<bool>,
    /// The subject's words in its regions (a child inverted shared ones).
    pub regions: [Option<u64>; 3],
    /// The subject's dumpable flag (a child set a shared one to 1).
    pub dumpable: Option<u32>,
    /// Whether an `atexit` handler wrote its mark when the child exited.
    pub exit_mark: Option<bool>,
}

/// One column's evidence.
pub(crate) struct Column<'a> {
    /// The plan the child reported against.
    pub plan: &'a Plan,
    /// The reference process.
    pub before: &'a Snapshot,
    /// The child (or the process after exec).
    pub after: &'a Snapshot,
    /// What the subject saw afterwards (`None` fields where it does not apply).
    pub post: &'a Post,
}

/// A judged cell: the value and what was seen (or why it was skipped).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Cell {
    pub value: Value,
    pub seen: String,
}

impl Cell {
    fn skip(why: impl Into<String>) -> Cell {
        Cell {
            value: Value::Skipped,
            seen: why.into(),
        }
    }

    fn shared_if(mut self, moved: bool) -> Cell {
        if self.value == Yes && moved {
            self.value = Shared;
            self.seen.push_str(", shared with the parent");
        }
        self
    }
}

/// Judges attribute `key` in one column.
pub(crate) fn judge(key: &str, c: &Column<'_>) -> Cell {
    let (b, a) = (c.before, c.after);
    match key {
        "pid" => kept(Some(b.pid), Some(a.pid), |p| *p > 0),
        "ppid" => kept(Some(b.ppid), Some(a.ppid), |p| *p > 0),
        "pgid" => kept(Some(b.pgid), Some(a.pgid), |p| *p > 0),
        "sid" => kept(Some(b.sid), Some(a.sid), |p| *p > 0),
        "real_uid" => kept(b.uid.map(|u| u[0]), a.uid.map(|u| u[0]), any_value),
        "setuid_exec_euid" => kept(b.uid.map(|u| u[1]), a.uid.map(|u| u[1]), any_value),
        "setuid_exec_saved_uid" => kept(b.uid.map(|u| u[2]), a.uid.map(|u| u[2]), any_value),
        "supplementary_groups" => kept(b.groups, a.groups, any_value),
        "open_fds" => kept(b.plain_fd, a.plain_fd, is_true),
        "cloexec_fds" => kept(b.cloexec_fd, a.cloexec_fd, is_true),
        "file_offsets" => kept(b.offset, a.offset, |o| *o == OFFSET)
            .shared_if(c.post.offset == Some(MOVED_OFFSET)),
        "cwd" => kept(b.cwd, a.cwd, any_value),
        "root_dir" => kept(b.root, a.root, any_value),
        "umask" => kept(b.umask.map(Octal), a.umask.map(Octal), any_value),
        "environment" => kept(b.environment, a.environment, is_true),
        "handled_signal_dispositions" => kept(b.handled, a.handled, |d| *d == Disposition::Handler),
        "ignored_signal_dispositions" => kept(b.ignored, a.ignored, |d| *d == Disposition::Ignore),
        "signal_mask" => kept(b.masked, a.masked, is_true),
        "pending_signals" => kept(b.pending, a.pending, is_true),
        "alt_signal_stack" => kept(b.altstack, a.altstack, |s| {
            s.size == ALTSTACK_SIZE && !s.disabled
        }),
        "alarm" => alarm(c),
        "itimer_real" => interval_timer(c),
        "posix_timers" => kept(b.posix_timer, a.posix_timer, is_true),
        "rlimits" => kept(b.core_rlimit, a.core_rlimit, any_value),
        "nice" => kept(b.nice, a.nice, any_value),
        "sched_policy" => kept(b.sched_policy, a.sched_policy, |p| *p == libc::SCHED_BATCH),
        "cpu_affinity" => kept(b.affinity, a.affinity, any_value),
        "fcntl_locks" => kept(b.fcntl_lock, a.fcntl_lock, is_true),
        "flock_locks" => {
            kept(b.flock, a.flock, is_true).shared_if(c.post.flock_released == Some(true))
        }
        "memory_locks" => memory_locks(c),
        "private_mappings" => region(c, 0),
        "madv_dontfork" => region(c, 1),
        "madv_wipeonfork" => region(c, 2),
        "pdeathsig" => kept(b.pdeathsig, a.pdeathsig, |s| *s == DEATH_SIGNAL),
        "no_new_privs" => kept(b.no_new_privs, a.no_new_privs, is_true),
        "dumpable" => {
            kept(b.dumpable, a.dumpable, |d| *d == 0).shared_if(c.post.dumpable == Some(1))
        }
        "timer_slack" => kept(b.timer_slack_ns, a.timer_slack_ns, |s| *s == TIMER_SLACK_NS),
        "cpu_times" => cpu_times(c),
        "threads" => threads(c),
        "exit_handlers" => exit_handlers(c.post.exit_mark),
        other => Cell::skip(format!("no measurement for {other}")),
    }
}

/// A mode mask, shown in octal.
#[derive(PartialEq)]
struct Octal(u32);

impl Display for Octal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04o}", self.0)
    }
}

/// For attributes left as the caller had them (the note says so): any value counts.
fn any_value<T>(_: &T) -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

/// `yes` when the child has the reference's value; the reference must carry the mark.
fn kept<T: PartialEq + Display>(
    before: Option<T>,
    after: Option<T>,
    mark: impl Fn(&T) -> bool,
) -> Cell {
    match (before, after) {
        (None, _) => Cell::skip("the parent's value could not be read"),
        (Some(b), _) if !mark(&b) => Cell::skip(format!("the parent's value {b} was not set up")),
        (_, None) => Cell::skip("the child could not read its value"),
        (Some(b), Some(a)) => Cell {
            value: if a == b { Yes } else { No },
            seen: format!("{b} -> {a}"),
        },
    }
}

/// Inherited when the child's word at the region is the mark; shared when the subject then
/// saw the child's change.
fn region(c: &Column<'_>, i: usize) -> Cell {
    let magic = c.plan.magic[i];
    let shows = |w: &Option<u64>| match w {
        None => "unmapped".to_string(),
        Some(w) if *w == magic => "the mark".to_string(),
        Some(0) => "zeros".to_string(),
        Some(w) => format!("{w:#x}"),
    };
    if c.before.regions[i] != Some(magic) {
        return Cell::skip(format!(
            "the parent's region holds {}",
            shows(&c.before.regions[i])
        ));
    }
    let seen = format!("the mark -> {}", shows(&c.after.regions[i]));
    let value = if c.after.regions[i] == Some(magic) {
        Yes
    } else {
        No
    };
    Cell { value, seen }.shared_if(c.post.regions[i] == Some(!magic))
}

fn alarm(c: &Column<'_>) -> Cell {
    let left = |s: &Snapshot| s.real_timer.map(|t| t.value_ms);
    match (left(c.before), left(c.after)) {
        (Some(b), Some(a)) if b > 0 => Cell {
            value: if a > 0 { Yes } else { No },
            seen: format!("{b} ms left -> {a} ms"),
        },
        (Some(_), Some(_)) => Cell::skip("the parent's alarm was not armed"),
        _ => Cell::skip("the real-time timer could not be read"),
    }
}

fn interval_timer(c: &Column<'_>) -> Cell {
    let interval = |s: &Snapshot| s.real_timer.map(|t| t.interval_ms);
    kept(interval(c.before), interval(c.after), |ms| *ms > 0)
}

fn memory_locks(c: &Column<'_>) -> Cell {
    let locked = |s: &Snapshot| s.locked_kib.map(|kib| kib > 0);
    kept(locked(c.before), locked(c.after), is_true)
}

fn cpu_times(c: &Column<'_>) -> Cell {
    match (c.before.cpu_time_us, c.after.cpu_time_us) {
        (Some(b), Some(a)) if b > 0 => Cell {
            value: if a >= b { Yes } else { No },
            seen: format!("{b} µs used -> {a} µs"),
        },
        _ => Cell::skip("CPU times could not be read"),
    }
}

fn threads(c: &Column<'_>) -> Cell {
    match (c.before.threads, c.after.threads) {
        (Some(b), Some(a)) if b >= 2 => Cell {
            value: if a == b { Yes } else { No },
            seen: format!("{b} threads -> {a}"),
        },
        (Some(b), Some(_)) => Cell::skip(format!("the parent had {b} thread(s), not several")),
        _ => Cell::skip("thread counts could not be read"),
    }
}

fn exit_handlers(mark: Option<bool>) -> Cell {
    match mark {
        Some(true) => Cell {
            value: Yes,
            seen: "the parent's handler ran at the child's exit()".into(),
        },
        Some(false) => Cell {
            value: No,
            seen: "no handler ran at exit()".into(),
        },
        None => Cell::skip("the exit mark could not be read"),
    }
}

#[cfg(test)]
#[path = "judge_tests.rs"]
mod tests;
