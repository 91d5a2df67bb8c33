//! The crate's system calls that need `unsafe`: each file one family.

pub(crate) mod bomb;
pub(crate) mod sched;
pub(crate) mod uid_signal;
