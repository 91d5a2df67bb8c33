//! The process-connector decoder on arbitrary datagrams: it must never panic or read out of
//! bounds, and it yields at most one item per netlink header's worth of bytes.
//!
//! `cargo +nightly fuzz run proc_connector -- -max_total_time=120` (in `crates/guard`).

#![no_main]

use forklab_guard::connector::decode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|datagram: &[u8]| {
    let mut items = 0;
    for item in decode(datagram) {
        items += 1;
        match item {
            Ok(event) => {
                let _ = event.kind.is_thread();
                let _ = event.kind.task();
                let _ = event.kind.comm();
            }
            Err(error) => {
                let _ = error.to_string();
            }
        }
    }
    assert!(items <= datagram.len() / 16 + 1);
});
