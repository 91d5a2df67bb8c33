//! `forklab exec-limits`: the limits of `execve(2)`'s arguments, measured by calling it.
//!
//! The article walks through `do_execveat_common`: it counts `argv` and `envp`, computes the
//! stack limits (`bprm_stack_limits`), copies the strings, adds an empty `argv[0]` when
//! `argv` is empty, and refuses with `EAGAIN` a process that `setuid()` put over its
//! `RLIMIT_NPROC`. This module finds each of those boundaries with real `execve` calls
//! (binary searches, a few dozen calls each) and stores the kernel's own arithmetic
//! ([`formula`]) beside the measurement:
//!
//! - `arg_max_bytes`: the largest total of argument and environment strings (NULs
//!   included) accepted, for the current `RLIMIT_STACK` and each `--stack` value, which the
//!   measuring child sets on itself before it execs;
//! - `max_arg_strlen`: the longest single string;
//! - `empty_argv`: what a program exec'd with an empty `argv` sees;
//! - `shebang_max`: the longest `#!` + interpreter path honoured (no argument);
//! - `nproc_at_execve`: the `EAGAIN` check (root only).
//!
//! It deliberately does not guess: what cannot be measured here is reported skipped with
//! the reason, and it never prints (progress goes through a callback).

mod arg_max;
mod attempt;
pub mod formula;
mod nproc;
pub mod probe;
mod report;
mod search;
mod shebang;
mod size;
mod strlen;

pub use nproc::Nproc;
pub use probe::ArgvReport;
pub use report::{PerStack, Report, program_exited};
pub use size::StackLimit;

use std::path::PathBuf;
use thiserror::Error;

/// What to measure.
#[derive(Clone, Debug)]
pub struct Options {
    /// The program exec'd while measuring (cheap, exits at once), e.g. `/bin/true`.
    pub program: PathBuf,
    /// The `forklab` binary, exec'd with an empty `argv` as the argument probe.
    pub probe: PathBuf,
    /// Stack limits to measure besides the current one.
    pub stacks: Vec<StackLimit>,
}

impl Options {
    /// About how many `execve` calls [`run`] makes (for a progress bar).
    pub fn estimated_execs(&self) -> usize {
        (1 + self.stacks.len()) * 32 + 22 + 14 + 3 + self.stacks.len()
    }
}

/// Progress: the number of `execve` calls made so far, and what is being measured.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// `execve` calls so far.
    pub execs: usize,
    /// What is being measured.
    pub stage: &'static str,
}

/// "cannot run PROGRAM: why", unless the library's error already says which program.
fn spawn_message(program: &str, error: &std::io::Error) -> String {
    match forklab_spawn::SpawnError::from_io(error) {
        Some(spawn) => format!("{spawn:#}"),
        None => format!("cannot run {program}: {error}"),
    }
}

/// Why a measurement failed.
#[derive(Debug, Error)]
pub enum Error {
    /// The program could not be run at all.
    #[error("{}", spawn_message(program, error))]
    Spawn {
        /// The program.
        program: String,
        /// Why (its message is part of this one's).
        error: std::io::Error,
    },
    /// `execve` failed with an error other than the one the boundary produces.
    #[error("execve of {program} failed while measuring {what}: {error}")]
    Unexpected {
        /// The program exec'd.
        program: String,
        /// The boundary being measured.
        what: &'static str,
        /// The error.
        error: std::io::Error,
    },
    /// The program did not exit on its own.
    #[error(
        "{program} was still running after {secs} s and was killed: exec-limits needs a program that exits at once"
    )]
    Hung {
        /// The program.
        program: String,
        /// The time it was given.
        secs: f64,
    },
    /// The stack limit could not be set in the child.
    #[error("cannot set RLIMIT_STACK in the child: {0} (only root may raise the hard limit)")]
    Rlimit(std::io::Error),
    /// No boundary below the given number of bytes.
    #[error("execve accepted everything up to {0} bytes: no boundary found")]
    NoBoundary(u64),
    /// No temporary directory for scripts.
    #[error("cannot prepare a script: {0}")]
    TempDir(String),
    /// The argument probe did not report.
    #[error("the argument probe failed: {0}")]
    Probe(String),
}

/// Measures everything. Forks (for the `RLIMIT_NPROC` check), so call it from a
/// single-threaded process; that check is skipped, with the reason, otherwise.
pub fn run(options: &Options, progress: &mut dyn FnMut(Progress)) -> Result<Report, Error> {
    report::measure(options, progress)
}
