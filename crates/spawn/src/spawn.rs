//! Spawning: the command is checked, everything the child needs is allocated and opened in
//! the parent ([`Prepared`]), one strategy creates the child, and the child's failure report,
//! if any, becomes a [`SpawnError`] naming the failed step.
//!
//! Which requests a strategy cannot honour is decided first, before any process exists
//! (`refusal`).

use crate::command::{Hook, StdioDefaults};
use crate::error::{SpawnError, Step};
use crate::prepare::Prepared;
use crate::sys;
use crate::sys::child::{Dispositions, Failure, Report, SignalPlan};
use crate::sys::clone3::Clone3Extras;
use crate::{Child, Command, Strategy, refusal};
use std::ffi::CStr;
use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

/// Whether `clone3` with our flags works here: unknown, yes, no.
static CLONE3: AtomicU8 = AtomicU8::new(CLONE3_UNKNOWN);
const CLONE3_UNKNOWN: u8 = 0;
const CLONE3_WORKS: u8 = 1;
const CLONE3_MISSING: u8 = 2;

/// Cleared once the kernel turned `CLONE_INTO_CGROUP` down as unknown (before Linux 5.7).
static INTO_CGROUP: AtomicBool = AtomicBool::new(true);

/// A child the strategy created, and what came with it.
struct Spawned {
    pid: libc::pid_t,
    pidfd: Option<OwnedFd>,
    used: Strategy,
}

pub(crate) fn spawn(cmd: &mut Command, defaults: StdioDefaults) -> Result<Child, SpawnError> {
    refusal::validate(cmd)?;
    let mut hooks = std::mem::take(&mut cmd.hooks);
    let result = create(cmd, defaults, &mut hooks, &CLONE3);
    cmd.hooks = hooks;
    let child = result?;
    // The descriptors handed over with `fd()` belong to the child now; closing ours lets a
    // reader see end-of-file when the child is done (std's `CommandExt::fd` does the same).
    cmd.fds.clear();
    Ok(child)
}

fn create(
    cmd: &Command,
    defaults: StdioDefaults,
    hooks: &mut [Hook],
    clone3: &AtomicU8,
) -> Result<Child, SpawnError> {
    let mut p = Prepared::new(cmd, defaults, hooks).map_err(|e| error(cmd, Step::Prepare, e))?;
    let spawned = match cmd.strategy {
        Strategy::ForkExec => fork_exec(&mut p)?,
        Strategy::PosixSpawn => posix_spawn(&p)?,
        Strategy::VforkExec => vm_spawn(&mut p, Strategy::VforkExec, cmd.pidfd)?,
        Strategy::Clone3 => vm_spawn(&mut p, Strategy::Clone3, true)?,
        Strategy::Auto => auto(&mut p, clone3)?,
    };
    if cmd.pidfd && spawned.pidfd.is_none() {
        // A kernel before 5.2 ignores CLONE_PIDFD. The child is ours and unreaped, so its
        // pid still names it: end it rather than return a promise we cannot keep.
        let _ = sys::wait::kill(spawned.pid, libc::SIGKILL);
        reap(spawned.pid);
        let why = "this kernel made no pidfd with the child (CLONE_PIDFD needs Linux 5.2)";
        return Err(unsupported(cmd, Step::Create, why.to_string()));
    }
    let ends = std::mem::take(&mut p.parent_ends);
    Ok(Child::new(spawned.pid, spawned.pidfd, spawned.used, ends))
}

pub(crate) fn error(cmd: &Command, step: Step, source: io::Error) -> SpawnError {
    SpawnError::new(step, cmd.program_bytes(), source)
}

pub(crate) fn unsupported(cmd: &Command, step: Step, why: String) -> SpawnError {
    error(cmd, step, io::Error::new(io::ErrorKind::Unsupported, why))
}

fn failure_error(cmd: &Command, failure: Failure) -> SpawnError {
    let step = Step::from_u32(failure.step).unwrap_or(Step::Exec);
    error(cmd, step, io::Error::from_raw_os_error(failure.errno))
}

/// Reaps a child that reported a failure (it has exited, or is about to, with 127).
fn reap(pid: libc::pid_t) {
    let _ = sys::wait::wait(pid, false);
}

/// `clone3` as `Clone3` does it (without a pidfd unless asked), else `VforkExec`; `ForkExec`
/// when there are hooks, which must run in a copy of this process (as std runs them).
fn auto(p: &mut Prepared<'_>, clone3: &AtomicU8) -> Result<Spawned, SpawnError> {
    if p.has_hooks() {
        return fork_exec(p);
    }
    let want_pidfd = p.cmd.pidfd;
    if clone3.load(Ordering::Relaxed) != CLONE3_MISSING {
        match vm_spawn(p, Strategy::Clone3, want_pidfd) {
            Ok(spawned) => {
                clone3.store(CLONE3_WORKS, Ordering::Relaxed);
                return Ok(spawned);
            }
            Err(e) if clone3_missing(&e) => clone3.store(CLONE3_MISSING, Ordering::Relaxed),
            Err(e) => return Err(e),
        }
    }
    vm_spawn(p, Strategy::VforkExec, want_pidfd)
}

/// `clone3` itself (not the child) failed because the kernel, a seccomp filter or the
/// architecture lacks it or one of its flags.
fn clone3_missing(e: &SpawnError) -> bool {
    let no_trampoline = e.raw_os_error().is_none() && e.kind() == io::ErrorKind::Unsupported;
    e.step() == Step::Create
        && (matches!(
            e.raw_os_error(),
            Some(libc::ENOSYS | libc::EINVAL | libc::EPERM)
        ) || no_trampoline)
}

/// Runs a `clone3` attempt with `CLONE_INTO_CGROUP` when the command's cgroup is on the v2
/// hierarchy; without it (the child then writes `cgroup.procs` itself) when there is no such
/// cgroup, or when the kernel turns the flag down as unknown or not permitted. The errors
/// only a placement gives (`EBUSY`, `EACCES`, `EOPNOTSUPP`…) are cgroup failures; the rest
/// (`EAGAIN` at a process limit, `ENOMEM`) stay failures to create the process.
fn placed<'c, T>(
    p: &mut Prepared<'c>,
    mut attempt: impl FnMut(&mut Prepared<'c>, Option<RawFd>) -> Result<T, SpawnError>,
) -> Result<T, SpawnError> {
    let dir = p
        .cgroup_v2_dir()
        .filter(|_| INTO_CGROUP.load(Ordering::Relaxed));
    let Some(dir) = dir else {
        return attempt(p, None);
    };
    match attempt(p, Some(dir)) {
        Err(e) if e.step() == Step::Create && e.raw_os_error().is_some() => {
            match e.raw_os_error() {
                Some(libc::EINVAL | libc::E2BIG) => {
                    INTO_CGROUP.store(false, Ordering::Relaxed);
                    attempt(p, None)
                }
                Some(libc::EPERM | libc::ENOSYS) => attempt(p, None),
                Some(errno) if placement_errno(errno) => Err(e.at_step(Step::Cgroup)),
                _ => Err(e),
            }
        }
        other => other,
    }
}

/// What `clone3` reports when the kernel refuses to create the child in the given cgroup
/// (`cgroup_css_set_fork` and `cgroup_can_fork` in `kernel/cgroup/cgroup.c`; `ENOSPC` is a
/// cpuset without CPUs). Not `EAGAIN`: the target's `pids.max` refuses a child born there, but
/// not one that moves in through `cgroup.procs`, and that is a process limit like any other.
fn placement_errno(errno: i32) -> bool {
    matches!(
        errno,
        libc::EBADF
            | libc::ENODEV
            | libc::EACCES
            | libc::ENOENT
            | libc::EBUSY
            | libc::EOPNOTSUPP
            | libc::ENOSPC
    )
}

/// `VforkExec` and `Clone3`: the child shares our memory until it execs and writes its failure
/// report straight into it. With `VforkExec` one of our signal handlers could run in the child,
/// on our memory, so every signal is blocked around the clone and the child resets handlers
/// before restoring the mask; `Clone3` has the kernel clear the handlers at birth instead.
fn vm_spawn(
    p: &mut Prepared<'_>,
    strategy: Strategy,
    want_pidfd: bool,
) -> Result<Spawned, SpawnError> {
    let cmd = p.cmd;
    let legacy = strategy == Strategy::VforkExec;
    let blocked = if legacy {
        let blocked = sys::signal::BlockedSignals::block_all();
        Some(blocked.map_err(|e| error(cmd, Step::Prepare, e))?)
    } else {
        None
    };
    let mask = match (&blocked, cmd.reset_signal_mask) {
        (_, true) => Some(sys::signal::empty_set()),
        (Some(blocked), false) => Some(blocked.old_mask()),
        (None, false) => None,
    };
    let dispositions = match (cmd.reset_signal_dispositions, legacy) {
        (true, _) => Dispositions::All,
        (false, true) => Dispositions::Caught,
        (false, false) => Dispositions::Keep,
    };
    let signals = SignalPlan {
        dispositions,
        sigpipe_default: true,
        mask,
    };
    let shared = sys::child::SharedReport::new();
    let report = Report::Shared(shared.as_ptr());
    let created = if legacy {
        let plan = p.plan(report, signals, false);
        sys::stack::with_stack(|stack| sys::clone::clone_vfork(&plan, stack, want_pidfd))
            .map_err(|e| error(cmd, Step::Create, e))
    } else {
        placed(p, |p, cgroup| {
            let plan = p.plan(report, signals, cgroup.is_some());
            let extras = Clone3Extras {
                pidfd: want_pidfd,
                cgroup,
            };
            sys::stack::with_stack(|stack| sys::clone3::clone3_vfork(&plan, stack, extras))
                .map_err(|e| error(cmd, Step::Create, e))
        })
    };
    drop(blocked);
    let (pid, pidfd) = created?;
    match shared.get() {
        Some(failure) => {
            reap(pid);
            Err(failure_error(cmd, failure))
        }
        None => Ok(Spawned {
            pid,
            pidfd,
            used: strategy,
        }),
    }
}

/// `ForkExec`: the child reports a failure through a close-on-exec pipe; end-of-file on our
/// side means its exec succeeded.
fn fork_exec(p: &mut Prepared<'_>) -> Result<Spawned, SpawnError> {
    let cmd = p.cmd;
    let prepare = |e| error(cmd, Step::Prepare, e);
    let (reader, writer) = io::pipe().map_err(prepare)?;
    let writer = p.away_from_targets(writer.into()).map_err(prepare)?;
    let signals = SignalPlan {
        dispositions: if cmd.reset_signal_dispositions {
            Dispositions::All
        } else {
            Dispositions::Keep
        },
        sigpipe_default: true,
        mask: cmd.reset_signal_mask.then(sys::signal::empty_set),
    };
    let report = Report::Pipe(writer.as_raw_fd());
    let created = if cmd.pidfd || p.cgroup_v2_dir().is_some() {
        fork_with_clone3(p, report, signals)
    } else {
        let plan = p.plan(report, signals, false);
        let pid = sys::fork::fork_exec(&plan).map_err(|e| error(cmd, Step::Create, e));
        pid.map(|pid| (pid, None))
    };
    drop(writer);
    p.child_ends.clear();
    let (pid, pidfd) = created?;
    match sys::fd::read_failure(reader.as_fd()) {
        Ok(None) => Ok(Spawned {
            pid,
            pidfd,
            used: Strategy::ForkExec,
        }),
        Ok(Some(failure)) => {
            reap(pid);
            Err(failure_error(cmd, failure))
        }
        Err(e) => {
            let _ = sys::wait::kill(pid, libc::SIGKILL);
            reap(pid);
            Err(error(cmd, Step::Prepare, e))
        }
    }
}

/// A fork through `clone3`, for a pidfd made with the child or a place in a v2 cgroup from
/// birth. Without `clone3` (Linux < 5.3, a seccomp filter) a plain fork serves the cgroup
/// (the child writes `cgroup.procs`), but a pidfd cannot be had: `Unsupported`.
fn fork_with_clone3(
    p: &mut Prepared<'_>,
    report: Report,
    signals: SignalPlan,
) -> Result<(libc::pid_t, Option<OwnedFd>), SpawnError> {
    let cmd = p.cmd;
    let created = placed(p, |p, cgroup| {
        let plan = p.plan(report, signals, cgroup.is_some());
        let extras = Clone3Extras {
            pidfd: cmd.pidfd,
            cgroup,
        };
        sys::clone3::clone3_fork(&plan, extras).map_err(|e| error(cmd, Step::Create, e))
    });
    match created {
        Err(e) if clone3_missing(&e) && !cmd.pidfd => {
            let plan = p.plan(report, signals, false);
            let pid = sys::fork::fork_exec(&plan).map_err(|e| error(cmd, Step::Create, e))?;
            Ok((pid, None))
        }
        Err(e) if clone3_missing(&e) => {
            let why = "fork-exec makes a pidfd with the child through clone3, which this \
                       kernel does not offer (Linux 5.3)";
            Err(unsupported(cmd, Step::Create, why.to_string()))
        }
        other => other,
    }
}

fn posix_spawn(p: &Prepared<'_>) -> Result<Spawned, SpawnError> {
    let cmd = p.cmd;
    let sigdefault = if cmd.reset_signal_dispositions {
        sys::signal::full_set()
    } else {
        sys::signal::set_of(libc::SIGPIPE)
    };
    let program = p
        .resolved_program()
        .map_err(|e| error(cmd, Step::PosixSpawn, e))?;
    let request = sys::posix_spawn::SpawnRequest {
        path: program.as_ptr(),
        argv: p.argv.as_ptr(),
        envp: p.envp_now(),
        fds: &p.moves,
        cwd: cmd.cwd.as_deref().map_or(std::ptr::null(), CStr::as_ptr),
        setsid: cmd.setsid,
        pgroup: cmd.pgroup,
        sigdefault,
        mask: cmd.reset_signal_mask.then(sys::signal::empty_set),
    };
    let (pid, pidfd) = sys::posix_spawn::spawn(&request, cmd.pidfd)
        .map_err(|e| error(cmd, Step::PosixSpawn, e))?;
    Ok(Spawned {
        pid,
        pidfd,
        used: Strategy::PosixSpawn,
    })
}

/// Applies `cmd` to the current process, runs its hooks and execs; returns only the error.
pub(crate) fn exec(cmd: &mut Command) -> SpawnError {
    if let Some(error) = refusal::invalid(cmd) {
        return error;
    }
    let mut hooks = std::mem::take(&mut cmd.hooks);
    let error = exec_with(cmd, &mut hooks);
    cmd.hooks = hooks;
    error
}

fn exec_with(cmd: &Command, hooks: &mut [Hook]) -> SpawnError {
    let mut p = match Prepared::new(cmd, StdioDefaults::SPAWN, hooks) {
        Ok(p) => p,
        Err(e) => return error(cmd, Step::Prepare, e),
    };
    // In place, execve resets the caught signals itself; only ignored ones need resetting,
    // and the process's own handlers must stay in case the exec fails.
    let signals = SignalPlan {
        dispositions: if cmd.reset_signal_dispositions {
            Dispositions::Ignored
        } else {
            Dispositions::Keep
        },
        sigpipe_default: true,
        mask: cmd.reset_signal_mask.then(sys::signal::empty_set),
    };
    let plan = p.plan(Report::Caller, signals, false);
    let failure = sys::exec::exec_in_place(&plan);
    failure_error(cmd, failure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_falls_back_when_clone3_is_missing() {
        // A cache of our own: the process-wide one stays as other tests found it.
        let missing = AtomicU8::new(CLONE3_MISSING);
        let cmd = Command::new("/bin/true");
        let mut child = create(&cmd, StdioDefaults::SPAWN, &mut [], &missing).unwrap();
        assert_eq!(child.strategy(), Strategy::VforkExec);
        assert!(child.wait().unwrap().success());
        let unknown = AtomicU8::new(CLONE3_UNKNOWN);
        let mut child = create(&cmd, StdioDefaults::SPAWN, &mut [], &unknown).unwrap();
        assert_eq!(
            child.strategy(),
            Strategy::Clone3,
            "clone3 works on this kernel"
        );
        assert_eq!(unknown.load(Ordering::Relaxed), CLONE3_WORKS);
        assert!(child.wait().unwrap().success());
    }

    #[test]
    fn a_cgroup_v2_target_is_handed_to_clone3() {
        let Some(root) = crate::sys::cgroup::tests::v2_root_as_root() else {
            use std::io::Write;
            let why = "SKIPPED a_cgroup_v2_target_is_handed_to_clone3: needs root and cgroup v2";
            let _ = writeln!(std::io::stderr(), "{why}");
            return;
        };
        struct Removed(std::path::PathBuf);
        impl Drop for Removed {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir(&self.0);
            }
        }
        let dir = Removed(root.join(format!("forklab-unit-{}", std::process::id())));
        std::fs::create_dir(&dir.0).unwrap();
        let mut cmd = Command::new("/bin/true");
        cmd.cgroup(&dir.0);
        let mut p = Prepared::new(&cmd, StdioDefaults::SPAWN, &mut []).unwrap();
        let handed = placed(&mut p, |_, cgroup| Ok(cgroup));
        assert!(handed.unwrap().is_some(), "CLONE_INTO_CGROUP is asked for");
    }

    #[test]
    fn a_missing_clone3_is_told_from_a_failed_child() {
        let missing = error(
            &Command::new("x"),
            Step::Create,
            io::Error::from_raw_os_error(libc::ENOSYS),
        );
        assert!(clone3_missing(&missing));
        let child_failed = error(
            &Command::new("x"),
            Step::Exec,
            io::Error::from_raw_os_error(libc::EINVAL),
        );
        assert!(!clone3_missing(&child_failed));
    }
}
