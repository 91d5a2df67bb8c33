//! `forklab echo load` end to end, against small echo servers in this process (loopback,
//! a thread per client): the JSON document and its consistency, the table, the exit status
//! of a run with failures (a changed byte, nothing listening, a server that never answers),
//! and the one-line errors of bad input.

use crate::support::{error_line, forklab};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// A server that runs `handle` on a thread for each client, for as long as the tests run.
fn serve(handle: fn(TcpStream)) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || handle(stream));
        }
    });
    addr
}

/// Echoes until end-of-file; flips byte 100 of the stream when `corrupt`.
fn echo(mut stream: TcpStream, corrupt: bool) {
    let mut buf = [0; 16 * 1024];
    let mut offset = 0;
    while let Ok(n) = stream.read(&mut buf) {
        if n == 0 {
            return;
        }
        if corrupt && (offset..offset + n).contains(&100) {
            buf[100 - offset] ^= 0x80;
        }
        if stream.write_all(&buf[..n]).is_err() {
            return;
        }
        offset += n;
    }
}

/// Runs `forklab echo load --connect ADDR ARGS… --json`: exit status and document.
fn load_json(addr: SocketAddr, args: &[&str]) -> (i32, Value) {
    let out = forklab(["echo", "load", "--connect", &addr.to_string(), "--json"])
        .args(args)
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    (out.status.code().unwrap(), json)
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn a_correct_server_gives_a_consistent_document_and_exit_0() {
    let addr = serve(|s| echo(s, false));
    let args = [
        "--connections",
        "200",
        "--concurrency",
        "5",
        "--size",
        "3000",
    ];
    let (code, r) = load_json(addr, &[&args[..], &["--requests", "2"]].concat());
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(u(&r["connections"]), 200);
    assert_eq!(u(&r["concurrency"]), 5);
    assert_eq!(u(&r["size"]), 3000);
    assert_eq!(u(&r["requests"]), 2);
    assert_eq!(u(&r["completed"]), 200);
    assert_eq!(u(&r["mismatches"]), 0);
    assert_eq!(r["open_loop"], false);
    assert!(r["rate"].is_null());
    let elapsed = f(&r["elapsed_s"]);
    assert!(f(&r["conn_per_s"]) > 0.0);
    assert!((f(&r["conn_per_s"]) * elapsed - 200.0).abs() < 0.01);
    assert!((f(&r["bytes_per_s"]) * elapsed - 200.0 * 2.0 * 3000.0).abs() < 1.0);
    for histogram in ["latency_ms", "connection_ms"] {
        let p = &r[histogram];
        let values: Vec<f64> = ["p50", "p90", "p99", "p999", "max"]
            .iter()
            .map(|k| f(&p[k]))
            .collect();
        assert!(values.windows(2).all(|w| w[0] <= w[1]), "{histogram}: {p}");
        assert!(values[0] > 0.0, "{histogram}: {p}");
    }
    let errors = r["errors"].as_object().unwrap();
    assert_eq!(errors.len(), 6, "{errors:?}");
    assert!(errors.values().all(|v| u(v) == 0), "{errors:?}");
}

#[test]
fn busy_polling_threads_and_sources_are_reported() {
    let addr = serve(|s| echo(s, false));
    let args = ["--connections", "20", "--size", "70000", "--requests", "2"];
    let (code, r) = load_json(
        addr,
        &[&args[..], &["--busy-poll", "--threads", "1"]].concat(),
    );
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["busy_poll"], true);
    assert_eq!(u(&r["threads"]), 1);
    assert_eq!(u(&r["source_addresses"]), 16);
    assert_eq!(u(&r["bytes_echoed"]), 20 * 2 * 70000);
}

#[test]
fn the_table_says_what_ran_and_that_nothing_failed() {
    let addr = serve(|s| echo(s, false));
    let out = forklab(["echo", "load", "--connect", &addr.to_string()])
        .args(["--connections", "50", "--size", "100"])
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.starts_with(&format!(
            "echo load against {addr}: 50 connections, 10 at a time, closed loop; 1 round trip \
             of 100 bytes each\ncompleted 50 of 50 in "
        )),
        "{stdout}"
    );
    for line in ["first echoed byte", "whole connection", "errors: none"] {
        assert!(stdout.contains(line), "{line}: {stdout}");
    }
    assert!(out.stderr.is_empty(), "no progress bar off a terminal");
}

#[test]
fn a_changed_byte_is_counted_and_exits_1() {
    let addr = serve(|s| echo(s, true));
    let (code, r) = load_json(addr, &["--connections", "20", "--size", "500"]);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(u(&r["errors"]["mismatch"]), 20);
    assert_eq!(u(&r["mismatches"]), 20);
    assert_eq!(u(&r["completed"]), 0);
    let example = r["error_examples"]["mismatch"].as_str().unwrap();
    assert!(
        example.starts_with("round trip 1: byte 100 came back as"),
        "{example}"
    );
}

#[test]
fn nothing_listening_is_refused_and_exits_1() {
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let out = forklab(["echo", "load", "--connect", &addr.to_string()])
        .args(["--connections", "30"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("completed 0 of 30"), "{stdout}");
    assert!(stdout.contains("\nerrors: 30 refused\n"), "{stdout}");
    assert!(
        stdout.contains("  refused, e.g. connect: Connection refused"),
        "{stdout}"
    );
}

#[test]
fn a_server_that_never_answers_times_out_and_exits_1() {
    let addr = serve(|mut s| {
        let mut sink = [0; 4096];
        let _ = s.set_read_timeout(Some(Duration::from_secs(20)));
        while matches!(s.read(&mut sink), Ok(n) if n > 0) {}
    });
    let started = Instant::now();
    let args = [
        "--connections",
        "3",
        "--concurrency",
        "3",
        "--timeout",
        "300ms",
    ];
    let (code, r) = load_json(addr, &args);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(u(&r["errors"]["timeout"]), 3);
    assert_eq!(f(&r["timeout_s"]), 0.3);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn the_open_loop_runs_on_its_timetable() {
    let addr = serve(|s| echo(s, false));
    let args = ["--connections", "40", "--rate", "100", "--size", "10"];
    let (code, r) = load_json(addr, &args);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["open_loop"], true);
    assert_eq!(f(&r["rate"]), 100.0);
    assert_eq!(r["latency_from"], "schedule");
    // The last of 40 connections is due at 0.39 s.
    let elapsed = f(&r["elapsed_s"]);
    assert!((0.39..0.8).contains(&elapsed), "{elapsed}");
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let cases = [
        (
            &["--connect", "nope"][..],
            "invalid value 'nope' for '--connect <ADDR>': not IP:PORT (e.g. 127.0.0.1:7007 or \
             [::1]:7007)",
        ),
        (
            &["--connect", "localhost:7007"][..],
            "invalid value 'localhost:7007' for '--connect <ADDR>': not IP:PORT (e.g. \
             127.0.0.1:7007 or [::1]:7007)",
        ),
        (
            &["--connect", "127.0.0.1:0"][..],
            "invalid value '127.0.0.1:0' for '--connect <ADDR>': port 0 cannot be connected to",
        ),
        (
            &["--connect", "127.0.0.1:7", "--concurrency", "0"][..],
            "invalid value '0' for '--concurrency <K>': must be at least 1, got 0",
        ),
        (
            &["--connect", "127.0.0.1:7", "--size", "0"][..],
            "invalid value '0' for '--size <S>': must be at least 1, got 0",
        ),
        (
            &["--connect", "127.0.0.1:7", "--rate", "0"][..],
            "invalid value '0' for '--rate <N>': must be a positive number of connections per \
             second",
        ),
        (
            &["--connect", "127.0.0.1:7", "--timeout", "0s"][..],
            "invalid value '0s' for '--timeout <DUR>': must be longer than 0",
        ),
    ];
    for (args, message) in cases {
        let line = error_line([&["echo", "load"][..], args].concat());
        assert_eq!(line, format!("forklab: error: {message} (see --help)"));
    }
}

#[test]
fn help_has_examples_and_exit_statuses() {
    let out = forklab(["echo", "load", "--help"]).output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(
        help.contains("Examples:\n  forklab echo load --connect"),
        "{help}"
    );
    assert!(
        help.contains("Exit status: 0 every connection completed"),
        "{help}"
    );
}
