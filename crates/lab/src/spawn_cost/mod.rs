//! How long it takes to spawn a program and reap it, per strategy, as the parent grows: the
//! measurement behind Figure 1 of "A fork() in the road" (Baumann et al., HotOS 2019).
//!
//! Methods are interleaved (each round runs every method once, in a rotating order), so drift
//! on a noisy machine hits them all alike. A fork leaves the parent's memory write-protected
//! and the parent's next writes fault: that cost is fork's, so the spawn measured after a
//! `fork-exec` one is preceded by an untimed spawn that absorbs it. Each sample is the wall time from just before the
//! spawn call to just after the reap. The parent's size is real: [`Ballast`] dirties every
//! page. The program runs with `/dev/null` as its standard streams (one descriptor opened
//! once, so no method pays for opening it), and each method's command is built once and
//! spawned again and again, as a program that runs the same command repeatedly would. This
//! module does not compare against the C floor; the benchmark script does that, side by side,
//! because the floor must run as its own process.
//!
//! The largest size is checked against the memory this process may take (the machine's and
//! its cgroups', see [`crate::ballast::check`]) before anything is measured, and [`Run`]
//! hands over each size's cells as soon as they are measured: sizes grow, and should a large
//! one still end the process, the smaller ones are already out.

mod spawner;

use crate::ballast::{self, Ballast, BallastError};
use crate::stats::Summary;
use crate::system::SystemInfo;
use forklab_spawn::Strategy;
use serde::{Deserialize, Serialize};
use spawner::Spawner;
use std::fmt;
use std::fs::File;
use std::path::PathBuf;
use std::str::FromStr;
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
        let s = s.trim();
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
    /// Timed spawns whose child did not exit with status 0 (the time still counts: the
    /// program ran and was reaped).
    pub failed: usize,
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
    /// `n` was more than [`MAX_N`].
    #[error("-n {0} is too many: at most {MAX_N} spawns per cell")]
    TooMany(usize),
    /// No methods or sizes.
    #[error("nothing to measure: {0} is empty")]
    Empty(&'static str),
    /// The parent could not be made that large.
    #[error(transparent)]
    Ballast(#[from] BallastError),
    /// `/dev/null` could not be opened for the children.
    #[error("cannot open /dev/null: {0}")]
    DevNull(std::io::Error),
    /// A spawn failed.
    #[error("{method}: {error}")]
    Spawn {
        /// The method that failed.
        method: Method,
        /// What went wrong (its message is part of this one's).
        error: std::io::Error,
    },
}

/// The most spawns per cell: a million takes minutes per cell already, and the samples are
/// kept in memory.
pub const MAX_N: usize = 1_000_000;

/// Runs the measurement, calling `progress` after every round. Repeated methods or sizes are
/// measured once, at their first place. [`Run`] does the same a parent size at a time.
pub fn run(options: &Options, progress: &mut dyn FnMut(Progress)) -> Result<Report, Error> {
    let mut run = Run::start(options, progress)?;
    for size in &mut run {
        size?;
    }
    Ok(run.into_report())
}

/// A measurement under way, one parent size at a time: an iterator whose items are the cells
/// of each size as it is done (methods in the order given), so that a caller can show them
/// before the next, larger size begins (and keep them, should that one end the process).
/// After an error it yields nothing more.
pub struct Run<'a, P: FnMut(Progress)> {
    options: &'a Options,
    progress: P,
    spawners: Vec<Spawner>,
    sizes: std::vec::IntoIter<u64>,
    done: usize,
    total: usize,
    report: Report,
}

impl<'a, P: FnMut(Progress)> Run<'a, P> {
    /// Checks the options, spawns each method's command once (so a missing program fails
    /// here) and checks that the largest size fits in memory, all before any size is
    /// measured. `progress` is called after every round.
    pub fn start(options: &'a Options, progress: P) -> Result<Run<'a, P>, Error> {
        let methods = first_of_each(&options.methods);
        let sizes = first_of_each(&options.parent_mib);
        validate(options)?;
        let null = File::options()
            .read(true)
            .write(true)
            .open("/dev/null")
            .map_err(Error::DevNull)?;
        let spawners = methods
            .iter()
            .map(|&method| Spawner::new(&options.program, method, &null))
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(&largest) = sizes.iter().max() {
            ballast::check(largest)?;
        }
        let system = SystemInfo::current();
        let report = Report {
            program: options.program.display().to_string(),
            n: options.n,
            results: Vec::new(),
            kernel: system.kernel,
            cpus: system.cpus,
        };
        Ok(Run {
            options,
            progress,
            total: options.n * methods.len() * sizes.len(),
            spawners,
            sizes: sizes.into_iter(),
            done: 0,
            report,
        })
    }

    /// What has been measured so far (every size yielded), and about what.
    pub fn report(&self) -> &Report {
        &self.report
    }

    /// The whole report, once the iterator is done (or what was measured, if stopped early).
    pub fn into_report(self) -> Report {
        self.report
    }

    /// Measures one parent size: warm-up, then `n` interleaved rounds.
    fn measure(&mut self, mib: u64) -> Result<Vec<Cell>, Error> {
        let ballast = Ballast::new(mib)?;
        let count = self.spawners.len();
        let mut samples = vec![Vec::with_capacity(self.options.n); count];
        let mut failed = vec![0; count];
        for spawner in &mut self.spawners {
            for _ in 0..self.options.warmup {
                spawner.once()?;
            }
        }
        let mut after_fork = false;
        for round in 0..self.options.n {
            for k in 0..count {
                let i = (round + k) % count;
                let spawner = &mut self.spawners[i];
                if after_fork {
                    // fork write-protected our pages; the first writes to them fault. That is
                    // fork's cost, not the next method's: let an untimed spawn pay it.
                    spawner.once()?;
                }
                let sample = spawner.once()?;
                after_fork = spawner.method == Method::Spawn(Strategy::ForkExec);
                samples[i].push(sample.micros);
                failed[i] += usize::from(!sample.success);
            }
            self.done += count;
            (self.progress)(Progress {
                done: self.done,
                total: self.total,
                parent_mib: mib,
            });
        }
        let cells = self.spawners.iter().zip(samples).zip(failed);
        Ok(cells
            .map(|((spawner, s), failed)| {
                cell(
                    spawner.method,
                    spawner.used.clone(),
                    ballast.mib(),
                    &s,
                    failed,
                )
            })
            .collect())
    }
}

impl<P: FnMut(Progress)> Iterator for Run<'_, P> {
    type Item = Result<Vec<Cell>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let mib = self.sizes.next()?;
        let cells = self.measure(mib);
        match &cells {
            Ok(cells) => self.report.results.extend(cells.iter().cloned()),
            Err(_) => self.sizes = Vec::new().into_iter(),
        }
        Some(cells)
    }
}

fn validate(options: &Options) -> Result<(), Error> {
    if options.n == 0 {
        return Err(Error::NoSamples);
    }
    if options.n > MAX_N {
        return Err(Error::TooMany(options.n));
    }
    if options.methods.is_empty() {
        return Err(Error::Empty("the strategy list"));
    }
    if options.parent_mib.is_empty() {
        return Err(Error::Empty("the parent size list"));
    }
    Ok(())
}

/// `items` without repeats, in the order of first appearance.
fn first_of_each<T: PartialEq + Copy>(items: &[T]) -> Vec<T> {
    let mut unique = Vec::with_capacity(items.len());
    for &item in items {
        if !unique.contains(&item) {
            unique.push(item);
        }
    }
    unique
}

/// Microseconds rounded to whole nanoseconds, the resolution of the clock: no float noise
/// (`474.59200000000004`) in the report.
fn to_ns(micros: f64) -> f64 {
    (micros * 1000.0).round() / 1000.0
}

fn cell(method: Method, used: String, parent_mib: u64, samples: &[f64], failed: usize) -> Cell {
    let s = Summary::of(samples).expect("n >= 1 was checked");
    Cell {
        strategy: method.to_string(),
        used,
        parent_mib,
        n: samples.len(),
        median_us: to_ns(s.median),
        p10_us: to_ns(s.p10),
        p90_us: to_ns(s.p90),
        min_us: to_ns(s.min),
        mean_us: to_ns(s.mean),
        failed,
    }
}

#[cfg(test)]
mod tests;
