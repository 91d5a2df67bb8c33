//! Why a server could not start or had to stop. A client's failure is never one of these:
//! it is logged and counted in the [`super::ServeSummary`], and the server goes on.

use std::io;
use std::net::SocketAddr;

/// A server that could not start, or could not go on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The listening socket could not be made: `cannot listen on 127.0.0.1:7007: Address
    /// already in use (os error 98)`.
    #[error("cannot listen on {addr}: {error}")]
    Listen {
        /// The address asked for.
        addr: SocketAddr,
        /// Why (its message is part of this one's).
        error: io::Error,
    },
    /// A system call the server needs failed for a reason that no back-off cures.
    #[error("cannot {what}: {error}")]
    System {
        /// What was being done: `fork a worker`, `block signals`…
        what: &'static str,
        /// Why (its message is part of this one's).
        error: io::Error,
    },
}

impl Error {
    /// `map_err(Error::system("…"))`.
    pub(crate) fn system(what: &'static str) -> impl FnOnce(io::Error) -> Error {
        move |error| Error::System { what, error }
    }
}
