//! The subject: a disposable fork of the caller that is made distinctive (`setup`), creates
//! its children column by column (`columns`), and sends everything back as one JSON
//! document. The caller's own attributes are never touched.

use super::columns::{self, Measured, in_child};
use super::setup::{Notes, Round, Subject};
use super::snapshot;
use crate::sys;
use forklab_spawn::Fork;
use serde::{Deserialize, Serialize};
use std::io::{self, Read, Write};
use std::path::Path;

/// Everything one subject measured.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct RoundResult {
    /// Attributes that could not be made distinctive, and why.
    pub notes: Notes,
    pub fork: Result<Measured, String>,
    pub exec: Result<Measured, String>,
    pub vfork: Result<Measured, String>,
    pub posix_spawn: Result<Measured, String>,
}

/// Forks a subject for `round`, lets it measure, and returns what it found.
pub(crate) fn run(round: Round, dir: &Path, probe: &Path) -> Result<RoundResult, String> {
    let (mut reader, mut writer) = io::pipe().map_err(|e| e.to_string())?;
    match forklab_spawn::fork().map_err(|e| e.to_string())? {
        Fork::Child => in_child(|| {
            drop(reader);
            let result = measure(round, dir, probe);
            let json = serde_json::to_string(&result).map_err(|e| e.to_string())?;
            writer.write_all(json.as_bytes()).map_err(|e| e.to_string())
        }),
        Fork::Parent(pid) => {
            drop(writer);
            let mut json = String::new();
            let read = reader.read_to_string(&mut json);
            let status = forklab_spawn::raw::wait_pid(pid).map_err(|e| e.to_string())?;
            read.map_err(|e| e.to_string())?;
            if json.is_empty() {
                return Err(format!("the subject process reported nothing ({status})"));
            }
            let result: Result<RoundResult, String> =
                serde_json::from_str(&json).map_err(|e| e.to_string())?;
            result
        }
    }
}

/// The subject's work: set up, then the columns in an order that keeps it single-threaded
/// for the fork-based ones.
fn measure(round: Round, dir: &Path, probe: &Path) -> Result<RoundResult, String> {
    let mut subject = Subject::set_up(round, dir).map_err(|e| format!("setting up: {e}"))?;
    let mut reference = snapshot::take(&subject.plan);
    let mut fork = columns::fork(&mut subject, &reference);
    subject.reset();
    let exec = columns::exec(&mut subject, probe);
    subject.reset();
    let (stop, helper) = second_thread();
    reference.threads = sys::process::thread_count_raw();
    let vfork = columns::vfork(&mut subject, &reference);
    subject.reset();
    let posix_spawn = columns::posix_spawn(&mut subject, &reference, probe);
    subject.reset();
    let fork_threads = threads_after_fork();
    drop(stop);
    let _ = helper.join();
    if let Ok(fork) = &mut fork {
        fork.before.threads = reference.threads;
        fork.after.threads = fork_threads;
    }
    Ok(RoundResult {
        notes: subject.notes,
        fork,
        exec,
        vfork,
        posix_spawn,
    })
}

/// A thread that waits until the sender is dropped: the subject is multi-threaded meanwhile.
fn second_thread() -> (std::sync::mpsc::Sender<()>, std::thread::JoinHandle<()>) {
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    let helper = std::thread::spawn(move || {
        let _ = stopped.recv();
    });
    (stop, helper)
}

/// How many threads a fork child of the (now multi-threaded) subject has.
fn threads_after_fork() -> Option<u64> {
    let (pid, count) = sys::process::fork_and_count_threads().ok()?;
    let _ = forklab_spawn::raw::wait_pid(forklab_spawn::Pid::new(pid)?);
    count
}
