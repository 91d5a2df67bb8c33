//! The trial loop: fork, both sides act first, reap, N times, in the calling thread.
//!
//! Between two forks the parent touches as little memory as it can: the lines are formatted
//! into stack buffers and the records go to shared memory, because every private page the
//! parent has touched is one more page-table entry each fork copies and write-protects (and
//! one more copy-on-write fault when the parent writes it again). Nothing here creates a
//! thread: forking a multi-threaded process is slower, and its child more restricted.

use super::board::Board;
use super::variant::Via;
use crate::sys::race::{self, FirstAct};
use forklab_spawn::{Pid, WaitStatus};
use std::io::{self, Write};
use std::os::fd::BorrowedFd;
use std::time::{Duration, Instant};

/// Progress is reported after this many trials.
pub(super) const PROGRESS_EVERY: usize = 256;

/// What both sides do first in every trial.
#[derive(Clone, Copy)]
pub(super) enum Sink<'a> {
    /// Take tickets from the board.
    Tickets,
    /// Write `"j parent"` / `"j child"` lines to this descriptor.
    Lines(BorrowedFd<'a>),
}

/// Why a trial failed.
#[derive(Debug)]
pub(super) enum TrialError {
    /// Creating the child failed (`EAGAIN` at a process limit, …).
    Fork(io::Error),
    /// Waiting for the child failed.
    Wait(io::Error),
    /// The child did not exit 0, or took no ticket.
    Child(String),
    /// A side could not write its line: the run stops there.
    Write(io::Error),
}

/// The trials that ran.
pub(super) struct Ran {
    /// Trials completed.
    pub(super) done: usize,
    /// From just before the first fork to just after the last reap.
    pub(super) elapsed: Duration,
    /// The failure that ended the run early, and in which trial.
    pub(super) error: Option<(usize, TrialError)>,
}

/// Runs `n` trials, recording them on `board`, calling `progress` with the number done every
/// [`PROGRESS_EVERY`].
pub(super) fn run(
    n: usize,
    via: Via,
    sink: Sink<'_>,
    board: &Board,
    progress: &mut dyn FnMut(usize),
) -> io::Result<Ran> {
    let start = Instant::now();
    for j in 0..n {
        let result = match sink {
            Sink::Tickets => ticket_trial(j, via, board),
            Sink::Lines(fd) => line_trial(j, via, fd, board),
        };
        if let Err(e) = result {
            let elapsed = start.elapsed();
            return Ok(Ran {
                done: j,
                elapsed,
                error: Some((j, e)),
            });
        }
        if (j + 1) % PROGRESS_EVERY == 0 {
            progress(j + 1);
        }
    }
    Ok(Ran {
        done: n,
        elapsed: start.elapsed(),
        error: None,
    })
}

fn ticket_trial(j: usize, via: Via, board: &Board) -> Result<(), TrialError> {
    board.arm();
    let act = board.first_act();
    let forked_ns = race::monotonic_ns();
    let pid = create(via, &act)?;
    reap(pid)?;
    let reaped_ns = race::monotonic_ns();
    board
        .record(j, forked_ns, reaped_ns)
        .map_err(|_| TrialError::Child("the child took no ticket".to_string()))
}

fn line_trial(j: usize, via: Via, fd: BorrowedFd<'_>, board: &Board) -> Result<(), TrialError> {
    let mut parent = [0u8; 32];
    let mut child = [0u8; 32];
    let parent = format_line(&mut parent, j, "parent");
    let child = format_line(&mut child, j, "child");
    let act = board.line_act(fd, parent, child);
    let forked_ns = race::monotonic_ns();
    let pid = create(via, &act)?;
    reap(pid)?;
    board.record_time(j, forked_ns, race::monotonic_ns());
    // Both sides' writes are done once the child is reaped; a failed one ends the run (a
    // reader gone, a full disk): every later line would fail the same way.
    board
        .write_error()
        .map_or(Ok(()), |e| Err(TrialError::Write(e)))
}

/// `"{j} {who}\n"` in `buf` (32 bytes hold any `usize` and either word).
fn format_line<'b>(buf: &'b mut [u8; 32], j: usize, who: &str) -> &'b [u8] {
    let mut rest = &mut buf[..];
    writeln!(rest, "{j} {who}").expect("32 bytes hold a usize and a word");
    let len = 32 - rest.len();
    &buf[..len]
}

fn create(via: Via, act: &FirstAct<'_>) -> Result<i32, TrialError> {
    let created = match via {
        Via::Fork => race::fork(act),
        Via::Clone => race::clone(act, false),
        Via::Vfork => race::clone(act, true),
    };
    created.map_err(TrialError::Fork)
}

fn reap(pid: i32) -> Result<(), TrialError> {
    let pid = Pid::new(pid).expect("clone returned a positive pid");
    match forklab_spawn::raw::wait_pid(pid).map_err(TrialError::Wait)? {
        WaitStatus::Exited(0) => Ok(()),
        status => Err(TrialError::Child(format!("the child ended with {status}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_the_articles() {
        let mut buf = [0u8; 32];
        assert_eq!(format_line(&mut buf, 0, "parent"), b"0 parent\n");
        assert_eq!(
            format_line(&mut buf, usize::MAX, "child"),
            format!("{} child\n", usize::MAX).as_bytes()
        );
    }
}
