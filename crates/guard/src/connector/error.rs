//! [`ConnectorError`]: why the connector cannot be opened or read, in words a user can act
//! on (run as root, run on the host, the kernel lacks the connector).

use std::io;

/// Why the connector cannot be opened or read.
#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
    /// The kernel refused for lack of privilege.
    #[error(
        "cannot {step}: permission denied; the process connector needs root (CAP_NET_ADMIN) \
         before Linux 6.6"
    )]
    NotPermitted {
        /// What was being done.
        step: &'static str,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// The kernel has no process connector, or it does not answer this process.
    #[error("the process connector is not available: {reason}")]
    Unavailable {
        /// What was seen and what it usually means.
        reason: String,
    },
    /// The kernel answered the subscription with an error.
    #[error("the kernel refused the process-connector subscription: {0}")]
    Refused(#[source] io::Error),
    /// Any other system-call failure.
    #[error("cannot {step}: {source}")]
    Io {
        /// What was being done.
        step: &'static str,
        /// The error.
        #[source]
        source: io::Error,
    },
}

impl ConnectorError {
    pub(super) fn from_io(step: &'static str, source: io::Error) -> ConnectorError {
        match source.raw_os_error() {
            Some(libc::EPERM | libc::EACCES) => ConnectorError::NotPermitted { step, source },
            Some(libc::EPROTONOSUPPORT | libc::EAFNOSUPPORT) => ConnectorError::Unavailable {
                reason: format!(
                    "{step}: {source} (a kernel built without CONFIG_CONNECTOR, or a sandbox \
                     that forbids netlink sockets)"
                ),
            },
            Some(libc::ECONNREFUSED) => ConnectorError::Unavailable {
                reason: format!(
                    "{step}: {source} (no process connector in this network namespace)"
                ),
            },
            _ => ConnectorError::Io { step, source },
        }
    }
}
