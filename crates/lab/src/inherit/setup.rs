//! Making the subject process distinctive: every attribute is set to a value a child could
//! not have by accident, and the [`Plan`] records how to recognise it.
//!
//! The marks themselves are in `marks`; this module holds the subject together and reads
//! back and resets what its children may share with it. It runs only in the subject, a
//! disposable fork of the caller, because it changes things that cannot be undone (a new
//! session, `no_new_privs`, a lower priority). A step that fails does not stop the
//! experiment: it leaves a note, and the rows that depended on it are `skipped` with that
//! reason. What happens before an exec (the exec column) is in `exec_setup`.

use super::judge::Post;
use super::marks::*;
use super::plan::{OFFSET, Plan, REGIONS};
use crate::sys::{self, memory::Region};
use rustix::process::DumpableBehavior;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

/// Which set of timers and flags a subject uses: `alarm` and the interval timer are the same
/// kernel timer, and a non-dumpable subject cannot read its own `/proc/self/mem` unless
/// root, so those are measured in a second subject.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Round {
    /// Everything, with an `alarm(2)`.
    Main,
    /// An `ITIMER_REAL` with an interval, and a non-dumpable subject.
    Second,
}

/// Notes about attributes that could not be made distinctive, by key.
pub(crate) type Notes = BTreeMap<String, String>;

/// The set-up subject: its plan, and what it needs to read back and reset.
pub(crate) struct Subject {
    pub round: Round,
    pub plan: Plan,
    pub regions: [Region; REGIONS],
    pub notes: Notes,
    flock_path: PathBuf,
    exit_mark: io::PipeReader,
    _open: Vec<OwnedFd>,
}

impl Subject {
    /// Sets everything up in the calling process (which must be single-threaded).
    pub(crate) fn set_up(round: Round, dir: &Path) -> io::Result<Subject> {
        let mut notes = Notes::new();
        let env_value = unique();
        identity(dir, env_value, &mut notes)?;
        let (plan_fds, open, flock_path) = descriptors(dir)?;
        let (exit_mark, mark_writer) = exit_mark()?;
        signals(&mut notes);
        schedule(&mut notes);
        let mut plan = Plan {
            env_value,
            moves: true,
            ..plan_fds
        };
        plan.timer_id = timers(round, &mut notes);
        let regions = memory(&mut plan, &mut notes)?;
        prctls(round, &mut notes);
        burn_cpu();
        let mut open = open;
        open.push(mark_writer); // kept open so that an exit handler can always write
        Ok(Subject {
            round,
            plan,
            regions,
            notes,
            flock_path,
            exit_mark,
            _open: open,
        })
    }

    /// Reads back what a child may have changed in shared objects.
    pub(crate) fn post(&mut self) -> Post {
        Post {
            offset: sys::fds::offset(self.plan.offset_fd),
            flock_released: self.flock_released(),
            regions: self.regions.map(|r| Some(sys::memory::peek(r))),
            dumpable: rustix::process::dumpable_behavior().ok().map(|d| d as u32),
            exit_mark: Some(self.drain_exit_mark()),
        }
    }

    /// Puts the shared objects back as they were before the last child.
    pub(crate) fn reset(&mut self) {
        let _ = sys::fds::seek(self.plan.offset_fd, OFFSET);
        let _ = sys::locks::flock_try(self.plan.flock_fd);
        for (region, magic) in self.regions.iter().zip(self.plan.magic) {
            sys::memory::poke(*region, magic);
        }
        let _ = rustix::process::set_dumpable_behavior(self.dumpable());
        self.drain_exit_mark();
    }

    fn dumpable(&self) -> DumpableBehavior {
        match self.round {
            Round::Main => DumpableBehavior::Dumpable,
            Round::Second => DumpableBehavior::NotDumpable,
        }
    }

    /// A new open file description of the `flock` file gets the lock only if the child's
    /// unlock released ours: the description was shared.
    fn flock_released(&self) -> Option<bool> {
        let file = File::open(&self.flock_path).ok()?;
        match sys::locks::flock_try(file.as_raw_fd()) {
            Ok(()) => Some(true),
            Err(e) if e.raw_os_error() == Some(libc::EWOULDBLOCK) => Some(false),
            Err(_) => None,
        }
    }

    fn drain_exit_mark(&mut self) -> bool {
        let mut buf = [0u8; 64];
        let mut seen = false;
        while let Ok(n @ 1..) = self.exit_mark.read(&mut buf) {
            seen |= n > 0;
        }
        seen
    }
}
