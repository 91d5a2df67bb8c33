//! What a load run found, as one serde value: the CLI renders it as a table or as the JSON
//! document, and `forklab echo compare` reads its figures.
//!
//! Field names are fixed by the issue that asks for `forklab echo load` (`connections`,
//! `concurrency`, `size`, `conn_per_s`, `bytes_per_s`, `latency_ms` with `p50`, `p90`,
//! `p99`, `p999`, `max`, `errors`, `mismatches`); the others may grow, never be renamed.

use super::LoadOptions;
use super::connection::Plan;
use super::failure::FailureKind;
use super::tally::Tally;
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// The result of [`run`](super::run).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoadReport {
    /// The server's address.
    pub connect: String,
    /// Connections asked for.
    pub connections: u64,
    /// Connections open at a time, at most.
    pub concurrency: u64,
    /// Bytes per round trip.
    pub size: u64,
    /// Round trips per connection.
    pub requests: u64,
    /// Connections started per second (open loop), or `None` (closed loop).
    pub rate: Option<f64>,
    /// Whether connections started on a timetable (`rate`) rather than as others ended.
    pub open_loop: bool,
    /// Where latencies are measured from: `"connect"` (closed loop: the moment the connection
    /// started) or `"schedule"` (open loop: the moment it was due when it had to wait for a
    /// free slot, so that wait counts, which corrects for coordinated omission; else the
    /// moment the generator's timer started it, within a millisecond of when it was due).
    pub latency_from: String,
    /// The per-operation timeout, seconds.
    pub timeout_s: f64,
    /// Threads of the generator (as asked, but no more than connections open at a time).
    pub threads: usize,
    /// Local addresses the connections came from, in turn: 16 for an IPv4 loopback server
    /// (127.0.0.1 to 127.0.0.16, so that TIME_WAIT does not exhaust one address's ephemeral
    /// ports), else 1 (the kernel's choice).
    pub source_addresses: u32,
    /// Whether echoes were waited for by polling the socket rather than sleeping.
    pub busy_poll: bool,
    /// Connections that ended without error.
    pub completed: u64,
    /// Connections that failed (the sum of `errors`).
    pub failed: u64,
    /// From the start of the run to the end of its last connection, seconds.
    pub elapsed_s: f64,
    /// `completed / elapsed_s`.
    pub conn_per_s: f64,
    /// Payload bytes echoed and verified on completed connections, counted once
    /// (`completed × requests × size`; the loopback carries twice as much: out and back).
    pub bytes_echoed: u64,
    /// `bytes_echoed / elapsed_s`.
    pub bytes_per_s: f64,
    /// From the connection's start (see `latency_from`) to its first echoed byte, completed
    /// connections only.
    pub latency_ms: Percentiles,
    /// From the connection's start (see `latency_from`) to the end-of-file after its
    /// half-close: the whole connection, completed connections only.
    pub connection_ms: Percentiles,
    /// Open loop: how late connections started against the timetable (every slot busy, or
    /// the timer's 1 ms resolution). No samples in a closed loop.
    pub start_lag_ms: Percentiles,
    /// Failed connections by kind.
    pub errors: Errors,
    /// `errors.mismatch`, at the top level.
    pub mismatches: u64,
    /// The first message of each kind of failure seen (`"refused"`: `"connect: Connection
    /// refused (os error 111)"`).
    pub error_examples: BTreeMap<String, String>,
}

impl LoadReport {
    /// The report of a finished run.
    pub(crate) fn new(options: &LoadOptions, tally: &Tally, elapsed: Duration) -> LoadReport {
        let elapsed_s = elapsed.as_secs_f64();
        let per_second = |n: u64| {
            if elapsed_s > 0.0 {
                n as f64 / elapsed_s
            } else {
                0.0
            }
        };
        let bytes_echoed = tally.completed * options.requests * options.size;
        let [latency_ms, connection_ms, start_lag_ms] = tally.percentiles();
        let latency_from = if options.rate.is_some() {
            "schedule"
        } else {
            "connect"
        };
        let error_examples: BTreeMap<String, String> = (tally.examples.iter())
            .map(|(kind, message)| (kind.name().to_string(), message.clone()))
            .collect();
        LoadReport {
            connect: options.connect.to_string(),
            connections: options.connections,
            concurrency: options.concurrency as u64,
            size: options.size,
            requests: options.requests,
            rate: options.rate,
            open_loop: options.rate.is_some(),
            latency_from: latency_from.to_string(),
            timeout_s: options.timeout.as_secs_f64(),
            threads: options.threads(),
            source_addresses: u32::from(Plan::sources_for(options.connect)).max(1),
            busy_poll: options.busy_poll,
            completed: tally.completed,
            failed: tally.errors.total(),
            elapsed_s,
            conn_per_s: per_second(tally.completed),
            bytes_echoed,
            bytes_per_s: per_second(bytes_echoed),
            latency_ms,
            connection_ms,
            start_lag_ms,
            errors: tally.errors,
            mismatches: tally.errors.mismatch,
            error_examples,
        }
    }
}

/// Percentiles of a histogram, milliseconds (microsecond resolution, 3 significant digits;
/// values beyond an hour are counted as an hour).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// The largest value.
    pub max: f64,
    /// The arithmetic mean.
    pub mean: f64,
    /// How many values: 0 means the others mean nothing (they are 0).
    pub samples: u64,
}

impl Percentiles {
    /// The percentiles of a histogram of microseconds.
    pub(crate) fn of(h: &Histogram<u64>) -> Percentiles {
        if h.is_empty() {
            return Percentiles::default();
        }
        let ms = |us: u64| us as f64 / 1000.0;
        Percentiles {
            p50: ms(h.value_at_quantile(0.5)),
            p90: ms(h.value_at_quantile(0.9)),
            p99: ms(h.value_at_quantile(0.99)),
            p999: ms(h.value_at_quantile(0.999)),
            max: ms(h.max()),
            mean: h.mean() / 1000.0,
            samples: h.len(),
        }
    }
}

/// Failed connections by kind (see [`FailureKind`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Errors {
    /// `connect` refused.
    pub refused: u64,
    /// Connection reset.
    pub reset: u64,
    /// The server closed before the whole echo came back.
    pub short_echo: u64,
    /// The echo differed from what was sent.
    pub mismatch: u64,
    /// No progress within the timeout.
    pub timeout: u64,
    /// Anything else.
    pub other: u64,
}

impl Errors {
    /// All failed connections.
    pub fn total(&self) -> u64 {
        FailureKind::ALL.iter().map(|&k| self.get(k)).sum()
    }

    /// The count of one kind.
    pub fn get(&self, kind: FailureKind) -> u64 {
        match kind {
            FailureKind::Refused => self.refused,
            FailureKind::Reset => self.reset,
            FailureKind::ShortEcho => self.short_echo,
            FailureKind::Mismatch => self.mismatch,
            FailureKind::Timeout => self.timeout,
            FailureKind::Other => self.other,
        }
    }

    /// Counts one failure of `kind`.
    pub(crate) fn add(&mut self, kind: FailureKind) {
        let count = match kind {
            FailureKind::Refused => &mut self.refused,
            FailureKind::Reset => &mut self.reset,
            FailureKind::ShortEcho => &mut self.short_echo,
            FailureKind::Mismatch => &mut self.mismatch,
            FailureKind::Timeout => &mut self.timeout,
            FailureKind::Other => &mut self.other,
        };
        *count += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::{Errors, Percentiles};
    use crate::load::FailureKind;
    use hdrhistogram::Histogram;

    #[test]
    fn percentiles_are_milliseconds_of_microseconds() {
        let mut h = Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).unwrap();
        for us in 1..=1000 {
            h.record(us * 10).unwrap();
        }
        let p = Percentiles::of(&h);
        assert_eq!(p.samples, 1000);
        assert!((p.p50 - 5.0).abs() < 0.01, "{p:?}");
        assert!((p.p99 - 9.9).abs() < 0.01, "{p:?}");
        assert!((p.max - 10.0).abs() < 0.01, "{p:?}");
        assert_eq!(Percentiles::of(&Histogram::new(3).unwrap()).samples, 0);
    }

    #[test]
    fn errors_count_by_kind() {
        let mut e = Errors::default();
        e.add(FailureKind::Mismatch);
        e.add(FailureKind::Mismatch);
        e.add(FailureKind::Refused);
        assert_eq!(e.get(FailureKind::Mismatch), 2);
        assert_eq!(e.total(), 3);
    }
}
