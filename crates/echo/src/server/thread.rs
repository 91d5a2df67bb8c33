//! `thread`: one thread per client, the threaded twin of `fork`. The main thread polls the
//! listener and its signalfd (the signals are blocked before any thread starts, so every
//! thread inherits the mask and only the signalfd sees them), accepts only while fewer than
//! `--max-clients` client threads are alive, and joins each thread as it finishes (a
//! finishing thread says so through a channel and a wake-up `Notice`), so none is left
//! unjoined. A thread that cannot be created (`EAGAIN`) leaves its client pending for a
//! retry after a back-off.
//!
//! To stop, the main thread closes the listener and raises the stop notice: each
//! conversation then has the drain timeout to finish and is cut off after it, so joining
//! them all ends in time.

use super::accept;
use super::echo::Stop;
use super::listener::{Accepting, listen_and_block_stop};
use super::notice::Notice;
use super::signals::Signals;
use super::tally::Tally;
use super::{Error, Model, ServeOptions, ServeSummary, client, poll, worker};
use rustix::event::{PollFd, PollFlags};
use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsFd;
use std::sync::{Arc, mpsc};
use std::thread::{JoinHandle, ThreadId};
use std::time::Instant;

/// Stack of a client thread: the buffer is on the heap, so little is needed.
pub(super) const STACK: usize = 256 * 1024;

/// What every client thread shares.
struct Shared {
    tally: Tally,
    stop: Notice,
    wake: Notice,
}

/// The client threads alive, and how they say they are done.
struct Crew {
    threads: HashMap<ThreadId, JoinHandle<()>>,
    done: mpsc::Sender<ThreadId>,
    finished: mpsc::Receiver<ThreadId>,
}

struct Server {
    listener: TcpListener,
    signals: Signals,
    crew: Crew,
    shared: Arc<Shared>,
    pending: Option<TcpStream>,
    backoff: Option<Instant>,
}

pub(super) fn serve(
    options: &ServeOptions,
    ready: &mut dyn FnMut(SocketAddr),
) -> Result<ServeSummary, Error> {
    let (listener, addr, signals) = listen_and_block_stop(options.listen, Accepting::Polled)?;
    let shared = Arc::new(Shared {
        tally: Tally::default(),
        stop: Notice::new().map_err(Error::system("make an eventfd"))?,
        wake: Notice::new().map_err(Error::system("make an eventfd"))?,
    });
    let (done, finished) = mpsc::channel();
    let crew = Crew {
        threads: HashMap::new(),
        done,
        finished,
    };
    let mut server = Server {
        listener,
        signals,
        crew,
        shared,
        pending: None,
        backoff: None,
    };
    ready(addr);
    tracing::info!(%addr, model = "thread", "serving");
    while server.serve_once(options)? {}
    tracing::info!(
        clients = server.crew.threads.len(),
        "stopping: no new clients, draining"
    );
    server.shared.stop.raise();
    drop(server.listener);
    for (_, thread) in server.crew.threads.drain() {
        let _ = thread.join();
    }
    Ok(server.shared.tally.summary(Model::Thread, 0))
}

impl Server {
    /// Starts a thread for the pending client, or waits for an event; `false` on stop.
    fn serve_once(&mut self, options: &ServeOptions) -> Result<bool, Error> {
        self.backoff = poll::ahead(self.backoff);
        if self.backoff.is_none()
            && let Some(conn) = self.pending.take()
        {
            self.start(conn, options)?;
            return Ok(true);
        }
        self.wait(options)
    }

    fn start(&mut self, conn: TcpStream, options: &ServeOptions) -> Result<(), Error> {
        match self.crew.start(conn, &self.shared, options) {
            Ok(()) => self.shared.tally.worker_created(),
            Err((conn, e)) => {
                let tally = &self.shared.tally;
                let retry = worker::creation_failed(e, "start a thread for a client", tally)?;
                self.pending = Some(conn);
                self.backoff = Some(retry);
            }
        }
        Ok(())
    }

    fn wait(&mut self, options: &ServeOptions) -> Result<bool, Error> {
        let accepting = self.pending.is_none()
            && self.backoff.is_none()
            && self.crew.threads.len() < options.cap();
        let mut fds = vec![
            PollFd::new(&self.signals, PollFlags::IN),
            PollFd::new(&self.shared.wake, PollFlags::IN),
        ];
        if accepting {
            fds.push(PollFd::new(&self.listener, PollFlags::IN));
        }
        poll::poll(&mut fds, poll::until(self.backoff)).map_err(Error::system("poll"))?;
        let client_waiting = fds.get(2).is_some_and(|fd| !fd.revents().is_empty());
        drop(fds);
        self.shared.wake.clear();
        self.crew.join_finished();
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
        let accepted = accept::accept_or_back_off(&self.listener, tally, &mut self.backoff);
        if let Some(conn) = accepted.map_err(Error::system("accept"))? {
            self.pending = Some(conn);
        }
        Ok(())
    }
}

impl Crew {
    /// Starts a thread serving `conn`; gives the client back if the thread cannot start.
    fn start(
        &mut self,
        conn: TcpStream,
        shared: &Arc<Shared>,
        options: &ServeOptions,
    ) -> Result<(), (TcpStream, std::io::Error)> {
        // The client goes over a channel once the thread exists, so a failed start keeps it.
        let (give, take) = mpsc::sync_channel::<TcpStream>(1);
        let shared = Arc::clone(shared);
        let done = self.done.clone();
        let (idle, drain) = (options.idle_timeout, options.drain_timeout);
        let spawned = std::thread::Builder::new()
            .name("echo-client".into())
            .stack_size(STACK)
            .spawn(move || {
                let _finish = Finish {
                    done,
                    shared: &shared,
                };
                if let Ok(conn) = take.recv() {
                    let stop = Stop {
                        fd: shared.stop.as_fd(),
                        drain,
                    };
                    client::serve(conn, &shared.tally, idle, Some(stop));
                }
            });
        match spawned {
            Ok(thread) => {
                self.threads.insert(thread.thread().id(), thread);
                let _ = give.send(conn);
                Ok(())
            }
            Err(e) => Err((conn, e)),
        }
    }

    /// Joins the threads that said they are done.
    fn join_finished(&mut self) {
        for id in self.finished.try_iter() {
            if let Some(thread) = self.threads.remove(&id) {
                let _ = thread.join();
            }
        }
    }
}

/// A client thread's last act, even if it panicked: say it is done, wake the main thread.
struct Finish<'a> {
    done: mpsc::Sender<ThreadId>,
    shared: &'a Shared,
}

impl Drop for Finish<'_> {
    fn drop(&mut self) {
        let _ = self.done.send(std::thread::current().id());
        self.shared.wake.raise();
    }
}
