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

use crate::ballast::{self, Ballast, BallastError};
use crate::stats::Summary;
use crate::system::SystemInfo;
use forklab_spawn::{Command, Strategy};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::fs::File;
use std::path::{Path, PathBuf};
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

/// One method's command, built once and spawned for every sample.
struct Spawner {
    method: Method,
    command: SpawnCommand,
    /// The strategy that ran last (what `auto` chose; `std` for std).
    used: String,
}

enum SpawnCommand {
    Ours(Command),
    Std(std::process::Command),
}

/// One timed spawn+wait.
struct Sample {
    micros: f64,
    success: bool,
}

impl Spawner {
    /// Builds the command and spawns it once, untimed: a missing program fails here, before
    /// anything is allocated.
    fn new(program: &Path, method: Method, null: &File) -> Result<Spawner, Error> {
        // std's errors do not name the program (ours do).
        let fail = |error: std::io::Error| Error::Spawn {
            method,
            error: match method {
                Method::Std => std::io::Error::new(
                    error.kind(),
                    format!("cannot run {:?}: {error}", program.display().to_string()),
                ),
                Method::Spawn(_) => error,
            },
        };
        let stream = || null.try_clone().map_err(Error::DevNull);
        let command = match method {
            Method::Spawn(strategy) => {
                let mut command = Command::new(program);
                command
                    .strategy(strategy)
                    .stdin(stream()?)
                    .stdout(stream()?)
                    .stderr(stream()?);
                SpawnCommand::Ours(command)
            }
            Method::Std => {
                let mut command = std::process::Command::new(program);
                command.stdin(stream()?).stdout(stream()?).stderr(stream()?);
                SpawnCommand::Std(command)
            }
        };
        let mut spawner = Spawner {
            method,
            command,
            used: String::new(),
        };
        spawner.once().map_err(|e| match e {
            Error::Spawn { error, .. } => fail(error),
            other => other,
        })?;
        Ok(spawner)
    }

    /// Spawns and reaps once, timing it.
    fn once(&mut self) -> Result<Sample, Error> {
        let method = self.method;
        let fail = |error| Error::Spawn { method, error };
        let start = Instant::now();
        let (success, used) = match &mut self.command {
            SpawnCommand::Ours(command) => {
                let mut child = command.spawn().map_err(fail)?;
                let status = child.wait().map_err(fail)?;
                (status.success(), child.strategy().name())
            }
            SpawnCommand::Std(command) => {
                let status = command.spawn().and_then(|mut c| c.wait()).map_err(fail)?;
                (status.success(), "std")
            }
        };
        let micros = start.elapsed().as_secs_f64() * 1e6;
        if self.used != used {
            self.used = used.to_string();
        }
        Ok(Sample { micros, success })
    }
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
        let options = Options {
            methods: vec![Method::Std],
            ..options
        };
        let err = run(&options, &mut |_| {}).unwrap_err().to_string();
        assert!(
            err.contains("/nonexistent/prog") && err.contains("No such file"),
            "{err}"
        );
    }

    #[test]
    fn repeated_methods_and_sizes_are_measured_once() {
        let options = Options {
            methods: vec![Method::Std, Method::Spawn(Strategy::Auto), Method::Std],
            parent_mib: vec![0, 0],
            n: 2,
            warmup: 0,
            ..Options::default()
        };
        let report = run(&options, &mut |_| {}).unwrap();
        let cells: Vec<_> = report.results.iter().map(|c| c.strategy.as_str()).collect();
        assert_eq!(cells, ["std", "auto"]);
    }

    #[test]
    fn a_run_hands_over_each_size_as_it_is_measured() {
        let options = Options {
            methods: vec![Method::Spawn(Strategy::Auto), Method::Std],
            parent_mib: vec![0, 2, 0],
            n: 2,
            warmup: 0,
            ..Options::default()
        };
        let mut rounds = 0;
        let mut run = Run::start(&options, |_| rounds += 1).unwrap();
        assert!(run.report().results.is_empty());
        let mut sizes = Vec::new();
        while let Some(cells) = run.next() {
            let cells = cells.unwrap();
            assert!(run.report().results.ends_with(&cells));
            sizes.push(cells.iter().map(|c| c.parent_mib).collect::<Vec<_>>());
        }
        assert_eq!(sizes, [[0, 0], [2, 2]]);
        let report = run.into_report();
        assert_eq!(report.results.len(), 4);
        assert_eq!(rounds, 4, "one call per round, two rounds per size");
    }

    #[test]
    fn a_size_that_cannot_fit_is_refused_before_any_is_measured() {
        let options = Options {
            parent_mib: vec![0, crate::ballast::MAX_MIB],
            n: 1,
            ..Options::default()
        };
        let mut rounds = 0;
        let err = Run::start(&options, |_| rounds += 1).err().unwrap();
        assert!(
            err.to_string().starts_with("cannot make the parent "),
            "{err}"
        );
        assert_eq!(rounds, 0);
    }

    #[test]
    fn too_many_spawns_are_refused_before_anything_runs() {
        let options = Options {
            n: MAX_N + 1,
            ..Options::default()
        };
        let err = run(&options, &mut |_| {}).unwrap_err();
        assert_eq!(
            err.to_string(),
            "-n 1000001 is too many: at most 1000000 spawns per cell"
        );
    }

    #[test]
    fn children_that_fail_are_counted() {
        let options = Options {
            program: "/bin/false".into(),
            methods: vec![Method::Spawn(Strategy::Auto), Method::Std],
            parent_mib: vec![0],
            n: 3,
            warmup: 0,
        };
        let report = run(&options, &mut |_| {}).unwrap();
        assert!(report.results.iter().all(|c| c.failed == 3), "{report:?}");
    }
}
