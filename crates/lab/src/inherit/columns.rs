//! The four ways the subject creates a child, each returning what the child reported:
//!
//! - `fork`: `fork(2)`; the child takes a [`Snapshot`], moves the shared state and calls
//!   `exit(3)` (so inherited `atexit` handlers run).
//! - `exec`: `fork(2)`, then the child prepares itself (`exec_setup`), reports, and execs the
//!   probe, which reports again: the same process before and after `execve(2)`.
//! - `vfork`: a `CLONE_VM|CLONE_VFORK` child that reads what raw system calls can read into
//!   the subject's memory (`raw::vfork_child`).
//! - `posix_spawn`: glibc's `posix_spawn(3)` of the probe, through `forklab-spawn`.
//!
//! The subject is single-threaded for `fork` and `exec` (so their children may allocate) and
//! has a second thread for `vfork` and `posix_spawn`, which do not need that.

use super::judge::Post;
use super::plan::Plan;
use super::raw::VforkJob;
use super::setup::Subject;
use super::snapshot::{self, Snapshot};
use super::{exec_setup, probe};
use crate::sys;
use forklab_spawn::{Command, Fork, Pid, Strategy};
use serde::{Deserialize, Serialize};
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::path::Path;

/// One column's raw material: the plan the child reported against, the reference process,
/// the child, and what the subject saw afterwards.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Measured {
    pub plan: Plan,
    pub before: Snapshot,
    pub after: Snapshot,
    pub post: Post,
}

/// What the exec child reports before it execs.
#[derive(Serialize, Deserialize)]
struct BeforeExec {
    plan: Plan,
    before: Snapshot,
}

type Outcome = Result<Measured, String>;

fn text(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Runs `body` in a forked child and ends the child with its outcome: it never returns into
/// the caller's code, not even by unwinding.
pub(crate) fn in_child(body: impl FnOnce() -> Result<(), String>) -> ! {
    let code = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)) {
        Ok(Ok(())) => 0,
        Ok(Err(_)) => 1,
        Err(_) => 101,
    };
    forklab_spawn::raw::exit_now(code)
}

/// Reads a child's report to end-of-file, then reaps the child.
fn collect(
    mut reader: io::PipeReader,
    wait: impl FnOnce() -> io::Result<forklab_spawn::WaitStatus>,
) -> Result<String, String> {
    let mut report = String::new();
    let read = reader.read_to_string(&mut report);
    let status = wait().map_err(text)?;
    read.map_err(text)?;
    if report.is_empty() {
        return Err(format!("the child reported nothing ({status})"));
    }
    Ok(report)
}

pub(crate) fn fork(subject: &mut Subject, reference: &Snapshot) -> Outcome {
    let (reader, mut writer) = io::pipe().map_err(text)?;
    let plan = subject.plan;
    match forklab_spawn::fork().map_err(text)? {
        Fork::Child => in_child(|| {
            drop(reader);
            let seen = snapshot::take(&plan);
            let json = serde_json::to_string(&seen).map_err(text)?;
            writer.write_all(json.as_bytes()).map_err(text)?;
            drop(writer);
            snapshot::move_shared_state(&plan, &seen);
            std::process::exit(0)
        }),
        Fork::Parent(pid) => {
            drop(writer);
            let report = collect(reader, || forklab_spawn::raw::wait_pid(pid))?;
            let after = serde_json::from_str(&report).map_err(text)?;
            let post = subject.post();
            Ok(Measured {
                plan,
                before: *reference,
                after,
                post,
            })
        }
    }
}

pub(crate) fn exec(subject: &mut Subject, probe: &Path) -> Outcome {
    let (reader, writer) = io::pipe().map_err(text)?;
    let (round, plan) = (subject.round, subject.plan);
    match forklab_spawn::fork().map_err(text)? {
        Fork::Child => in_child(|| {
            drop(reader);
            let error = exec_child(round, &plan, probe, writer);
            Err(error)
        }),
        Fork::Parent(pid) => {
            drop(writer);
            let report = collect(reader, || forklab_spawn::raw::wait_pid(pid))?;
            let (BeforeExec { plan, before }, after) = parse_exec_report(&report)?;
            // Same process before and after: only the exit mark says anything (sharing with
            // the subject is the fork column's business).
            let post = Post {
                exit_mark: subject.post().exit_mark,
                ..Post::default()
            };
            Ok(Measured {
                plan,
                before,
                after,
                post,
            })
        }
    }
}

/// The exec child's line, then the probe's; or the exec child's `error: ` line.
fn parse_exec_report(report: &str) -> Result<(BeforeExec, Snapshot), String> {
    if let Some(error) = report.lines().find_map(|l| l.strip_prefix("error: ")) {
        return Err(error.to_string());
    }
    let mut lines = report.lines();
    let before = serde_json::from_str(lines.next().unwrap_or_default()).map_err(text)?;
    let after = lines.next().ok_or("the probe did not report after exec")?;
    Ok((before, serde_json::from_str(after).map_err(text)?))
}

/// The exec child: prepare, report, exec the probe. Returns only the reason it failed (also
/// written to the report pipe).
fn exec_child(
    round: super::setup::Round,
    plan: &Plan,
    probe: &Path,
    mut out: io::PipeWriter,
) -> String {
    let result = (|| -> Result<io::Error, String> {
        let plan = exec_setup::prepare(round, plan).map_err(text)?;
        let before = snapshot::take(&plan);
        let line = serde_json::to_string(&BeforeExec { plan, before }).map_err(text)?;
        writeln!(out, "{line}").map_err(text)?;
        sys::fds::keep_across_exec(out.as_raw_fd()).map_err(text)?;
        let mut argv = vec![probe.as_os_str().to_owned()];
        argv.extend(
            probe::args(&plan, out.as_raw_fd())
                .into_iter()
                .map(Into::into),
        );
        Ok(forklab_spawn::exec::execv(probe, argv))
    })();
    let error = match result {
        Ok(exec_error) => format!("cannot exec the probe {}: {exec_error}", probe.display()),
        Err(e) => e,
    };
    let _ = writeln!(out, "error: {error}");
    error
}

pub(crate) fn vfork(subject: &mut Subject, reference: &Snapshot) -> Outcome {
    let mut job = Box::new(VforkJob {
        plan: subject.plan,
        regions: subject.regions,
        out: Snapshot::default(),
    });
    let pid = sys::vfork::snapshot_in_vfork_child(&mut job).map_err(text)?;
    let pid = Pid::new(pid).ok_or("clone returned no pid")?;
    forklab_spawn::raw::wait_pid(pid).map_err(text)?;
    let post = subject.post();
    Ok(Measured {
        plan: subject.plan,
        before: *reference,
        after: job.out,
        post,
    })
}

pub(crate) fn posix_spawn(subject: &mut Subject, reference: &Snapshot, probe: &Path) -> Outcome {
    let (reader, original) = io::pipe().map_err(text)?;
    // A number above the plan's descriptors, so that installing it clobbers none of them.
    let writer = rustix::io::fcntl_dupfd_cloexec(&original, 60).map_err(text)?;
    drop(original);
    let fd = writer.as_raw_fd();
    let mut command = Command::new(probe);
    command
        .args(probe::args(&subject.plan, fd))
        .fd(writer, fd)
        .strategy(Strategy::PosixSpawn);
    let child = command.spawn().map_err(text);
    drop(command);
    let mut child = child?;
    let report = collect(reader, || child.wait())?;
    let after = serde_json::from_str(&report).map_err(text)?;
    Ok(Measured {
        plan: subject.plan,
        before: *reference,
        after,
        post: subject.post(),
    })
}
