//! What the workers record as connections end: histograms, failures by kind, counts. One lock
//! taken once per connection (uncontended on a few threads, and far cheaper than the
//! connection), plus counters the progress report reads without it.
//!
//! What this module does not do: decide what a failure is, or render anything.

use super::connection::Timing;
use super::failure::{Failure, FailureKind};
use super::report::{Errors, Percentiles};
use hdrhistogram::Histogram;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The histograms' range: 1 µs to an hour (longer values count as an hour).
const HIGHEST_US: u64 = 3_600_000_000;

/// Shared by the workers of a run.
pub(crate) struct Shared {
    tally: Mutex<Tally>,
    /// The index of the next connection to start.
    next: AtomicU64,
    done: AtomicU64,
    failed: AtomicU64,
}

/// What the histograms and counters hold at the end.
pub(crate) struct Tally {
    pub latency: Histogram<u64>,
    pub connection: Histogram<u64>,
    pub start_lag: Histogram<u64>,
    pub errors: Errors,
    pub examples: BTreeMap<FailureKind, String>,
    pub completed: u64,
    /// When the last connection ended.
    pub last_end: Option<Instant>,
}

impl Shared {
    pub(crate) fn new() -> Shared {
        let histogram = || Histogram::new_with_bounds(1, HIGHEST_US, 3).expect("valid bounds");
        Shared {
            tally: Mutex::new(Tally {
                latency: histogram(),
                connection: histogram(),
                start_lag: histogram(),
                errors: Errors::default(),
                examples: BTreeMap::new(),
                completed: 0,
                last_end: None,
            }),
            next: AtomicU64::new(0),
            done: AtomicU64::new(0),
            failed: AtomicU64::new(0),
        }
    }

    /// Takes the next connection's index: 0, 1, 2… across all workers.
    pub(crate) fn take_next(&self) -> u64 {
        self.next.fetch_add(1, Ordering::Relaxed)
    }

    /// Records how one connection ended, and how late it started against its schedule.
    pub(crate) fn record(&self, result: Result<Timing, Failure>, lag: Option<Duration>) {
        let end = Instant::now();
        let failed = result.is_err();
        {
            let mut tally = self.tally.lock().unwrap_or_else(|p| p.into_inner());
            tally.last_end = Some(end);
            if let Some(lag) = lag {
                tally.start_lag.saturating_record(micros(lag));
            }
            match result {
                Ok(timing) => tally.completed(timing),
                Err(failure) => tally.failed(failure),
            }
        }
        self.done.fetch_add(1, Ordering::Relaxed);
        if failed {
            self.failed.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Connections ended so far, and how many of them failed.
    pub(crate) fn counts(&self) -> (u64, u64) {
        let done = self.done.load(Ordering::Relaxed);
        (done, self.failed.load(Ordering::Relaxed))
    }

    /// The tally, once every worker is done.
    pub(crate) fn into_tally(self) -> Tally {
        self.tally.into_inner().unwrap_or_else(|p| p.into_inner())
    }
}

impl Tally {
    fn completed(&mut self, timing: Timing) {
        self.completed += 1;
        self.latency.saturating_record(micros(timing.first_byte));
        self.connection.saturating_record(micros(timing.whole));
    }

    fn failed(&mut self, failure: Failure) {
        self.errors.add(failure.kind);
        self.examples.entry(failure.kind).or_insert(failure.message);
    }

    /// The percentiles of the three histograms: first byte, whole connection, start lag.
    pub(crate) fn percentiles(&self) -> [Percentiles; 3] {
        [&self.latency, &self.connection, &self.start_lag].map(Percentiles::of)
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}
