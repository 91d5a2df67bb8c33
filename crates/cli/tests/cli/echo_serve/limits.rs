//! Running a server short of something: descriptors (`RLIMIT_NOFILE` lowered on the live
//! processes with `prlimit`, so the next `accept` fails with `EMFILE`) or tasks (a v1 pids
//! cgroup, so `fork` and thread creation fail with `EAGAIN`).

use rustix::process::{Pid, Resource, Rlimit, prlimit};
use std::path::{Path, PathBuf};

/// Processes whose open-files limit was lowered; put back on drop.
pub struct Starved(Vec<(Pid, Rlimit)>);

/// Lowers the soft `RLIMIT_NOFILE` of each of `pids` to its lowest free descriptor number:
/// the next descriptor it opens (an accepted client) is refused with `EMFILE`.
pub fn starve_of_descriptors(pids: &[i32]) -> Starved {
    let mut old = Vec::new();
    for &raw in pids {
        let pid = Pid::from_raw(raw).unwrap();
        let lowest_free = lowest_free_fd(raw);
        let limit = rustix::process::getrlimit(Resource::Nofile);
        let lowered = Rlimit {
            current: Some(lowest_free),
            maximum: limit.maximum,
        };
        old.push((pid, prlimit(Some(pid), Resource::Nofile, lowered).unwrap()));
    }
    Starved(old)
}

impl Drop for Starved {
    fn drop(&mut self) {
        for (pid, limit) in self.0.drain(..) {
            let _ = prlimit(Some(pid), Resource::Nofile, limit);
        }
    }
}

fn lowest_free_fd(pid: i32) -> u64 {
    let open: Vec<u64> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    (0..).find(|n| !open.contains(n)).unwrap()
}

/// A v1 pids cgroup, emptied (SIGKILL) and removed on drop.
pub struct PidsCgroup(PathBuf);

impl PidsCgroup {
    /// A new pids cgroup, or why there cannot be one here.
    pub fn new(name: &str) -> Result<PidsCgroup, String> {
        if forklab_spawn::Identity::current().euid != 0 {
            return Err("not root: cannot make a pids cgroup".into());
        }
        let root = Path::new("/sys/fs/cgroup/pids");
        if !root.join("cgroup.procs").exists() {
            return Err("no cgroup v1 pids hierarchy at /sys/fs/cgroup/pids".into());
        }
        let dir = root.join(format!("{name}-{}", std::process::id()));
        std::fs::create_dir(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        Ok(PidsCgroup(dir))
    }

    pub fn dir(&self) -> &Path {
        &self.0
    }

    /// Sets `pids.max` (a number, or `max`).
    pub fn limit(&self, max: &str) {
        std::fs::write(self.0.join("pids.max"), max).unwrap();
    }
}

impl Drop for PidsCgroup {
    fn drop(&mut self) {
        let procs = || std::fs::read_to_string(self.0.join("cgroup.procs")).unwrap_or_default();
        for _ in 0..100 {
            for pid in procs().split_whitespace().filter_map(|p| p.parse().ok()) {
                if let Some(pid) = Pid::from_raw(pid) {
                    let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
                }
            }
            if std::fs::remove_dir(&self.0).is_ok() || !self.0.exists() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}
