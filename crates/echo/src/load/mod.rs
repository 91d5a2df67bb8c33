//! `forklab echo load`: a load generator for any TCP echo server.
//!
//! `connections` connections in all, at most `concurrency` open at a time; on each,
//! `requests` round trips of `size` bytes of fresh random content, each echo checked byte for
//! byte; then a half-close (`shutdown(SHUT_WR)`), the server's end-of-file, and close. It
//! measures what a client of the article's server sees:
//!
//! - latency from the connection's start to its first echoed byte, and the whole
//!   connection's time (HDR histograms, microsecond resolution), completed connections only;
//! - connections per second and payload bytes per second (echoed bytes counted once);
//! - failed connections by kind ([`FailureKind`]): refused, reset, short echo, mismatch,
//!   timeout, other. A failure is a finding, not an error: the run goes on.
//!
//! Closed loop by default: a new connection starts as soon as one ends. With a `rate`, an
//! open loop: connections are due on a fixed timetable, still at most `concurrency` at a
//! time, and latency counts from when each was due, so a stalling server is charged for the
//! connections it delayed: wrk2's correction for coordinated omission. [`LoadReport`] says
//! which (`latency_from`) and how late connections started (`start_lag_ms`).
//!
//! The generator runs on tokio, one task per open connection, `threads` threads. It raises
//! the soft limit on open files (`RLIMIT_NOFILE`) up to the hard one when `concurrency`
//! needs it: that is the only thing it changes in the process.
//!
//! ```no_run
//! use forklab_echo::load::{self, LoadOptions};
//!
//! let options = LoadOptions::new("127.0.0.1:7007".parse().unwrap());
//! let report = load::run(&options, &mut |_progress| {})?;
//! println!("{} conn/s, p99 {} ms", report.conn_per_s, report.latency_ms.p99);
//! # Ok::<(), load::Error>(())
//! ```
//!
//! What this module does not do: start a server, or print.

mod connection;
mod failure;
mod options;
mod payload;
mod report;
mod round_trip;
mod schedule;
mod tally;

pub use failure::FailureKind;
pub use options::LoadOptions;
pub use report::{Errors, LoadReport, Percentiles};

use connection::Plan;
use payload::Pattern;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use schedule::{Schedule, Work};
use std::collections::BTreeMap;
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tally::{Shared, Tally};
use thiserror::Error;

/// How often [`run`] reports progress.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// Open descriptors beyond one per connection (the runtime's, standard streams…).
const SPARE_FILES: u64 = 64;

/// Where a run stands, reported every 100 ms and once at the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Connections ended (completed or failed).
    pub done: u64,
    /// Of which failed.
    pub failed: u64,
    /// Connections in all.
    pub total: u64,
    /// Since the run started.
    pub elapsed: Duration,
}

/// Why a run could not take place (failed connections are not errors: they are counted in
/// the report).
#[derive(Debug, Error)]
pub enum Error {
    /// Options that cannot run (a zero count, a rate that is not a positive number).
    #[error("{0}")]
    Invalid(String),
    /// The runtime (its threads, its epoll instance) could not be started.
    #[error("cannot start the load generator's runtime: {0}")]
    Runtime(#[source] io::Error),
}

/// Runs the load and returns what it measured. `progress` is called on the calling thread.
pub fn run(options: &LoadOptions, progress: &mut dyn FnMut(Progress)) -> Result<LoadReport, Error> {
    options.check()?;
    raise_open_files(options.concurrency as u64 + SPARE_FILES);
    let threads = options.threads();
    let runtime = if threads == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
    }
    .map_err(Error::Runtime)?;
    let (tally, elapsed) = runtime.block_on(drive(options, progress));
    Ok(report(options, &tally, elapsed))
}

/// Starts the workers and reports progress until they are all done. Returns the tally and
/// the time from the start to the end of the last connection.
async fn drive(options: &LoadOptions, progress: &mut dyn FnMut(Progress)) -> (Tally, Duration) {
    let shared = Arc::new(Shared::new());
    let plan = Arc::new(Plan {
        addr: options.connect,
        sources: Plan::sources_for(options.connect),
        size: options.size,
        requests: options.requests,
        timeout: options.timeout,
        busy_poll: options.busy_poll,
    });
    let pattern = Pattern::new(&mut SmallRng::from_rng(&mut rand::rng()));
    let t0 = Instant::now();
    let schedule = match options.rate {
        Some(per_second) => Schedule::Open { t0, per_second },
        None => Schedule::Closed,
    };
    let workers = (options.concurrency as u64).min(options.connections);
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..workers {
        set.spawn(schedule::worker(Work {
            shared: shared.clone(),
            plan: plan.clone(),
            pattern: pattern.clone(),
            schedule,
            total: options.connections,
        }));
    }
    let report = |shared: &Shared| {
        let (done, failed) = shared.counts();
        let (total, elapsed) = (options.connections, t0.elapsed());
        Progress {
            done,
            failed,
            total,
            elapsed,
        }
    };
    let mut tick = tokio::time::interval(PROGRESS_EVERY);
    loop {
        tokio::select! {
            joined = set.join_next() => match joined {
                None => break,
                Some(Ok(())) => {}
                Some(Err(e)) => std::panic::resume_unwind(e.into_panic()),
            },
            _ = tick.tick() => progress(report(&shared)),
        }
    }
    progress(report(&shared));
    let tally = Arc::into_inner(shared)
        .expect("every worker is done")
        .into_tally();
    let elapsed = tally.last_end.map_or(Duration::ZERO, |end| end - t0);
    (tally, elapsed)
}

/// The report of a finished run.
fn report(options: &LoadOptions, tally: &Tally, elapsed: Duration) -> LoadReport {
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
        latency_from: if options.rate.is_some() {
            "schedule"
        } else {
            "connect"
        }
        .to_string(),
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

/// Raises the soft limit on open files to `needed`, or as far as the hard limit allows. A
/// limit that cannot be raised is left as it is: connections beyond it fail with `EMFILE`,
/// counted as `other`.
fn raise_open_files(needed: u64) {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let Some(current) = limit.current else {
        return;
    };
    if current >= needed {
        return;
    }
    let wanted = limit.maximum.map_or(needed, |max| needed.min(max));
    let raised = Rlimit {
        current: Some(wanted),
        maximum: limit.maximum,
    };
    let _ = setrlimit(Resource::Nofile, raised);
}
