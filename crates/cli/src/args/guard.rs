//! `forklab guard` and `forklab guard drill` flags.

use super::parse_duration;
use clap::{Args, Subcommand};
use forklab_guard::bomb::BombKind;
use forklab_guard::respond::Action;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// `forklab guard`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, after_help = GUARD_HELP)]
pub(crate) struct GuardArgs {
    #[command(subcommand)]
    pub command: Option<GuardCommand>,
    #[command(flatten)]
    pub run: GuardRunArgs,
}

/// The guard's subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum GuardCommand {
    /// Prove the guard on this machine: the article's bombs, each as an unprivileged uid in a
    /// safety cgroup, and a benign burst that must raise nothing
    Drill(DrillArgs),
}

/// The detector's thresholds, shared by the guard and the drill.
#[derive(Debug, Args, Clone)]
pub(crate) struct ThresholdArgs {
    /// Fork score (forks, decayed) at or over which a uid forks like a bomb [default: 300]
    #[arg(long, value_name = "N", value_parser = parse_score)]
    pub score: Option<f64>,
    /// Live processes at or over which a uid keeps what it forks [default: 300]
    #[arg(long, value_name = "N", value_parser = parse_tasks)]
    pub tasks: Option<u64>,
    /// How long the fork score takes to halve (e.g. 1s, 250ms) [default: 1s]
    #[arg(long, value_name = "DUR", value_parser = parse_half_life)]
    pub half_life: Option<Duration>,
}

/// `forklab guard` (the daemon).
#[derive(Debug, Args)]
pub(crate) struct GuardRunArgs {
    /// A TOML file with the settings below (flags given here win over it)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// What to do about an incident: kill (stop every process of the uid, then kill them),
    /// stop (leave them stopped), log
    #[arg(long, value_name = "ACTION")]
    pub action: Option<Action>,
    /// Only report incidents (the same as --action log)
    #[arg(long)]
    pub dry_run: bool,
    /// Serve Prometheus metrics at http://ADDR/metrics (e.g. 127.0.0.1:9464)
    #[arg(long, value_name = "ADDR")]
    pub metrics: Option<SocketAddr>,
    /// Append each incident as a JSON line to FILE (they go to stderr too)
    #[arg(long, value_name = "FILE")]
    pub events: Option<PathBuf>,
    /// Never act on this uid (repeatable)
    #[arg(long, value_name = "UID")]
    pub exempt_uid: Vec<u32>,
    /// Never act on this user (repeatable)
    #[arg(long, value_name = "USER")]
    pub exempt_user: Vec<String>,
    /// Never act on any uid below this [default: 1000; root and system accounts]
    #[arg(long, value_name = "UID")]
    pub exempt_below: Option<u32>,
    #[command(flatten)]
    pub thresholds: ThresholdArgs,
    /// Run at normal priority (by default the guard runs as SCHED_FIFO with its memory
    /// locked, so that a bomb cannot starve it)
    #[arg(long)]
    pub no_realtime: bool,
}

/// `forklab guard drill`.
#[derive(Debug, Args)]
#[command(after_help = DRILL_HELP)]
pub(crate) struct DrillArgs {
    /// The bombs: fork, vfork-exec, shell, or all (comma-separated)
    #[arg(long, value_name = "KIND", value_delimiter = ',', default_value = "all", value_parser = parse_kind)]
    pub kind: Vec<Vec<BombKind>>,
    /// The uid the bombs run as (no passwd entry needed)
    #[arg(long, value_name = "N", default_value_t = 61000)]
    pub uid: u32,
    /// The uid of the benign burst
    #[arg(long, value_name = "N", default_value_t = 61001)]
    pub benign_uid: u32,
    /// Short processes in each benign run (three runs: one serial, two at once)
    #[arg(long, value_name = "N", default_value_t = 3000)]
    pub benign_processes: u32,
    /// The safety cgroup's pids.max, which a bomb the guard misses runs into
    #[arg(long, value_name = "N", default_value_t = 20000)]
    pub cap: u64,
    /// How long a bomb may run before the drill ends it itself
    #[arg(long, value_name = "DUR", default_value = "10s", value_parser = parse_duration)]
    pub limit: Duration,
    #[command(flatten)]
    pub thresholds: ThresholdArgs,
    /// Print one JSON document instead of a table
    #[arg(long)]
    pub json: bool,
}

const GUARD_HELP: &str = "\
The guard reads every fork, uid change and exit from the kernel's process connector. Per uid \
it keeps a fork score (each fork adds 1; the score halves every half-life) and the number of \
live processes. A uid at or over both thresholds is an incident: every process of that uid is \
stopped (SIGSTOP passes until none runs), then killed, with kill(-1) sent as that uid, so no \
stale pid is ever signalled. Root and uids below 1000 are exempt, as are the guard and its \
ancestors. Each incident is a JSON line on stderr (and in --events FILE).

Examples:
  forklab guard
  forklab guard --dry-run --events /var/log/forklab-guard.jsonl
  forklab guard --config /etc/forklab/guard.toml --metrics 127.0.0.1:9464
  forklab guard drill

Needs root. A systemd unit is in contrib/forklab-guard.service.

Exit status: 0 after SIGINT or SIGTERM; 2 usage or runtime error (not root, no process \
connector, a bad config file).";

const DRILL_HELP: &str = "\
Each bomb runs as --uid inside a cgroup capped at --cap tasks, with a guard running in this \
process; the drill reports when the guard caught it, its peak, when it was gone, and what \
survived. The benign burst then runs thousands of short processes as --benign-uid, which must \
raise no incident. Every safety cgroup is emptied and removed whatever happens.

Examples:
  forklab guard drill
  forklab guard drill --kind vfork-exec --json

Needs root. Exit status: 0 every bomb caught with no survivor and no benign incident; 1 \
otherwise; 2 usage or runtime error.";

fn parse_kind(s: &str) -> Result<Vec<BombKind>, String> {
    if s == "all" {
        return Ok(BombKind::ALL.to_vec());
    }
    BombKind::from_name(s)
        .map(|k| vec![k])
        .ok_or_else(|| format!("unknown bomb {s:?} (fork, vfork-exec, shell or all)"))
}

fn parse_score(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(n) if n.is_finite() && n >= 1.0 => Ok(n),
        Ok(n) => Err(format!("must be at least 1, got {n}")),
        Err(_) => Err(format!("not a number: {s:?}")),
    }
}

fn parse_tasks(s: &str) -> Result<u64, String> {
    match s.trim().parse::<u64>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("must be a whole number of at least 1, got {s:?}")),
    }
}

fn parse_half_life(s: &str) -> Result<Duration, String> {
    let d = parse_duration(s)?;
    if d < Duration::from_millis(1) {
        return Err("must be at least 1ms".into());
    }
    Ok(d)
}
