//! Running a server short of something: descriptors (`RLIMIT_NOFILE` lowered on the live
//! processes with `prlimit`, so the next `accept` fails with `EMFILE`) or tasks (a v1 pids
//! cgroup, so `fork` and thread creation fail with `EAGAIN`).

use rustix::process::{Pid, Resource, Rlimit, prlimit};

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
