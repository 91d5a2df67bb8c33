//! `forklab inherit`: what crosses `fork(2)` and `execve(2)`, measured on this kernel.
//!
//! The article says "the POSIX specification now lists 25 special cases in how the parent's
//! state is copied to the child"; books print them as a table (TLPI's "Effect of exec() and
//! fork() on process attributes"). This module measures that table: for each attribute, a
//! disposable *subject* process sets a distinctive value, creates a child four ways, and the
//! child reports what it sees:
//!
//! - `fork`: a `fork(2)` child;
//! - `exec`: a fork child that prepares itself, reports, then execs the *probe* (the
//!   `forklab` binary in a hidden mode) which reports again: one process across `execve`;
//! - `vfork`: a `CLONE_VM|CLONE_VFORK` child before it execs, limited to what raw system
//!   calls can read (the attributes where it makes sense);
//! - `posix_spawn`: a `posix_spawn(3)` child running the probe.
//!
//! Every measurement is stored beside the expectation from the man pages
//! ([`attribute::ATTRIBUTES`]); differences are flagged, and the measurement wins. Rows
//! that cannot be measured here (set-user-ID without root…) are `skipped` with the reason.
//!
//! What this module deliberately does not do: touch the caller's own attributes (all set-up
//! happens in the subject), print anything, or run in a multi-threaded process (it forks
//! children that allocate, which is only sound from a single-threaded parent; [`run`]
//! refuses otherwise).

pub mod attribute;
mod columns;
mod exec_setup;
mod judge;
mod marks;
pub mod plan;
pub mod probe;
mod procfs;
pub(crate) mod raw;
mod report;
mod setuid;
mod setup;
pub mod snapshot;
mod subject;

pub use judge::Post;
pub use report::{Row, Seen};

use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;
use thiserror::Error;

/// What happened to an attribute in a child.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Value {
    /// Inherited or preserved (a copy).
    Yes,
    /// Reset, or not inherited.
    No,
    /// The same object as the parent's, not a copy (file offsets, `flock` locks).
    Shared,
    /// Not measured here; the row's note says why.
    Skipped,
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Value::Yes => "yes",
            Value::No => "no",
            Value::Shared => "shared",
            Value::Skipped => "skipped",
        })
    }
}

/// What to measure.
#[derive(Clone, Debug)]
pub struct Options {
    /// The probe: the `forklab` binary (it must accept the hidden `__probe` subcommand).
    pub probe: PathBuf,
    /// Keys to report (empty: all), in any order; the table keeps its own order.
    pub only: Vec<String>,
}

/// The inheritance table, measured.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// `uname -r`.
    pub kernel: String,
    /// The real user ID it ran as.
    pub uid: u32,
    /// Whether it ran as root (the set-user-ID rows need it).
    pub root: bool,
    /// One row per attribute, in table order.
    pub rows: Vec<Row>,
    /// How many rows differ from their expectation.
    pub mismatches: usize,
}

/// Why the table could not be measured.
#[derive(Debug, Error)]
pub enum Error {
    /// A key in `only` names no attribute.
    #[error("unknown key {key:?} (known keys: {known})")]
    UnknownKey {
        /// The key given.
        key: String,
        /// Every key, comma-separated.
        known: String,
    },
    /// No temporary directory for the subject's files.
    #[error("cannot create a temporary directory: {0}")]
    TempDir(std::io::Error),
    /// A subject process could not be created or failed to set itself up.
    #[error("inheritance subject failed: {0}")]
    Subject(String),
}

/// Every key, in table order.
pub fn keys() -> impl Iterator<Item = &'static str> {
    attribute::ATTRIBUTES.iter().map(|a| a.key)
}

/// Checks one `--only` key.
pub fn check_key(key: &str) -> Result<(), Error> {
    match attribute::find(key) {
        Some(_) => Ok(()),
        None => Err(Error::UnknownKey {
            key: key.to_string(),
            known: keys().collect::<Vec<_>>().join(", "),
        }),
    }
}

/// Measures the table. Must be called from a single-threaded process (see the module docs).
pub fn run(options: &Options) -> Result<Report, Error> {
    options.only.iter().try_for_each(|k| check_key(k))?;
    let wanted = |key: &str| options.only.is_empty() || options.only.iter().any(|k| k == key);
    let dir = tempfile::Builder::new()
        .prefix("forklab-inherit-")
        .tempdir()
        .map_err(Error::TempDir)?;
    let main =
        subject::run(setup::Round::Main, dir.path(), &options.probe).map_err(Error::Subject)?;
    let second =
        subject::run(setup::Round::Second, dir.path(), &options.probe).map_err(Error::Subject)?;
    let setuid = if wanted("setuid_exec_euid") || wanted("setuid_exec_saved_uid") {
        report::SetuidOutcome::Done(setuid::measure(&options.probe))
    } else {
        report::SetuidOutcome::NotWanted
    };
    let rows: Vec<Row> = attribute::ATTRIBUTES
        .iter()
        .filter(|a| wanted(a.key))
        .map(|a| report::row(a, &main, &second, &setuid))
        .collect();
    let uid = rustix::process::getuid().as_raw();
    Ok(Report {
        kernel: crate::system::SystemInfo::current().kernel,
        uid,
        root: rustix::process::geteuid().is_root(),
        mismatches: rows.iter().filter(|r| !r.matches).count(),
        rows,
    })
}
