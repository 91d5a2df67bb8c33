//! The bytes of one round trip, and the check of what comes back.
//!
//! A run draws one [`Pattern`]: [`PERIOD`] random bytes (`SmallRng`), shared by every
//! connection. Each round trip starts at a fresh random offset in it and runs on cyclically,
//! so consecutive round trips differ (an echo of the previous round trip, or of another
//! connection's, is a mismatch), every byte is random, and nothing is generated or copied per
//! round trip: the writer sends slices of the pattern and the reader compares with them.
//! Generating 1 GiB afresh cost a fifth of the generator's CPU time on one long connection
//! (perf), which this avoids. The period is 1 MiB plus 13 bytes, a multiple of no buffer
//! size, so a server that repeats or skips a buffer's worth of data cannot line up with it.
//!
//! What this module does not do: any I/O. The connection drives it.

use rand::rngs::SmallRng;
use rand::{Rng, RngCore};
use std::sync::Arc;

/// Bytes in the pattern.
pub(crate) const PERIOD: usize = (1 << 20) + 13;

/// Where the echo first differs from what was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Difference {
    /// Byte `offset` of the round trip came back as `got`; `sent` was sent.
    Byte {
        /// Offset in the round trip.
        offset: u64,
        /// The byte sent there.
        sent: u8,
        /// The byte that came back.
        got: u8,
    },
    /// Byte `offset` came back before it was sent: the echo ran ahead of the writer.
    Unsent {
        /// Offset in the round trip.
        offset: u64,
    },
}

/// The run's random bytes, shared by every connection.
#[derive(Clone, Debug)]
pub(crate) struct Pattern(Arc<[u8]>);

impl Pattern {
    /// [`PERIOD`] bytes from `rng`.
    pub(crate) fn new(rng: &mut SmallRng) -> Pattern {
        let mut bytes = vec![0; PERIOD];
        rng.fill_bytes(&mut bytes);
        Pattern(bytes.into())
    }
}

/// One round trip's payload: how much is sent, how much came back and matched.
pub(crate) struct Payload {
    pattern: Pattern,
    /// Draws each round trip's starting offset.
    rng: SmallRng,
    /// Where in the pattern this round trip starts.
    start: usize,
    /// Bytes in this round trip.
    len: u64,
    /// Bytes written to the socket.
    sent: u64,
    /// Bytes that came back and matched.
    verified: u64,
}

impl Payload {
    /// Round trips drawn from `pattern`, starting where `rng` says; [`Payload::start`] begins
    /// each one.
    pub(crate) fn new(pattern: Pattern, rng: SmallRng) -> Payload {
        Payload {
            pattern,
            rng,
            start: 0,
            len: 0,
            sent: 0,
            verified: 0,
        }
    }

    /// Begins a round trip of `len` bytes from a fresh random place in the pattern. A round
    /// trip of up to half the pattern does not wrap around its end, so it goes out in one
    /// write when the socket takes it: a round trip sent in two pieces, the first small,
    /// meets Nagle's algorithm in a server that echoes piece by piece (its second write waits
    /// for the ack of the first, which the client delays), and one 64 KiB round trip in 16
    /// took milliseconds instead of microseconds (measured: 0.22 GB/s instead of 0.65).
    pub(crate) fn start(&mut self, len: u64) {
        self.start = self.rng.random_range(0..starts(len));
        self.len = len;
        self.sent = 0;
        self.verified = 0;
    }

    /// Whether there is anything left to send.
    pub(crate) fn wants_to_send(&self) -> bool {
        self.sent < self.len
    }

    /// Whether every byte has come back.
    pub(crate) fn all_echoed(&self) -> bool {
        self.verified == self.len
    }

    /// Bytes sent, bytes echoed (and matched), bytes in the round trip.
    pub(crate) fn progress(&self) -> (u64, u64, u64) {
        (self.sent, self.verified, self.len)
    }

    /// Bytes of this round trip that have not come back yet (what a read may ask for).
    pub(crate) fn awaited(&self) -> usize {
        usize::try_from(self.len - self.verified).unwrap_or(usize::MAX)
    }

    /// The next bytes to write (up to the end of the pattern), or `None` when all is sent.
    pub(crate) fn unsent(&self) -> Option<&[u8]> {
        if !self.wants_to_send() {
            return None;
        }
        Some(self.window(self.sent, self.len - self.sent))
    }

    /// Records that `n` bytes of [`Payload::unsent`] were written.
    pub(crate) fn mark_sent(&mut self, n: usize) {
        self.sent += n as u64;
        debug_assert!(self.sent <= self.len);
    }

    /// Checks bytes that came back against what was sent at the same place.
    pub(crate) fn verify(&mut self, mut echoed: &[u8]) -> Result<(), Difference> {
        while !echoed.is_empty() {
            if self.verified == self.sent {
                let offset = self.verified;
                return Err(Difference::Unsent { offset });
            }
            let expected = self.window(self.verified, self.sent - self.verified);
            let n = expected.len().min(echoed.len());
            if let Some(i) = first_difference(&expected[..n], &echoed[..n]) {
                return Err(Difference::Byte {
                    offset: self.verified + i as u64,
                    sent: expected[i],
                    got: echoed[i],
                });
            }
            self.verified += n as u64;
            echoed = &echoed[n..];
        }
        Ok(())
    }

    /// The round trip's bytes from `offset`, at most `max` of them, as far as the pattern
    /// goes before it wraps.
    fn window(&self, offset: u64, max: u64) -> &[u8] {
        let at = ((self.start as u64 + offset) % PERIOD as u64) as usize;
        let n = usize::try_from(max).map_or(PERIOD - at, |max| max.min(PERIOD - at));
        &self.pattern.0[at..at + n]
    }
}

/// How many starting offsets a round trip of `len` bytes may have: every one that keeps it
/// within the pattern when it is at most half of it, the first half otherwise (the first
/// write is then half the pattern or more).
fn starts(len: u64) -> usize {
    match usize::try_from(len) {
        Ok(len) if len <= PERIOD / 2 => PERIOD - len + 1,
        _ => PERIOD / 2,
    }
}

/// The index of the first byte where `a` and `b` (same length) differ.
fn first_difference(a: &[u8], b: &[u8]) -> Option<usize> {
    if a == b {
        return None;
    }
    a.iter().zip(b).position(|(x, y)| x != y)
}

#[cfg(test)]
mod tests;
