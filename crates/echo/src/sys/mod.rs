//! The only place in `forklab-echo` with `unsafe` code: thin wrappers over the system calls
//! the server models need that no crate wraps safely. Every block has a `// SAFETY:` comment.

pub(crate) mod rusage;
