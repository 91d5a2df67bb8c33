//! `forklab echo load`: a load generator for any TCP echo server.
//!
//! `connections` connections in all, at most `concurrency` open at a time; on each,
//! `requests` round trips of `size` bytes of random content (a fresh window of the run's
//! random pattern each), each echo checked byte for byte; then a half-close
//! (`shutdown(SHUT_WR)`), the server's end-of-file, and close. It measures what a client of
//! the article's server sees:
//!
//! - latency from the connection's start to its first echoed byte, and the whole
//!   connection's time (HDR histograms, microsecond resolution), completed connections only;
//! - connections per second and payload bytes per second (echoed bytes counted once);
//! - failed connections by kind ([`FailureKind`]): refused, reset, short echo, mismatch,
//!   timeout, other. A failure is a finding, not an error: the run goes on.
//!
//! Closed loop by default: a new connection starts as soon as one ends. With a `rate`, an
//! open loop: connections are due on a fixed timetable, still at most `concurrency` at a
//! time, and one that falls due while all are busy counts its latency from when it was due,
//! so a stalling server is charged for the connections it delayed: wrk2's correction for
//! coordinated omission. [`LoadReport`] says which (`latency_from`) and how late
//! connections started (`start_lag_ms`).
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
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tally::{Shared, Tally};
use thiserror::Error;
use tokio::task::JoinSet;

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
    let runtime = runtime(options.threads()).map_err(Error::Runtime)?;
    let (tally, elapsed) = runtime.block_on(drive(options, progress));
    Ok(LoadReport::new(options, &tally, elapsed))
}

/// A runtime with `threads` threads: the calling thread alone when it is one.
fn runtime(threads: usize) -> io::Result<tokio::runtime::Runtime> {
    if threads == 1 {
        return tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build();
    }
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
}

/// Starts the workers and reports progress until they are all done. Returns the tally and
/// the time from the start to the end of the last connection.
async fn drive(options: &LoadOptions, progress: &mut dyn FnMut(Progress)) -> (Tally, Duration) {
    let shared = Arc::new(Shared::new());
    let pattern = Pattern::new(&mut SmallRng::from_rng(&mut rand::rng()));
    let t0 = Instant::now();
    let mut workers = start_workers(options, &shared, pattern, t0);
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
            joined = workers.join_next() => match joined {
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

/// One worker per connection open at a time, the run starting at `t0`.
fn start_workers(
    options: &LoadOptions,
    shared: &Arc<Shared>,
    pattern: Pattern,
    t0: Instant,
) -> JoinSet<()> {
    let plan = Arc::new(Plan {
        addr: options.connect,
        sources: Plan::sources_for(options.connect),
        size: options.size,
        requests: options.requests,
        timeout: options.timeout,
        busy_poll: options.busy_poll,
    });
    let schedule = match options.rate {
        Some(per_second) => Schedule::Open { t0, per_second },
        None => Schedule::Closed,
    };
    let mut set = JoinSet::new();
    for _ in 0..(options.concurrency as u64).min(options.connections) {
        set.spawn(schedule::worker(Work {
            shared: shared.clone(),
            plan: plan.clone(),
            pattern: pattern.clone(),
            schedule,
            total: options.connections,
        }));
    }
    set
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
