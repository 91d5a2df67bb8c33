//! Measuring one variant once its policy is in force: run the trials with the right first
//! action (tickets on a shared board, or lines to a descriptor), then turn what they left
//! behind into the [`Race`] value.

use super::board::Board;
use super::trial::{self, Ran, Sink, TrialError};
use super::{Error, Lines, Measure, Options, analyze, system};
use super::{First, Race, Tally, Via};
use crate::system::SystemInfo;
use std::io::{self, Seek};
use std::os::fd::{AsFd, OwnedFd};

pub(super) fn measure(
    options: &Options,
    lines: Lines<'_>,
    race: &mut Race,
    progress: &mut dyn FnMut(usize),
) -> Result<(), Error> {
    let (n, via) = (options.trials, options.variant.via);
    let board = Board::new(n).map_err(system("map the shared board"))?;
    let mut trials =
        |sink| trial::run(n, via, sink, &board, progress).map_err(system("map a child stack"));
    match (options.variant.measure, lines) {
        (Measure::Ticket, _) => {
            let ran = trials(Sink::Tickets)?;
            race.order = board.order(ran.done);
            race.first = Some(Tally::of(&race.order));
            race.latency = board.latency(ran.done);
            race.finish(ran, &board)
        }
        (Measure::Stdout, Lines::Write(fd)) => {
            let ran = trials(Sink::Lines(fd))?;
            race.finish(ran, &board)
        }
        (Measure::Stdout, Lines::Count) => {
            let capture =
                capture_file().map_err(system("create an in-memory file for the lines"))?;
            let ran = trials(Sink::Lines(capture.as_fd()))?;
            let done = ran.done;
            race.finish(ran, &board).map_err(|e| match e {
                Error::Write(error) => Error::System {
                    what: "write the lines to an in-memory file",
                    error,
                },
                e => e,
            })?;
            race.first = Some(count_lines(capture.into(), done)?);
            Ok(())
        }
    }
}

/// An in-memory file for the lines, opened `O_APPEND`: without it two writes racing from
/// parent and child can land at the same offset and one line overwrites the other (seen on a
/// memfd, which, unlike a file opened by path, gets no file-position lock).
pub(super) fn capture_file() -> io::Result<OwnedFd> {
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
    pub(super) fn new(options: &Options) -> Race {
        let system = SystemInfo::current();
        let v = options.variant;
        Race {
            trials: 0,
            first: None,
            elapsed_s: 0.0,
            per_trial_us: 0.0,
            trial_p50_us: None,
            trial_p99_us: None,
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

    /// Takes the counts and times of the trials that ran; a failed fork becomes `fork_error`.
    fn finish(&mut self, ran: Ran, board: &Board) -> Result<(), Error> {
        self.trials = ran.done as u64;
        let times = board.trial_time_us(ran.done);
        (self.trial_p50_us, self.trial_p99_us) = (times.map(|t| t.0), times.map(|t| t.1));
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
            Some((_, TrialError::Write(e))) => Err(Error::Write(e)),
        }
    }
}
