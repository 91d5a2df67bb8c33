//! Property tests: any argv and environment without NUL bytes arrives unchanged, whatever
//! the strategy.

use forklab_spawn::{Command, Stdio, Strategy};
use proptest::prelude::*;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

fn arg() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
    proptest::collection::vec(1u8..=255, 0..40)
}

fn key() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
    proptest::collection::vec(prop_oneof![b'A'..=b'Z', Just(b'_'), 0x80u8..=0xff], 1..12)
}

fn strategy() -> impl proptest::strategy::Strategy<Value = Strategy> {
    proptest::sample::select(Strategy::ALL.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn argv_round_trips(args in proptest::collection::vec(arg(), 0..8), s in strategy()) {
        let out = Command::new("printf")
            .arg("%s\\0")
            .args(args.iter().map(|a| OsStr::from_bytes(a)))
            .stdout(Stdio::piped())
            .strategy(s)
            .output()
            .unwrap();
        let expected: Vec<u8> = args.iter().flat_map(|a| a.iter().copied().chain([0])).collect();
        // printf prints the format once even with no arguments: one empty field.
        let expected = if args.is_empty() { vec![0] } else { expected };
        prop_assert_eq!(out.stdout, expected);
    }

    #[test]
    fn env_round_trips(vars in proptest::collection::btree_map(key(), arg(), 0..6), s in strategy()) {
        let mut cmd = Command::new("/usr/bin/env");
        cmd.arg("-0").env_clear().stdout(Stdio::piped()).strategy(s);
        for (k, v) in &vars {
            cmd.env(OsStr::from_bytes(k), OsStr::from_bytes(v));
        }
        let out = cmd.output().unwrap().stdout;
        let expected: Vec<u8> = vars
            .iter()
            .flat_map(|(k, v)| k.iter().chain(b"=").chain(v).copied().chain([0]).collect::<Vec<_>>())
            .collect();
        prop_assert_eq!(out, expected);
    }
}
