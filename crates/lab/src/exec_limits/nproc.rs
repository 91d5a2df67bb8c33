//! The `RLIMIT_NPROC` check at the top of `do_execveat_common` (the article's listing):
//!
//! ```c
//! if ((current->flags & PF_NPROC_EXCEEDED) &&
//!     is_ucounts_overlimit(current_ucounts(), UCOUNT_RLIMIT_NPROC, rlimit(RLIMIT_NPROC))) {
//!         retval = -EAGAIN;
//! ```
//!
//! `setuid(2)` never fails for being over the limit (too many programs ignore its result);
//! it sets `PF_NPROC_EXCEEDED` and the next `execve` fails instead. To see it: as root, keep
//! one process running as an unprivileged user, then start a child that sets
//! `RLIMIT_NPROC` to 0, calls `setuid` to that user (now over its limit) and execs.

use super::attempt::{self, Exec};
use forklab_spawn::{Fork, Resource, Rlimit};
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::path::Path;

/// The unprivileged user.
const USER: u32 = 65534;

/// What `execve` did after `setuid` to a user over its process limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Nproc {
    /// It failed with `EAGAIN`, as the listing says.
    Eagain,
    /// It succeeded.
    Allowed,
    /// Not measured; the detail says why.
    Skipped,
}

impl std::fmt::Display for Nproc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Nproc::Eagain => "eagain",
            Nproc::Allowed => "allowed",
            Nproc::Skipped => "skipped",
        })
    }
}

/// Measures, with a sentence saying what happened or why it was skipped.
pub(crate) fn measure(program: &Path) -> (Nproc, String) {
    if !rustix::process::geteuid().is_root() {
        return (
            Nproc::Skipped,
            "needs root: only root can setuid() to another user".into(),
        );
    }
    let what = format!("setuid({USER}) with RLIMIT_NPROC 0 while uid {USER} runs a process");
    match with_holder(|| attempt::run(&mut over_limit_command(program))) {
        Ok(Ok(Exec::Refused(libc::EAGAIN))) => {
            (Nproc::Eagain, format!("{what}: execve failed with EAGAIN"))
        }
        Ok(Ok(Exec::Ran(_))) => (Nproc::Allowed, format!("{what}: execve succeeded")),
        Ok(Ok(Exec::Refused(errno))) => {
            let error = std::io::Error::from_raw_os_error(errno);
            let why = format!("execve failed with another error: {error}");
            (Nproc::Skipped, why)
        }
        Ok(Err(e)) => (Nproc::Skipped, e.to_string()),
        Err(e) => (Nproc::Skipped, e),
    }
}

fn over_limit_command(program: &Path) -> forklab_spawn::Command {
    let mut command = attempt::command(program, None);
    command
        .rlimit(Resource::Nproc, Rlimit::both(Some(0)))
        .gid(USER)
        .uid(USER);
    command
}

/// Runs `f` while a forked process of uid [`USER`] exists: it becomes that user, says so,
/// waits for the end of a pipe, then exits and is reaped.
fn with_holder<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    let text = |e: std::io::Error| e.to_string();
    let (mut release, releaser) = std::io::pipe().map_err(text)?;
    let (mut ready, announcer) = std::io::pipe().map_err(text)?;
    let holder = match forklab_spawn::fork().map_err(|e| format!("cannot fork a holder: {e}"))? {
        Fork::Child => {
            drop((releaser, ready));
            let gid = rustix::thread::set_thread_gid(rustix::process::Gid::from_raw(USER));
            let uid = rustix::thread::set_thread_uid(rustix::process::Uid::from_raw(USER));
            if gid.is_ok() && uid.is_ok() {
                let _ = rustix::io::write(&announcer, b"!");
            }
            drop(announcer);
            let _ = release.read(&mut [0u8; 1]);
            forklab_spawn::raw::exit_now(0)
        }
        Fork::Parent(pid) => pid,
    };
    drop((release, announcer));
    let became_user = ready.read(&mut [0u8; 1]).map_err(text)? == 1;
    let result = became_user.then(f);
    drop(releaser);
    forklab_spawn::raw::wait_pid(holder).map_err(text)?;
    result.ok_or_else(|| format!("the holder could not become uid {USER}"))
}
