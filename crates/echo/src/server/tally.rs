//! The running count of what workers do, in atomics: threads share one through an `Arc`,
//! forked children one in shared memory (`sys::shared_memory`), and the server turns it into
//! the [`ServeSummary`] at the end. It holds only atomics for that reason.

use super::echo::Ended;
use super::{Model, ServeSummary};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Counters of conversations and workers.
#[derive(Debug, Default)]
#[repr(C)]
pub(crate) struct Tally {
    clients: AtomicU64,
    completed: AtomicU64,
    dropped: AtomicU64,
    cut_at_drain: AtomicU64,
    bytes: AtomicU64,
    busy: AtomicU64,
    peak: AtomicU64,
    workers: AtomicU64,
    retried: AtomicU64,
}

impl Tally {
    /// A conversation begins.
    pub(crate) fn begin(&self) {
        self.clients.fetch_add(1, Relaxed);
        let now = self.busy.fetch_add(1, Relaxed) + 1;
        self.peak.fetch_max(now, Relaxed);
    }

    /// A conversation ended: after `bytes` echoed, as `ending` says.
    pub(crate) fn end(&self, bytes: u64, ending: Option<&Ended>) {
        self.busy.fetch_sub(1, Relaxed);
        self.bytes.fetch_add(bytes, Relaxed);
        let counter = match ending {
            None => &self.completed,
            Some(Ended::Drained) => &self.cut_at_drain,
            Some(_) => &self.dropped,
        };
        counter.fetch_add(1, Relaxed);
    }

    /// A process was forked or a thread started.
    pub(crate) fn worker_created(&self) {
        self.workers.fetch_add(1, Relaxed);
    }

    /// A failure was survived by backing off.
    pub(crate) fn retried(&self) {
        self.retried.fetch_add(1, Relaxed);
    }

    /// The summary, with `killed` workers killed at the drain deadline added to those cut
    /// off there. A conversation whose worker died without ending it (killed by someone
    /// else) is counted as dropped, so that the outcomes add up to the clients; its mark in
    /// `busy` stays, so the peak read afterwards may be high by one per such worker.
    pub(crate) fn summary(&self, model: Model, killed: u64) -> ServeSummary {
        let clients = self.clients.load(Relaxed);
        let completed = self.completed.load(Relaxed);
        let unfinished = clients.saturating_sub(completed);
        let cut_at_drain = (self.cut_at_drain.load(Relaxed) + killed).min(unfinished);
        let dropped = unfinished - cut_at_drain;
        ServeSummary {
            model,
            clients,
            completed,
            dropped,
            cut_at_drain,
            bytes: self.bytes.load(Relaxed),
            peak_concurrent: self.peak.load(Relaxed),
            workers_created: self.workers.load(Relaxed),
            retried: self.retried.load(Relaxed),
        }
    }
}
