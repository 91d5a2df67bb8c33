//! `forklab echo serve | load | compare`.

use clap::{Args, Subcommand};
use forklab_echo::server::Model;
use std::net::SocketAddr;
use std::time::Duration;

/// `forklab echo`.
#[derive(Debug, Args)]
pub(crate) struct EchoArgs {
    #[command(subcommand)]
    pub command: EchoCommand,
}

/// The echo subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum EchoCommand {
    /// Run a TCP echo server in one of the classic designs
    Serve(EchoServeArgs),
    /// Drive an echo server with verified round trips and report throughput and latency
    Load(EchoLoadArgs),
    /// Run every design under the same load and compare server CPU time and throughput
    Compare(EchoCompareArgs),
}

/// `forklab echo serve`.
#[derive(Debug, Args)]
#[command(after_help = ECHO_SERVE_HELP)]
pub(crate) struct EchoServeArgs {
    /// The design: iterative, fork, prefork, prefork-flock, prefork-mutex, prefork-fdpass,
    /// thread, prethread, prethread-accept, async
    #[arg(long, value_name = "M")]
    pub model: Model,
    /// Address to listen on (port 0: any free port)
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:7007")]
    pub listen: SocketAddr,
    /// Serve at most N clients at once; more wait in the listen backlog
    #[arg(long, value_name = "N", value_parser = |s: &str| super::parse_count(s, 1 << 20))]
    pub max_clients: Option<usize>,
    /// Pool size of the prefork and prethread models
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = |s: &str| super::parse_count(s, 4096))]
    pub workers: usize,
    /// After SIGTERM or SIGINT, how long clients may take to finish (e.g. 10s, 500ms)
    #[arg(long, value_name = "DUR", default_value = "10s", value_parser = parse_duration)]
    pub drain_timeout: Duration,
    /// Drop a client that neither sends nor takes a byte for this long
    #[arg(long, value_name = "DUR", default_value = "30s", value_parser = parse_positive_duration)]
    pub idle_timeout: Duration,
}

const ECHO_SERVE_HELP: &str = "\
Examples:
  forklab echo serve --model fork
  forklab echo serve --model prefork-mutex --workers 4 --listen [::1]:0
  forklab echo serve --model thread --max-clients 100 --drain-timeout 2s
  RUST_LOG=debug forklab echo serve --model async    # a log line per client

The first line on stdout is `listening on IP:PORT`; logs and a summary at exit go to stderr.
SIGTERM or SIGINT stops accepting, lets clients finish for --drain-timeout, ends the rest.

Exit status: 0 stopped by a signal; 2 usage or runtime error (an address that cannot be \
listened on).";

/// `forklab echo load`.
#[derive(Debug, Args)]
#[command(after_help = ECHO_LOAD_HELP)]
pub(crate) struct EchoLoadArgs {
    /// The server's address, IP:PORT
    #[arg(long, value_name = "ADDR", value_parser = parse_connect)]
    pub connect: SocketAddr,
    /// Connections in all
    #[arg(long, value_name = "C", default_value_t = 1000, value_parser = |s: &str| super::parse_count(s, 100_000_000))]
    pub connections: usize,
    /// Connections open at a time
    #[arg(long, value_name = "K", default_value_t = 10, value_parser = |s: &str| super::parse_count(s, 100_000))]
    pub concurrency: usize,
    /// Bytes per round trip
    #[arg(long, value_name = "S", default_value_t = 4000, value_parser = |s: &str| super::parse_count(s, 1 << 30))]
    pub size: usize,
    /// Round trips per connection
    #[arg(long, value_name = "R", default_value_t = 1, value_parser = |s: &str| super::parse_count(s, 1 << 40))]
    pub requests: usize,
    /// Open loop: start connections at this rate per second, whatever the server does, still
    /// at most K at a time; latency counts from each connection's scheduled start (corrected
    /// for coordinated omission). Without it: a new connection as soon as one ends
    #[arg(long, value_name = "N", value_parser = parse_rate)]
    pub rate: Option<f64>,
    /// Bound on each connect, and on any wait in which nothing is read or written (e.g. 10s,
    /// 500ms)
    #[arg(long, value_name = "DUR", default_value = "10s", value_parser = parse_timeout)]
    pub timeout: Duration,
    /// Threads of the load generator (default: one per CPU this process may use)
    #[arg(long, value_name = "N", value_parser = |s: &str| super::parse_count(s, 1024))]
    pub threads: Option<usize>,
    /// Wait for each echo by polling the socket instead of sleeping: keeps a CPU busy, and
    /// takes the cost of waking an idle CPU out of each round trip. For a few connections
    /// (no more than --threads), e.g. one long one
    #[arg(long)]
    pub busy_poll: bool,
    /// Print one JSON document
    #[arg(long)]
    pub json: bool,
}

const ECHO_LOAD_HELP: &str = "\
Examples:
  forklab echo load --connect 127.0.0.1:7007
  forklab echo load --connect 127.0.0.1:7007 --connections 5000 --concurrency 10 --size 4000
  forklab echo load --connect 127.0.0.1:7007 --connections 1 --size 65536 --requests 16384
  forklab echo load --connect [::1]:7007 --rate 2000 --connections 10000 --json

Each round trip sends S bytes of fresh random content and checks the echo byte for byte; after R \
round trips the connection half-closes and expects end-of-file. Latency is from the start of a \
connection (with --rate: from when it was due) to its first echoed byte, and to its end. \
Throughput counts the payload once: connections x R x S bytes over the elapsed time.

Exit status: 0 every connection completed without error; 1 some failed (refused, reset, \
short_echo, mismatch, timeout, other: counted in the report); 2 usage or runtime error.";

/// `--connect`: an IP address and a port other than 0 (no name lookup).
fn parse_connect(s: &str) -> Result<SocketAddr, String> {
    let addr: SocketAddr = s
        .trim()
        .parse()
        .map_err(|_| "not IP:PORT (e.g. 127.0.0.1:7007 or [::1]:7007)".to_string())?;
    if addr.port() == 0 {
        return Err("port 0 cannot be connected to".into());
    }
    Ok(addr)
}

/// `--rate`: connections per second, a positive number.
fn parse_rate(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(r) if r.is_finite() && r > 0.0 => Ok(r),
        Ok(_) => Err("must be a positive number of connections per second".into()),
        Err(_) => Err(format!("not a number: {s:?}")),
    }
}

/// `--timeout`: a duration longer than zero.
fn parse_timeout(s: &str) -> Result<Duration, String> {
    let d = parse_duration(s)?;
    if d.is_zero() {
        return Err("must be longer than 0".into());
    }
    Ok(d)
}

/// `forklab echo compare`.
#[derive(Debug, Args)]
pub(crate) struct EchoCompareArgs {
    /// Models to compare (default: all)
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub models: Vec<Model>,
    /// Connections per model
    #[arg(long, value_name = "C", default_value_t = 5000, value_parser = |s: &str| super::parse_count(s, 100_000_000))]
    pub connections: usize,
    /// Connections open at a time
    #[arg(long, value_name = "K", default_value_t = 10, value_parser = |s: &str| super::parse_count(s, 100_000))]
    pub concurrency: usize,
    /// Bytes per connection
    #[arg(long, value_name = "S", default_value_t = 4000, value_parser = |s: &str| super::parse_count(s, 1 << 30))]
    pub size: usize,
    /// Pool size of the prefork and prethread models
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = |s: &str| super::parse_count(s, 4096))]
    pub workers: usize,
    /// Print one JSON document
    #[arg(long)]
    pub json: bool,
}

/// A duration above zero (an idle timeout of zero would drop every client at once).
pub(crate) fn parse_positive_duration(s: &str) -> Result<Duration, String> {
    match parse_duration(s)? {
        Duration::ZERO => Err(format!("{s:?} is zero: give a duration above zero")),
        d => Ok(d),
    }
}

/// A duration: a number with `ms`, `s`, `m` or `h` (`10s`, `500ms`, `2m`).
pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("not a duration: {s:?} (e.g. 10s, 500ms, 2m)"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" | "" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => return Err(format!("unknown unit {unit:?} in {s:?} (ms, s, m or h)")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("not a duration: {s:?}"))
}
