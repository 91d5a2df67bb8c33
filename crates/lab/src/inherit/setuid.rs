//! The set-user-ID rows: the article's `execve_cat` case, for real. As root, copy the probe
//! into a temporary directory everyone can traverse, run the copy as an unprivileged user
//! (uid and gid 65534) once as an ordinary file and once owned by root with the
//! set-user-ID bit, and compare the credentials each run reports.
//!
//! Without root there is no owner to switch to: the rows are `skipped`, with that reason.
//! The copy is deleted when the measurement ends, on failure too (and its set-user-ID bit
//! is cleared first); a copy left behind by a killed run refuses to do anything but report
//! its credentials.

use super::probe;
use super::snapshot::Snapshot;
use forklab_spawn::{Command, Strategy};
use std::fs;
use std::io::{self, Read};
use std::os::fd::AsRawFd;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// The unprivileged user (and group) that runs the copy.
pub const UNPRIVILEGED: u32 = 65534;

/// What the two runs reported: real, effective and saved set-user-ID.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SetuidRuns {
    /// The copy as an ordinary file: the IDs the process has before the set-user-ID exec.
    pub plain: [u32; 3],
    /// The copy owned by root with mode 4755.
    pub setuid: [u32; 3],
}

/// Measures, or says why it cannot.
pub(crate) fn measure(probe: &Path) -> Result<SetuidRuns, String> {
    if !rustix::process::geteuid().is_root() {
        return Err(
            "needs root: a set-user-ID file owned by another user, run as an \
                    unprivileged one"
                .into(),
        );
    }
    let dir = tempfile::Builder::new()
        .prefix("forklab-setuid-")
        .tempdir()
        .map_err(|e| format!("cannot create a temporary directory: {e}"))?;
    let outcome = measure_in(probe, dir.path());
    let _ = fs::set_permissions(dir.path().join("probe"), fs::Permissions::from_mode(0o755));
    outcome
}

fn measure_in(probe: &Path, dir: &Path) -> Result<SetuidRuns, String> {
    fs::set_permissions(dir, fs::Permissions::from_mode(0o755)).map_err(|e| e.to_string())?;
    let flags = rustix::fs::statvfs(dir).map_err(|e| e.to_string())?.f_flag;
    if flags.contains(rustix::fs::StatVfsMountFlags::NOSUID) {
        return Err(format!("{} is on a nosuid mount", dir.display()));
    }
    let copy = dir.join("probe");
    fs::copy(probe, &copy).map_err(|e| format!("cannot copy the probe: {e}"))?;
    set_mode(&copy, 0o755)?;
    let plain = run_as_unprivileged(&copy).map_err(|e| {
        format!(
            "uid {UNPRIVILEGED} cannot run a copy in {}: {e}",
            dir.display()
        )
    })?;
    set_mode(&copy, 0o4755)?;
    let setuid = run_as_unprivileged(&copy)?;
    Ok(SetuidRuns { plain, setuid })
}

fn set_mode(path: &Path, mode: u32) -> Result<(), String> {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(|e| e.to_string())
}

/// Runs the copy as uid and gid 65534 in credentials-only mode and returns its IDs.
fn run_as_unprivileged(copy: &Path) -> Result<[u32; 3], String> {
    let (mut reader, original) = io::pipe().map_err(|e| e.to_string())?;
    let writer = rustix::io::fcntl_dupfd_cloexec(&original, 60).map_err(|e| e.to_string())?;
    drop(original);
    let fd = writer.as_raw_fd();
    let mut command = Command::new(copy);
    command
        .args(probe::ids_only_args(fd))
        .fd(writer, fd)
        .uid(UNPRIVILEGED)
        .gid(UNPRIVILEGED)
        .strategy(Strategy::ForkExec);
    let child = command.spawn();
    drop(command);
    let mut child = child.map_err(|e| e.to_string())?;
    let mut json = String::new();
    let read = reader.read_to_string(&mut json);
    let status = child.wait().map_err(|e| e.to_string())?;
    read.map_err(|e| e.to_string())?;
    let seen: Snapshot = serde_json::from_str(&json)
        .map_err(|_| format!("the probe reported nothing usable ({status})"))?;
    seen.uid
        .ok_or_else(|| "the probe could not read its IDs".into())
}
