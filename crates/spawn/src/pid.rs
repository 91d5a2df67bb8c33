//! Process and user identity.

use std::fmt;
use std::num::NonZeroI32;

/// A process ID (always positive).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pid(NonZeroI32);

impl Pid {
    /// A pid from the kernel's number; `None` for 0 or a negative number.
    pub fn new(raw: i32) -> Option<Pid> {
        NonZeroI32::new(raw).filter(|n| n.get() > 0).map(Pid)
    }

    /// The number.
    pub fn as_raw(self) -> i32 {
        self.0.get()
    }
}

impl fmt::Display for Pid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The real and effective user and group IDs of this process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Identity {
    /// Real user ID: who started the process.
    pub uid: u32,
    /// Effective user ID: whose permissions it has.
    pub euid: u32,
    /// Real group ID.
    pub gid: u32,
    /// Effective group ID.
    pub egid: u32,
}

impl Identity {
    /// The calling process's IDs.
    pub fn current() -> Identity {
        let (uid, euid, gid, egid) = crate::sys::ids::current();
        Identity {
            uid,
            euid,
            gid,
            egid,
        }
    }

    /// True when the program runs set-user-ID or set-group-ID: real and effective IDs differ.
    pub fn is_set_id(&self) -> bool {
        self.uid != self.euid || self.gid != self.egid
    }
}
