//! What `/proc` says about processes: every process's real uid (to reconcile the detector
//! after lost events), and one user's tasks with their states (to verify a response).
//!
//! Only `status`, `stat` and the directory's owner are read: never `cmdline` or `environ`,
//! which take the process's memory-map lock and can stall behind a bomb.

use std::collections::HashMap;

/// The pids under `/proc` (processes, not threads).
fn pids() -> impl Iterator<Item = i32> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
}

/// Every live process and its real uid, from `/proc/PID/status`. Processes that exit
/// while being read are left out.
pub fn real_uids() -> HashMap<i32, u32> {
    pids()
        .filter_map(|pid| {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
            Some((pid, real_uid(&status)?))
        })
        .collect()
}

/// The real uid on the `Uid:` line of a `status` file.
pub fn real_uid(status: &str) -> Option<u32> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// A process of the user asked about, and its scheduler state letter (`R`, `S`, `T` for
/// stopped, `Z` for a zombie…).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Task {
    /// The process.
    pub pid: i32,
    /// Its state.
    pub state: char,
}

/// The processes whose real or saved uid is `uid` — exactly those `kill(-1)` sent with
/// that uid's credentials reaches — zombies included, from `/proc/PID/status`.
pub fn tasks_of(uid: u32) -> Vec<Task> {
    pids()
        .filter_map(|pid| {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
            let (real, saved) = real_and_saved(&status)?;
            if real != uid && saved != uid {
                return None;
            }
            let state = status
                .lines()
                .find_map(|line| line.strip_prefix("State:"))?
                .trim_start()
                .chars()
                .next()?;
            Some(Task { pid, state })
        })
        .collect()
}

/// The real and saved uids on the `Uid:` line of a `status` file (real, effective, saved,
/// file system).
fn real_and_saved(status: &str) -> Option<(u32, u32)> {
    let mut ids = status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))?
        .split_whitespace()
        .map(|id| id.parse::<u32>().ok());
    let real = ids.next()??;
    let saved = ids.nth(1)??;
    Some((real, saved))
}

/// The state letter of a `/proc/PID/stat` line: the field after the command name, which is
/// in parentheses and may itself hold spaces and parentheses.
pub fn state(stat: &str) -> Option<char> {
    stat.rsplit_once(')')?.1.trim_start().chars().next()
}

/// The parent pid in a `/proc/PID/stat` line.
fn parent(stat: &str) -> Option<i32> {
    stat.rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// This process's ancestors, nearest first, up to pid 1 (inclusive).
pub fn ancestors() -> Vec<i32> {
    let mut chain = Vec::new();
    let mut pid = std::process::id() as i32;
    while pid > 1 && chain.len() < 4096 {
        let Some(up) = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|stat| parent(&stat))
        else {
            break;
        };
        if up <= 0 {
            break;
        }
        chain.push(up);
        pid = up;
    }
    chain
}

/// The real and saved uids of a process, from `status`.
pub fn real_and_saved_uid(pid: i32) -> Option<(u32, u32)> {
    real_and_saved(&std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_with_odd_command_names() {
        let line = "42 (a) b (c)) S 7 42 42 0 -1";
        assert_eq!(state(line), Some('S'));
        assert_eq!(parent(line), Some(7));
        assert_eq!(state("garbage"), None);
    }

    #[test]
    fn status_uid_line() {
        assert_eq!(real_uid("Name:\tx\nUid:\t1000\t0\t0\t0\n"), Some(1000));
        assert_eq!(real_uid("Name:\tx\n"), None);
    }

    #[test]
    fn this_process_is_seen() {
        let me = std::process::id() as i32;
        let uid = rustix::process::getuid().as_raw();
        assert_eq!(real_uids().get(&me), Some(&uid));
        assert!(tasks_of(uid).iter().any(|t| t.pid == me && t.state != 'Z'));
        assert!(!ancestors().is_empty());
        assert_eq!(real_and_saved_uid(me).map(|(r, _)| r), Some(uid));
    }
}
