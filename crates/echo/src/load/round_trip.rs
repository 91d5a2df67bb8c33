//! One round trip: S bytes out, the same S bytes back, checked as they arrive.
//!
//! Writing and reading go on together, on one task, through the socket's readiness
//! (`try_write`, `try_read`, `ready`): a round trip larger than the socket buffers cannot
//! deadlock with a server that echoes as it reads, and no lock or second task sits on the
//! path. A wait in which nothing can be read or written is bounded by the timeout.
//!
//! With busy polling, the wait for the echo (once everything is sent) is a loop of
//! non-blocking `recv` calls for up to [`BUSY_POLL`] before the task sleeps: the thread
//! stays on its CPU, so the echo does not have to wake it. On this project's 2-CPU virtual
//! machine waking an idle CPU is most of a 64 KiB round trip between two CPUs; polling
//! trades a CPU for it.

use super::connection::{Buffers, Plan};
use super::failure::{Failure, FailureKind, Step};
use super::payload::{Difference, Payload};
use rustix::net::{RecvFlags, recv};
use std::io;
use std::time::{Duration, Instant};
use tokio::io::Interest;
use tokio::net::TcpStream;

/// How long a busy-polling wait for the echo spins before it sleeps.
pub(crate) const BUSY_POLL: Duration = Duration::from_millis(1);

/// Sends `plan.size` bytes and checks the echo, both as far as the socket allows.
pub(crate) async fn round_trip(
    stream: &TcpStream,
    plan: &Plan,
    buf: &mut Buffers,
    round: u64,
    first_byte: &mut Option<Instant>,
) -> Result<(), Failure> {
    buf.payload.start(plan.size);
    while !buf.payload.all_echoed() {
        let wrote = try_write(stream, &mut buf.payload)?;
        let read = try_read(stream, buf, round, first_byte)?;
        if wrote || read {
            continue;
        }
        let sending = buf.payload.wants_to_send();
        if plan.busy_poll && !sending && poll_read(stream, buf, round, first_byte)? {
            continue;
        }
        let interest = if sending {
            Interest::READABLE | Interest::WRITABLE
        } else {
            Interest::READABLE
        };
        if tokio::time::timeout(plan.timeout, stream.ready(interest))
            .await
            .is_err()
        {
            return Err(stalled(plan, &buf.payload, round));
        }
    }
    Ok(())
}

/// Writes what the payload has ready; whether anything was written.
fn try_write(stream: &TcpStream, payload: &mut Payload) -> Result<bool, Failure> {
    let Some(unsent) = payload.unsent() else {
        return Ok(false);
    };
    match stream.try_write(unsent) {
        Ok(n) => {
            payload.mark_sent(n);
            Ok(n > 0)
        }
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(false),
        Err(e) => Err(Failure::io(Step::Write, &e)),
    }
}

/// Reads what has come back of this round trip, if the runtime has seen the socket
/// readable; whether anything was read.
fn try_read(
    stream: &TcpStream,
    buf: &mut Buffers,
    round: u64,
    first_byte: &mut Option<Instant>,
) -> Result<bool, Failure> {
    let want = buf.payload.awaited().min(buf.read.len());
    let result = stream.try_read(&mut buf.read[..want]);
    take(result, buf, round, first_byte)
}

/// Reads with non-blocking `recv` calls, past the runtime's readiness, until something
/// comes back or [`BUSY_POLL`] has passed; whether anything was read. (The runtime's
/// readiness stays as it was: at worst its next wait returns at once and finds nothing.)
fn poll_read(
    stream: &TcpStream,
    buf: &mut Buffers,
    round: u64,
    first_byte: &mut Option<Instant>,
) -> Result<bool, Failure> {
    let until = Instant::now() + BUSY_POLL;
    loop {
        let want = buf.payload.awaited().min(buf.read.len());
        let result = recv(stream, &mut buf.read[..want], RecvFlags::DONTWAIT);
        let result = result.map(|(n, _)| n).map_err(io::Error::from);
        if take(result, buf, round, first_byte)? {
            return Ok(true);
        }
        if Instant::now() >= until {
            return Ok(false);
        }
        std::hint::spin_loop();
    }
}

/// What a read brought: echoed bytes (checked), the server's end-of-file (too early), or
/// nothing yet; whether anything was read.
fn take(
    result: io::Result<usize>,
    buf: &mut Buffers,
    round: u64,
    first_byte: &mut Option<Instant>,
) -> Result<bool, Failure> {
    match result {
        Ok(0) => Err(short_echo(&buf.payload, round)),
        Ok(n) => {
            first_byte.get_or_insert_with(Instant::now);
            buf.payload
                .verify(&buf.read[..n])
                .map_err(|d| mismatch(d, round))?;
            Ok(true)
        }
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(false),
        Err(e) => Err(Failure::io(Step::Read, &e)),
    }
}

fn short_echo(payload: &Payload, round: u64) -> Failure {
    let (_, echoed, len) = payload.progress();
    let message = format!(
        "round trip {}: the server closed after echoing {echoed} of {len} bytes",
        round + 1
    );
    Failure::new(FailureKind::ShortEcho, message)
}

fn mismatch(difference: Difference, round: u64) -> Failure {
    let round = round + 1;
    let message = match difference {
        Difference::Byte { offset, sent, got } => {
            format!("round trip {round}: byte {offset} came back as {got:#04x}, sent {sent:#04x}")
        }
        Difference::Unsent { offset } => {
            format!("round trip {round}: byte {offset} came back before it was sent")
        }
    };
    Failure::new(FailureKind::Mismatch, message)
}

fn stalled(plan: &Plan, payload: &Payload, round: u64) -> Failure {
    let (sent, echoed, len) = payload.progress();
    let message = format!(
        "round trip {}: no progress in {:?} ({sent} of {len} bytes sent, {echoed} echoed)",
        round + 1,
        plan.timeout
    );
    Failure::new(FailureKind::Timeout, message)
}
