//! How fast the load generator goes: against echo servers in this process (loopback), the
//! figures quoted in the README. `cargo run --release -p forklab-echo --example load_bench`.
//!
//! Two servers: a tokio one (one thread, a task per client) for many short connections, and
//! a blocking one (a thread per client, plain read/write) for one long connection. Each
//! workload runs `ROUNDS` times; the median and the best are printed.

use forklab_echo::load::{self, LoadOptions, LoadReport};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ROUNDS: usize = 5;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let threads = |name: &str| {
        args.iter()
            .find_map(|a| a.strip_prefix(&format!("{name}=")))
            .map(|v| v.parse::<usize>().unwrap())
    };
    let client_threads = threads("client").unwrap_or(1);
    let server_threads = threads("server").unwrap_or(1);
    let tokio_server = tokio_echo(server_threads);
    let blocking_server = blocking_echo();
    let workloads: [(&str, SocketAddr, u64, usize, u64, u64); 4] = [
        ("short, 64 B x1, K=10", tokio_server, 50_000, 10, 64, 1),
        ("short, 4000 B x1, K=10", tokio_server, 50_000, 10, 4000, 1),
        ("short, 64 B x1, K=50", tokio_server, 50_000, 50, 64, 1),
        (
            "long, 64 KiB x16384 (1 GiB)",
            blocking_server,
            1,
            1,
            65536,
            16384,
        ),
    ];
    println!("client threads {client_threads}, tokio server threads {server_threads}");
    let only = args.iter().find_map(|a| a.strip_prefix("only="));
    for (name, addr, connections, concurrency, size, requests) in workloads {
        if only.is_some_and(|o| !name.starts_with(o)) {
            continue;
        }
        let mut options = LoadOptions::new(addr);
        options.connections = connections;
        options.concurrency = concurrency;
        options.size = size;
        options.requests = requests;
        options.threads = client_threads;
        let runs: Vec<LoadReport> = (0..ROUNDS)
            .map(|_| load::run(&options, &mut |_| {}).unwrap())
            .collect();
        if let Some(failed) = runs.iter().find(|r| r.failed > 0) {
            panic!("{name}: {:?} {:?}", failed.errors, failed.error_examples);
        }
        let mut conn: Vec<f64> = runs.iter().map(|r| r.conn_per_s).collect();
        let mut bytes: Vec<f64> = runs.iter().map(|r| r.bytes_per_s / 1e9).collect();
        let mut p99: Vec<f64> = runs.iter().map(|r| r.latency_ms.p99).collect();
        for v in [&mut conn, &mut bytes, &mut p99] {
            v.sort_by(f64::total_cmp);
        }
        let mid = ROUNDS / 2;
        println!(
            "{name:<30} conn/s median {:>8.0} best {:>8.0}   GB/s median {:.3} best {:.3}   \
             first-byte p99 median {:.3} ms",
            conn[mid],
            conn[ROUNDS - 1],
            bytes[mid],
            bytes[ROUNDS - 1],
            p99[mid]
        );
    }
}

/// A tokio echo server on its own threads: a task per client.
fn tokio_echo(threads: usize) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let thread = std::thread::Builder::new().name("tokio-server".into());
    let _ = thread.spawn(move || {
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

/// A blocking echo server: a thread per client, read and write with a 256 KiB buffer.
fn blocking_echo() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
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
