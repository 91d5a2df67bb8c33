//! The first and last moments of a forked worker. The parent blocks `SIGCHLD`, `SIGTERM` and
//! `SIGINT` for its signalfd; the child inherits that mask and starts from a clean one, with
//! `SIGTERM` and `SIGINT` ignored: the parent alone decides when a worker ends (it drains,
//! then kills), so a Ctrl-C sent to the whole process group, or a `kill` of the group, does
//! not cut clients off mid-conversation. `SIGPIPE` stays ignored as the Rust runtime left it
//! (a vanished client is an `EPIPE`, not a death). If the parent dies, so does the worker
//! (`PR_SET_PDEATHSIG`): no pool outlives its server.
//!
//! A worker never returns into the parent's code it was copied from: it leaves through
//! `_exit`, and a panic is caught here (exit 101) rather than unwound into those frames.

use crate::sys::signals::{self, SigSet};
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs `body` in a freshly forked child of `parent` and exits with its status.
pub(crate) fn run(parent: rustix::process::Pid, body: impl FnOnce() -> i32) -> ! {
    let code = match prepare(parent) {
        Ok(()) => catch_unwind(AssertUnwindSafe(body)).unwrap_or(101),
        Err(e) => {
            tracing::warn!("worker cannot start: {e}");
            1
        }
    };
    forklab_spawn::raw::exit_now(code)
}

fn prepare(parent: rustix::process::Pid) -> io::Result<()> {
    rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))?;
    if rustix::process::getppid() != Some(parent) {
        // The parent died before the death signal was asked for.
        forklab_spawn::raw::exit_now(0);
    }
    signals::ignore(libc::SIGTERM)?;
    signals::ignore(libc::SIGINT)?;
    signals::set_mask(&SigSet::empty())
}

/// Whether a failed `fork` (or thread creation) may succeed after a back-off: `EAGAIN` (a
/// process or thread limit) or `ENOMEM`.
pub(crate) fn is_transient(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::EAGAIN | libc::ENOMEM))
}
