use super::{CHUNK, Difference, MAX_IN_FLIGHT, Payload};
use rand::SeedableRng;
use rand::rngs::SmallRng;

fn payload() -> Payload {
    Payload::new(SmallRng::seed_from_u64(7))
}

/// Sends everything in pieces of `write` bytes, echoing each piece back in pieces of `read`
/// bytes; returns what was sent.
fn echo_through(p: &mut Payload, len: u64, write: usize, read: usize) -> Vec<u8> {
    p.start(len);
    let mut all = Vec::new();
    while let Some(unsent) = p.unsent() {
        let piece = unsent[..unsent.len().min(write)].to_vec();
        p.mark_sent(piece.len());
        for part in piece.chunks(read) {
            p.verify(part).unwrap();
        }
        all.extend_from_slice(&piece);
    }
    assert!(p.all_sent() && p.all_echoed());
    assert_eq!(p.awaited(), 0);
    all
}

#[test]
fn every_size_goes_through_in_any_pieces() {
    let mut p = payload();
    for len in [
        1,
        7,
        8,
        9,
        4000,
        CHUNK as u64,
        CHUNK as u64 + 1,
        3 * CHUNK as u64 + 5,
    ] {
        for (write, read) in [(1 << 30, 1 << 30), (1000, 333), (CHUNK, 1)] {
            if read == 1 && len > 100_000 {
                continue;
            }
            let sent = echo_through(&mut p, len, write, read);
            assert_eq!(sent.len() as u64, len);
        }
    }
}

#[test]
fn each_round_trip_is_fresh_random_content() {
    let mut p = payload();
    let a = echo_through(&mut p, 4096, 4096, 4096);
    let b = echo_through(&mut p, 4096, 4096, 4096);
    assert_ne!(a, b);
    // Random, not a pattern: every byte value shows up in 8 KiB.
    let mut seen = [false; 256];
    a.iter().chain(&b).for_each(|&x| seen[x as usize] = true);
    assert!(seen.iter().all(|&s| s));
}

#[test]
fn a_changed_byte_is_found_where_it_is() {
    let mut p = payload();
    p.start(3 * CHUNK as u64);
    let mut sent = Vec::new();
    while let Some(unsent) = p.unsent() {
        sent.extend_from_slice(unsent);
        let n = unsent.len();
        p.mark_sent(n);
    }
    let at = CHUNK + 17;
    p.verify(&sent[..at]).unwrap();
    let mut rest = sent[at..].to_vec();
    rest[0] ^= 0x20;
    let expected = Difference::Byte {
        offset: at as u64,
        sent: sent[at],
        got: sent[at] ^ 0x20,
    };
    assert_eq!(p.verify(&rest), Err(expected));
}

#[test]
fn bytes_that_were_never_sent_are_a_difference() {
    let mut p = payload();
    p.start(100);
    let unsent = p.unsent().unwrap()[..10].to_vec();
    p.mark_sent(10);
    let mut echoed = unsent.clone();
    echoed.push(0);
    assert_eq!(p.verify(&echoed), Err(Difference::Unsent { offset: 10 }));
}

#[test]
fn the_writer_stops_when_far_ahead_of_the_echo() {
    let mut p = payload();
    p.start(64 << 20);
    let mut sent = Vec::new();
    while let Some(unsent) = p.unsent() {
        let n = unsent.len();
        sent.extend_from_slice(unsent);
        p.mark_sent(n);
    }
    assert_eq!(sent.len(), MAX_IN_FLIGHT);
    assert!(!p.all_sent());
    p.verify(&sent[..CHUNK]).unwrap();
    assert_eq!(p.unsent().map(<[u8]>::len), Some(CHUNK));
}
