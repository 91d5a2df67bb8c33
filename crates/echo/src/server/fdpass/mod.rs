//! `prefork-fdpass`: the parent accepts and hands each client's descriptor to an idle child
//! over a Unix socketpair (`SCM_RIGHTS`, see `channel`); the child serves it and reports
//! back with one byte. The parent knows which children are idle, so it accepts only when one
//! is: the pool (`--workers`, no more than `--max-clients`) is the cap, and clients beyond it
//! wait in the listen backlog.
//!
//! The parent is one thread polling the listener, its signalfd and every child's channel.
//! To stop, it closes the listener and every channel: an idle child reads end-of-file and
//! exits, a busy one finishes its client first; at the drain deadline the rest are killed.

mod channel;

use super::accept;
use super::children::Children;
use super::listener::Accepting;
use super::signals::Signals;
use super::tally::Tally;
use super::{Error, Model, ServeOptions, ServeSummary, client, poll, worker};
use channel::Received;
use forklab_spawn::Fork;
use rustix::event::{PollFd, PollFlags};
use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::time::Instant;

/// A child, as its parent sees it.
struct Child {
    /// The parent's end; `None` once closed (stop) or found dead.
    channel: Option<UnixStream>,
    busy: bool,
}

/// What the parent holds; a child drops all of it.
struct Dispatcher {
    listener: Option<TcpListener>,
    signals: Signals,
    children: Children,
    pool: BTreeMap<i32, Child>,
    pending: Option<TcpStream>,
    /// After a fork failed: no new child before then.
    fork_backoff: Option<Instant>,
    /// After accept failed: no accept before then.
    accept_backoff: Option<Instant>,
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
    let mut d = Dispatcher {
        listener: Some(listener),
        signals,
        children: Children::new(),
        pool: BTreeMap::new(),
        pending: None,
        fork_backoff: None,
        accept_backoff: None,
        drain: None,
    };
    let mut announced = false;
    loop {
        while d.needs_child(options) {
            // A descriptor shortage (EMFILE) is waited out like a fork refused with EAGAIN.
            let pair = UnixStream::pair().and_then(|(ours, theirs)| {
                ours.set_nonblocking(true)?;
                Ok((ours, theirs))
            });
            let (ours, theirs) = match pair {
                Ok(pair) => pair,
                Err(e) => {
                    let retry = worker::creation_failed(e, "make a socketpair", &tally)?;
                    d.fork_backoff = Some(retry);
                    continue;
                }
            };
            match forklab_spawn::fork() {
                Ok(Fork::Child) => worker::run(me, || {
                    drop((d, ours));
                    receive_loop(&theirs, &tally, options)
                }),
                Ok(Fork::Parent(pid)) => {
                    d.children.add(pid);
                    let child = Child {
                        channel: Some(ours),
                        busy: false,
                    };
                    d.pool.insert(pid.as_raw(), child);
                    tally.worker_created();
                }
                Err(e) => {
                    d.fork_backoff = Some(worker::creation_failed(e, "fork a pool child", &tally)?);
                }
            }
        }
        if !announced {
            announced = true;
            ready(addr);
            tracing::info!(%addr, model = "prefork-fdpass", children = d.pool.len(), "serving");
        }
        d.dispatch();
        if d.finished() {
            break;
        }
        d.wait(options, &tally)?;
    }
    Ok(tally.summary(Model::PreforkFdpass, d.children.killed()))
}

impl Dispatcher {
    fn needs_child(&self, options: &ServeOptions) -> bool {
        self.drain.is_none()
            && self.pool.len() < options.pool_size()
            && poll::free(self.fork_backoff)
    }

    fn idle(&self) -> usize {
        let idle = |c: &&Child| !c.busy && c.channel.is_some();
        self.pool.values().filter(idle).count()
    }

    /// Hands the pending client to an idle child, if there is one.
    fn dispatch(&mut self) {
        let Some(conn) = self.pending.take() else {
            return;
        };
        for (pid, child) in self.pool.iter_mut().filter(|(_, c)| !c.busy) {
            let Some(channel) = &child.channel else {
                continue;
            };
            match channel::send_client(channel, &conn) {
                Ok(()) => {
                    child.busy = true;
                    return;
                }
                Err(e) => {
                    tracing::warn!(pid, "cannot pass a client to a child: {e}");
                    child.channel = None;
                }
            }
        }
        self.pending = Some(conn);
    }

    fn finished(&mut self) -> bool {
        if poll::passed(self.drain) {
            self.pool.clear(); // the children are being killed: no more dispatch to them
        }
        self.children.drained(self.drain)
    }

    fn wait(&mut self, options: &ServeOptions, tally: &Tally) -> Result<(), Error> {
        self.fork_backoff = poll::ahead(self.fork_backoff);
        self.accept_backoff = poll::ahead(self.accept_backoff);
        let accepting = self.pending.is_none() && self.idle() > 0 && self.accept_backoff.is_none();
        let listener = self.listener.as_ref().filter(|_| accepting);
        let (pids, channels): (Vec<i32>, Vec<&UnixStream>) = self
            .pool
            .iter()
            .filter_map(|(pid, c)| Some((*pid, c.channel.as_ref()?)))
            .unzip();
        let mut fds = vec![PollFd::new(&self.signals, PollFlags::IN)];
        fds.extend(channels.iter().map(|c| PollFd::new(*c, PollFlags::IN)));
        fds.extend(listener.map(|l| PollFd::new(l, PollFlags::IN)));
        let deadlines = [self.fork_backoff, self.accept_backoff, self.drain];
        poll::poll(&mut fds, poll::until(poll::earliest(deadlines)))
            .map_err(Error::system("poll"))?;
        let ready: Vec<bool> = fds.iter().map(|fd| !fd.revents().is_empty()).collect();
        drop(fds);
        let client_waiting = listener.is_some() && ready.last() == Some(&true);
        let reporting: Vec<i32> = pids
            .into_iter()
            .zip(&ready[1..])
            .filter_map(|(pid, ready)| ready.then_some(pid))
            .collect();
        self.take_reports(&reporting);
        self.on_signals(options)?;
        if client_waiting {
            self.accept(tally)?;
        }
        Ok(())
    }

    fn take_reports(&mut self, pids: &[i32]) {
        for pid in pids {
            let Some(child) = self.pool.get_mut(pid) else {
                continue;
            };
            match child.channel.as_ref().and_then(channel::take_reports) {
                Some(0) => {}
                Some(_) => child.busy = false,
                None => child.channel = None,
            }
        }
    }

    fn on_signals(&mut self, options: &ServeOptions) -> Result<(), Error> {
        let received = self.signals.take().map_err(Error::system("read signals"))?;
        if received.child {
            for pid in self.children.reap() {
                self.pool.remove(&pid.as_raw_pid());
                if self.drain.is_none() {
                    tracing::warn!(pid = pid.as_raw_pid(), "pool child ended; replacing it");
                }
            }
        }
        if received.stop && self.drain.is_none() {
            tracing::info!("stopping: no new clients, draining");
            self.listener = None;
            self.pending = None;
            // End of file for every child: idle ones exit now, busy ones after their client.
            self.pool.values_mut().for_each(|c| c.channel = None);
            self.drain = Some(Instant::now() + options.drain_timeout);
        }
        Ok(())
    }

    fn accept(&mut self, tally: &Tally) -> Result<(), Error> {
        let Some(listener) = &self.listener else {
            return Ok(());
        };
        let accepted = accept::accept_or_back_off(listener, tally, &mut self.accept_backoff);
        if let Some(conn) = accepted.map_err(Error::system("accept"))? {
            self.pending = Some(conn);
        }
        Ok(())
    }
}

/// A pool child: receive a client, serve it, report; until the parent closes the channel.
fn receive_loop(channel: &UnixStream, tally: &Tally, options: &ServeOptions) -> i32 {
    loop {
        match channel::receive_client(channel) {
            Ok(Received::Client(conn)) => client::serve(conn, tally, options.idle_timeout, None),
            Ok(Received::Lost) => tracing::warn!("a client passed without its descriptor"),
            Ok(Received::Closed) => return 0,
            Err(e) => {
                tracing::warn!("pool child cannot receive a client: {e}");
                return 1;
            }
        }
        if channel::report_done(channel).is_err() {
            return 0; // the parent closed the channel: stop
        }
    }
}
