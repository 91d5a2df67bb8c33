//! `forklab lab` and `forklab report` flags.

use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// An experiment `forklab lab` runs; the key of its section in `report.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Step {
    /// Who runs first after fork (`race --sweep`)
    Race,
    /// What a spawn costs as the parent grows (`spawn-cost`)
    SpawnCost,
    /// What crosses fork and execve (`inherit`)
    Inherit,
    /// execve's argument limits (`exec-limits`)
    ExecLimits,
    /// The echo server designs compared (`echo compare`)
    Echo,
    /// The fork-bomb guard's drill (`guard drill`; root only)
    Guard,
    /// This user's limits.conf limits (`limits show`)
    Limits,
}

impl Step {
    /// Every step, in the order the lab runs them.
    pub(crate) const ALL: [Step; 7] = [
        Step::Race,
        Step::SpawnCost,
        Step::Inherit,
        Step::ExecLimits,
        Step::Echo,
        Step::Guard,
        Step::Limits,
    ];

    /// The section's key in `report.json`.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Step::Race => "race",
            Step::SpawnCost => "spawn_cost",
            Step::Inherit => "inherit",
            Step::ExecLimits => "exec_limits",
            Step::Echo => "echo",
            Step::Guard => "guard",
            Step::Limits => "limits",
        }
    }
}

/// `forklab lab`.
#[derive(Debug, Args)]
#[command(after_help = LAB_HELP)]
pub(crate) struct LabArgs {
    /// Fewer trials and connections: the whole run in about a minute
    #[arg(long)]
    pub quick: bool,
    /// Where report.json and index.html go (created if missing)
    #[arg(long, value_name = "DIR", default_value = "forklab-report")]
    pub out: PathBuf,
    /// Only these experiments (comma-separated): race, spawn-cost, inherit, exec-limits, echo,
    /// guard, limits
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub only: Vec<Step>,
}

/// `forklab report`.
#[derive(Debug, Args)]
#[command(after_help = REPORT_HELP)]
pub(crate) struct ReportArgs {
    /// A report.json written by `forklab lab`
    #[arg(value_name = "REPORT_JSON")]
    pub report: PathBuf,
    /// Where index.html goes [default: the report's own directory]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

const LAB_HELP: &str = "\
Runs every experiment of the article on this machine, one after another, each as forklab's own \
command with --json: race --sweep, spawn-cost, inherit, exec-limits, echo compare, guard drill \
(root only) and limits show. DIR/report.json is written after each step, so an interrupted run \
keeps what it measured; DIR/index.html is the page made from it (no network, no JavaScript). \
A step that cannot run here is recorded as skipped, with the reason; one that fails, with its \
error, and the others still run.

Examples:
  forklab lab --quick
  forklab lab --out /tmp/report
  forklab lab --only spawn-cost,race

Exit status: 0 every step ran or was skipped; 1 a step failed (the rest ran; see the report); 2 \
usage or runtime error (e.g. DIR cannot be written).";

const REPORT_HELP: &str = "\
Renders index.html again from a saved report.json (the page is a pure function of the JSON). \
A report from another version or with missing fields still renders: each section says what it \
lacks.

Examples:
  forklab report forklab-report/report.json
  forklab report saved/report.json --out /tmp/page

Exit status: 0 success; 2 the file cannot be read or is not JSON, or DIR cannot be written.";
