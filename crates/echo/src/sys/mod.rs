//! The only place in `forklab-echo` with `unsafe` code: thin wrappers over the system calls
//! the server models need that no crate wraps safely. Every block has a `// SAFETY:` comment.
//!
//! What each file provides (everything else — sockets, `poll`, `flock`, `SCM_RIGHTS`,
//! `waitpid`, `kill` — goes through `rustix`'s safe calls in the server modules):
//!
//! - `signals`: signal masks, `signalfd(2)`, and setting a disposition to `SIG_IGN`.
//! - `shared_memory`: a `MAP_SHARED` anonymous mapping holding a value made only of atomics,
//!   which forked workers update and the parent reads (the tally of clients).
//! - `shared_mutex`: a robust `PTHREAD_PROCESS_SHARED` mutex in such a mapping, for the
//!   `prefork-mutex` model.
//! - `rusage`: the CPU time of reaped children (`getrusage(RUSAGE_CHILDREN)`), for `compare`.

pub(crate) mod rusage;
pub(crate) mod shared_memory;
pub(crate) mod shared_mutex;
pub(crate) mod signals;
