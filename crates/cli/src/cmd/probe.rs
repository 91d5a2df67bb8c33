//! The hidden `forklab __probe` mode: the program the children of `inherit` and
//! `exec-limits` run to report on themselves, writing one JSON document to a descriptor
//! their parent gave them. See `forklab_lab::inherit::probe` for the protocol.
//!
//! `main` dispatches here *before* it refuses to run set-user-ID, because the set-user-ID
//! rows of `inherit` run a set-user-ID-root copy of this binary as an unprivileged user (the
//! article's `execve_cat` case). That is safe because a set-ID probe does nothing but report
//! and exit: only `--ids-only` is accepted then, which reads the process's own IDs with
//! system calls, takes no path, address or plan from its caller, writes only to a
//! descriptor its caller already had open, and never execs. Every other mode (the full
//! probe moves file offsets, locks and memory words the plan names; the empty-argv probe)
//! falls through to the refusal when set-ID.

use crate::Outcome;
use crate::args::{Cli, Command, ProbeArgs};
use crate::output;
use clap::Parser;
use forklab_lab::exec_limits::probe::{self as argv_probe_report, ARGV_REPORT_ENV};
use forklab_lab::inherit::probe;
use std::io::Write;
use std::process::ExitCode;

/// Runs the probe if this process is one, and returns its exit status.
pub(crate) fn dispatch_early() -> Option<ExitCode> {
    let set_id = forklab_spawn::Identity::current().is_set_id();
    if std::env::var_os(ARGV_REPORT_ENV).is_some() && std::env::args_os().len() <= 1 {
        return (!set_id).then(argv_probe);
    }
    if std::env::args_os()
        .nth(1)
        .is_none_or(|a| a != probe::SUBCOMMAND)
    {
        return None;
    }
    let args = match Cli::try_parse() {
        Ok(Cli {
            command: Command::Probe(args),
        }) => args,
        Ok(_) => return None,
        Err(e) if set_id => return Some(refuse(&e.to_string())),
        Err(e) => return Some(output::usage_error(e)),
    };
    if set_id && !args.ids_only {
        return None;
    }
    Some(finish(run(args)))
}

fn refuse(why: &str) -> ExitCode {
    let first = why.lines().next().unwrap_or_default();
    crate::output::to_stderr!("forklab: error: probe: {first}");
    ExitCode::from(2)
}

fn finish(result: anyhow::Result<Outcome>) -> ExitCode {
    match result {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            crate::output::to_stderr!("forklab: error: probe: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// `forklab __probe`: report, then exit.
pub(crate) fn run(args: ProbeArgs) -> anyhow::Result<Outcome> {
    let mut out = crate::sys::report_channel(args.report_fd)?;
    let seen = match (&args.plan, args.ids_only) {
        (_, true) => probe::credentials(),
        (Some(plan), false) => probe::observe(&probe::parse_plan(plan)?),
        (None, false) => anyhow::bail!("--plan or --ids-only is required"),
    };
    writeln!(out, "{}", serde_json::to_string(&seen)?)?;
    Ok(Outcome::Success)
}

/// A program exec'd with an empty `argv`: report what it sees of its arguments (and
/// `sysconf(_SC_ARG_MAX)`) to the descriptor named in the environment.
fn argv_probe() -> ExitCode {
    let fd = std::env::var(ARGV_REPORT_ENV)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(-1);
    finish((|| {
        let mut out = crate::sys::report_channel(fd)?;
        writeln!(
            out,
            "{}",
            serde_json::to_string(&argv_probe_report::report())?
        )?;
        Ok(Outcome::Success)
    })())
}
