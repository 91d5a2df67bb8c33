//! What cannot be spawned, decided before any process exists: a command no strategy can run
//! as built (a NUL byte, a bad environment key, contradictory settings), and requests a
//! strategy cannot honour: `posix_spawn` runs no code of ours in the child, and a `pre_exec`
//! hook runs only in a forked copy (in a vfork-style child it would run on this process's
//! memory, where even a panic's bookkeeping would corrupt this thread's state).

use crate::error::{SpawnError, Step};
use crate::spawn::{error, unsupported};
use crate::{Command, Strategy, sys};
use std::io;

/// Refuses, before anything is created, a command that cannot be spawned as built or that
/// its strategy cannot honour.
pub(crate) fn validate(cmd: &Command) -> Result<(), SpawnError> {
    if let Some(error) = invalid(cmd) {
        return Err(error);
    }
    let why = match cmd.strategy {
        Strategy::PosixSpawn => posix_spawn_cannot(cmd)
            .map(|what| format!("posix_spawn cannot {what}; use another strategy")),
        Strategy::VforkExec | Strategy::Clone3 if !cmd.hooks.is_empty() => Some(format!(
            "{} cannot run a pre_exec hook: it would run on this process's memory, which a \
             vfork-style child shares; use fork-exec or auto",
            cmd.strategy
        )),
        _ => None,
    };
    let step = match cmd.strategy {
        Strategy::PosixSpawn => Step::PosixSpawn,
        _ => Step::PreExec,
    };
    why.map_or(Ok(()), |why| Err(unsupported(cmd, step, why)))
}

/// A command no strategy can run: a NUL byte, a bad environment key, contradictory settings.
pub(crate) fn invalid(cmd: &Command) -> Option<SpawnError> {
    let why = cmd.invalid.or_else(|| {
        if cmd.env.is_invalid() {
            Some("an environment variable with a NUL byte or `=` in its name")
        } else if cmd.setsid && cmd.pgroup.is_some() {
            Some(
                "process_group together with new_session (the leader of a new session leads a \
                 new process group of its own)",
            )
        } else {
            None
        }
    })?;
    let source = io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("invalid command: {why}"),
    );
    Some(error(cmd, Step::Prepare, source))
}

fn posix_spawn_cannot(cmd: &Command) -> Option<&'static str> {
    if !cmd.rlimits.is_empty() {
        Some("set resource limits")
    } else if cmd.uid.is_some() || cmd.gid.is_some() || cmd.groups.is_some() {
        Some("change user or group IDs")
    } else if !cmd.cgroups.is_empty() {
        Some("place the child in a cgroup")
    } else if !cmd.hooks.is_empty() {
        Some("run a pre_exec hook")
    } else if cmd.pidfd && !sys::posix_spawn::has_pidfd_spawn() {
        Some("return a pidfd made with the child with this glibc (pidfd_spawn needs glibc 2.39)")
    } else {
        None
    }
}
