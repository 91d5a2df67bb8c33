use super::{Difference, PERIOD, Pattern, Payload};
use rand::SeedableRng;
use rand::rngs::SmallRng;

fn payload(seed: u64) -> Payload {
    let pattern = Pattern::new(&mut SmallRng::seed_from_u64(seed));
    Payload::new(pattern, SmallRng::seed_from_u64(seed + 1))
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
    assert!(p.all_echoed());
    assert_eq!(p.awaited(), 0);
    all
}

#[test]
fn every_size_goes_through_in_any_pieces() {
    let mut p = payload(7);
    let period = PERIOD as u64;
    for len in [1, 7, 4000, 65536, period - 1, period, 2 * period + 5] {
        for (write, read) in [(1 << 30, 1 << 30), (1000, 333), (65536, 1)] {
            if read == 1 && len > 100_000 {
                continue;
            }
            let sent = echo_through(&mut p, len, write, read);
            assert_eq!(sent.len() as u64, len);
        }
    }
}

#[test]
fn a_round_trip_up_to_half_the_pattern_is_one_write() {
    let mut p = payload(5);
    for len in [1, 4000, 65536, PERIOD as u64 / 2] {
        for _ in 0..200 {
            p.start(len);
            assert_eq!(p.unsent().unwrap().len() as u64, len);
        }
    }
    // Larger ones may wrap, but the first write is at least half the pattern.
    for _ in 0..200 {
        p.start(PERIOD as u64);
        assert!(p.unsent().unwrap().len() > PERIOD / 2);
    }
}

#[test]
fn a_round_trip_longer_than_the_pattern_wraps_around_it() {
    let mut p = payload(3);
    let sent = echo_through(&mut p, 2 * PERIOD as u64 + 5, 1 << 30, 1 << 30);
    assert_eq!(sent[..PERIOD], sent[PERIOD..2 * PERIOD]);
}

#[test]
fn each_round_trip_is_fresh_random_content() {
    let mut p = payload(7);
    let a = echo_through(&mut p, 4096, 4096, 4096);
    let b = echo_through(&mut p, 4096, 4096, 4096);
    assert_ne!(a, b);
    // Random, not a pattern a server could reproduce by accident: every byte value shows up.
    let mut seen = [false; 256];
    a.iter().chain(&b).for_each(|&x| seen[x as usize] = true);
    assert!(seen.iter().all(|&s| s));
    // Another run, another pattern.
    assert_ne!(echo_through(&mut payload(8), 4096, 4096, 4096), a);
}

#[test]
fn a_changed_byte_is_found_where_it_is() {
    let mut p = payload(7);
    p.start(3 * 65536);
    let mut sent = Vec::new();
    while let Some(unsent) = p.unsent() {
        let n = unsent.len();
        sent.extend_from_slice(unsent);
        p.mark_sent(n);
    }
    let at = 65536 + 17;
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
    let mut p = payload(7);
    p.start(100);
    let unsent = p.unsent().unwrap()[..10].to_vec();
    p.mark_sent(10);
    let mut echoed = unsent.clone();
    echoed.push(0);
    assert_eq!(p.verify(&echoed), Err(Difference::Unsent { offset: 10 }));
}

#[test]
fn an_echo_of_the_previous_round_trip_is_a_mismatch() {
    let mut p = payload(11);
    let previous = echo_through(&mut p, 4000, 4000, 4000);
    p.start(4000);
    p.mark_sent(p.unsent().unwrap().len());
    assert!(matches!(p.verify(&previous), Err(Difference::Byte { .. })));
}
