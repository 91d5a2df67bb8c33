//! `async`: one event loop, on tokio's `current_thread` runtime — every client a task on
//! the main thread, no process or thread per client. `current_thread` because that is the
//! design the book compares (one process multiplexing every client), it needs no locks or
//! atomics between clients, and on a small machine it leaves the other cores to the clients
//! (`forklab echo compare` runs the load generator beside it); one connection still moves
//! data as fast as a thread does, since the loop does nothing else.
//!
//! `--max-clients` is a semaphore: the loop takes a permit before it accepts, so at the cap
//! clients wait in the listen backlog. Each read and write has the idle timeout. `SIGTERM`
//! and `SIGINT` come through tokio's signal streams (registered before `ready`, so neither
//! can kill the process once it has said it listens); then the listener is closed, the
//! tasks have the drain timeout to finish, and those left are aborted (their sockets
//! closed).

use super::accept::{self, Accepted, BACKOFF};
use super::echo::Ended;
use super::listener::{Accepting, listen};
use super::tally::Tally;
use super::{Error, Model, ServeOptions, ServeSummary};
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio::time::timeout;

/// Bytes read (and written back) at a time.
const CHUNK: usize = 64 * 1024;

pub(super) fn serve(
    options: &ServeOptions,
    ready: &mut dyn FnMut(SocketAddr),
) -> Result<ServeSummary, Error> {
    let listener = listen(options.listen, Accepting::Polled)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(Error::system("start the tokio runtime"))?;
    let tally = Arc::new(Tally::default());
    let cut = runtime.block_on(async {
        let listener =
            TcpListener::from_std(listener).map_err(Error::system("register the listener"))?;
        let stop = Stop::new().map_err(Error::system("register signal handlers"))?;
        let addr = listener
            .local_addr()
            .map_err(Error::system("read the bound address"))?;
        ready(addr);
        tracing::info!(%addr, model = "async", "serving");
        let tasks = accept_until_stopped(listener, stop, options, &tally).await?;
        Ok::<_, Error>(drain(tasks, options.drain_timeout).await)
    })?;
    Ok(tally.summary(Model::Async, cut))
}

/// `SIGTERM` and `SIGINT`.
struct Stop {
    term: Signal,
    int: Signal,
}

impl Stop {
    fn new() -> io::Result<Stop> {
        Ok(Stop {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    async fn received(&mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
    }
}

async fn accept_until_stopped(
    listener: TcpListener,
    mut stop: Stop,
    options: &ServeOptions,
    tally: &Arc<Tally>,
) -> Result<JoinSet<()>, Error> {
    let permits = Arc::new(Semaphore::new(options.cap().min(Semaphore::MAX_PERMITS)));
    let mut tasks = JoinSet::new();
    loop {
        let (permit, accepted) = tokio::select! {
            () = stop.received() => break,
            Some(_) = tasks.join_next(), if !tasks.is_empty() => continue,
            next = next_client(&listener, &permits) => next,
        };
        match accepted? {
            Accepted::Client(conn) => {
                let conn = TcpStream::from_std(conn).map_err(Error::system("register a client"))?;
                let tally = Arc::clone(tally);
                let idle = options.idle_timeout;
                tasks.spawn(async move {
                    converse(conn, idle, &tally).await;
                    drop(permit);
                });
            }
            Accepted::Exhausted(e) => {
                tracing::warn!("accept failed (backing off): {e}");
                tally.retried();
                tokio::time::sleep(BACKOFF).await;
            }
            Accepted::Again | Accepted::Stopped => {}
        }
    }
    tracing::info!(clients = tasks.len(), "stopping: no new clients, draining");
    Ok(tasks)
}

/// A permit, then a connection (or why there was none).
async fn next_client(
    listener: &TcpListener,
    permits: &Arc<Semaphore>,
) -> (OwnedSemaphorePermit, Result<Accepted, Error>) {
    let permit = Arc::clone(permits)
        .acquire_owned()
        .await
        .expect("the semaphore is never closed");
    let accepted = match listener.accept().await {
        Ok((conn, _)) => conn.into_std().map(Accepted::Client),
        Err(e) => Err(e),
    };
    let accepted = accepted.or_else(|e| accept::classify_io(e).map_err(Error::system("accept")));
    (permit, accepted)
}

/// Waits up to `limit` for the tasks; aborts those left. Returns how many were.
async fn drain(mut tasks: JoinSet<()>, limit: Duration) -> u64 {
    let all_done = async { while tasks.join_next().await.is_some() {} };
    if timeout(limit, all_done).await.is_ok() {
        return 0;
    }
    let cut = tasks.len() as u64;
    tracing::info!(
        clients = cut,
        "drain timeout: closing the clients still served"
    );
    tasks.shutdown().await;
    cut
}

/// One client's conversation: `echo::converse`, in tokio's terms.
async fn converse(mut conn: TcpStream, idle: Duration, tally: &Tally) {
    let _ = conn.set_nodelay(true);
    tally.begin();
    let mut buf = vec![0u8; CHUNK];
    let mut echoed = 0u64;
    let ended = loop {
        let n = match timeout(idle, conn.read(&mut buf)).await {
            Err(_) => break Some(Ended::Idle),
            Ok(Err(e)) => break Some(Ended::Failed(e)),
            Ok(Ok(0)) => break None,
            Ok(Ok(n)) => n,
        };
        match timeout(idle, conn.write_all(&buf[..n])).await {
            Err(_) => break Some(Ended::Idle),
            Ok(Err(e)) => break Some(Ended::Failed(e)),
            Ok(Ok(())) => echoed += n as u64,
        }
    };
    if ended.is_none() {
        let _ = conn.shutdown().await;
    }
    tally.end(echoed, ended.as_ref());
    match ended {
        None => tracing::debug!(bytes = echoed, "client done"),
        Some(why) => tracing::debug!(bytes = echoed, %why, "client dropped"),
    }
}
