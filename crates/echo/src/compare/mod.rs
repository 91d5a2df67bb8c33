//! `forklab echo compare`: every model under the same load, side by side — the table of the
//! classic server chapter (UNIX Network Programming vol. 1, §30.2), measured here.
//!
//! Each model runs as a child process (see [`server`]) on a free loopback port; the load
//! generator ([`crate::load`]) drives it in this process; then the server is stopped and
//! reaped, and the kernel's count of its CPU time, with that of the workers it reaped, is
//! its row. "Process control" CPU is that minus the iterative server's, which does the same
//! echoing with no process or thread to create, hand over to or lock for: the book's way of
//! isolating what each design's concurrency costs.

mod server;
mod tasks;

pub use server::Pinning;

use crate::server::Model;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Duration;

/// What to compare.
#[derive(Clone, Debug)]
pub struct CompareOptions {
    /// The models, in this order.
    pub models: Vec<Model>,
    /// Connections per model.
    pub connections: usize,
    /// Connections at a time.
    pub concurrency: usize,
    /// Bytes echoed per connection (one round trip).
    pub size: usize,
    /// Pool size of the prefork and prethread models.
    pub workers: usize,
    /// The `forklab` binary that runs the servers (`forklab echo serve`).
    pub forklab: PathBuf,
}

/// The comparison.
#[derive(Clone, Debug, Serialize)]
pub struct CompareReport {
    /// Connections per model.
    pub connections: usize,
    /// Connections at a time.
    pub concurrency: usize,
    /// Bytes per connection.
    pub size: usize,
    /// Pool size of the pool models.
    pub workers: usize,
    /// CPUs of the machine.
    pub cpus: usize,
    /// Where server and load generator ran (`null` on a single CPU: not pinned).
    pub pinned: Option<Pinning>,
    /// One row per model.
    pub rows: Vec<Row>,
}

/// One model's row.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// The model.
    pub model: Model,
    /// Server CPU time, user + system, its reaped workers included.
    pub server_cpu_s: f64,
    /// `server_cpu_s` less the iterative server's (`null` without an iterative row).
    pub process_control_cpu_s: Option<f64>,
    /// Connections per second the load generator completed.
    pub conn_per_s: f64,
    /// Median time from connect to the first echoed byte.
    pub p50_ms: f64,
    /// 99th percentile of the same.
    pub p99_ms: f64,
    /// The most threads + child processes of the server seen at once.
    pub peak_tasks: usize,
    /// Zombie children left once the load was over (after a moment to reap them).
    pub zombies: usize,
    /// The most zombies seen at any one look during the load.
    pub peak_zombies: usize,
    /// Connections that failed.
    pub errors: u64,
}

/// Progress: which model is being measured.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// The model.
    pub model: Model,
    /// Its place in the list, from 0.
    pub index: usize,
    /// How many models in all.
    pub of: usize,
}

/// Why a comparison failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A server did not start.
    #[error("cannot start the {0} server: {1}")]
    Start(Model, String),
    /// A server could not be stopped or reaped.
    #[error("cannot stop a server: {0}")]
    Stop(std::io::Error),
    /// Pinning to a CPU failed.
    #[error("cannot pin to CPU {0}: {1}")]
    Pin(usize, std::io::Error),
    /// The load generator failed.
    #[error("the load on the {0} server failed: {1}")]
    Load(Model, String),
}

/// How long a stopped server may take to drain and exit.
const STOP_LIMIT: Duration = Duration::from_secs(10);
/// How long the children of a server get to be reaped before zombies are counted.
const SETTLE: Duration = Duration::from_millis(200);

/// Runs the comparison.
pub fn run(
    options: &CompareOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<CompareReport, Error> {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let pinning = server::two_cpus();
    if let Some(p) = pinning {
        server::pin_this_thread(p.client_cpu)?;
    }
    let mut rows = Vec::new();
    for (index, &model) in options.models.iter().enumerate() {
        progress(Progress {
            model,
            index,
            of: options.models.len(),
        });
        rows.push(measure(options, model, pinning)?);
    }
    let baseline = rows
        .iter()
        .find(|r| r.model == Model::Iterative)
        .map(|r| r.server_cpu_s);
    for row in &mut rows {
        row.process_control_cpu_s = baseline.map(|b| row.server_cpu_s - b);
    }
    Ok(CompareReport {
        connections: options.connections,
        concurrency: options.concurrency,
        size: options.size,
        workers: options.workers,
        cpus,
        pinned: pinning,
        rows,
    })
}

/// One model: start, load, settle, count zombies, stop.
fn measure(options: &CompareOptions, model: Model, pinning: Option<Pinning>) -> Result<Row, Error> {
    let running = server::start(&options.forklab, model, options.workers, pinning)?;
    let driven = drive(options, model, running.addr);
    std::thread::sleep(SETTLE);
    let zombies = running.zombies_now();
    let finished = running.stop(STOP_LIMIT)?;
    let driven = driven?;
    Ok(Row {
        model,
        server_cpu_s: finished.cpu.as_secs_f64(),
        process_control_cpu_s: None,
        conn_per_s: driven.conn_per_s,
        p50_ms: driven.p50_ms,
        p99_ms: driven.p99_ms,
        peak_tasks: finished.peak_tasks,
        zombies,
        peak_zombies: finished.peak_zombies,
        errors: driven.errors,
    })
}

/// What the load generator measured.
struct Driven {
    conn_per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
}

/// Drives the server at `addr` with the workload: the book's closed loop, one round trip per
/// connection. On the load generator's CPU when pinned, where it sees one CPU and runs one
/// thread.
fn drive(
    options: &CompareOptions,
    model: Model,
    addr: std::net::SocketAddr,
) -> Result<Driven, Error> {
    let mut load = crate::load::LoadOptions::new(addr);
    load.connections = options.connections as u64;
    load.concurrency = options.concurrency;
    load.size = options.size as u64;
    load.requests = 1;
    let report =
        crate::load::run(&load, &mut |_| {}).map_err(|e| Error::Load(model, e.to_string()))?;
    Ok(Driven {
        conn_per_s: report.conn_per_s,
        p50_ms: report.latency_ms.p50,
        p99_ms: report.latency_ms.p99,
        errors: report.failed,
    })
}
