//! `forklab echo serve`: a TCP echo server in one of the classic designs of UNIX Network
//! Programming's server chapter, each in a module of its own, all sharing one conversation
//! (`echo`), one way to accept (`accept`) and one tally of what was done (`tally`).
//!
//! Every model echoes byte for byte until the client half-closes, then shuts down its side;
//! drops a client idle for [`ServeOptions::idle_timeout`]; retries `EINTR`; caps the clients
//! served at once at [`ServeOptions::max_clients`] (the others wait in the listen backlog);
//! backs off and keeps serving when `fork`, thread creation (`EAGAIN`) or `accept`
//! (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`) fail; and on `SIGTERM` or `SIGINT` stops
//! accepting, lets clients finish for [`ServeOptions::drain_timeout`], ends the rest and
//! returns. The process models reap every child (signalfd + `waitpid(WNOHANG)`): no zombie
//! outlives the poll round that saw its `SIGCHLD`.
//!
//! What it deliberately does not do: TLS, per-client accounting beyond the
//! [`ServeSummary`], or printing (the caller prints; logs go through `tracing`).

mod accept;
mod children;
mod client;
mod echo;
mod error;
mod event_loop;
mod fdpass;
mod fork;
mod iterative;
mod listener;
mod notice;
mod poll;
mod prefork;
mod prethread;
mod prethread_accept;
mod signals;
mod summary;
pub(crate) mod tally;
mod thread;
mod worker;

pub use error::Error;
pub use summary::ServeSummary;

use serde::Serialize;
use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

/// A server design.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Model {
    /// One client at a time, in the listening process.
    Iterative,
    /// The article's `unp_server.c`: a child process per client.
    Fork,
    /// A pool of children, each blocking in `accept`.
    Prefork,
    /// A pool of children, a file lock (`flock`) around `accept`.
    PreforkFlock,
    /// A pool of children, a process-shared mutex around `accept`.
    PreforkMutex,
    /// A pool of children; the parent accepts and passes each descriptor over a Unix socket.
    PreforkFdpass,
    /// A thread per client.
    Thread,
    /// A pool of threads, a lock around `accept`.
    Prethread,
    /// A pool of threads; the main thread accepts and hands each connection over.
    PrethreadAccept,
    /// One event loop (tokio).
    Async,
}

impl Model {
    /// Every model, in the book's order.
    pub const ALL: [Model; 10] = [
        Model::Iterative,
        Model::Fork,
        Model::Prefork,
        Model::PreforkFlock,
        Model::PreforkMutex,
        Model::PreforkFdpass,
        Model::Thread,
        Model::Prethread,
        Model::PrethreadAccept,
        Model::Async,
    ];

    /// The name on the command line and in JSON: `iterative`, `fork`, `prefork-flock`…
    pub fn name(self) -> &'static str {
        match self {
            Model::Iterative => "iterative",
            Model::Fork => "fork",
            Model::Prefork => "prefork",
            Model::PreforkFlock => "prefork-flock",
            Model::PreforkMutex => "prefork-mutex",
            Model::PreforkFdpass => "prefork-fdpass",
            Model::Thread => "thread",
            Model::Prethread => "prethread",
            Model::PrethreadAccept => "prethread-accept",
            Model::Async => "async",
        }
    }
}

impl fmt::Display for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown model name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownModel(pub String);

impl fmt::Display for UnknownModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<_> = Model::ALL.iter().map(|m| m.name()).collect();
        write!(
            f,
            "unknown model {:?} (expected one of: {})",
            self.0,
            names.join(", ")
        )
    }
}

impl std::error::Error for UnknownModel {}

impl FromStr for Model {
    type Err = UnknownModel;

    fn from_str(s: &str) -> Result<Model, UnknownModel> {
        Model::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| UnknownModel(s.to_string()))
    }
}

/// What `forklab echo serve` is asked to run.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// The design.
    pub model: Model,
    /// Where to listen (port 0: any free port).
    pub listen: SocketAddr,
    /// At most this many clients served at once (children or threads); more wait in the
    /// listen backlog. `None`: no cap.
    pub max_clients: Option<usize>,
    /// Pool size of the pre-forked and pre-threaded models.
    pub workers: usize,
    /// After SIGTERM/SIGINT, how long clients may take to finish.
    pub drain_timeout: Duration,
    /// A client that neither sends nor takes a byte for this long is dropped, so that one
    /// stuck client cannot hold a worker (or the whole `iterative` server) for ever.
    pub idle_timeout: Duration,
}

impl ServeOptions {
    /// `model` on `listen` with the command line's defaults: no cap, 8 workers, 10 s to
    /// drain, 30 s idle timeout.
    pub fn new(model: Model, listen: SocketAddr) -> ServeOptions {
        ServeOptions {
            model,
            listen,
            max_clients: None,
            workers: 8,
            drain_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
        }
    }

    /// Clients served at once: `max_clients`, or no limit.
    pub(crate) fn cap(&self) -> usize {
        self.max_clients.unwrap_or(usize::MAX).max(1)
    }

    /// Workers in a pool: `workers`, but no more than `max_clients`.
    pub(crate) fn pool_size(&self) -> usize {
        self.workers.min(self.cap()).max(1)
    }
}

/// Runs the server until SIGTERM or SIGINT, then drains and returns what it did.
///
/// `ready` is called once, with the bound address, as soon as the socket listens (and, for
/// the pools, once the workers are started). The process models fork with
/// [`forklab_spawn::fork`], which refuses in a multi-threaded process: call this from a
/// process with a single thread (the `forklab` binary is one). They also reap with
/// `waitpid(-1)`, so the calling process should have no other children of its own.
/// `SIGTERM`, `SIGINT` (and `SIGCHLD` for the process models) are blocked while it runs
/// and the mask is put back when it returns; `async` installs tokio's handlers instead.
///
/// ```no_run
/// use forklab_echo::server::{Model, ServeOptions, serve};
/// let options = ServeOptions::new(Model::Fork, "127.0.0.1:0".parse().unwrap());
/// let summary = serve(&options, &mut |addr| println!("listening on {addr}"))?;
/// println!("{} clients", summary.clients);
/// # Ok::<(), forklab_echo::server::Error>(())
/// ```
pub fn serve(
    options: &ServeOptions,
    ready: &mut dyn FnMut(SocketAddr),
) -> Result<ServeSummary, Error> {
    use prefork::AcceptLock;
    match options.model {
        Model::Iterative => iterative::serve(options, ready),
        Model::Fork => fork::serve(options, ready),
        Model::Prefork => prefork::serve(options, AcceptLock::None, ready),
        Model::PreforkFlock => prefork::serve(options, AcceptLock::Flock, ready),
        Model::PreforkMutex => prefork::serve(options, AcceptLock::Mutex, ready),
        Model::PreforkFdpass => fdpass::serve(options, ready),
        Model::Thread => thread::serve(options, ready),
        Model::Prethread => prethread::serve(options, ready),
        Model::PrethreadAccept => prethread_accept::serve(options, ready),
        Model::Async => event_loop::serve(options, ready),
    }
}
