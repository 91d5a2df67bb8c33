//! `iterative`: one client at a time, served in the listening process itself — the baseline
//! the book measures every other design against (no process or thread control at all).
//!
//! By design a client that sends nothing or never reads holds everyone else up, but only
//! for the idle timeout (`--idle-timeout`, 30 s by default): the conversation waits in
//! `poll`, never in `read` or `write`, and drops a client that makes no progress for that
//! long. The signalfd is watched during a conversation too, so `SIGTERM` starts the drain
//! clock at once.

use super::accept::{self, Accepted, BACKOFF};
use super::echo::Stop;
use super::listener::{Accepting, listen_and_block_stop};
use super::tally::Tally;
use super::{Error, Model, ServeOptions, ServeSummary, client, poll};
use rustix::event::{PollFd, PollFlags};
use std::net::SocketAddr;
use std::os::fd::AsFd;
use std::time::Instant;

pub(super) fn serve(
    options: &ServeOptions,
    ready: &mut dyn FnMut(SocketAddr),
) -> Result<ServeSummary, Error> {
    let (listener, addr, signals) = listen_and_block_stop(options.listen, Accepting::Polled)?;
    let tally = Tally::default();
    ready(addr);
    tracing::info!(%addr, model = "iterative", "serving");
    let mut backoff: Option<Instant> = None;
    loop {
        backoff = poll::ahead(backoff);
        let mut fds = vec![PollFd::new(&signals, PollFlags::IN)];
        if backoff.is_none() {
            fds.push(PollFd::new(&listener, PollFlags::IN));
        }
        poll::poll(&mut fds, poll::until(backoff)).map_err(Error::system("poll"))?;
        let client_waiting = fds.get(1).is_some_and(|fd| !fd.revents().is_empty());
        drop(fds);
        if signals.take().map_err(Error::system("read signals"))?.stop {
            tracing::info!("stopping");
            break;
        }
        if !client_waiting {
            continue;
        }
        match accept::accept(&listener).map_err(Error::system("accept"))? {
            Accepted::Client(conn) => {
                let stop = Stop {
                    fd: signals.as_fd(),
                    drain: options.drain_timeout,
                };
                client::serve(conn, &tally, options.idle_timeout, Some(stop));
            }
            Accepted::Exhausted(e) => {
                tracing::warn!("accept failed (backing off): {e}");
                tally.retried();
                backoff = Some(Instant::now() + BACKOFF);
            }
            Accepted::Again | Accepted::Stopped => {}
        }
    }
    Ok(tally.summary(Model::Iterative, 0))
}
