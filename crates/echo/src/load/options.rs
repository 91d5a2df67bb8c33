//! What a load run is asked to do, with the defaults of the classic chapter's workload, and
//! the checks that refuse what cannot run.

use super::Error;
use std::net::SocketAddr;
use std::time::Duration;

/// What to run.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadOptions {
    /// The server's address.
    pub connect: SocketAddr,
    /// Connections in all (at least 1).
    pub connections: u64,
    /// Connections open at a time, at most (at least 1).
    pub concurrency: usize,
    /// Bytes per round trip (at least 1).
    pub size: u64,
    /// Round trips per connection (at least 1).
    pub requests: u64,
    /// `Some(n)`: open loop, a connection due every `1/n` s; `None`: closed loop.
    pub rate: Option<f64>,
    /// Bound on each connect, and on each stretch of a round trip or of the wait for
    /// end-of-file in which nothing is read or written.
    pub timeout: Duration,
    /// Threads of the generator (at least 1; no more are started than connections may be
    /// open at a time).
    pub threads: usize,
    /// Wait for each echo by polling the socket (non-blocking `recv` in a loop, up to 1 ms
    /// at a time) instead of sleeping until it is readable. It keeps a CPU busy, and a
    /// thread polling one connection serves no other meanwhile: for a few connections (no
    /// more than `threads`), when the latency of waking an idle CPU would otherwise be
    /// measured along with the server.
    pub busy_poll: bool,
}

impl LoadOptions {
    /// The defaults against `connect`: 1000 connections, 10 at a time, one round trip of
    /// 4000 bytes each (the classic chapter's workload), closed loop, 10 s timeout, a thread
    /// per CPU this process may run on.
    pub fn new(connect: SocketAddr) -> LoadOptions {
        LoadOptions {
            connect,
            connections: 1000,
            concurrency: 10,
            size: 4000,
            requests: 1,
            rate: None,
            timeout: Duration::from_secs(10),
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            busy_poll: false,
        }
    }

    /// Refuses what cannot run: a zero count, a rate that is not a positive number, a zero
    /// timeout.
    pub(crate) fn check(&self) -> Result<(), Error> {
        let counts = [
            ("connections", self.connections),
            ("concurrency", self.concurrency as u64),
            ("size", self.size),
            ("requests", self.requests),
            ("threads", self.threads as u64),
        ];
        if let Some((name, _)) = counts.iter().find(|(_, n)| *n == 0) {
            return Err(Error::Invalid(format!("{name} must be at least 1")));
        }
        if let Some(rate) = self.rate.filter(|r| !(r.is_finite() && *r > 0.0)) {
            return Err(Error::Invalid(format!(
                "rate must be a positive number, got {rate}"
            )));
        }
        if self.timeout.is_zero() {
            return Err(Error::Invalid("timeout must be more than 0".into()));
        }
        Ok(())
    }

    /// Threads the run uses: no more than connections open at a time.
    pub(crate) fn threads(&self) -> usize {
        let open = (self.concurrency as u64).min(self.connections);
        self.threads
            .min(usize::try_from(open).unwrap_or(usize::MAX))
    }
}
