//! How long it takes to spawn a program and reap it, per strategy, as the parent grows: the
//! measurement behind Figure 1 of "A fork() in the road" (Baumann et al., HotOS 2019).
//!
//! Methods are interleaved (each round runs every method once, in a rotating order), so drift
//! on a noisy machine hits them all alike. A fork leaves the parent's memory write-protected
//! and the parent's next writes fault: that cost is fork's, so the spawn measured after a
//! `fork-exec` one is preceded by an untimed spawn that absorbs it. Each sample is the wall time from just before the
//! spawn call to just after the reap. The parent's size is real: [`Ballast`] dirties every
//! page. This module does not compare against the C floor; the benchmark script does that,
//! side by side, because the floor must run as its own process.

use crate::ballast::{Ballast, BallastError};
use crate::stats::Summary;
use crate::system::SystemInfo;
use forklab_spawn::{Command, Strategy};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Instant;
use thiserror::Error;

/// A way to spawn: one of the library's strategies, or `std::process::Command`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// `forklab_spawn::Command` with this strategy.
    Spawn(Strategy),
    /// `std::process::Command` (the yardstick a Rust programmer already has).
    Std,
}

impl Method {
    /// The default set: every strategy, then `std`.
    pub fn all() -> Vec<Method> {
        Strategy::ALL
            .into_iter()
            .map(Method::Spawn)
            .chain([Method::Std])
            .collect()
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Method::Spawn(strategy) => f.write_str(strategy.name()),
            Method::Std => f.write_str("std"),
        }
    }
}

impl FromStr for Method {
    type Err = String;

    fn from_str(s: &str) -> Result<Method, String> {
        if s == "std" {
            return Ok(Method::Std);
        }
        s.parse().map(Method::Spawn).map_err(|_| {
            let names: Vec<String> = Method::all().iter().map(Method::to_string).collect();
            format!(
                "unknown strategy {s:?} (expected one of: {})",
                names.join(", ")
            )
        })
    }
}

/// What to measure.
#[derive(Clone, Debug)]
pub struct Options {
    /// The program to spawn, with no arguments.
    pub program: PathBuf,
    /// Methods, measured interleaved.
    pub methods: Vec<Method>,
    /// Parent resident sizes in MiB, measured in this order.
    pub parent_mib: Vec<u64>,
    /// Spawns per method and size.
    pub n: usize,
    /// Unmeasured spawns per method before each size, to warm caches.
    pub warmup: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            program: PathBuf::from("/bin/true"),
            methods: Method::all(),
            parent_mib: vec![0, 64, 256, 1024],
            n: 200,
            warmup: 5,
        }
    }
}

/// One method at one parent size.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    /// The method asked for (`auto`, `fork-exec`, …, `std`).
    pub strategy: String,
    /// The strategy that actually ran (what `auto` chose; `std` for std).
    pub used: String,
    /// Parent resident size, MiB.
    pub parent_mib: u64,
    /// Samples.
    pub n: usize,
    /// Median spawn+wait time, microseconds.
    pub median_us: f64,
    /// 10th percentile, microseconds.
    pub p10_us: f64,
    /// 90th percentile, microseconds.
    pub p90_us: f64,
    /// Fastest sample, microseconds.
    pub min_us: f64,
    /// Mean, microseconds.
    pub mean_us: f64,
}

/// The whole measurement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The program spawned.
    pub program: String,
    /// Spawns per cell.
    pub n: usize,
    /// Cells in measurement order: sizes outer, methods inner.
    pub results: Vec<Cell>,
    /// Kernel release.
    pub kernel: String,
    /// CPUs.
    pub cpus: usize,
}

/// Progress of a run, for a progress bar.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// Spawns done so far.
    pub done: usize,
    /// Spawns in the whole run.
    pub total: usize,
    /// The parent size being measured.
    pub parent_mib: u64,
}

/// Why the measurement could not run.
#[derive(Debug, Error)]
pub enum Error {
    /// `n` was zero.
    #[error("-n must be at least 1")]
    NoSamples,
    /// No methods or sizes.
    #[error("nothing to measure: {0} is empty")]
    Empty(&'static str),
    /// The parent could not be made that large.
    #[error(transparent)]
    Ballast(#[from] BallastError),
    /// A spawn failed.
    #[error("{method}: {error}")]
    Spawn {
        /// The method that failed.
        method: Method,
        /// What went wrong (its message is part of this one's).
        error: std::io::Error,
    },
}

/// Runs the measurement, calling `progress` after every round.
pub fn run(options: &Options, progress: &mut dyn FnMut(Progress)) -> Result<Report, Error> {
    validate(options)?;
    let total = options.n * options.methods.len() * options.parent_mib.len();
    let mut results = Vec::new();
    let mut done = 0;
    for &mib in &options.parent_mib {
        let ballast = Ballast::new(mib)?;
        let mut samples = vec![Vec::with_capacity(options.n); options.methods.len()];
        let mut used = vec![String::new(); options.methods.len()];
        for (i, &method) in options.methods.iter().enumerate() {
            for _ in 0..options.warmup {
                used[i] = spawn_once(&options.program, method)?.0;
            }
        }
        let mut after_fork = false;
        for round in 0..options.n {
            for k in 0..options.methods.len() {
                let i = (round + k) % options.methods.len();
                let method = options.methods[i];
                if after_fork {
                    // fork write-protected our pages; the first writes to them fault. That is
                    // fork's cost, not the next method's: let an untimed spawn pay it.
                    spawn_once(&options.program, method)?;
                }
                let (ran, micros) = spawn_once(&options.program, method)?;
                after_fork = method == Method::Spawn(Strategy::ForkExec);
                used[i] = ran;
                samples[i].push(micros);
            }
            done += options.methods.len();
            progress(Progress {
                done,
                total,
                parent_mib: mib,
            });
        }
        let cells = options.methods.iter().zip(samples).zip(used);
        results.extend(cells.map(|((method, s), used)| cell(*method, used, ballast.mib(), &s)));
    }
    let system = SystemInfo::current();
    Ok(Report {
        program: options.program.display().to_string(),
        n: options.n,
        results,
        kernel: system.kernel,
        cpus: system.cpus,
    })
}

fn validate(options: &Options) -> Result<(), Error> {
    if options.n == 0 {
        return Err(Error::NoSamples);
    }
    if options.methods.is_empty() {
        return Err(Error::Empty("the strategy list"));
    }
    if options.parent_mib.is_empty() {
        return Err(Error::Empty("the parent size list"));
    }
    // One spawn before allocating anything: a missing program fails fast and clearly.
    spawn_once(&options.program, Method::Spawn(Strategy::Auto)).map(drop)
}

/// Spawns and reaps once; returns the strategy that ran and the microseconds it took.
fn spawn_once(program: &std::path::Path, method: Method) -> Result<(String, f64), Error> {
    let fail = |error| Error::Spawn { method, error };
    let start = Instant::now();
    let used = match method {
        Method::Spawn(strategy) => {
            let mut child = Command::new(program)
                .strategy(strategy)
                .spawn()
                .map_err(fail)?;
            child.wait().map_err(fail)?;
            child.strategy().name()
        }
        Method::Std => {
            std::process::Command::new(program)
                .spawn()
                .and_then(|mut c| c.wait())
                .map_err(fail)?;
            "std"
        }
    };
    Ok((used.to_string(), start.elapsed().as_secs_f64() * 1e6))
}

fn cell(method: Method, used: String, parent_mib: u64, samples: &[f64]) -> Cell {
    let s = Summary::of(samples).expect("n >= 1 was checked");
    Cell {
        strategy: method.to_string(),
        used,
        parent_mib,
        n: samples.len(),
        median_us: s.median,
        p10_us: s.p10,
        p90_us: s.p90,
        min_us: s.min,
        mean_us: s.mean,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_names_round_trip() {
        for method in Method::all() {
            assert_eq!(method.to_string().parse::<Method>().unwrap(), method);
        }
        let err = "fast".parse::<Method>().unwrap_err();
        assert!(err.starts_with("unknown strategy \"fast\""), "{err}");
    }

    #[test]
    fn measures_every_cell_with_real_samples() {
        let options = Options {
            n: 3,
            parent_mib: vec![0, 1],
            warmup: 1,
            ..Options::default()
        };
        let mut rounds = 0;
        let report = run(&options, &mut |_| rounds += 1).unwrap();
        assert_eq!(rounds, 6);
        assert_eq!(report.results.len(), Method::all().len() * 2);
        for cell in &report.results {
            assert_eq!(cell.n, 3);
            assert!(
                cell.p10_us > 0.0 && cell.p10_us <= cell.median_us && cell.median_us <= cell.p90_us
            );
            assert_ne!(cell.used, "auto");
        }
    }

    #[test]
    fn a_missing_program_is_an_error_before_any_allocation() {
        let options = Options {
            program: "/nonexistent/prog".into(),
            parent_mib: vec![u64::MAX >> 21],
            ..Options::default()
        };
        let err = run(&options, &mut |_| {}).unwrap_err();
        assert!(err.to_string().contains("No such file"), "{err}");
    }
}
