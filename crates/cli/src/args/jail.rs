//! `forklab jail` flags.

use super::parse_duration;
use clap::Args;
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

/// `forklab jail`.
#[derive(Debug, Args)]
#[command(after_help = JAIL_HELP)]
pub(crate) struct JailArgs {
    /// The group's pids.max: tasks (processes and threads) CMD and everything it starts may
    /// have at once. Binds every user, root included
    #[arg(long, value_name = "N", default_value = "1024", value_parser = parse_pids_max, allow_hyphen_values = true)]
    pub pids_max: u64,
    /// Also set RLIMIT_NPROC (ulimit -u) for CMD. It counts every process of CMD's real
    /// user on the whole machine, not only CMD's, and does not bind root
    #[arg(long, value_name = "N", value_parser = parse_nproc, allow_hyphen_values = true)]
    pub nproc: Option<u64>,
    /// Run CMD as this user (a name, or a number); its primary group and supplementary
    /// groups come along unless --group is given
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,
    /// Run CMD with this group (a name or a number) as its only group
    #[arg(long, value_name = "GROUP")]
    pub group: Option<String>,
    /// End CMD and everything it started after this long (500ms, 2s, 1m); exit 124
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    pub timeout: Option<Duration>,
    /// Create the group inside this cgroup directory (a cgroup delegated to you, when not
    /// root) instead of at the root of the hierarchy with the pids controller
    #[arg(long, value_name = "DIR")]
    pub cgroup_parent: Option<PathBuf>,
    /// Print the summary as one JSON document on stdout (it is on stderr either way)
    #[arg(long)]
    pub json: bool,
    /// The command and its arguments (after `--`)
    #[arg(
        value_name = "CMD",
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub command: Vec<OsString>,
}

const JAIL_HELP: &str = "\
CMD starts inside a new cgroup (v2 where the pids controller is on the unified hierarchy, \
otherwise the v1 pids hierarchy), placed there before it execs, so nothing it starts escapes \
the cap. When CMD exits, when --timeout fires, or when forklab gets SIGINT, SIGTERM, SIGHUP \
or SIGQUIT, every process left in the group is killed (v2: cgroup.kill; v1: the freezer, or \
stop-then-kill through pidfds) and the group is removed.

pids.max and RLIMIT_NPROC differ: pids.max counts the tasks in the group, whoever owns them, \
and binds root; RLIMIT_NPROC counts all processes of the user, everywhere, and root (or \
CAP_SYS_RESOURCE) ignores it.

Examples:
  forklab jail --pids-max 64 --timeout 2s -- bash -c ':(){ :|:& };:'
  forklab jail --pids-max 200 --user nobody -- make -j8
  forklab jail --json -- ./build.sh > summary.json

Needs root, or a delegated cgroup given with --cgroup-parent.

Exit status: CMD's own; 124 when --timeout ended it; 128+n when signal n killed it (or \
interrupted forklab); 126 when CMD cannot be executed, 127 when it is not found; 2 usage or \
runtime error.";

fn parse_pids_max(s: &str) -> Result<u64, String> {
    match s.trim().parse::<i64>() {
        Ok(n) if n < 1 => Err(format!(
            "must be at least 1 (CMD itself is a task), got {n}"
        )),
        Ok(n) => Ok(n as u64),
        Err(_) => Err(format!("not a number: {s:?}")),
    }
}

fn parse_nproc(s: &str) -> Result<u64, String> {
    match s.trim() {
        "unlimited" => Ok(u64::MAX),
        t => t
            .parse::<u64>()
            .map_err(|_| format!("not a count: {s:?} (a number, or \"unlimited\")")),
    }
}
