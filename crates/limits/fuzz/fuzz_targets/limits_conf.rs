//! Any bytes, as limits.conf text, in both dialects: parse and resolve must not panic, and
//! every problem is one line.
#![no_main]

use forklab_limits::{Dialect, Subject, parse, resolve};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let users = [
        Subject { user: "root".into(), uid: 0, gid: 0, groups: vec![("root".into(), 0)] },
        Subject { user: "bob".into(), uid: 1000, gid: 100, groups: vec![("users".into(), 100)] },
    ];
    for dialect in [Dialect::Debian, Dialect::Upstream] {
        let parsed = parse("f", &text, dialect);
        for p in &parsed.problems {
            assert!(!p.to_string().contains('\n'));
        }
        for entry in &parsed.entries {
            let _ = entry.to_line();
        }
        for who in &users {
            resolve(std::slice::from_ref(&parsed), who, dialect);
        }
    }
});
