//! The marks: each function sets one group of attributes of the calling process to a value a
//! child could not have by accident, and records in the [`Plan`] or the notes how to
//! recognise it (or why it could not be set). Used by the subject (`setup`) and, for what a
//! fork child does not inherit, by the exec child (`exec_setup`).

use super::plan::*;
use super::setup::{Notes, Round};
use crate::sys::{self, memory::Advise, memory::Region};
use rustix::process::{DumpableBehavior, Resource};
use std::fs::File;
use std::io::{self, Seek, SeekFrom};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

/// A number unlikely to repeat: the time in nanoseconds mixed with the pid.
pub(crate) fn unique() -> u64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    now.map_or(1, |d| d.as_nanos() as u64) ^ u64::from(std::process::id())
}

/// A session and process group of its own, a working directory, a umask, an environment
/// variable, supplementary groups when root.
pub(crate) fn identity(dir: &Path, env_value: u64, notes: &mut Notes) -> io::Result<()> {
    rustix::process::setsid()?;
    std::env::set_current_dir(dir)?;
    let value = env_value.to_string();
    let set = sys::attrs::set_env_single_threaded(ENV_KEY.as_ref(), value.as_ref());
    note(notes, "environment", set);
    let old = rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o027));
    if old.bits() == 0o027 {
        rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    }
    let groups = [4242, 4343].map(rustix::process::Gid::from_raw);
    if rustix::process::geteuid().is_root() {
        note(
            notes,
            "supplementary_groups",
            rustix::thread::set_thread_groups(&groups),
        );
    } else {
        notes.insert(
            "supplementary_groups".into(),
            "not root: the caller's own groups".into(),
        );
    }
    notes.insert("real_uid".into(), "the caller's own real user ID".into());
    notes.insert(
        "root_dir".into(),
        "unchanged: a chroot would hide the probe".into(),
    );
    Ok(())
}

/// Records why `key` could not be made distinctive, when `result` is an error.
pub(crate) fn note<T, E: std::fmt::Display>(notes: &mut Notes, key: &str, result: Result<T, E>) {
    if let Err(e) = result {
        notes.insert(key.to_string(), format!("could not be set up: {e}"));
    }
}

/// The descriptors of the plan: an ordinary one and a close-on-exec one (numbered from 50),
/// a file with a set offset, an `flock`ed file and an `fcntl`-locked one. Every descriptor a
/// probe must see after exec is made to survive it.
pub(crate) fn descriptors(dir: &Path) -> io::Result<(Plan, Vec<OwnedFd>, PathBuf)> {
    let null = File::open("/dev/null")?;
    let plain = rustix::io::fcntl_dupfd_cloexec(&null, 50)?;
    let cloexec = rustix::io::fcntl_dupfd_cloexec(&null, 50)?;
    let mut offset = File::create(dir.join("offset"))?;
    offset.set_len(2 * MOVED_OFFSET)?;
    offset.seek(SeekFrom::Start(OFFSET))?;
    let flock_path = dir.join("flock");
    let flock = File::create(&flock_path)?;
    sys::locks::flock_try(flock.as_raw_fd())?;
    let lock = File::create(dir.join("lock"))?;
    sys::locks::lock_byte(lock.as_raw_fd(), LOCKED_BYTE)?;
    let open: Vec<OwnedFd> = vec![plain, cloexec, offset.into(), flock.into(), lock.into()];
    for (i, fd) in open.iter().enumerate() {
        if i != 1 {
            sys::fds::keep_across_exec(fd.as_fd().as_raw_fd())?;
        }
    }
    let n = |i: usize| open[i].as_raw_fd();
    let plan = Plan {
        plain_fd: n(0),
        cloexec_fd: n(1),
        offset_fd: n(2),
        flock_fd: n(3),
        lock_fd: n(4),
        locked_byte: LOCKED_BYTE,
        ..Plan::default()
    };
    Ok((plan, open, flock_path))
}

/// A pipe an `atexit` handler writes to: its read end (non-blocking) and write end (kept
/// across exec, so that a handler that survived an exec could still be heard).
pub(crate) fn exit_mark() -> io::Result<(io::PipeReader, OwnedFd)> {
    let (reader, writer) = io::pipe()?;
    rustix::fs::fcntl_setfl(&reader, rustix::fs::OFlags::NONBLOCK)?;
    let writer: OwnedFd = writer.into();
    sys::fds::keep_across_exec(writer.as_raw_fd())?;
    sys::process::register_exit_mark(&writer)?;
    Ok((reader, writer))
}

pub(crate) fn signals(notes: &mut Notes) {
    use sys::signals::*;
    note(
        notes,
        "handled_signal_dispositions",
        install_noop_handler(HANDLED_SIGNAL),
    );
    note(notes, "ignored_signal_dispositions", ignore(IGNORED_SIGNAL));
    note(notes, "signal_mask", block(MASKED_SIGNAL));
    note(
        notes,
        "pending_signals",
        block(PENDING_SIGNAL).and_then(|()| raise_in_process(PENDING_SIGNAL)),
    );
    note(
        notes,
        "alt_signal_stack",
        install_altstack(ALTSTACK_SIZE as usize),
    );
}

/// The real-time timer for this round, and a POSIX timer.
pub(crate) fn timers(round: Round, notes: &mut Notes) -> Option<i32> {
    match round {
        Round::Main => sys::timers::alarm(1000),
        Round::Second => note(notes, "itimer_real", sys::timers::set_real_timer(900, 450)),
    }
    let timer = sys::timers::create_posix_timer(1000);
    let id = timer.as_ref().ok().copied();
    note(notes, "posix_timers", timer);
    id
}

/// A soft core-file limit, a nice value, `SCHED_BATCH` and a one-CPU affinity, each unlike
/// what the caller had.
pub(crate) fn schedule(notes: &mut Notes) {
    let core = rustix::process::getrlimit(Resource::Core);
    let soft = distinct_limit(core.current, core.maximum);
    let limit = rustix::process::Rlimit {
        current: soft,
        ..core
    };
    note(
        notes,
        "rlimits",
        rustix::process::setrlimit(Resource::Core, limit),
    );
    let nice = rustix::process::getpriority_process(None).unwrap_or(0);
    let target = if nice <= 17 { nice + 2 } else { nice - 2 };
    note(
        notes,
        "nice",
        rustix::process::setpriority_process(None, target),
    );
    note(notes, "sched_policy", sys::attrs::set_sched_batch());
    one_cpu(notes);
}

/// Restricts the process to its last allowed CPU, when it has several.
fn one_cpu(notes: &mut Notes) {
    match rustix::thread::sched_getaffinity(None) {
        Ok(set) if set.count() >= 2 => {
            let last = (0..1024).rev().find(|&cpu| set.is_set(cpu)).unwrap_or(0);
            let mut one = rustix::thread::CpuSet::new();
            one.set(last);
            note(
                notes,
                "cpu_affinity",
                rustix::thread::sched_setaffinity(None, &one),
            );
        }
        _ => {
            let why = "one CPU only: the mask is not distinctive";
            notes.insert("cpu_affinity".into(), why.into());
        }
    }
}

/// A soft limit different from `current` that an unprivileged process may set (at most the
/// hard limit).
pub(crate) fn distinct_limit(current: Option<u64>, hard: Option<u64>) -> Option<u64> {
    let candidates = [Some(0x7ab_000), hard.map(|h| h / 2), Some(0)];
    candidates
        .into_iter()
        .flatten()
        .filter(|&c| hard.is_none_or(|h| c <= h))
        .map(Some)
        .find(|&c| c != current)
        .unwrap_or(current)
}

/// The three regions, their marks recorded in the plan; the ordinary one locked.
pub(crate) fn memory(plan: &mut Plan, notes: &mut Notes) -> io::Result<[Region; REGIONS]> {
    let advice = [Advise::Nothing, Advise::DontFork, Advise::WipeOnFork];
    let mut regions = Vec::with_capacity(REGIONS);
    for (i, advise) in advice.into_iter().enumerate() {
        plan.magic[i] = unique().rotate_left(8 * i as u32) | 1;
        let region = sys::memory::map(plan.magic[i], advise)?;
        plan.regions[i] = region.addr();
        regions.push(region);
    }
    note(notes, "memory_locks", sys::memory::lock(regions[0]));
    Ok([regions[0], regions[1], regions[2]])
}

pub(crate) fn prctls(round: Round, notes: &mut Notes) {
    use rustix::process::{Signal, set_parent_process_death_signal};
    note(
        notes,
        "pdeathsig",
        set_parent_process_death_signal(Some(Signal::POWER)),
    );
    note(
        notes,
        "no_new_privs",
        rustix::thread::set_no_new_privs(true),
    );
    let slack = std::num::NonZeroU64::new(TIMER_SLACK_NS);
    note(
        notes,
        "timer_slack",
        rustix::thread::set_current_timer_slack(slack),
    );
    if round == Round::Second {
        let not = DumpableBehavior::NotDumpable;
        note(
            notes,
            "dumpable",
            rustix::process::set_dumpable_behavior(not),
        );
    }
}

/// Uses 30 ms of CPU time, so that a child's reset CPU counters are told from inherited ones.
pub(crate) fn burn_cpu() {
    let used = || {
        let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
        t.tv_sec as u64 * 1000 + t.tv_nsec as u64 / 1_000_000
    };
    let start = used();
    while used() < start + 30 {
        std::hint::spin_loop();
    }
}

#[cfg(test)]
mod tests {
    use super::distinct_limit;

    #[test]
    fn a_distinct_core_limit_an_unprivileged_process_may_set() {
        assert_eq!(distinct_limit(None, None), Some(0x7ab_000));
        assert_eq!(distinct_limit(Some(0x7ab_000), None), Some(0));
        assert_eq!(distinct_limit(Some(0), Some(1 << 20)), Some(1 << 19));
        assert_eq!(distinct_limit(Some(0), Some(0)), Some(0));
        assert_eq!(distinct_limit(Some(4096), Some(4096)), Some(2048));
    }
}
