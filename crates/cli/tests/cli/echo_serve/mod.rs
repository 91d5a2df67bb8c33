//! `forklab echo serve`: every model, as a child process on a free loopback port, against
//! well-behaved and faulty clients, the client cap and SIGTERM; and the refusals.

mod client;
mod limits;
mod server;

use crate::support::*;
use client::*;
use forklab_guard::cgroup::PidsGroup;
use limits::starve_of_descriptors;
use server::{Server, eventually};
use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, Instant};

/// Every model, one test each, like `crates/spawn/tests/spawn/support.rs`'s `strategies!`.
macro_rules! models {
    ($(fn $name:ident($m:ident) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            fn check($m: &'static str) $body
            #[test] fn iterative() { check("iterative") }
            #[test] fn fork() { check("fork") }
            #[test] fn prefork() { check("prefork") }
            #[test] fn prefork_flock() { check("prefork-flock") }
            #[test] fn prefork_mutex() { check("prefork-mutex") }
            #[test] fn prefork_fdpass() { check("prefork-fdpass") }
            #[test] fn thread() { check("thread") }
            #[test] fn prethread() { check("prethread") }
            #[test] fn prethread_accept() { check("prethread-accept") }
            #[test] fn async_() { check("async") }
        }
    )*};
}

/// Puts this thread (and what it starts from now on) on `cpu`.
fn pin_this_thread(cpu: usize) {
    let mut set = rustix::thread::CpuSet::new();
    set.set(cpu);
    rustix::thread::sched_setaffinity(None, &set).unwrap();
}

/// Whether the model's workers wait for clients inside `accept` itself.
fn blocks_in_accept(model: &str) -> bool {
    matches!(
        model,
        "prefork" | "prefork-flock" | "prefork-mutex" | "prethread"
    )
}

/// How many clients a model serves at once under `--max-clients 2`.
fn at_once_under_cap_2(model: &str) -> usize {
    if model == "iterative" { 1 } else { 2 }
}

models! {
    fn echoes_byte_for_byte(model) {
        let server = Server::start(model, &["--workers", "3"]);
        assert_echoes_concurrently(server.addr, &[0, 1, 4000, 65_537]);
        let big = 4 * 1024 * 1024 + 13;
        assert_echoes_concurrently(server.addr, &[big, big, big]);
        assert_eq!(server.at_rest().zombies, 0);
    }

    fn survives_faulty_clients(model) {
        // iterative serves one client at a time: only the idle timeout frees it from a
        // client that sends nothing.
        let idle = if model == "iterative" { "1s" } else { "30s" };
        let server = Server::start(model, &["--workers", "3", "--idle-timeout", idle]);
        assert_echoes(server.addr, 1000, 1);
        let baseline = server.at_rest();

        drop(connect(server.addr)); // connects and vanishes
        reset_mid_stream(server.addr);
        let silent = connect(server.addr);
        let flood = if model == "iterative" {
            skip("a client that never reads holds iterative (one client at a time) until the idle timeout, by design");
            None
        } else {
            Some(Flood::start(server.addr))
        };
        std::thread::sleep(Duration::from_millis(100));

        assert_echoes(server.addr, 100_000, 2);
        let inheritable = server.inheritable_descriptors();
        assert!(inheritable.is_empty(), "{model}: not close-on-exec: {inheritable:?}");
        // Served beside the silent client (still connected), or after iterative dropped it.
        assert_eq!(closed_by_server(&silent), model == "iterative", "{model}: silent client");
        drop((silent, flood));

        assert_echoes(server.addr, 100_000, 3);
        server.back_to(baseline);
        assert_eq!(server.census().zombies, 0);
    }

    fn caps_clients_at_max_clients(model) {
        let server = Server::start(model, &["--max-clients", "2", "--workers", "8"]);
        let rest = server.at_rest();
        let clients: Vec<_> = (0..5).map(|_| connect(server.addr)).collect();
        for conn in &clients {
            std::io::Write::write_all(&mut &*conn, b"ping").unwrap();
        }
        let expected = at_once_under_cap_2(model);
        let count = || clients.iter().filter(|c| answered(c, 4)).count();
        assert!(eventually(Duration::from_secs(10), || count() >= expected), "{model}");
        // Time for a server that ignored the cap to serve more.
        std::thread::sleep(Duration::from_millis(300));
        let served: Vec<bool> = clients.iter().map(|c| answered(c, 4)).collect();
        let census = server.census();
        assert_eq!(served.iter().filter(|s| **s).count(), expected, "{model}: {served:?}");
        let workers = census.children + census.threads - 1;
        assert!(workers <= 2, "{model}: {census:?} with --max-clients 2");
        assert!(census.children <= rest.children.max(2), "{model}: {census:?}");

        // Each client finishes in turn; the waiting ones are served as places free up.
        let (done, waiting): (Vec<_>, Vec<_>) = clients.into_iter().zip(served).partition(|(_, s)| *s);
        for (conn, _) in done.into_iter().chain(waiting) {
            assert_eq!(round_trip(conn, Vec::new()), b"ping", "{model}");
            let census = server.census();
            assert!(census.children + census.threads - 1 <= 2, "{model}: {census:?}");
        }
        server.back_to(rest);
    }

    fn drains_on_sigterm(model) {
        let mut server = Server::start(model, &["--drain-timeout", "10s", "--workers", "2"]);
        let conn = connect(server.addr);
        let first = pattern(64 * 1024, 5);
        exchange(&conn, &first);
        let workers = server.children();
        server.terminate();
        // "stopping" from a loop that accepts, "stop received" from a conversation.
        server.wait_for_log("stop");

        // No one new is served.
        if let Ok(late) = std::net::TcpStream::connect_timeout(&server.addr, IO_TIMEOUT) {
            late.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
            let _ = std::io::Write::write_all(&mut &late, b"late");
            let mut buf = [0u8; 4];
            let got = std::io::Read::read(&mut &late, &mut buf);
            assert!(!matches!(got, Ok(n) if n > 0), "{model}: a client served after SIGTERM");
        }

        // The client mid-conversation finishes.
        let second = pattern(64 * 1024, 6);
        assert_eq!(round_trip(conn, second.clone()), second, "{model}");
        // Done when the last client is, not at the drain deadline.
        let status = server.wait(Duration::from_secs(3));
        assert_eq!(status.code(), Some(0), "{model}: {}", server.log());
        assert!(workers.iter().all(|w| !w.exists()), "{model}: workers left");
        assert!(server.log().contains("served 1 client (1 completed"), "{}", server.log());
    }

    fn ends_stuck_clients_at_the_drain_timeout(model) {
        let mut server = Server::start(model, &["--drain-timeout", "200ms", "--workers", "2"]);
        let stuck = connect(server.addr);
        exchange(&stuck, b"hello");
        let workers = server.children();
        let start = Instant::now();
        server.terminate();
        let status = server.wait(Duration::from_secs(10));
        let took = start.elapsed();
        assert_eq!(status.code(), Some(0), "{model}: {}", server.log());
        assert!(took < Duration::from_secs(3), "{model}: took {took:?} with a 200 ms drain");
        assert!(workers.iter().all(|w| !w.exists()), "{model}: workers left");
        assert!(closed_by_server(&stuck), "{model}: the stuck client is still connected");
    }

    fn cuts_a_streaming_client_at_the_drain_timeout(model) {
        // A client that keeps the server busy never makes it wait: the deadline must hold
        // anyway. Server and client on CPUs of their own, so that the client keeps up.
        let two_cpus = std::thread::available_parallelism().map_or(1, |n| n.get()) >= 2;
        if two_cpus {
            pin_this_thread(0);
        }
        let mut server = Server::start(model, &["--drain-timeout", "300ms", "--workers", "2"]);
        if two_cpus {
            pin_this_thread(1);
        }
        let stream = Stream::start(server.addr);
        std::thread::sleep(Duration::from_millis(200));
        let start = Instant::now();
        server.terminate();
        let status = server.wait(Duration::from_secs(10));
        let took = start.elapsed();
        drop(stream);
        assert_eq!(status.code(), Some(0), "{model}: {}", server.log());
        assert!(took < Duration::from_millis(1500), "{model}: took {took:?} with a 300 ms drain");
    }

    fn backs_off_when_out_of_descriptors(model) {
        let mut server = Server::start(model, &["--workers", "1"]);
        server.at_rest();
        let mut pids = vec![server.pid()];
        pids.extend(server.children().iter().map(|c| c.pid));
        let starved = starve_of_descriptors(&pids);
        if blocks_in_accept(model) {
            // Linux reserves the new descriptor before accept blocks: the worker already
            // waiting has one, and only its next accept meets the lowered limit.
            assert_echoes(server.addr, 10, 1);
        }
        let conn = connect(server.addr);
        std::io::Write::write_all(&mut &conn, b"hello").unwrap();
        server.wait_for_log("accept failed (backing off): Too many open files");
        std::thread::sleep(Duration::from_millis(200));
        assert!(!answered(&conn, 5), "{model}: served without a descriptor?");
        drop(starved);
        assert_eq!(round_trip(conn, Vec::new()), b"hello", "{model}");
        server.terminate();
        assert_eq!(server.wait(Duration::from_secs(5)).code(), Some(0));
        assert!(server.retried() > 0, "{model}: {}", server.log());
    }

    fn replaces_a_lost_worker_once_descriptors_are_back(model) {
        if !matches!(model, "prefork" | "prefork-flock" | "prefork-mutex" | "prefork-fdpass") {
            return skip("only a process pool replaces a worker that died");
        }
        let mut server = Server::start(model, &["--workers", "2"]);
        server.at_rest();
        let lost = server.children()[0];
        // The parent cannot open what a new worker needs (its lock file, its socketpair)...
        let starved = starve_of_descriptors(&[server.pid()]);
        let pidfd = rustix::process::pidfd_open(
            rustix::process::Pid::from_raw(lost.pid).unwrap(),
            rustix::process::PidfdFlags::empty(),
        )
        .unwrap();
        assert!(lost.alive(), "the pidfd names the worker read a moment ago");
        rustix::process::pidfd_send_signal(&pidfd, rustix::process::Signal::KILL).unwrap();
        assert!(eventually(Duration::from_secs(5), || !lost.exists()), "{model}: not reaped");
        std::thread::sleep(Duration::from_millis(300));
        assert!(server.running(), "{model}: the server gave up: {}", server.log());
        // ...and replaces the worker once it can.
        drop(starved);
        let full = eventually(Duration::from_secs(5), || server.census().children == 2);
        assert!(full, "{model}: the pool was not refilled: {}", server.log());
        assert_echoes(server.addr, 4000, 5);
        server.terminate();
        assert_eq!(server.wait(Duration::from_secs(5)).code(), Some(0), "{}", server.log());
    }

    fn backs_off_when_workers_cannot_be_created(model) {
        if matches!(model, "iterative" | "async") {
            return skip("this model creates no process or thread");
        }
        if !crate::support::is_root() {
            return skip("not root: cannot make a pids cgroup");
        }
        // Emptied (without signalling a recycled pid) and removed when dropped.
        let cgroup = match PidsGroup::create(&format!("forklab-echo-serve-{model}"), None) {
            Ok(cgroup) => cgroup,
            Err(why) => return skip(why),
        };
        // The server and one worker: every other fork or thread creation fails (EAGAIN).
        cgroup.set_max(Some(2)).unwrap();
        let mut server = Server::start_in(&cgroup.join_dirs(), model, &["--workers", "3"]);
        let first = connect(server.addr);
        exchange(&first, b"one");
        let second = connect(server.addr);
        std::io::Write::write_all(&mut &second, b"two").unwrap();
        server.wait_for_log("(retrying): Resource temporarily unavailable");
        std::thread::sleep(Duration::from_millis(200));
        assert!(!answered(&second, 3), "{model}: two workers under pids.max 2?");
        assert_eq!(round_trip(first, Vec::new()), b"", "{model}");
        assert_eq!(round_trip(second, Vec::new()), b"two", "{model}");

        cgroup.set_max(None).unwrap();
        let full_pool = |c: server::Census| c.children == 3 || c.threads == 4;
        if !matches!(model, "fork" | "thread") {
            let grown = eventually(Duration::from_secs(5), || full_pool(server.census()));
            assert!(grown, "{model}: the pool did not grow back: {:?}", server.census());
        }
        assert_echoes_concurrently(server.addr, &[1000, 1000, 1000]);
        server.terminate();
        assert_eq!(server.wait(Duration::from_secs(5)).code(), Some(0));
        assert!(server.retried() > 0, "{model}: {}", server.log());
    }

    fn workers_die_with_a_killed_server(model) {
        let mut server = Server::start(model, &["--workers", "2"]);
        let busy = connect(server.addr);
        exchange(&busy, b"hold");
        let workers = server.children();
        if workers.is_empty() {
            return skip("this model has no worker processes");
        }
        server.kill();
        let gone = eventually(Duration::from_secs(5), || workers.iter().all(|w| !w.alive()));
        assert!(gone, "{model}: workers outlived the server: {workers:?}");
        let closed = eventually(Duration::from_secs(5), || closed_by_server(&busy));
        assert!(closed, "{model}: the client of a dead server is still connected");
    }

    fn serves_ipv6(model) {
        if TcpListener::bind("[::1]:0").is_err() {
            skip("::1 is not configured here");
            return;
        }
        let server = Server::start_on(model, "[::1]:0", &["--workers", "2"]);
        assert!(server.addr.is_ipv6(), "{}", server.addr);
        assert_echoes_concurrently(server.addr, &[1, 100_000]);
    }
}

#[test]
fn an_unparsable_address_is_a_usage_error() {
    let line = error_line([
        "echo",
        "serve",
        "--model",
        "fork",
        "--listen",
        "localhost:x",
    ]);
    assert!(
        line.contains("invalid value 'localhost:x' for '--listen <ADDR>'"),
        "{line}"
    );
}

#[test]
fn a_port_in_use_is_refused_by_every_model() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr: SocketAddr = taken.local_addr().unwrap();
    for model in forklab_echo_models() {
        let line = error_line([
            "echo",
            "serve",
            "--model",
            model,
            "--listen",
            &addr.to_string(),
        ]);
        assert_eq!(
            line,
            format!(
                "forklab: error: cannot listen on {addr}: Address already in use (os error 98)"
            ),
            "{model}"
        );
    }
}

#[test]
fn an_unknown_model_is_a_usage_error() {
    let line = error_line(["echo", "serve", "--model", "forkbomb"]);
    assert!(line.contains("unknown model \"forkbomb\""), "{line}");
    assert!(line.contains("prefork-fdpass"), "names the models: {line}");
}

#[test]
fn a_zero_idle_timeout_is_a_usage_error() {
    let line = error_line(["echo", "serve", "--model", "fork", "--idle-timeout", "0s"]);
    assert!(line.contains("--idle-timeout"), "{line}");
}

fn forklab_echo_models() -> [&'static str; 10] {
    [
        "iterative",
        "fork",
        "prefork",
        "prefork-flock",
        "prefork-mutex",
        "prefork-fdpass",
        "thread",
        "prethread",
        "prethread-accept",
        "async",
    ]
}
