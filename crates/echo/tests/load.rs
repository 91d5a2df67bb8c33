//! The load generator against small echo servers written here, each with one flaw: every
//! kind of failure is counted as what it is, a correct server gives none, and the open loop
//! keeps its timetable and charges a slow server for the connections it delayed.
//!
//! Servers listen on loopback port 0, run on a thread of their own (a one-thread tokio
//! runtime) and live as long as the test process.

use forklab_echo::load::{self, LoadOptions, LoadReport};
use std::collections::BTreeSet;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Starts a server on 127.0.0.1 that runs `handle` on each accepted connection.
fn serve<F, Fut>(handle: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    serve_on(std::net::TcpListener::bind("127.0.0.1:0").unwrap(), handle)
}

/// Runs `handle` on each connection `listener` accepts.
fn serve_on<F, Fut>(listener: std::net::TcpListener, handle: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(handle(stream));
            }
        });
    });
    addr
}

/// Echoes until end-of-file, then closes; `change` may alter each piece before it goes back
/// (given the number of bytes echoed before it).
async fn echo_with(mut stream: TcpStream, change: impl Fn(u64, &mut [u8])) {
    let mut buf = vec![0; 64 * 1024];
    let mut echoed = 0;
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                change(echoed, &mut buf[..n]);
                if stream.write_all(&buf[..n]).await.is_err() {
                    return;
                }
                echoed += n as u64;
            }
        }
    }
}

fn echo_server() -> SocketAddr {
    serve(|stream| echo_with(stream, |_, _| {}))
}

/// Reads exactly `n` bytes (or until end-of-file).
async fn read_n(stream: &mut TcpStream, n: usize) {
    let mut buf = vec![0; n];
    let _ = stream.read_exact(&mut buf).await;
}

/// Reads until end-of-file.
async fn drain(stream: &mut TcpStream) {
    let mut buf = [0; 4096];
    while let Ok(n) = stream.read(&mut buf).await {
        if n == 0 {
            return;
        }
    }
}

/// Echoes, but flips byte 1000 of each connection's stream.
fn corrupting_server() -> SocketAddr {
    serve(|stream| {
        echo_with(stream, |offset, piece| {
            let at = 1000u64.checked_sub(offset);
            if let Some(i) = at.filter(|&i| i < piece.len() as u64) {
                piece[i as usize] ^= 0x01;
            }
        })
    })
}

/// Reads 1000 bytes, echoes 500, and closes its side.
fn early_closing_server() -> SocketAddr {
    serve(|mut stream| async move {
        let mut buf = vec![0; 1000];
        stream.read_exact(&mut buf).await.unwrap();
        stream.write_all(&buf[..500]).await.unwrap();
        stream.shutdown().await.unwrap();
        drain(&mut stream).await;
    })
}

fn options(addr: SocketAddr, connections: u64, concurrency: usize, size: u64) -> LoadOptions {
    let mut options = LoadOptions::new(addr);
    options.connections = connections;
    options.concurrency = concurrency;
    options.size = size;
    options.timeout = Duration::from_secs(5);
    options
}

fn run(options: &LoadOptions) -> LoadReport {
    let mut last = None;
    let report = load::run(options, &mut |p| last = Some(p)).unwrap();
    let last = last.expect("progress reported at least once");
    assert_eq!(last.done, options.connections);
    assert_eq!(last.total, options.connections);
    assert_eq!(last.failed, report.failed);
    report
}

/// Asserts that every connection failed with `kind` and nothing else did.
fn all_failed_with(report: &LoadReport, kind: &str) {
    let errors = serde_json::to_value(report.errors).unwrap();
    for (name, count) in errors.as_object().unwrap() {
        let expected = if name == kind { report.connections } else { 0 };
        assert_eq!(count, expected, "{name}: {report:#?}");
    }
    assert_eq!(report.completed, 0);
    assert_eq!(report.failed, report.connections);
    assert!(report.error_examples.contains_key(kind), "{report:#?}");
    assert_eq!(report.latency_ms.samples, 0);
}

#[test]
fn a_correct_server_gives_no_errors_and_right_counts() {
    let addr = echo_server();
    let mut o = options(addr, 300, 8, 4000);
    o.requests = 3;
    let r = run(&o);
    assert_eq!(r.failed, 0, "{r:#?}");
    assert_eq!(r.completed, 300);
    assert_eq!(r.bytes_echoed, 300 * 3 * 4000);
    assert!(r.conn_per_s > 0.0 && r.elapsed_s > 0.0);
    let expected = r.completed as f64 / r.elapsed_s;
    assert!((r.conn_per_s - expected).abs() < 1e-6 * expected);
    assert!((r.bytes_per_s - r.bytes_echoed as f64 / r.elapsed_s).abs() < 1.0);
    for p in [r.latency_ms, r.connection_ms] {
        assert_eq!(p.samples, 300);
        assert!(0.0 < p.p50 && p.p50 <= p.p90 && p.p90 <= p.p99 && p.p99 <= p.p999);
        assert!(p.p999 <= p.max, "{p:?}");
    }
    // The first echoed byte comes before the end of the connection.
    assert!(r.latency_ms.p50 <= r.connection_ms.p50);
    assert!(!r.open_loop && r.latency_from == "connect");
}

#[test]
fn loopback_connections_come_from_16_addresses() {
    let peers = Arc::new(Mutex::new(BTreeSet::new()));
    let seen = peers.clone();
    let addr = serve(move |stream| {
        seen.lock()
            .unwrap()
            .insert(stream.peer_addr().unwrap().ip());
        echo_with(stream, |_, _| {})
    });
    let r = run(&options(addr, 64, 4, 10));
    assert_eq!(r.failed, 0, "{r:#?}");
    assert_eq!(r.source_addresses, 16);
    let expected: BTreeSet<IpAddr> = (1..=16).map(|i| IpAddr::from([127, 0, 0, i])).collect();
    assert_eq!(*peers.lock().unwrap(), expected);
}

#[test]
fn an_ipv6_server_is_reached_from_the_kernel_s_choice() {
    let Ok(listener) = std::net::TcpListener::bind("[::1]:0") else {
        eprintln!("SKIPPED an_ipv6_server_is_reached_from_the_kernel_s_choice: no IPv6 loopback");
        return;
    };
    let addr = serve_on(listener, |stream| echo_with(stream, |_, _| {}));
    let r = run(&options(addr, 20, 4, 1000));
    assert_eq!(r.failed, 0, "{r:#?}");
    assert_eq!(r.source_addresses, 1);
    assert_eq!(r.connect, addr.to_string());
}

#[test]
fn round_trips_larger_than_the_socket_buffers_go_through() {
    let addr = echo_server();
    let mut o = options(addr, 2, 2, 12 << 20);
    o.requests = 2;
    let r = run(&o);
    assert_eq!(r.failed, 0, "{r:#?}");
    assert_eq!(r.bytes_echoed, 2 * 2 * (12 << 20));
}

#[test]
fn a_changed_byte_is_a_mismatch() {
    let r = run(&options(corrupting_server(), 20, 4, 4000));
    all_failed_with(&r, "mismatch");
    assert_eq!(r.mismatches, 20);
    let example = &r.error_examples["mismatch"];
    assert!(
        example.starts_with("round trip 1: byte 1000 came back as"),
        "{example}"
    );
}

#[test]
fn more_bytes_than_were_sent_is_a_mismatch() {
    let addr = serve(|mut stream| async move {
        let mut buf = vec![0; 100];
        stream.read_exact(&mut buf).await.unwrap();
        stream.write_all(&buf).await.unwrap();
        drain(&mut stream).await;
        let _ = stream.write_all(b"!").await;
    });
    let r = run(&options(addr, 5, 5, 100));
    all_failed_with(&r, "mismatch");
    let example = &r.error_examples["mismatch"];
    assert_eq!(example, "1 more bytes came back after the whole echo");
}

#[test]
fn a_server_that_closes_early_gives_a_short_echo() {
    let r = run(&options(early_closing_server(), 10, 5, 1000));
    all_failed_with(&r, "short_echo");
    let example = &r.error_examples["short_echo"];
    assert_eq!(
        example,
        "round trip 1: the server closed after echoing 500 of 1000 bytes"
    );
}

#[test]
fn a_server_that_resets_gives_reset() {
    let addr = serve(|mut stream| async move {
        read_n(&mut stream, 10).await;
        stream.set_zero_linger().unwrap();
        drop(stream);
    });
    let r = run(&options(addr, 10, 5, 1000));
    all_failed_with(&r, "reset");
}

#[test]
fn nothing_listening_is_refused() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let r = run(&options(port, 10, 3, 100));
    all_failed_with(&r, "refused");
    assert!(r.error_examples["refused"].starts_with("connect: "));
}

#[test]
fn a_server_that_never_answers_times_out() {
    let addr = serve(|mut stream| async move {
        // Read everything and answer nothing, for longer than the test waits.
        let _ = tokio::time::timeout(Duration::from_secs(20), drain(&mut stream)).await;
    });
    let mut o = options(addr, 4, 4, 1000);
    o.timeout = Duration::from_millis(200);
    let started = std::time::Instant::now();
    let r = run(&o);
    all_failed_with(&r, "timeout");
    assert!(started.elapsed() < Duration::from_secs(3));
    let example = &r.error_examples["timeout"];
    assert_eq!(
        example,
        "round trip 1: no progress in 200ms (1000 of 1000 bytes sent, 0 echoed)"
    );
}

#[test]
fn busy_polling_checks_echoes_the_same_way() {
    let busy = |addr, size| {
        let mut o = options(addr, 10, 2, size);
        o.busy_poll = true;
        o.requests = 3;
        run(&o)
    };
    let r = busy(echo_server(), 65536);
    assert_eq!(r.failed, 0, "{r:#?}");
    assert!(r.busy_poll);
    assert_eq!(r.bytes_echoed, 10 * 3 * 65536);
    all_failed_with(&busy(corrupting_server(), 4000), "mismatch");
    all_failed_with(&busy(early_closing_server(), 1000), "short_echo");
}

#[test]
fn the_open_loop_keeps_its_timetable() {
    let addr = echo_server();
    let mut o = options(addr, 50, 10, 100);
    o.rate = Some(200.0);
    let r = run(&o);
    assert_eq!(r.failed, 0, "{r:#?}");
    assert!(r.open_loop && r.latency_from == "schedule");
    // The last connection is due at 49/200 s.
    assert!((0.245..0.6).contains(&r.elapsed_s), "{}", r.elapsed_s);
    assert_eq!(r.start_lag_ms.samples, 50);
    assert!(r.start_lag_ms.p50 < 20.0, "{:?}", r.start_lag_ms);
}

/// A server that waits `delay` before echoing: the open loop charges it for the connections
/// it kept waiting, the closed loop does not (coordinated omission).
#[test]
fn the_open_loop_measures_latency_from_the_schedule() {
    let delay = Duration::from_millis(50);
    let addr = serve(move |stream| async move {
        tokio::time::sleep(delay).await;
        echo_with(stream, |_, _| {}).await;
    });
    let closed = run(&options(addr, 10, 1, 100));
    let mut open = options(addr, 10, 1, 100);
    open.rate = Some(100.0);
    let open = run(&open);
    assert_eq!(closed.failed + open.failed, 0);
    // Closed loop: each connection takes the delay, one after another.
    assert!(closed.latency_ms.max >= 50.0 && closed.latency_ms.max < 250.0);
    // Open loop: connection i was due at 10·i ms but could start only at ~50·i ms.
    assert!(open.latency_ms.max >= 350.0, "{:?}", open.latency_ms);
    assert!(open.start_lag_ms.max >= 300.0, "{:?}", open.start_lag_ms);
    assert!(open.latency_ms.p50 > 3.0 * closed.latency_ms.p50);
}

#[test]
fn options_that_cannot_run_are_refused() {
    let addr: SocketAddr = "127.0.0.1:9".parse().unwrap();
    type Change = fn(&mut LoadOptions);
    let cases: [(Change, &str); 4] = [
        (|o| o.concurrency = 0, "concurrency must be at least 1"),
        (|o| o.size = 0, "size must be at least 1"),
        (
            |o| o.rate = Some(0.0),
            "rate must be a positive number, got 0",
        ),
        (
            |o| o.timeout = Duration::ZERO,
            "timeout must be more than 0",
        ),
    ];
    for (change, message) in cases {
        let mut o = LoadOptions::new(addr);
        change(&mut o);
        let e = load::run(&o, &mut |_| {}).unwrap_err();
        assert_eq!(e.to_string(), message);
    }
}

#[test]
fn the_report_has_the_issue_s_field_names() {
    let addr = echo_server();
    let r = run(&options(addr, 5, 2, 10));
    let json = serde_json::to_value(&r).unwrap();
    for field in [
        "connections",
        "concurrency",
        "size",
        "conn_per_s",
        "bytes_per_s",
        "latency_ms",
        "errors",
        "mismatches",
        "connection_ms",
        "requests",
        "rate",
        "completed",
        "elapsed_s",
        "open_loop",
    ] {
        assert!(json.get(field).is_some(), "{field} in {json:#}");
    }
    for p in ["p50", "p90", "p99", "p999", "max"] {
        assert!(json["latency_ms"][p].is_f64(), "{p}");
        assert!(json["connection_ms"][p].is_f64(), "{p}");
    }
    let errors = json["errors"].as_object().unwrap();
    let kinds: Vec<&str> = errors.keys().map(String::as_str).collect();
    let mut expected = [
        "refused",
        "reset",
        "short_echo",
        "mismatch",
        "timeout",
        "other",
    ];
    expected.sort();
    assert_eq!(kinds, expected);
}
