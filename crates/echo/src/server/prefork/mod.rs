//! `prefork`, `prefork-flock`, `prefork-mutex`: a pool of children forked up front, each
//! blocking in `accept` on the shared listener (under a lock, for the last two: see
//! `lock`), serving one client at a time. The pool is `--workers` children, no more than
//! `--max-clients`: that is the cap.
//!
//! The parent only keeps the pool full: it polls its signalfd, reaps, and forks a
//! replacement for a child that died (after a back-off if the fork failed). To stop, it
//! shuts the listener down (`shutdown(2)`, which Linux defines for a listening socket: every
//! `accept` blocked on it, in any process, returns `EINVAL`), so idle children exit at once
//! and busy ones after their client; at the drain deadline it kills the rest.

mod lock;

pub(crate) use lock::AcceptLock;

use super::accept::{self, Accepted, BACKOFF};
use super::children::Children;
use super::listener::Accepting;
use super::signals::Signals;
use super::tally::Tally;
use super::{Error, Model, ServeOptions, ServeSummary, client, poll, worker};
use forklab_spawn::Fork;
use lock::Lock;
use rustix::event::{PollFd, PollFlags};
use std::net::{SocketAddr, TcpListener};
use std::time::Instant;

/// What the parent holds.
struct Pool {
    listener: TcpListener,
    signals: Signals,
    children: Children,
    lock: Lock,
    backoff: Option<Instant>,
    drain: Option<Instant>,
}

pub(in crate::server) fn serve(
    options: &ServeOptions,
    kind: AcceptLock,
    ready: &mut dyn FnMut(SocketAddr),
) -> Result<ServeSummary, Error> {
    let model = match kind {
        AcceptLock::None => Model::Prefork,
        AcceptLock::Flock => Model::PreforkFlock,
        AcceptLock::Mutex => Model::PreforkMutex,
    };
    let worker::Parent {
        listener,
        addr,
        signals,
        tally,
        pid: me,
    } = worker::Parent::start(options, Accepting::Blocking)?;
    let lock = Lock::new(kind).map_err(Error::system("make the accept lock"))?;
    let mut pool = Pool {
        listener,
        signals,
        children: Children::new(),
        lock,
        backoff: None,
        drain: None,
    };
    let mut announced = false;
    loop {
        while pool.needs_child(options) {
            // A descriptor shortage (EMFILE) is waited out like a fork refused with EAGAIN.
            let own = match pool.lock.for_child() {
                Ok(own) => own,
                Err(e) => {
                    let retry = worker::creation_failed(e, "open the lock file", &tally)?;
                    pool.backoff = Some(retry);
                    continue;
                }
            };
            match forklab_spawn::fork() {
                Ok(Fork::Child) => worker::run(me, || {
                    let Pool {
                        listener,
                        lock,
                        signals,
                        children,
                        ..
                    } = pool;
                    drop((signals, children));
                    let lock = lock.into_child(own);
                    accept_loop(&listener, &lock, &tally, options)
                }),
                Ok(Fork::Parent(pid)) => {
                    pool.children.add(pid);
                    tally.worker_created();
                }
                Err(e) => {
                    pool.backoff = Some(worker::creation_failed(e, "fork a pool child", &tally)?);
                }
            }
        }
        if !announced {
            announced = true;
            ready(addr);
            tracing::info!(%addr, model = model.name(), children = pool.children.len(), "serving");
        }
        if pool.finished() {
            break;
        }
        pool.wait(options)?;
    }
    Ok(tally.summary(model, pool.children.killed()))
}

impl Pool {
    fn needs_child(&self, options: &ServeOptions) -> bool {
        self.drain.is_none()
            && self.children.len() < options.pool_size()
            && poll::free(self.backoff)
    }

    fn finished(&mut self) -> bool {
        self.children.drained(self.drain)
    }

    fn wait(&mut self, options: &ServeOptions) -> Result<(), Error> {
        self.backoff = poll::ahead(self.backoff);
        let mut fds = [PollFd::new(&self.signals, PollFlags::IN)];
        let timeout = poll::until(poll::earliest([self.backoff, self.drain]));
        poll::poll(&mut fds, timeout).map_err(Error::system("poll"))?;
        let received = self.signals.take().map_err(Error::system("read signals"))?;
        if received.child {
            let reaped = self.children.reap();
            if self.drain.is_none() && !reaped.is_empty() {
                tracing::warn!(
                    children = reaped.len(),
                    "pool children ended; replacing them"
                );
            }
        }
        if received.stop && self.drain.is_none() {
            tracing::info!("stopping: no new clients, draining");
            // Wakes every child blocked in accept (EINVAL); they exit when idle.
            rustix::net::shutdown(&self.listener, rustix::net::Shutdown::Read)
                .map_err(|e| Error::system("shut the listener down")(e.into()))?;
            self.drain = Some(Instant::now() + options.drain_timeout);
        }
        Ok(())
    }
}

/// A pool child: take the lock, accept, release, serve; until the listener is shut down.
fn accept_loop(listener: &TcpListener, lock: &Lock, tally: &Tally, options: &ServeOptions) -> i32 {
    loop {
        let accepted = match lock.around(|| accept::accept(listener)) {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::warn!("pool child cannot take the accept lock: {e}");
                return 1;
            }
        };
        match accepted {
            Ok(Accepted::Client(conn)) => client::serve(conn, tally, options.idle_timeout, None),
            Ok(Accepted::Again) => {}
            Ok(Accepted::Exhausted(e)) => {
                tracing::warn!("accept failed (backing off): {e}");
                tally.retried();
                std::thread::sleep(BACKOFF);
            }
            Ok(Accepted::Stopped) => return 0,
            Err(e) => {
                tracing::warn!("pool child cannot accept: {e}");
                return 1;
            }
        }
    }
}
