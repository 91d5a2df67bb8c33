//! `forklab echo serve`: installs the log subscriber (stderr, `info` unless `RUST_LOG` says
//! otherwise), runs the server, prints `listening on IP:PORT` as the first and only line on
//! stdout once the socket listens, and a one-line summary on stderr when it has drained.

use crate::Outcome;
use crate::args::EchoServeArgs;
use crate::output::{plural, to_stderr};
use forklab_echo::server::{self, ServeOptions, ServeSummary};
use std::io::{IsTerminal, Write};
use std::net::SocketAddr;

pub(crate) fn run(args: EchoServeArgs) -> anyhow::Result<Outcome> {
    install_logging();
    let options = ServeOptions {
        model: args.model,
        listen: args.listen,
        max_clients: args.max_clients,
        workers: args.workers,
        drain_timeout: args.drain_timeout,
        idle_timeout: args.idle_timeout,
    };
    let summary = server::serve(&options, &mut announce)?;
    to_stderr!("{}", describe(&summary));
    Ok(Outcome::Success)
}

/// The first line on stdout, flushed at once: whoever started the server waits for it.
fn announce(addr: SocketAddr) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "listening on {addr}").and_then(|()| out.flush()) {
        tracing::warn!("cannot write the address on stdout: {e}");
    }
}

fn install_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

/// `fork: served 12 clients (12 completed, 0 dropped, 0 cut off at the drain), 48000
/// bytes, at most 3 at once; 12 processes created, 0 failures retried`.
fn describe(s: &ServeSummary) -> String {
    use server::Model::*;
    let (one, many) = match s.model {
        Iterative | Async => ("worker", "workers"),
        Thread | Prethread | PrethreadAccept => ("thread", "threads"),
        _ => ("process", "processes"),
    };
    let workers = if s.workers_created == 1 { one } else { many };
    format!(
        "{}: served {} ({} completed, {} dropped, {} cut off at the drain), {} bytes, at most {} \
         at once; {} {workers} created, {} retried",
        s.model,
        plural(s.clients, "client"),
        s.completed,
        s.dropped,
        s.cut_at_drain,
        s.bytes,
        s.peak_concurrent,
        s.workers_created,
        plural(s.retried, "failure"),
    )
}
