//! Fork-bomb prevention and detection.
//!
//! - [`connector`]: every fork, exec, uid change and exit, read from the kernel's netlink
//!   process connector.

pub mod connector;

#[allow(unsafe_code)]
mod sys;
