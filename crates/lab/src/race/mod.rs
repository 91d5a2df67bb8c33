//! Who runs first after `fork()`: the experiment at the end of the article, done right.
//!
//! Each trial forks once; both processes record, as their first action, that they are
//! running; the parent reaps the child before the next trial. [`Measure::Ticket`] records it
//! with an atomic ticket in shared memory and the time (so it also gives fork-return
//! latencies); [`Measure::Stdout`] is the article's method, each process writing its own line
//! unbuffered, and the order of the lines is the answer ([`analyze`] counts them, as TLPI's
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
//! The trials run in the calling thread, which must not be interrupted by a fork of its own
//! elsewhere; its scheduling policy and CPU affinity are set for the run and put back after.
//! Nothing is printed; a fork that fails part-way is reported in [`Race::fork_error`] with the
//! trials done so far.

pub mod analyze;
mod board;
mod report;
mod sched;
mod trial;
mod variant;

pub use analyze::{Analysis, Malformed, analyze};
pub use report::{First, Latency, Race, Sweep, Tally};
pub use variant::{Measure, Pin, Sched, Variant, Via};

use crate::system::SystemInfo;
use board::Board;
use sched::Refusal;
use std::io::{self, Seek};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use thiserror::Error;
use trial::{Ran, Sink, TrialError};

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

/// Where the lines of [`Measure::Stdout`] go.
#[derive(Clone, Copy, Debug)]
pub enum Lines<'a> {
    /// To an in-memory file shared by both processes (as stdout is), read back and counted.
    Count,
    /// To this descriptor as they happen (the article's `> file`); not counted, so
    /// [`Race::first`] is `None`.
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
    /// A system call the run needs failed.
    #[error("cannot {what}: {source}")]
    System {
        /// What was being done.
        what: &'static str,
        /// Why it failed.
        source: io::Error,
    },
    /// A child misbehaved (killed by a signal, took no ticket) or could not be waited for.
    #[error("trial {trial}: {message}")]
    Trial {
        /// The trial (0-based).
        trial: usize,
        /// What happened.
        message: String,
    },
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
    move |source| Error::System { what, source }
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
    let variant = options.variant;
    let mut race = Race::new(options);
    let applied = match sched::apply(variant) {
        Ok(applied) => applied,
        Err(Refusal::Skip(reason)) => {
            race.skipped = Some(reason);
            return Ok(race);
        }
        Err(Refusal::Error(what, source)) => return Err(Error::System { what, source }),
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
    let measured = measure(options, lines, &mut race, &mut report);
    applied
        .restore()
        .map_err(system("restore the scheduling policy and CPU affinity"))?;
    measured?;
    race.expectation_met = race
        .expected_first
        .zip(race.first)
        .map(|(expected, first)| match expected {
            First::Child => first.child_first == race.trials,
            First::Parent => first.parent_first == race.trials,
        });
    Ok(race)
}

fn measure(
    options: &Options,
    lines: Lines<'_>,
    race: &mut Race,
    progress: &mut dyn FnMut(usize),
) -> Result<(), Error> {
    let (n, via) = (options.trials, options.variant.via);
    match (options.variant.measure, lines) {
        (Measure::Ticket, _) => {
            let board = Board::new(n).map_err(system("map the shared ticket board"))?;
            let ran = trial::run(n, via, Sink::Tickets(&board), progress)
                .map_err(system("map a child stack"))?;
            race.order = board.order(ran.done);
            race.first = Some(Tally::of(&race.order));
            race.latency = board.latency(ran.done);
            race.finish(ran)
        }
        (Measure::Stdout, Lines::Write(fd)) => {
            let ran = trial::run(n, via, Sink::Lines(fd), progress)
                .map_err(system("map a child stack"))?;
            race.finish(ran)
        }
        (Measure::Stdout, Lines::Count) => {
            let capture =
                capture_file().map_err(system("create an in-memory file for the lines"))?;
            let ran = trial::run(n, via, Sink::Lines(capture.as_fd()), progress)
                .map_err(system("map a child stack"))?;
            let done = ran.done;
            race.finish(ran)?;
            race.first = Some(count_lines(capture.into(), done)?);
            Ok(())
        }
    }
}

/// An in-memory file for the lines, opened `O_APPEND`: without it two writes racing from
/// parent and child can land at the same offset and one line overwrites the other (seen on a
/// memfd, which, unlike a file opened by path, gets no file-position lock).
fn capture_file() -> io::Result<OwnedFd> {
    use rustix::fs::{MemfdFlags, OFlags};
    let fd = rustix::fs::memfd_create("forklab-race-lines", MemfdFlags::CLOEXEC)?;
    rustix::fs::fcntl_setfl(&fd, OFlags::APPEND)?;
    Ok(fd)
}

/// Reads the captured lines back and counts them; they must be `done` complete trials.
fn count_lines(mut file: std::fs::File, done: usize) -> Result<Tally, Error> {
    file.rewind().map_err(system("read the captured lines"))?;
    let analysis = analyze(io::BufReader::new(file), "captured lines")
        .map_err(system("read the captured lines"))?;
    if analysis.trials != done as u64 || analysis.malformed != 0 || analysis.unpaired != 0 {
        return Err(Error::Lines {
            trials: done,
            analysis: format!(
                "{} trials, {} malformed lines, {} unpaired",
                analysis.trials, analysis.malformed, analysis.unpaired
            ),
        });
    }
    Ok(analysis.first)
}

impl Race {
    fn new(options: &Options) -> Race {
        let system = SystemInfo::current();
        let v = options.variant;
        Race {
            trials: 0,
            first: None,
            elapsed_s: 0.0,
            per_trial_us: 0.0,
            via: v.via,
            pin: v.pin,
            measure: v.measure,
            sched: v.sched,
            kernel: system.kernel,
            cpus: system.cpus,
            requested: options.trials as u64,
            pinned_cpu: None,
            latency: None,
            expected_first: (v.via == Via::Vfork).then_some(First::Child),
            expectation_met: None,
            sched_child_runs_first: std::fs::read_to_string(
                "/proc/sys/kernel/sched_child_runs_first",
            )
            .ok()
            .and_then(|s| s.trim().parse().ok()),
            skipped: None,
            fork_error: None,
            order: Vec::new(),
        }
    }

    /// Takes the counts and time of the trials that ran; a failed fork becomes `fork_error`.
    fn finish(&mut self, ran: Ran) -> Result<(), Error> {
        self.trials = ran.done as u64;
        self.elapsed_s = ran.elapsed.as_secs_f64();
        self.per_trial_us = if ran.done == 0 {
            0.0
        } else {
            self.elapsed_s * 1e6 / ran.done as f64
        };
        match ran.error {
            None => Ok(()),
            Some((j, TrialError::Fork(e))) => {
                self.fork_error = Some(format!("{} failed in trial {j}: {e}", self.via));
                Ok(())
            }
            Some((trial, TrialError::Wait(e))) => Err(Error::Trial {
                trial,
                message: format!("waiting for the child: {e}"),
            }),
            Some((trial, TrialError::Child(message))) => Err(Error::Trial { trial, message }),
        }
    }
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
