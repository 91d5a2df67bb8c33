//! The argument probe: the `forklab` binary exec'd with an empty `argv` (so it cannot be
//! given a subcommand) reports what it sees of its arguments and what `sysconf(3)` says of
//! the argument space under its stack limit. It finds its report descriptor in the
//! environment variable [`ARGV_REPORT_ENV`].

use super::attempt;
use super::{Error, StackLimit};
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::os::fd::AsRawFd;
use std::path::Path;

/// The environment variable naming the report descriptor of the argument probe.
pub const ARGV_REPORT_ENV: &str = "FORKLAB_PROBE_ARGV_FD";

/// What a program exec'd with an empty `argv` sees.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArgvReport {
    /// `argc`.
    pub argc: usize,
    /// `argv[0]`, lossily decoded (`None` when `argc` is 0).
    pub argv0: Option<String>,
    /// `sysconf(_SC_ARG_MAX)` in that process.
    pub sysconf_arg_max: Option<u64>,
}

/// What this process sees (the probe side).
pub fn report() -> ArgvReport {
    let args: Vec<_> = std::env::args_os().collect();
    ArgvReport {
        argc: args.len(),
        argv0: args.first().map(|a| a.to_string_lossy().into_owned()),
        sysconf_arg_max: crate::sys::limits::sysconf_arg_max(),
    }
}

/// Execs `probe` with an empty `argv` (under `stack`, if given) and returns its report.
pub(crate) fn run(probe: &Path, stack: Option<StackLimit>) -> Result<ArgvReport, Error> {
    let io = |e: std::io::Error| Error::Probe(e.to_string());
    let (mut reader, original) = std::io::pipe().map_err(io)?;
    let writer = rustix::io::fcntl_dupfd_cloexec(&original, 60).map_err(|e| io(e.into()))?;
    drop(original);
    let fd = writer.as_raw_fd();
    let mut command = attempt::command(probe, stack);
    command
        .empty_argv()
        .env(ARGV_REPORT_ENV, fd.to_string())
        .fd(writer, fd);
    let outcome = attempt::run(&mut command);
    drop(command);
    match outcome? {
        attempt::Exec::Ran(_) => {}
        attempt::Exec::Refused(errno) => {
            return Err(Error::Probe(
                std::io::Error::from_raw_os_error(errno).to_string(),
            ));
        }
    }
    let mut json = String::new();
    reader.read_to_string(&mut json).map_err(io)?;
    serde_json::from_str(&json).map_err(|_| Error::Probe(format!("it reported {json:?}")))
}
