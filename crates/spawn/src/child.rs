//! A running (or finished) child process.
//!
//! A `Child` never signals a pid that may have been reused: once it has reaped the child it
//! remembers the status and sends nothing more. Before that the pid is still ours (only our
//! wait can free it), so signalling it, or opening a pidfd for it, names our child and no
//! other. A pidfd is opened on first use unless the command asked for one at spawn.
//!
//! The one exception is a process that reaps children behind the `Child`'s back: `SIGCHLD`
//! set to `SIG_IGN` or `SA_NOCLDWAIT` (the kernel reaps at exit), or a `waitpid(-1)` elsewhere.
//! There, ask for the pidfd at spawn ([`crate::Command::pidfd`]): it names the child for good,
//! and signals through it fail with `ESRCH` instead of reaching a stranger.

use crate::{Pid, Strategy, WaitStatus, sys};
use std::io::{self, PipeReader, PipeWriter, Read};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::OnceLock;

/// A child created by [`crate::Command::spawn`]. Dropping it neither waits nor kills.
#[derive(Debug)]
pub struct Child {
    pid: Pid,
    pidfd: OnceLock<Option<OwnedFd>>,
    strategy: Strategy,
    status: Option<WaitStatus>,
    /// Our end of the child's stdin, when it was [`crate::Stdio::Piped`].
    pub stdin: Option<PipeWriter>,
    /// Our end of the child's stdout, when piped.
    pub stdout: Option<PipeReader>,
    /// Our end of the child's stderr, when piped.
    pub stderr: Option<PipeReader>,
}

/// What [`crate::Command::output`] collects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Output {
    /// How the child ended.
    pub status: WaitStatus,
    /// Everything it wrote to stdout (if captured).
    pub stdout: Vec<u8>,
    /// Everything it wrote to stderr (if captured).
    pub stderr: Vec<u8>,
}

impl Child {
    pub(crate) fn new(
        pid: libc::pid_t,
        pidfd: Option<OwnedFd>,
        strategy: Strategy,
        stdin: Option<PipeWriter>,
        stdout: Option<PipeReader>,
        stderr: Option<PipeReader>,
    ) -> Child {
        let pid = Pid::new(pid).expect("the kernel returned a positive pid");
        let cell = OnceLock::new();
        if let Some(fd) = pidfd {
            let _ = cell.set(Some(fd));
        }
        Child {
            pid,
            pidfd: cell,
            strategy,
            status: None,
            stdin,
            stdout,
            stderr,
        }
    }

    /// The child's process ID.
    pub fn id(&self) -> Pid {
        self.pid
    }

    /// The child's pidfd (Linux 5.3+), opened now if the command did not ask for one at spawn;
    /// `None` if the kernel has no pidfds, or if the child was reaped before one was opened.
    pub fn pidfd(&self) -> Option<BorrowedFd<'_>> {
        let fd = self.pidfd.get_or_init(|| {
            if self.status.is_some() {
                return None;
            }
            sys::wait::pidfd_open(self.pid.as_raw()).ok()
        });
        fd.as_ref().map(AsFd::as_fd)
    }

    /// The strategy that actually created the child (never `Auto`).
    pub fn strategy(&self) -> Strategy {
        self.strategy
    }

    /// Waits for the child to end (closing its stdin first, so it sees end-of-file).
    pub fn wait(&mut self) -> io::Result<WaitStatus> {
        drop(self.stdin.take());
        if let Some(status) = self.status {
            return Ok(status);
        }
        let status = sys::wait::wait(self.pid.as_raw(), false)?.expect("blocking wait");
        self.status = Some(status);
        Ok(status)
    }

    /// Waits at most `timeout` for the child to end: `Ok(None)` if it is still running then
    /// (it is neither killed nor reaped). Uses the pidfd where the kernel has one, else polls.
    pub fn wait_timeout(&mut self, timeout: std::time::Duration) -> io::Result<Option<WaitStatus>> {
        drop(self.stdin.take());
        if self.status.is_some() {
            return Ok(self.status);
        }
        match self.pidfd() {
            Some(fd) => {
                if !sys::wait::pidfd_ended_within(fd, timeout)? {
                    return Ok(None);
                }
                self.wait().map(Some)
            }
            None => {
                let deadline = std::time::Instant::now() + timeout;
                loop {
                    if let Some(status) = self.try_wait()? {
                        return Ok(Some(status));
                    }
                    if std::time::Instant::now() >= deadline {
                        return Ok(None);
                    }
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
            }
        }
    }

    /// The status if the child has ended, without blocking.
    pub fn try_wait(&mut self) -> io::Result<Option<WaitStatus>> {
        if self.status.is_none() {
            self.status = sys::wait::wait(self.pid.as_raw(), true)?;
        }
        Ok(self.status)
    }

    /// Sends `signal`. Does nothing once the child has been reaped (its pid may belong to
    /// someone else by then); a child that has exited but is not yet reaped is no error.
    pub fn kill(&mut self, signal: crate::Signal) -> io::Result<()> {
        if self.status.is_some() {
            return Ok(());
        }
        let sent = match self.pidfd.get() {
            Some(Some(fd)) => sys::wait::pidfd_send_signal(fd.as_fd(), signal.as_raw()),
            _ => sys::wait::kill(self.pid.as_raw(), signal.as_raw()),
        };
        match sent {
            Err(e) if e.raw_os_error() == Some(libc::ESRCH) => Ok(()),
            other => other,
        }
    }

    /// Reads the captured output streams to their ends and waits.
    pub fn wait_with_output(mut self) -> io::Result<Output> {
        drop(self.stdin.take());
        let stderr = self.stderr.take().map(|mut pipe| {
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                pipe.read_to_end(&mut buf).map(|_| buf)
            })
        });
        let mut stdout = Vec::new();
        let read = match &mut self.stdout {
            Some(pipe) => pipe.read_to_end(&mut stdout).map(drop),
            None => Ok(()),
        };
        // Close our end before waiting, so a child still writing gets EPIPE instead of
        // blocking; reap it even when reading failed, so no zombie is left behind.
        drop(self.stdout.take());
        let stderr = stderr.map(|reader| {
            reader
                .join()
                .map_err(|_| io::Error::other("stderr reader panicked"))?
        });
        let status = self.wait()?;
        read?;
        let stderr = stderr.transpose()?.unwrap_or_default();
        Ok(Output {
            status,
            stdout,
            stderr,
        })
    }
}
