//! What a child's standard input, output and error are connected to.

use std::fs::File;
use std::os::fd::OwnedFd;

/// The source or destination of one of the child's standard streams.
#[derive(Debug)]
#[non_exhaustive]
pub enum Stdio {
    /// The parent's own descriptor (the default for `spawn`).
    Inherit,
    /// `/dev/null`.
    Null,
    /// A new pipe; the parent's end appears in [`crate::Child`].
    Piped,
    /// This descriptor (the `Command` keeps it, the child gets a copy).
    Fd(OwnedFd),
}

impl Stdio {
    /// The parent's own descriptor.
    pub fn inherit() -> Stdio {
        Stdio::Inherit
    }

    /// `/dev/null`.
    pub fn null() -> Stdio {
        Stdio::Null
    }

    /// A new pipe.
    pub fn piped() -> Stdio {
        Stdio::Piped
    }
}

impl From<OwnedFd> for Stdio {
    fn from(fd: OwnedFd) -> Stdio {
        Stdio::Fd(fd)
    }
}

impl From<File> for Stdio {
    fn from(file: File) -> Stdio {
        Stdio::Fd(file.into())
    }
}
