//! `forklab echo serve`: a TCP echo server in one of the classic designs.

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
}
