//! The process models' common parts: what the parent starts with ([`Parent`]), what it does
//! when a fork fails, and the first and last moments of a forked worker.
//!
//! The parent blocks `SIGCHLD`, `SIGTERM` and `SIGINT` for its signalfd; a forked worker
//! inherits that mask and starts from a clean one instead, with `SIGTERM` and `SIGINT`
//! ignored: the parent alone decides when a worker ends (it drains,
//! then kills), so a Ctrl-C sent to the whole process group, or a `kill` of the group, does
//! not cut clients off mid-conversation. `SIGPIPE` stays ignored as the Rust runtime left it
//! (a vanished client is an `EPIPE`, not a death). If the parent dies, so does the worker
//! (`PR_SET_PDEATHSIG`): no pool outlives its server.
//!
//! A worker never returns into the parent's code it was copied from: it leaves through
//! `_exit`, and a panic is caught here (exit 101) rather than unwound into those frames.

use super::accept::BACKOFF;
use super::listener::{Accepting, listen};
use super::signals::{self as parent_signals, Signals};
use super::tally::Tally;
use super::{Error, ServeOptions};
use crate::sys::shared_memory::SharedMemory;
use crate::sys::signals::{self, SigSet};
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

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

/// Whether a failed `fork` (or thread creation, or what a new worker needs: its lock file,
/// its socketpair) may succeed after a back-off: `EAGAIN` (a process or thread limit),
/// `ENOMEM`, `EMFILE` or `ENFILE` (out of descriptors).
pub(crate) fn is_transient(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EAGAIN | libc::ENOMEM | libc::EMFILE | libc::ENFILE)
    )
}

/// A failed `fork` (or thread start) of `what`: if a back-off may cure it, logs it, counts
/// it, and returns when to try again; otherwise it is the server's error.
pub(crate) fn creation_failed(
    e: io::Error,
    what: &'static str,
    tally: &Tally,
) -> Result<Instant, Error> {
    if !is_transient(&e) {
        return Err(Error::system(what)(e));
    }
    tracing::warn!("cannot {what} (retrying): {e}");
    tally.retried();
    Ok(Instant::now() + BACKOFF)
}

/// What every process model's parent starts with.
pub(crate) struct Parent {
    /// The listening socket.
    pub listener: TcpListener,
    /// Its address (the port the kernel chose for port 0).
    pub addr: SocketAddr,
    /// `SIGCHLD`, `SIGTERM` and `SIGINT`, blocked and readable.
    pub signals: Signals,
    /// The tally, shared with the children.
    pub tally: SharedMemory<Tally>,
    /// This process, the children's parent.
    pub pid: rustix::process::Pid,
}

impl Parent {
    /// Listens on `options.listen`, blocks the signals, maps the tally.
    pub(crate) fn start(options: &ServeOptions, accepting: Accepting) -> Result<Parent, Error> {
        let listener = listen(options.listen, accepting)?;
        let addr = listener
            .local_addr()
            .map_err(Error::system("read the bound address"))?;
        let signals =
            Signals::block(&parent_signals::PARENT).map_err(Error::system("block signals"))?;
        let tally = SharedMemory::new().map_err(Error::system("map shared memory"))?;
        let pid = rustix::process::getpid();
        Ok(Parent {
            listener,
            addr,
            signals,
            tally,
            pid,
        })
    }
}
