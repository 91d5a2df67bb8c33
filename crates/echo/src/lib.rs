//! The article's concurrent server, made real and measurable: a TCP echo server in every
//! design of the classic server chapter (UNIX Network Programming vol. 1, ch. 30), a load
//! generator, and the comparison of the designs.
//!
//! - [`server`]: `forklab echo serve`. One [`server::Model`] per design, from the article's
//!   fork-per-client server (reaping its children, surviving `EINTR`, bounded) to pools of
//!   processes or threads and one event loop.
//! - [`load`]: `forklab echo load`. Connections with verified round trips, latencies in an
//!   HDR histogram.
//! - [`compare`]: `forklab echo compare`. Each model as a child process, the same load, server
//!   CPU time and process-control CPU time side by side.
//!
//! The library never prints: it returns values and typed errors, and logs through `tracing`.
#![deny(missing_docs)]

pub mod compare;
pub mod load;
pub mod server;
#[allow(unsafe_code)]
mod sys;
