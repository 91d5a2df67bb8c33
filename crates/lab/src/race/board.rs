//! The board of a run: the ticket dispenser, each side's latest ticket, and one record per
//! trial, all in memory shared with the children (see `sys::shm` for why shared).
//!
//! Layout, in 64-bit words: a header (`NEXT`, then a ticket and a time per side, then the
//! `errno` of a failed line write), then three
//! words per trial: the child's latency with bit 63 set when it was first, the parent's
//! latency (both for the ticket measure only), and the trial's wall time (all ns).

use super::report::{First, Latency};
use crate::stats::quantile;
use crate::sys::race::{FirstAct, SHORT_WRITE, Stub};
use crate::sys::shm::SharedWords;
use std::io;
use std::os::fd::BorrowedFd;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

const NEXT: usize = 0;
const PARENT_TICKET: usize = 1;
const PARENT_NS: usize = 2;
const CHILD_TICKET: usize = 3;
const CHILD_NS: usize = 4;
/// The `errno` of a side's failed line write (0: none), set by the side itself.
const WRITE_ERROR: usize = 5;
const HEADER: usize = 8;
const PER_TRIAL: usize = 3;
const CHILD_FIRST: u64 = 1 << 63;
/// What a side's ticket reads before it took one.
const NO_TICKET: u64 = u64::MAX;

/// Tickets and per-trial records for `trials` trials.
pub(super) struct Board {
    shared: SharedWords,
    trials: usize,
}

/// What went wrong with one trial's tickets.
#[derive(Debug)]
pub(super) struct MissingTicket;

impl Board {
    /// Maps a board for `trials` trials.
    pub(super) fn new(trials: usize) -> io::Result<Board> {
        let words = trials
            .checked_mul(PER_TRIAL)
            .and_then(|w| w.checked_add(HEADER))
            .ok_or_else(|| io::Error::from(io::ErrorKind::OutOfMemory))?;
        let shared = SharedWords::zeroed(words)?;
        Ok(Board { shared, trials })
    }

    fn word(&self, index: usize) -> &AtomicU64 {
        &self.shared.words()[index]
    }

    /// What both sides do first: take a ticket from this board.
    pub(super) fn first_act(&self) -> FirstAct<'_> {
        FirstAct::Ticket {
            next: self.word(NEXT),
            parent: Stub {
                ticket: self.word(PARENT_TICKET),
                at_ns: self.word(PARENT_NS),
            },
            child: Stub {
                ticket: self.word(CHILD_TICKET),
                at_ns: self.word(CHILD_NS),
            },
        }
    }

    /// What both sides do first: write their line of trial `j` to `fd`, noting a failure on
    /// this board.
    pub(super) fn line_act<'a>(
        &'a self,
        fd: BorrowedFd<'a>,
        parent: &'a [u8],
        child: &'a [u8],
    ) -> FirstAct<'a> {
        FirstAct::Line {
            fd,
            parent,
            child,
            failed: self.word(WRITE_ERROR),
        }
    }

    /// Why a side's line write failed, if one did since the board was made.
    pub(super) fn write_error(&self) -> Option<io::Error> {
        match self.word(WRITE_ERROR).load(Relaxed) {
            0 => None,
            SHORT_WRITE => Some(io::Error::new(
                io::ErrorKind::WriteZero,
                "a line was written only in part",
            )),
            errno => Some(io::Error::from_raw_os_error(errno as i32)),
        }
    }

    /// Clears the child's ticket before a fork, so a child that took none is noticed.
    pub(super) fn arm(&self) {
        self.word(CHILD_TICKET).store(NO_TICKET, Relaxed);
    }

    /// Records trial `j` after its child was reaped: who was first and the latencies from
    /// `forked_ns` (just before the fork call); `reaped_ns` ends the trial.
    pub(super) fn record(
        &self,
        j: usize,
        forked_ns: u64,
        reaped_ns: u64,
    ) -> Result<(), MissingTicket> {
        let child_ticket = self.word(CHILD_TICKET).load(Relaxed);
        if child_ticket == NO_TICKET || j >= self.trials {
            return Err(MissingTicket);
        }
        let child_first = child_ticket < self.word(PARENT_TICKET).load(Relaxed);
        let since = |at: usize| self.word(at).load(Relaxed).saturating_sub(forked_ns);
        let flag = if child_first { CHILD_FIRST } else { 0 };
        let at = HEADER + j * PER_TRIAL;
        self.word(at)
            .store(since(CHILD_NS).min(CHILD_FIRST - 1) | flag, Relaxed);
        self.word(at + 1).store(since(PARENT_NS), Relaxed);
        self.record_time(j, forked_ns, reaped_ns);
        Ok(())
    }

    /// Records how long trial `j` took, from just before the fork to just after the reap.
    pub(super) fn record_time(&self, j: usize, forked_ns: u64, reaped_ns: u64) {
        if j < self.trials {
            let at = HEADER + j * PER_TRIAL + 2;
            self.word(at)
                .store(reaped_ns.saturating_sub(forked_ns), Relaxed);
        }
    }

    fn trial(&self, j: usize) -> [u64; PER_TRIAL] {
        let at = HEADER + j * PER_TRIAL;
        [0, 1, 2].map(|k| self.word(at + k).load(Relaxed))
    }

    /// Who was first in each of the first `done` trials.
    pub(super) fn order(&self, done: usize) -> Vec<First> {
        (0..done)
            .map(|j| match self.trial(j)[0] & CHILD_FIRST {
                0 => First::Parent,
                _ => First::Child,
            })
            .collect()
    }

    /// The 50th and 99th percentiles of column `k` over the first `done` trials.
    fn percentiles(&self, done: usize, k: usize) -> (f64, f64) {
        let mut v: Vec<f64> = (0..done)
            .map(|j| (self.trial(j)[k] & !CHILD_FIRST) as f64)
            .collect();
        v.sort_by(f64::total_cmp);
        (quantile(&v, 0.5), quantile(&v, 0.99))
    }

    /// Fork-return latencies over the first `done` trials; `None` when there are none.
    pub(super) fn latency(&self, done: usize) -> Option<Latency> {
        if done == 0 {
            return None;
        }
        let (child_p50_ns, child_p99_ns) = self.percentiles(done, 0);
        let (parent_p50_ns, parent_p99_ns) = self.percentiles(done, 1);
        Some(Latency {
            child_p50_ns,
            child_p99_ns,
            parent_p50_ns,
            parent_p99_ns,
        })
    }

    /// The median and 99th percentile of the trials' wall time, µs; `None` without trials.
    pub(super) fn trial_time_us(&self, done: usize) -> Option<(f64, f64)> {
        (done > 0).then(|| {
            let (p50, p99) = self.percentiles(done, 2);
            (p50 / 1e3, p99 / 1e3)
        })
    }
}
