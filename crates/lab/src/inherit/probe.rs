//! The probe: the program a child runs to report on itself after `execve(2)` (the exec and
//! `posix_spawn` columns, the set-user-ID rows, the empty-argv measurement). The `forklab`
//! binary is the probe, in a hidden mode; this module says what it reports and how it is
//! invoked, and the binary writes the report to the descriptor it is given.
//!
//! The protocol: `PROBE __probe --report-fd N --plan JSON` reports a [`Snapshot`] against
//! the plan, then moves the shared state as the plan asks; `--ids-only` reports only the
//! process's credentials and reads nothing the caller chose (the mode a set-user-ID copy
//! runs in). (The argument probe of `exec-limits`, exec'd with an empty `argv`, is
//! `crate::exec_limits::probe`.)

use super::plan::Plan;
use super::snapshot::{self, Snapshot};

/// The hidden subcommand of the `forklab` binary that runs the probe.
pub const SUBCOMMAND: &str = "__probe";

/// The probe's arguments after the program name.
pub(crate) fn args(plan: &Plan, report_fd: i32) -> Vec<String> {
    let plan = serde_json::to_string(plan).expect("a plan is plain data");
    vec![
        SUBCOMMAND.into(),
        "--report-fd".into(),
        report_fd.to_string(),
        "--plan".into(),
        plan,
    ]
}

/// The arguments of a credentials-only probe.
pub(crate) fn ids_only_args(report_fd: i32) -> Vec<String> {
    let fd = report_fd.to_string();
    vec![
        SUBCOMMAND.into(),
        "--report-fd".into(),
        fd,
        "--ids-only".into(),
    ]
}

/// Reads this process's attributes against `plan`, then moves the shared state as the plan
/// asks. The caller writes the snapshot to the report descriptor.
pub fn observe(plan: &Plan) -> Snapshot {
    let seen = snapshot::take(plan);
    snapshot::move_shared_state(plan, &seen);
    seen
}

/// This process's pid and credentials only: reads no path, address or descriptor chosen by
/// the caller, changes nothing.
pub fn credentials() -> Snapshot {
    let mut seen = Snapshot {
        pid: rustix::process::getpid().as_raw_nonzero().get(),
        uid: crate::sys::attrs::resuid(),
        ..Snapshot::default()
    };
    let mut groups = snapshot::Groups::default();
    if let Some(n) = crate::sys::attrs::groups(&mut groups.list) {
        groups.count = n as u32;
        seen.groups = Some(groups);
    }
    seen
}

pub use crate::sys::fds::report_channel;

/// Parses the `--plan` argument.
pub fn parse_plan(json: &str) -> Result<Plan, serde_json::Error> {
    serde_json::from_str(json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_travels_on_the_command_line() {
        let plan = Plan {
            plain_fd: 50,
            timer_id: Some(0),
            regions: [1 << 40, 2 << 40, 3 << 40],
            magic: [u64::MAX, 1, 2],
            moves: true,
            ..Plan::default()
        };
        let args = args(&plan, 61);
        assert_eq!(args[..4], [SUBCOMMAND, "--report-fd", "61", "--plan"]);
        assert_eq!(parse_plan(&args[4]).unwrap(), plan);
        assert_eq!(
            ids_only_args(7),
            [SUBCOMMAND, "--report-fd", "7", "--ids-only"]
        );
    }

    #[test]
    fn a_snapshot_survives_json() {
        let mut seen = credentials();
        seen.regions = [Some(1), None, Some(u64::MAX)];
        seen.handled = Some(snapshot::Disposition::Handler);
        let json = serde_json::to_string(&seen).unwrap();
        assert_eq!(serde_json::from_str::<Snapshot>(&json).unwrap(), seen);
        assert!(seen.uid.is_some() && seen.pid > 0);
    }
}
