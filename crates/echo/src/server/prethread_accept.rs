//! `prethread-accept`: a pool of threads started up front (`--workers`, no more than
//! `--max-clients`); the main thread alone accepts, and hands each client to the pool
//! through a channel — UNP's "thread pool, main thread calls accept". The main thread
//! counts idle threads and accepts only when one is idle, so the queue never holds a client
//! that no thread is waiting for: the others stay in the listen backlog.
//!
//! To stop, the main thread closes the listener and the channel (idle threads see it closed
//! and end), raises the stop notice (conversations then have the drain timeout to finish)
//! and joins the pool.

use super::accept;
use super::echo::Stop;
use super::listener::{Accepting, listen_and_block_stop};
use super::notice::Notice;
use super::signals::Signals;
use super::tally::Tally;
use super::thread::STACK;
use super::{Error, Model, ServeOptions, ServeSummary, client, poll, worker};
use rustix::event::{PollFd, PollFlags};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What every pool thread shares.
struct Shared {
    queue: Mutex<mpsc::Receiver<TcpStream>>,
    /// Threads waiting for a client, less the clients sent to them and not yet taken.
    idle: AtomicUsize,
    /// Raised when a thread becomes idle.
    wake: Notice,
    tally: Tally,
    stop: Notice,
    idle_timeout: Duration,
    drain: Duration,
}

struct Server {
    listener: TcpListener,
    signals: Signals,
    queue: mpsc::Sender<TcpStream>,
    shared: Arc<Shared>,
    pool: Vec<JoinHandle<()>>,
    /// After a thread could not start: no new one before then.
    start_backoff: Option<Instant>,
    /// After accept failed: no accept before then.
    accept_backoff: Option<Instant>,
}

pub(super) fn serve(
    options: &ServeOptions,
    ready: &mut dyn FnMut(SocketAddr),
) -> Result<ServeSummary, Error> {
    let (listener, addr, signals) = listen_and_block_stop(options.listen, Accepting::Polled)?;
    let (queue, receiver) = mpsc::channel();
    let shared = Arc::new(Shared {
        queue: Mutex::new(receiver),
        idle: AtomicUsize::new(0),
        wake: Notice::new().map_err(Error::system("make an eventfd"))?,
        tally: Tally::default(),
        stop: Notice::new().map_err(Error::system("make an eventfd"))?,
        idle_timeout: options.idle_timeout,
        drain: options.drain_timeout,
    });
    let mut server = Server {
        listener,
        signals,
        queue,
        shared,
        pool: Vec::new(),
        start_backoff: None,
        accept_backoff: None,
    };
    server.fill_pool(options)?;
    ready(addr);
    tracing::info!(%addr, model = "prethread-accept", threads = server.pool.len(), "serving");
    while server.serve_once(options)? {}
    tracing::info!("stopping: no new clients, draining");
    let Server {
        listener,
        queue,
        shared,
        pool,
        ..
    } = server;
    drop((listener, queue));
    shared.stop.raise();
    for thread in pool {
        let _ = thread.join();
    }
    Ok(shared.tally.summary(Model::PrethreadAccept, 0))
}

impl Server {
    fn fill_pool(&mut self, options: &ServeOptions) -> Result<(), Error> {
        self.start_backoff = poll::ahead(self.start_backoff);
        while self.pool.len() < options.pool_size() && self.start_backoff.is_none() {
            match start(&self.shared) {
                Ok(thread) => self.pool.push(thread),
                Err(e) => {
                    let tally = &self.shared.tally;
                    let retry = worker::creation_failed(e, "start a pool thread", tally)?;
                    self.start_backoff = Some(retry);
                }
            }
        }
        Ok(())
    }

    /// Waits for a signal, an idle thread or a client; `false` on stop.
    fn serve_once(&mut self, options: &ServeOptions) -> Result<bool, Error> {
        self.fill_pool(options)?;
        self.accept_backoff = poll::ahead(self.accept_backoff);
        let idle = self.shared.idle.load(Ordering::Acquire);
        let accepting = self.accept_backoff.is_none() && idle > 0;
        let mut fds = vec![
            PollFd::new(&self.signals, PollFlags::IN),
            PollFd::new(&self.shared.wake, PollFlags::IN),
        ];
        if accepting {
            fds.push(PollFd::new(&self.listener, PollFlags::IN));
        }
        let timeout = poll::until(poll::earliest([self.start_backoff, self.accept_backoff]));
        poll::poll(&mut fds, timeout).map_err(Error::system("poll"))?;
        let client_waiting = fds.get(2).is_some_and(|fd| !fd.revents().is_empty());
        drop(fds);
        self.shared.wake.clear();
        if self
            .signals
            .take()
            .map_err(Error::system("read signals"))?
            .stop
        {
            return Ok(false);
        }
        if client_waiting {
            self.accept()?;
        }
        Ok(true)
    }

    fn accept(&mut self) -> Result<(), Error> {
        let tally = &self.shared.tally;
        let accepted = accept::accept_or_back_off(&self.listener, tally, &mut self.accept_backoff);
        if let Some(conn) = accepted.map_err(Error::system("accept"))? {
            self.shared.idle.fetch_sub(1, Ordering::AcqRel);
            // The pool holds the receiver until the channel is closed, here, at stop.
            let _ = self.queue.send(conn);
        }
        Ok(())
    }
}

fn start(shared: &Arc<Shared>) -> std::io::Result<JoinHandle<()>> {
    let shared = Arc::clone(shared);
    std::thread::Builder::new()
        .name("echo-pool".into())
        .stack_size(STACK)
        .spawn(move || take_loop(&shared))
}

/// A pool thread: say it is idle, take the next client, serve it; until the channel closes.
fn take_loop(shared: &Shared) {
    shared.tally.worker_created();
    loop {
        shared.idle.fetch_add(1, Ordering::AcqRel);
        shared.wake.raise();
        let next = shared
            .queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .recv();
        let Ok(conn) = next else {
            return;
        };
        let stop = Stop {
            fd: shared.stop.as_fd(),
            drain: shared.drain,
        };
        client::serve(conn, &shared.tally, shared.idle_timeout, Some(stop));
    }
}
