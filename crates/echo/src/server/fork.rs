//! `fork`: the article's `unp_server.c` — one child per client — done right. The article's
//! loop never reaps (zombies pile up), dies when `accept` is interrupted by `SIGCHLD`, and
//! forks without bound. Here the parent is one thread polling the listener and a signalfd:
//! `SIGCHLD` is an event that reaps with `WNOHANG`, `EINTR` cannot happen in `accept`
//! (signals are blocked) and is retried where it can, the listener is not polled while
//! `--max-clients` children are alive, and a fork refused with `EAGAIN` keeps the accepted
//! client and tries again after a back-off.
//!
//! The child closes the listener and the signalfd (it serves one client and exits), and
//! starts from the clean signal state of `worker`.

use super::accept;
use super::children::Children;
use super::listener::Accepting;
use super::signals::Signals;
use super::tally::Tally;
use super::{Error, Model, ServeOptions, ServeSummary, client, poll, worker};
use forklab_spawn::Fork;
use rustix::event::{PollFd, PollFlags};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Instant;

/// What the parent holds; a child drops all of it.
struct Parent {
    /// `None` once draining: closing it is how the server stops accepting.
    listener: Option<TcpListener>,
    signals: Signals,
    children: Children,
    /// An accepted client whose fork failed with `EAGAIN`, waiting for the next try.
    pending: Option<TcpStream>,
    backoff: Option<Instant>,
    drain: Option<Instant>,
}

pub(super) fn serve(
    options: &ServeOptions,
    ready: &mut dyn FnMut(SocketAddr),
) -> Result<ServeSummary, Error> {
    let worker::Parent {
        listener,
        addr,
        signals,
        tally,
        pid: me,
    } = worker::Parent::start(options, Accepting::Polled)?;
    ready(addr);
    tracing::info!(%addr, model = "fork", "serving");
    let mut parent = Parent {
        listener: Some(listener),
        signals,
        children: Children::new(),
        pending: None,
        backoff: None,
        drain: None,
    };
    loop {
        if let Some(conn) = parent.next_client() {
            match forklab_spawn::fork() {
                Ok(Fork::Child) => worker::run(me, || {
                    drop(parent);
                    client::serve(conn, &tally, options.idle_timeout, None);
                    0
                }),
                Ok(Fork::Parent(pid)) => {
                    parent.children.add(pid);
                    tally.worker_created();
                }
                Err(e) => {
                    let retry = worker::creation_failed(e, "fork a child for a client", &tally)?;
                    parent.pending = Some(conn);
                    parent.backoff = Some(retry);
                }
            }
            continue;
        }
        if parent.finished() {
            break;
        }
        parent.wait(options, &tally)?;
    }
    Ok(tally.summary(Model::Fork, parent.children.killed()))
}

impl Parent {
    /// The client to fork for now, if there is one and the back-off is over.
    fn next_client(&mut self) -> Option<TcpStream> {
        if poll::free(self.backoff) {
            self.pending.take()
        } else {
            None
        }
    }

    /// Whether the drain is over: no child left, or the deadline passed (the rest killed).
    fn finished(&mut self) -> bool {
        self.children.drained(self.drain)
    }

    /// Waits for a signal or a client (accepting only below the cap), and handles it.
    fn wait(&mut self, options: &ServeOptions, tally: &Tally) -> Result<(), Error> {
        self.backoff = poll::ahead(self.backoff);
        let accepting = self.pending.is_none()
            && self.children.len() < options.cap()
            && poll::free(self.backoff);
        let listener = self.listener.as_ref().filter(|_| accepting);
        let mut fds = vec![PollFd::new(&self.signals, PollFlags::IN)];
        if let Some(listener) = listener {
            fds.push(PollFd::new(listener, PollFlags::IN));
        }
        let timeout = poll::until(poll::earliest([self.backoff, self.drain]));
        poll::poll(&mut fds, timeout).map_err(Error::system("poll"))?;
        let client_waiting = fds.get(1).is_some_and(|fd| !fd.revents().is_empty());
        drop(fds);
        self.on_signals(options)?;
        if client_waiting {
            self.accept(tally)?;
        }
        Ok(())
    }

    fn on_signals(&mut self, options: &ServeOptions) -> Result<(), Error> {
        let received = self.signals.take().map_err(Error::system("read signals"))?;
        if received.child {
            self.children.reap();
        }
        if received.stop && self.drain.is_none() {
            tracing::info!(
                clients = self.children.len(),
                "stopping: no new clients, draining"
            );
            self.listener = None;
            self.pending = None;
            self.drain = Some(Instant::now() + options.drain_timeout);
        }
        Ok(())
    }

    fn accept(&mut self, tally: &Tally) -> Result<(), Error> {
        let Some(listener) = &self.listener else {
            return Ok(());
        };
        let accepted = accept::accept_or_back_off(listener, tally, &mut self.backoff);
        if let Some(conn) = accepted.map_err(Error::system("accept"))? {
            self.pending = Some(conn);
        }
        Ok(())
    }
}
