//! Who runs first after `fork()`: the experiment at the end of the article, done right.
//!
//! Each trial forks once; both processes record, as their first action, that they are
//! running; the parent reaps the child before the next trial. [`Measure::Ticket`] records it
//! with an atomic ticket in shared memory and the time (so it also gives fork-return
//! latencies); [`Measure::Stdout`] is the article's method, each process writing its own line
//! unbuffered, and the order of the lines is the answer ([`analyze()`] counts them, as TLPI's
//! awk script does). Variants change how the child is created ([`Via`]), the CPU pinning
//! ([`Pin`]) and the scheduling policy ([`Sched`]); [`sweep`] runs them all.
//!
//! ```no_run
//! use forklab_lab::race::{self, Lines, Options};
//!
//! let race = race::run(&Options { trials: 1000, ..Options::default() }, Lines::Count, &mut |_| {})?;
//! let first = race.first.expect("counted");
//! println!("parent first in {:.2}% of {} trials", first.parent_first_pct, race.trials);
//! # Ok::<(), race::Error>(())
//! ```
//!
//! The trials run in the calling thread, and no thread is created. That thread's scheduling
//! policy and CPU affinity (both per thread on Linux) are set for the run and put back after.
//! Nothing is printed; a fork that fails part-way is reported in [`Race::fork_error`] with the
//! trials done so far.

pub mod analyze;
mod board;
mod measure;
mod report;
mod sched;
mod trial;
mod variant;

pub use analyze::{Analysis, Malformed, analyze};
pub use report::{First, Latency, Race, Sweep, Tally};
pub use variant::{Measure, Pin, Sched, Variant, Via};

use crate::system::SystemInfo;
use sched::Refusal;
use std::io;
use std::os::fd::BorrowedFd;
use thiserror::Error;

/// What to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// Trials (forks).
    pub trials: usize,
    /// The variant.
    pub variant: Variant,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            trials: 10_000,
            variant: Variant::default(),
        }
    }
}

/// The most trials a run takes: about three hours here, and a board of 2.4 GB of shared
/// memory (three words per trial).
pub const MAX_TRIALS: usize = 100_000_000;

/// Where the lines of [`Measure::Stdout`] go.
#[derive(Clone, Copy, Debug)]
pub enum Lines<'a> {
    /// To an in-memory file shared by both processes (as stdout is), read back and counted.
    Count,
    /// To this descriptor as they happen (the article's `> file`); not counted, so
    /// [`Race::first`] is `None`. Each side checks its own write; the first that fails ends
    /// the run with [`Error::Write`]. That needs `SIGPIPE` ignored (as in every Rust program,
    /// whose runtime ignores it): at its default, a child writing to a pipe whose reader is
    /// gone dies of the signal, and the run ends with that child's status instead.
    Write(BorrowedFd<'a>),
}

/// How far a run is.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// Trials done (over all variants of a sweep).
    pub done: usize,
    /// Trials to do.
    pub total: usize,
    /// The variant running.
    pub variant: Variant,
}

/// Why a run could not be done. A fork that fails part-way is not one: see
/// [`Race::fork_error`].
#[derive(Debug, Error)]
pub enum Error {
    /// Zero trials.
    #[error("-n must be at least 1")]
    NoTrials,
    /// More than [`MAX_TRIALS`].
    #[error("-n {0} is too many: at most {MAX_TRIALS} trials")]
    TooMany(usize),
    /// A system call the run needs failed.
    #[error("cannot {what}: {error}")]
    System {
        /// What was being done.
        what: &'static str,
        /// Why it failed (its message is part of this one's).
        error: io::Error,
    },
    /// A child misbehaved (killed by a signal, took no ticket) or could not be waited for.
    #[error("trial {trial}: {message}")]
    Trial {
        /// The trial (0-based).
        trial: usize,
        /// What happened.
        message: String,
    },
    /// A line could not be written to the descriptor of [`Lines::Write`] (its reader is gone:
    /// `BrokenPipe`; a full disk): the run stopped at that trial. The message names the
    /// cause itself, so the error has no `source`.
    #[error("cannot write the lines: {0}")]
    Write(io::Error),
    /// The lines read back do not match the trials (a write failed).
    #[error("the {trials} trials wrote lines that read back as {analysis}")]
    Lines {
        /// Trials run.
        trials: usize,
        /// What the lines said.
        analysis: String,
    },
}

fn system(what: &'static str) -> impl FnOnce(io::Error) -> Error {
    move |error| Error::System { what, error }
}

/// Runs one variant.
pub fn run(
    options: &Options,
    lines: Lines<'_>,
    progress: &mut dyn FnMut(Progress),
) -> Result<Race, Error> {
    if options.trials == 0 {
        return Err(Error::NoTrials);
    }
    if options.trials > MAX_TRIALS {
        return Err(Error::TooMany(options.trials));
    }
    let variant = options.variant;
    let mut race = Race::new(options);
    let applied = match sched::apply(variant) {
        Ok(applied) => applied,
        Err(Refusal::Skip(reason)) => {
            race.skipped = Some(reason);
            return Ok(race);
        }
        Err(Refusal::Error(what, error)) => return Err(Error::System { what, error }),
    };
    race.pinned_cpu = applied.pinned_cpu;
    let total = options.trials;
    let mut report = |done| {
        progress(Progress {
            done,
            total,
            variant,
        })
    };
    let measured = measure::measure(options, lines, &mut race, &mut report);
    applied
        .restore()
        .map_err(system("restore the scheduling policy and CPU affinity"))?;
    measured?;
    // Nothing is met or missed without a single trial.
    race.expectation_met = race
        .expected_first
        .filter(|_| race.trials > 0)
        .zip(race.first)
        .map(|(expected, first)| match expected {
            First::Child => first.child_first == race.trials,
            First::Parent => first.parent_first == race.trials,
        });
    Ok(race)
}

/// Runs every variant of [`Variant::matrix`] with `trials` trials each.
pub fn sweep(
    trials: usize,
    measure: Measure,
    progress: &mut dyn FnMut(Progress),
) -> Result<Sweep, Error> {
    let matrix = Variant::matrix(measure);
    let total = trials * matrix.len();
    let mut variants = Vec::with_capacity(matrix.len());
    for (i, &variant) in matrix.iter().enumerate() {
        let options = Options { trials, variant };
        let before = i * trials;
        let race = run(&options, Lines::Count, &mut |p| {
            progress(Progress {
                done: before + p.done,
                total,
                variant,
            })
        })?;
        if race.skipped.is_some() {
            progress(Progress {
                done: before + trials,
                total,
                variant,
            });
        }
        variants.push(race);
    }
    let system = SystemInfo::current();
    Ok(Sweep {
        variants,
        trials: trials as u64,
        kernel: system.kernel,
        cpus: system.cpus,
    })
}

#[cfg(test)]
mod tests;
