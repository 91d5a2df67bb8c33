//! Counting a server's tasks from `/proc` while it serves: its threads, the processes it
//! forked, and which of those are zombies (exited, not yet reaped).
//!
//! Sampled every few milliseconds from another thread, so a peak shorter than that can be
//! missed; the book's "peak processes" is a sampled figure too. Each child is found through
//! `/proc/PID/task/TID/children` (the kernel's own list, no scan of every process), and its
//! state read from `/proc/CHILD/stat`. A child that exits between the two reads is skipped.

use std::collections::BTreeSet;
use std::fs;

/// One look at a server.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Tasks {
    /// Threads of the server process itself.
    pub threads: usize,
    /// Child processes (running or zombie).
    pub children: usize,
    /// Children that have exited and wait to be reaped.
    pub zombies: usize,
}

impl Tasks {
    /// Threads and child processes together: the book's "processes or threads".
    pub(crate) fn total(&self) -> usize {
        self.threads + self.children
    }
}

/// Looks at process `pid` now; `None` once it is gone.
pub(crate) fn sample(pid: i32) -> Option<Tasks> {
    let mut threads = 0;
    let mut children = BTreeSet::new();
    for task in fs::read_dir(format!("/proc/{pid}/task")).ok()? {
        let Ok(task) = task else { continue };
        threads += 1;
        if let Ok(list) = fs::read_to_string(task.path().join("children")) {
            children.extend(child_pids(&list));
        }
    }
    let zombies = children.iter().filter(|&&c| is_zombie(c)).count();
    Some(Tasks {
        threads,
        children: children.len(),
        zombies,
    })
}

/// The pids of a `/proc/PID/task/TID/children` file: space-separated numbers.
fn child_pids(list: &str) -> impl Iterator<Item = i32> + '_ {
    list.split_whitespace().filter_map(|p| p.parse().ok())
}

fn is_zombie(pid: i32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| state_of(&stat))
        == Some('Z')
}

/// The state letter of a `/proc/PID/stat` line: the field after the command, which is in
/// parentheses and may itself contain spaces and parentheses.
fn state_of(stat: &str) -> Option<char> {
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().next()?.chars().next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_follows_the_last_parenthesis() {
        assert_eq!(state_of("42 (sh) S 1 42"), Some('S'));
        assert_eq!(state_of("43 (a) b) (c) Z 42 43"), Some('Z'));
        assert_eq!(state_of("garbage"), None);
        assert_eq!(child_pids("12 13 \n").collect::<Vec<_>>(), [12, 13]);
    }

    #[test]
    fn this_process_is_seen_with_its_threads() {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let other = std::thread::spawn(move || rx.recv());
        let me = sample(std::process::id() as i32).unwrap();
        assert!(me.threads >= 2, "{me:?}");
        tx.send(()).unwrap();
        other.join().unwrap().unwrap();
        assert_eq!(sample(i32::MAX), None, "no such process");
    }
}
