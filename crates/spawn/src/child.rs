//! A running (or finished) child process.
//!
//! A `Child` never signals a pid that may have been reused: once it has reaped the child it
//! remembers the status and sends nothing more. Before that the pid is still ours (only our
//! wait can free it), so signalling it names our child and no other.
//!
//! The one exception is a process that reaps children behind the `Child`'s back: `SIGCHLD`
//! set to `SIG_IGN` or `SA_NOCLDWAIT` (the kernel reaps at exit), or a `waitpid(-1)` elsewhere.
//! There, ask for a pidfd at spawn ([`crate::Command::pidfd`]): it names the child for good,
//! and waits and signals go through it: a wait then fails with `ECHILD` and a signal with
//! `ESRCH` instead of reaching a stranger. As with std, [`Child::pidfd`] is an error when none
//! was asked for: a pidfd opened late might already name someone else.

use crate::{Pid, PidFd, Strategy, WaitStatus, sys};
use std::io::{self, PipeReader, PipeWriter, Read};
use std::os::fd::{AsFd, OwnedFd};
use std::time::{Duration, Instant};

/// A child created by [`crate::Command::spawn`]. Dropping it neither waits nor kills.
#[derive(Debug)]
pub struct Child {
    pid: Pid,
    pidfd: Option<PidFd>,
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
        ends: crate::prepare::ParentEnds,
    ) -> Child {
        Child {
            pid: Pid::new(pid).expect("the kernel returned a positive pid"),
            pidfd: pidfd.map(PidFd::from),
            strategy,
            status: None,
            stdin: ends.stdin,
            stdout: ends.stdout,
            stderr: ends.stderr,
        }
    }

    /// The child's process ID.
    pub fn id(&self) -> Pid {
        self.pid
    }

    /// The child's pidfd, created with the child: with [`crate::Command::pidfd`]`(true)`,
    /// or always by [`Strategy::Clone3`]. An error otherwise (as std's
    /// `ChildExt::pidfd`): a pidfd opened now could name another process if something else
    /// has reaped this one.
    pub fn pidfd(&self) -> io::Result<&PidFd> {
        self.pidfd.as_ref().ok_or_else(no_pidfd)
    }

    /// The pidfd, keeping nothing else (the pipes to the child are closed); the child itself
    /// back if it has none (as std's `ChildExt::into_pidfd`).
    pub fn into_pidfd(mut self) -> Result<PidFd, Child> {
        match self.pidfd.take() {
            Some(pidfd) => Ok(pidfd),
            None => Err(self),
        }
    }

    /// The strategy that actually created the child (never `Auto`).
    pub fn strategy(&self) -> Strategy {
        self.strategy
    }

    /// Waits for the child to end (closing its stdin first, so it sees end-of-file).
    pub fn wait(&mut self) -> io::Result<WaitStatus> {
        drop(self.stdin.take());
        Ok(self.reap(false)?.expect("a blocking wait returns a status"))
    }

    /// Waits at most `timeout` for the child to end: `Ok(None)` if it is still running then
    /// (it is neither killed nor reaped). `Duration::MAX` waits for good. Sleeps on the
    /// child's pidfd; without one, on a pidfd opened for the wait, after checking that it
    /// names a child of ours that is not yet reaped (`ECHILD` otherwise).
    pub fn wait_timeout(&mut self, timeout: Duration) -> io::Result<Option<WaitStatus>> {
        drop(self.stdin.take());
        if self.status.is_some() {
            return Ok(self.status);
        }
        let deadline = Instant::now().checked_add(timeout);
        let opened;
        let pidfd = match &self.pidfd {
            Some(pidfd) => Some(pidfd.as_fd()),
            None => {
                opened = sys::wait::pidfd_open(self.pid.as_raw()).ok();
                match &opened {
                    Some(fd) => Some(sys::wait::unreaped_child(fd.as_fd()).map(|()| fd.as_fd())?),
                    None => None,
                }
            }
        };
        let ended = match pidfd {
            Some(fd) => sys::wait::pidfd_ended_by(fd, deadline)?,
            None => return self.poll_until(deadline),
        };
        if ended {
            self.wait().map(Some)
        } else {
            Ok(None)
        }
    }

    /// Without pidfds (Linux < 5.3): `try_wait` every millisecond until `deadline`.
    fn poll_until(&mut self, deadline: Option<Instant>) -> io::Result<Option<WaitStatus>> {
        loop {
            if let Some(status) = self.try_wait()? {
                return Ok(Some(status));
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Ok(None);
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// The status if the child has ended, without blocking.
    pub fn try_wait(&mut self) -> io::Result<Option<WaitStatus>> {
        self.reap(true)
    }

    /// Reaps the child once and remembers how it ended. Through its pidfd when it has one
    /// (`waitid(P_PIDFD)`, Linux 5.4), so that a pid reused after someone else reaped it can
    /// never hand us a stranger's status; else by pid, which is ours until we reap it.
    fn reap(&mut self, nohang: bool) -> io::Result<Option<WaitStatus>> {
        if self.status.is_none() {
            let pid = self.pid.as_raw();
            self.status = match &self.pidfd {
                Some(pidfd) => match sys::wait::wait_pidfd(pidfd.as_fd(), nohang) {
                    // Linux 5.3 has pidfds but not P_PIDFD.
                    Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
                        sys::wait::wait(pid, nohang)?
                    }
                    other => other?,
                },
                None => sys::wait::wait(pid, nohang)?,
            };
        }
        Ok(self.status)
    }

    /// Sends `signal` (std's `Child::kill` always sends `SIGKILL`; here you choose). Does
    /// nothing once the child has been reaped (its pid may belong to someone else by then); a
    /// child that has exited but is not yet reaped is no error.
    pub fn kill(&mut self, signal: crate::Signal) -> io::Result<()> {
        if self.status.is_some() {
            return Ok(());
        }
        let sent = match &self.pidfd {
            Some(pidfd) => pidfd.send_signal(signal),
            None => sys::wait::kill(self.pid.as_raw(), signal.as_raw()),
        };
        match sent {
            Err(e) if e.raw_os_error() == Some(libc::ESRCH) => Ok(()),
            other => other,
        }
    }

    /// Reads the captured output streams to their ends and waits. With both stdout and
    /// stderr captured, both are read in this thread as they fill (`poll(2)`), so a child
    /// that fills one pipe while we read the other cannot block.
    pub fn wait_with_output(mut self) -> io::Result<Output> {
        drop(self.stdin.take());
        let read = match (self.stdout.take(), self.stderr.take()) {
            (Some(out), Some(err)) => sys::pipes::read2(out, err),
            (Some(mut out), None) => read_one(&mut out).map(|o| (o, Vec::new())),
            (None, Some(mut err)) => read_one(&mut err).map(|e| (Vec::new(), e)),
            (None, None) => Ok((Vec::new(), Vec::new())),
        };
        // The pipes are closed by now, so a child still writing gets EPIPE instead of
        // blocking; reap it even when reading failed, so no zombie is left behind.
        let status = self.wait()?;
        let (stdout, stderr) = read?;
        Ok(Output {
            status,
            stdout,
            stderr,
        })
    }
}

fn read_one(pipe: &mut PipeReader) -> io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    pipe.read_to_end(&mut buf)?;
    Ok(buf)
}

fn no_pidfd() -> io::Error {
    io::Error::other(
        "no pidfd was created for this child: ask for one at spawn with Command::pidfd(true)",
    )
}
