//! Spawning: everything the child needs is allocated and opened in the parent first
//! ([`Prepared`]), then one strategy creates the child, then the child's failure report, if
//! any, becomes an error naming the failed step.

use crate::command::StdioDefaults;
use crate::error::{SpawnError, Step};
use crate::prepare::Prepared;
use crate::sys;
use crate::sys::child::{Dispositions, Failure, Report, SignalPlan};
use crate::{Child, Command, Strategy};
use std::ffi::CStr;
use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicU8, Ordering};

/// Whether `clone3` with our flags works here: unknown, yes, no.
static CLONE3: AtomicU8 = AtomicU8::new(CLONE3_UNKNOWN);
const CLONE3_UNKNOWN: u8 = 0;
const CLONE3_WORKS: u8 = 1;
const CLONE3_MISSING: u8 = 2;

pub(crate) fn spawn(cmd: &Command, defaults: StdioDefaults) -> io::Result<Child> {
    validate(cmd)?;
    let mut prepared = Prepared::new(cmd, defaults).map_err(|e| error(cmd, Step::Prepare, e))?;
    let (pid, pidfd, used) = match cmd.strategy {
        Strategy::ForkExec => (fork_exec(&mut prepared)?, None, Strategy::ForkExec),
        Strategy::PosixSpawn => (posix_spawn(&mut prepared)?, None, Strategy::PosixSpawn),
        Strategy::VforkExec => {
            let (pid, pidfd) = vm_spawn(&mut prepared, Strategy::VforkExec, cmd.pidfd)?;
            (pid, pidfd, Strategy::VforkExec)
        }
        Strategy::Clone3 => {
            let (pid, pidfd) = vm_spawn(&mut prepared, Strategy::Clone3, true)?;
            (pid, pidfd, Strategy::Clone3)
        }
        Strategy::Auto => auto(&mut prepared)?,
    };
    // Our unreaped child's pid cannot be reused, so opening a pidfd afterwards is race-free.
    let pidfd = if cmd.pidfd {
        pidfd.or_else(|| sys::wait::pidfd_open(pid).ok())
    } else {
        pidfd
    };
    let ends = prepared.parent_ends;
    Ok(Child::new(
        pid,
        pidfd,
        used,
        ends.stdin,
        ends.stdout,
        ends.stderr,
    ))
}

fn validate(cmd: &Command) -> io::Result<()> {
    let why = match cmd.invalid {
        Some(why) => why,
        None if cmd.env.is_invalid() => {
            "an environment variable with a NUL byte or `=` in its name"
        }
        None if cmd.strategy == Strategy::PosixSpawn => match posix_spawn_cannot(cmd) {
            Some(what) => {
                let msg = format!("posix_spawn cannot {what}; use another strategy");
                return Err(error(
                    cmd,
                    Step::PosixSpawn,
                    io::Error::new(io::ErrorKind::Unsupported, msg),
                ));
            }
            None => return Ok(()),
        },
        None => return Ok(()),
    };
    let msg = format!("invalid command: {why}");
    Err(error(
        cmd,
        Step::Prepare,
        io::Error::new(io::ErrorKind::InvalidInput, msg),
    ))
}

fn posix_spawn_cannot(cmd: &Command) -> Option<&'static str> {
    if !cmd.rlimits.is_empty() {
        Some("set resource limits")
    } else if cmd.uid.is_some() || cmd.gid.is_some() || cmd.groups.is_some() {
        Some("change user or group IDs")
    } else if cmd.cgroup.is_some() {
        Some("place the child in a cgroup")
    } else {
        None
    }
}

fn error(cmd: &Command, step: Step, source: io::Error) -> io::Error {
    SpawnError::new(step, cmd.program_bytes(), source).into_io()
}

fn failure_error(cmd: &Command, failure: Failure) -> io::Error {
    let step = Step::from_u32(failure.step).unwrap_or(Step::Exec);
    error(cmd, step, io::Error::from_raw_os_error(failure.errno))
}

/// Reaps a child that reported a failure (it has exited, or is about to, with 127).
fn reap(pid: libc::pid_t) {
    let _ = sys::wait::wait(pid, false);
}

fn auto(p: &mut Prepared<'_>) -> io::Result<(libc::pid_t, Option<OwnedFd>, Strategy)> {
    if CLONE3.load(Ordering::Relaxed) != CLONE3_MISSING {
        match vm_spawn(p, Strategy::Clone3, p.cmd.pidfd) {
            Ok((pid, pidfd)) => {
                CLONE3.store(CLONE3_WORKS, Ordering::Relaxed);
                return Ok((pid, pidfd, Strategy::Clone3));
            }
            Err(e) if clone3_missing(&e) => CLONE3.store(CLONE3_MISSING, Ordering::Relaxed),
            Err(e) => return Err(e),
        }
    }
    let (pid, pidfd) = vm_spawn(p, Strategy::VforkExec, p.cmd.pidfd)?;
    Ok((pid, pidfd, Strategy::VforkExec))
}

/// `clone3` itself (not the child) failed because the kernel, a seccomp filter or the
/// architecture lacks it or one of its flags.
fn clone3_missing(e: &io::Error) -> bool {
    let Some(spawn) = SpawnError::from_io(e) else {
        return false;
    };
    spawn.step() == Step::Create
        && (matches!(
            spawn.raw_os_error(),
            Some(libc::ENOSYS | libc::EINVAL | libc::EPERM)
        ) || e.kind() == io::ErrorKind::Unsupported)
}

/// `VforkExec` and `Clone3`: the child shares our memory until it execs and writes its failure
/// report straight into it. With `VforkExec` one of our signal handlers could run in the child,
/// on our memory, so every signal is blocked around the clone and the child resets handlers
/// before restoring the mask; `Clone3` has the kernel clear the handlers at birth instead.
fn vm_spawn(
    p: &mut Prepared<'_>,
    strategy: Strategy,
    want_pidfd: bool,
) -> io::Result<(libc::pid_t, Option<OwnedFd>)> {
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
    let report = sys::child::SharedReport::new();
    let plan = p.plan(Report::Shared(report.as_ptr()), signals);
    let created = sys::stack::with_stack(|stack| match strategy {
        Strategy::Clone3 => sys::clone3::clone3_vfork(&plan, stack, want_pidfd),
        _ => sys::clone::clone_vfork(&plan, stack, want_pidfd),
    });
    drop(blocked);
    let (pid, pidfd) = created.map_err(|e| error(cmd, Step::Create, e))?;
    match report.get() {
        Some(failure) => {
            reap(pid);
            Err(failure_error(cmd, failure))
        }
        None => Ok((pid, pidfd)),
    }
}

/// `ForkExec`: the child reports a failure through a close-on-exec pipe; end-of-file on our
/// side means its exec succeeded.
fn fork_exec(p: &mut Prepared<'_>) -> io::Result<libc::pid_t> {
    let cmd = p.cmd;
    let (reader, writer) = io::pipe().map_err(|e| error(cmd, Step::Prepare, e))?;
    let writer = p
        .away_from_targets(writer.into())
        .map_err(|e| error(cmd, Step::Prepare, e))?;
    let signals = SignalPlan {
        dispositions: if cmd.reset_signal_dispositions {
            Dispositions::All
        } else {
            Dispositions::Keep
        },
        sigpipe_default: true,
        mask: cmd.reset_signal_mask.then(sys::signal::empty_set),
    };
    let plan = p.plan(Report::Pipe(writer.as_raw_fd()), signals);
    let pid = sys::fork::fork_exec(&plan).map_err(|e| error(cmd, Step::Create, e))?;
    drop(writer);
    p.child_ends.clear();
    match sys::fd::read_failure(reader.as_fd()) {
        Ok(None) => Ok(pid),
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

fn posix_spawn(p: &mut Prepared<'_>) -> io::Result<libc::pid_t> {
    let cmd = p.cmd;
    let sigdefault = if cmd.reset_signal_dispositions {
        sys::signal::full_set()
    } else {
        sys::signal::set_of(libc::SIGPIPE)
    };
    let spawn = |path: &CStr, search: bool| {
        sys::posix_spawn::spawn(&sys::posix_spawn::SpawnRequest {
            path: path.as_ptr(),
            search,
            argv: p.argv.as_ptr(),
            envp: p.envp(),
            fds: &p.moves,
            cwd: cmd.cwd.as_deref().map_or(std::ptr::null(), CStr::as_ptr),
            setsid: cmd.setsid,
            pgroup: cmd.pgroup,
            sigdefault,
            mask: cmd.reset_signal_mask.then(sys::signal::empty_set),
        })
    };
    // glibc's posix_spawnp searches the caller's PATH; only a PATH of the command's own needs
    // our candidates, tried in turn as execvp(3) does (in the child, so relative entries
    // follow the new working directory, and the kernel decides what may be executed).
    if !p.search || !cmd.env.path_overridden() {
        return spawn(&cmd.program, p.search).map_err(|e| error(cmd, Step::PosixSpawn, e));
    }
    let mut denied = false;
    let mut last = libc::ENOENT;
    for candidate in &p.candidate_storage {
        let e = match spawn(candidate, false) {
            Ok(pid) => return Ok(pid),
            Err(e) => e,
        };
        match e.raw_os_error().unwrap_or(0) {
            libc::EACCES => denied = true,
            libc::ENOENT | libc::ENOTDIR | libc::ESTALE | libc::ENODEV | libc::ETIMEDOUT => {}
            _ => return Err(error(cmd, Step::PosixSpawn, e)),
        }
        last = e.raw_os_error().unwrap_or(libc::ENOENT);
    }
    let errno = if denied { libc::EACCES } else { last };
    Err(error(
        cmd,
        Step::PosixSpawn,
        io::Error::from_raw_os_error(errno),
    ))
}

/// Applies `cmd` to the current process and execs; returns only the error.
pub(crate) fn exec(cmd: &Command) -> io::Error {
    if let Err(e) = validate(cmd) {
        return e;
    }
    let mut p = match Prepared::new(cmd, StdioDefaults::SPAWN) {
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
    let plan = p.plan(Report::Caller, signals);
    let failure = sys::exec::exec_in_place(&plan);
    failure_error(cmd, failure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_falls_back_when_clone3_is_missing() {
        let before = CLONE3.swap(CLONE3_MISSING, Ordering::Relaxed);
        let mut child = Command::new("/bin/true").spawn().unwrap();
        CLONE3.store(before, Ordering::Relaxed);
        assert_eq!(child.strategy(), Strategy::VforkExec);
        assert!(child.wait().unwrap().success());
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
