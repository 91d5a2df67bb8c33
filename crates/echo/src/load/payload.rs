//! The bytes of one round trip: random, fresh for every round trip, generated in chunks as
//! they are sent and checked byte for byte as they come back.
//!
//! A round trip of any size (up to the 1 GiB the command line allows) costs at most
//! [`MAX_IN_FLIGHT`] bytes of memory: the writer generates a chunk only when it is about to
//! send it, and only while less than that is sent and not yet echoed; the reader compares
//! what arrives with the chunks still held, then recycles them. Each byte is generated once.
//!
//! What this module does not do: any I/O. The connection drives it.

use rand::RngCore;
use rand::rngs::SmallRng;
use std::collections::VecDeque;

/// Bytes generated (and written) at a time.
pub(crate) const CHUNK: usize = 64 * 1024;

/// At most this much is sent ahead of what has come back (whole chunks are generated, so up
/// to one chunk more is held).
pub(crate) const MAX_IN_FLIGHT: usize = 4 << 20;

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

/// One round trip's payload: what is still to send, and what is sent but not yet echoed.
pub(crate) struct Payload {
    rng: SmallRng,
    /// Bytes in this round trip.
    len: u64,
    /// Bytes generated so far (`sent` ≤ `generated`).
    generated: u64,
    /// Bytes written to the socket.
    sent: u64,
    /// Bytes that came back and matched.
    verified: u64,
    /// Generated chunks not yet wholly verified, oldest first; the front one starts at
    /// `front_start`.
    chunks: VecDeque<Vec<u8>>,
    front_start: u64,
    /// Chunks to reuse, so a long connection allocates nothing after its first round trips.
    spare: Vec<Vec<u8>>,
}

impl Payload {
    /// A payload source drawing from `rng`; [`Payload::start`] begins each round trip.
    pub(crate) fn new(rng: SmallRng) -> Payload {
        Payload {
            rng,
            len: 0,
            generated: 0,
            sent: 0,
            verified: 0,
            chunks: VecDeque::new(),
            front_start: 0,
            spare: Vec::new(),
        }
    }

    /// Begins a round trip of `len` fresh random bytes.
    pub(crate) fn start(&mut self, len: u64) {
        while let Some(chunk) = self.chunks.pop_front() {
            self.spare.push(chunk);
        }
        self.len = len;
        self.generated = 0;
        self.sent = 0;
        self.verified = 0;
        self.front_start = 0;
    }

    /// Whether every byte has been sent.
    pub(crate) fn all_sent(&self) -> bool {
        self.sent == self.len
    }

    /// Whether every byte has come back.
    pub(crate) fn all_echoed(&self) -> bool {
        self.verified == self.len
    }

    /// Whether there is something to send now (not all sent, and not too far ahead).
    pub(crate) fn wants_to_send(&self) -> bool {
        !self.all_sent() && self.sent - self.verified < MAX_IN_FLIGHT as u64
    }

    /// Bytes sent, bytes echoed (and matched), bytes in the round trip.
    pub(crate) fn progress(&self) -> (u64, u64, u64) {
        (self.sent, self.verified, self.len)
    }

    /// Bytes of this round trip that have not come back yet (what a read may ask for).
    pub(crate) fn awaited(&self) -> usize {
        usize::try_from(self.len - self.verified).unwrap_or(usize::MAX)
    }

    /// The next bytes to write, or `None` when all is sent or the writer is
    /// [`MAX_IN_FLIGHT`] ahead of the echo.
    pub(crate) fn unsent(&mut self) -> Option<&[u8]> {
        if !self.wants_to_send() {
            return None;
        }
        if self.sent == self.generated {
            self.generate();
        }
        // Chunks are generated whole, so the one holding `sent` is ready to its end.
        let (chunk, at) = self.locate(self.sent);
        Some(&chunk[at..])
    }

    /// Records that `n` bytes of [`Payload::unsent`] were written.
    pub(crate) fn mark_sent(&mut self, n: usize) {
        self.sent += n as u64;
        debug_assert!(self.sent <= self.generated);
    }

    /// Checks bytes that came back against what was sent at the same place.
    pub(crate) fn verify(&mut self, mut echoed: &[u8]) -> Result<(), Difference> {
        while !echoed.is_empty() {
            if self.verified == self.sent {
                let offset = self.verified;
                return Err(Difference::Unsent { offset });
            }
            let (chunk, at) = self.locate(self.verified);
            let n = echoed.len().min(chunk.len() - at);
            let n = n.min(usize::try_from(self.sent - self.verified).unwrap_or(usize::MAX));
            let expected = &chunk[at..at + n];
            if let Some(i) = first_difference(expected, &echoed[..n]) {
                return Err(Difference::Byte {
                    offset: self.verified + i as u64,
                    sent: expected[i],
                    got: echoed[i],
                });
            }
            self.verified += n as u64;
            echoed = &echoed[n..];
            self.recycle_verified();
        }
        Ok(())
    }

    /// Generates the next chunk (at most [`CHUNK`] bytes, fewer at the end).
    fn generate(&mut self) {
        let n = usize::try_from(self.len - self.generated).map_or(CHUNK, |n| n.min(CHUNK));
        let mut chunk = self.spare.pop().unwrap_or_default();
        chunk.resize(n, 0);
        fill(&mut self.rng, &mut chunk);
        self.chunks.push_back(chunk);
        self.generated += n as u64;
    }

    /// The chunk holding byte `offset` of the round trip and the offset within it.
    fn locate(&self, offset: u64) -> (&Vec<u8>, usize) {
        let index = ((offset - self.front_start) / CHUNK as u64) as usize;
        let at = ((offset - self.front_start) % CHUNK as u64) as usize;
        (&self.chunks[index], at)
    }

    /// Frees the chunks wholly verified.
    fn recycle_verified(&mut self) {
        while let Some(front) = self.chunks.front() {
            let end = self.front_start + front.len() as u64;
            if end > self.verified {
                break;
            }
            self.front_start = end;
            let chunk = self.chunks.pop_front().expect("a front chunk");
            self.spare.push(chunk);
        }
    }
}

/// Random bytes, eight at a time (faster than `fill_bytes`' byte-wise tail handling).
fn fill(rng: &mut SmallRng, buf: &mut [u8]) {
    let mut words = buf.chunks_exact_mut(8);
    for word in &mut words {
        word.copy_from_slice(&rng.next_u64().to_le_bytes());
    }
    let tail = words.into_remainder();
    let last = rng.next_u64().to_le_bytes();
    tail.copy_from_slice(&last[..tail.len()]);
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
