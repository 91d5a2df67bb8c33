//! How fast the load generator goes: against echo servers in this process (loopback), the
//! figures quoted in the README. `cargo run --release -p forklab-echo --example load_bench`.
//!
//! Two servers: a tokio one (one thread, a task per client) for many short connections, and
//! a blocking one (a thread per client, plain read/write) for one long connection. Each
//! workload runs `ROUNDS` times; the median and the best are printed. Run it as
//! `taskset -c 0 …` to put generator and servers on one CPU.

use forklab_echo::load::{self, LoadOptions, LoadReport};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ROUNDS: usize = 5;

/// One line of the benchmark.
struct Workload {
    name: &'static str,
    addr: SocketAddr,
    connections: u64,
    concurrency: usize,
    size: u64,
    requests: u64,
    busy_poll: bool,
}

/// `load_bench [client=N] [server=N] [split] [only=PREFIX]`: generator threads (default 1),
/// tokio server threads (default 1), generator on CPU 0 and servers on CPU 1 (`split`; with
/// one generator thread), the workloads whose name starts with PREFIX.
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |name: &str| {
        let prefix = format!("{name}=");
        args.iter()
            .find_map(|a| a.strip_prefix(&prefix).map(str::to_string))
    };
    let number = |name: &str| arg(name).map_or(1, |v| v.parse::<usize>().unwrap());
    let (client_threads, server_threads) = (number("client"), number("server"));
    let split = args.iter().any(|a| a == "split");
    let servers = workloads(tokio_echo(server_threads, split), blocking_echo(split));
    if split {
        pin(0);
    }
    println!(
        "client threads {client_threads}, tokio server threads {server_threads}, {}",
        if split {
            "generator on CPU 0, servers on CPU 1"
        } else {
            "unpinned"
        }
    );
    for w in servers {
        if arg("only").is_none_or(|o| w.name.starts_with(&o)) {
            measure(&w, client_threads);
        }
    }
}

fn workloads(tokio_server: SocketAddr, blocking_server: SocketAddr) -> Vec<Workload> {
    let short = |name, size, concurrency| Workload {
        name,
        addr: tokio_server,
        connections: 50_000,
        concurrency,
        size,
        requests: 1,
        busy_poll: false,
    };
    let long = |name, busy_poll| Workload {
        name,
        addr: blocking_server,
        connections: 1,
        concurrency: 1,
        size: 65536,
        requests: 16384,
        busy_poll,
    };
    vec![
        short("short, 64 B x1, K=10", 64, 10),
        short("short, 4000 B x1, K=10", 4000, 10),
        short("short, 64 B x1, K=50", 64, 50),
        long("long, 64 KiB x16384 (1 GiB)", false),
        long("long, 64 KiB x16384, busy-poll", true),
    ]
}

/// Runs a workload `ROUNDS` times; prints the median and the best.
fn measure(w: &Workload, threads: usize) {
    let mut options = LoadOptions::new(w.addr);
    options.connections = w.connections;
    options.concurrency = w.concurrency;
    options.size = w.size;
    options.requests = w.requests;
    options.threads = threads;
    options.busy_poll = w.busy_poll;
    let runs: Vec<LoadReport> = (0..ROUNDS)
        .map(|_| load::run(&options, &mut |_| {}).unwrap())
        .collect();
    if let Some(failed) = runs.iter().find(|r| r.failed > 0) {
        panic!(
            "{}: {:?} {:?}",
            w.name, failed.errors, failed.error_examples
        );
    }
    let sorted = |f: fn(&LoadReport) -> f64| {
        let mut v: Vec<f64> = runs.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        (v[ROUNDS / 2], v[ROUNDS - 1])
    };
    let conn = sorted(|r| r.conn_per_s);
    let gb = sorted(|r| r.bytes_per_s / 1e9);
    let p99 = sorted(|r| r.latency_ms.p99);
    println!(
        "{:<32} conn/s median {:>6.0} best {:>6.0}   GB/s median {:.3} best {:.3}   \
         first-byte p99 median {:.3} ms",
        w.name, conn.0, conn.1, gb.0, gb.1, p99.0
    );
}

/// Keeps the calling thread (and the threads it starts from now on) on `cpu`.
fn pin(cpu: usize) {
    let mut set = rustix::thread::CpuSet::new();
    set.set(cpu);
    rustix::thread::sched_setaffinity(None, &set).expect("a CPU to pin to");
}

/// A tokio echo server on its own threads (on CPU 1 when `split`): a task per client.
fn tokio_echo(threads: usize, split: bool) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let thread = std::thread::Builder::new().name("tokio-server".into());
    let _ = thread.spawn(move || {
        if split {
            pin(1);
        }
        let runtime = if threads == 1 {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
        } else {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(threads)
                .thread_name("tokio-server")
                .enable_all()
                .build()
        };
        runtime.unwrap().block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let (mut stream, _) = listener.accept().await.unwrap();
                tokio::spawn(async move {
                    let mut buf = vec![0; 64 * 1024];
                    loop {
                        match stream.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => {
                                if stream.write_all(&buf[..n]).await.is_err() {
                                    break;
                                }
                            }
                        }
                    }
                });
            }
        });
    });
    addr
}

/// A blocking echo server: a thread per client (on CPU 1 when `split`), read and write with
/// a 256 KiB buffer.
fn blocking_echo(split: bool) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        if split {
            pin(1);
        }
        for stream in listener.incoming() {
            let mut stream: TcpStream = stream.unwrap();
            std::thread::spawn(move || {
                let mut buf = vec![0; 256 * 1024];
                while let Ok(n) = stream.read(&mut buf) {
                    if n == 0 || stream.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            });
        }
    });
    addr
}
