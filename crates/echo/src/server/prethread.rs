//! `prethread`: a pool of threads started up front (`--workers`, no more than
//! `--max-clients`: that is the cap), each taking a `Mutex` and blocking in `accept` while
//! holding it, then serving the client it got — UNP's "thread pool, mutex locking to protect
//! accept". The main thread only watches its signalfd.
//!
//! To stop, it shuts the listener down (every blocked `accept` returns `EINVAL`, and so does
//! every later one), raises the stop notice (conversations then have the drain timeout to
//! finish) and joins the pool.

use super::accept::{self, Accepted, BACKOFF};
use super::echo::Stop;
use super::listener::{Accepting, listen_and_block_stop};
use super::notice::Notice;
use super::tally::Tally;
use super::thread::STACK;
use super::{Error, Model, ServeOptions, ServeSummary, client, poll, worker};
use rustix::event::{PollFd, PollFlags};
use std::net::{SocketAddr, TcpListener};
use std::os::fd::AsFd;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// What every pool thread shares.
struct Shared {
    listener: TcpListener,
    accept_lock: Mutex<()>,
    tally: Tally,
    stop: Notice,
    idle: Duration,
    drain: Duration,
}

pub(super) fn serve(
    options: &ServeOptions,
    ready: &mut dyn FnMut(SocketAddr),
) -> Result<ServeSummary, Error> {
    let (listener, addr, signals) = listen_and_block_stop(options.listen, Accepting::Blocking)?;
    let shared = Arc::new(Shared {
        listener,
        accept_lock: Mutex::new(()),
        tally: Tally::default(),
        stop: Notice::new().map_err(Error::system("make an eventfd"))?,
        idle: options.idle_timeout,
        drain: options.drain_timeout,
    });
    let mut pool: Vec<JoinHandle<()>> = Vec::new();
    let mut backoff = None;
    let mut announced = false;
    loop {
        backoff = poll::ahead(backoff);
        while pool.len() < options.pool_size() && backoff.is_none() {
            match start(&shared) {
                Ok(thread) => pool.push(thread),
                Err(e) => {
                    backoff = Some(worker::creation_failed(
                        e,
                        "start a pool thread",
                        &shared.tally,
                    )?);
                }
            }
        }
        if !announced {
            announced = true;
            ready(addr);
            tracing::info!(%addr, model = "prethread", threads = pool.len(), "serving");
        }
        let mut fds = [PollFd::new(&signals, PollFlags::IN)];
        poll::poll(&mut fds, poll::until(backoff)).map_err(Error::system("poll"))?;
        if signals.take().map_err(Error::system("read signals"))?.stop {
            break;
        }
    }
    tracing::info!("stopping: no new clients, draining");
    rustix::net::shutdown(&shared.listener, rustix::net::Shutdown::Read)
        .map_err(|e| Error::system("shut the listener down")(e.into()))?;
    shared.stop.raise();
    for thread in pool {
        let _ = thread.join();
    }
    Ok(shared.tally.summary(Model::Prethread, 0))
}

fn start(shared: &Arc<Shared>) -> std::io::Result<JoinHandle<()>> {
    let shared = Arc::clone(shared);
    let thread = std::thread::Builder::new()
        .name("echo-pool".into())
        .stack_size(STACK)
        .spawn(move || accept_loop(&shared))?;
    Ok(thread)
}

/// A pool thread: lock, accept, unlock, serve; until the listener is shut down.
fn accept_loop(shared: &Shared) {
    shared.tally.worker_created();
    loop {
        let accepted = {
            let _turn = shared
                .accept_lock
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            accept::accept(&shared.listener)
        };
        match accepted {
            Ok(Accepted::Client(conn)) => {
                let stop = Stop {
                    fd: shared.stop.as_fd(),
                    drain: shared.drain,
                };
                client::serve(conn, &shared.tally, shared.idle, Some(stop));
            }
            Ok(Accepted::Again) => {}
            Ok(Accepted::Exhausted(e)) => {
                tracing::warn!("accept failed (backing off): {e}");
                shared.tally.retried();
                std::thread::sleep(BACKOFF);
            }
            Ok(Accepted::Stopped) => return,
            Err(e) => {
                tracing::error!("pool thread cannot accept: {e}");
                return;
            }
        }
    }
}
