//! `forklab jail`: resolve the user and group, run the command confined, report.

use crate::Outcome;
use crate::args::JailArgs;
use crate::output::{plural, print_json, to_stderr};
use anyhow::{Context, bail};
use forklab_guard::cgroup::CgroupError;
use forklab_guard::jail::{self, JailError, JailOptions, JailReport};
use forklab_spawn::Step;
use nix::unistd::{Gid, Group, Uid, User, getgrouplist};
use std::ffi::CString;
use std::io::ErrorKind;

pub(crate) fn run(args: JailArgs) -> anyhow::Result<Outcome> {
    let mut command = args.command.into_iter();
    let program = command.next().context("no command given")?;
    let mut opts = JailOptions {
        program,
        args: command.collect(),
        pids_max: args.pids_max,
        nproc: args.nproc,
        uid: None,
        gid: None,
        groups: None,
        timeout: args.timeout,
        cgroup_parent: args.cgroup_parent,
    };
    if let Some(user) = &args.user {
        let (uid, gid, groups) = resolve_user(user, args.group.is_some())?;
        opts.uid = Some(uid);
        opts.gid = gid;
        opts.groups = groups;
    }
    if let Some(group) = &args.group {
        let gid = resolve_group(group)?;
        opts.gid = Some(gid);
        opts.groups = Some(vec![gid]);
    }
    let report = match jail::run(&opts) {
        Ok(report) => report,
        // As a shell: 127 when the program is not found, 126 when it cannot be executed;
        // a failure of any other step (the uid, the cgroup) is a runtime error.
        Err(JailError::Spawn(e)) if e.step() == Step::Exec && e.kind() == ErrorKind::NotFound => {
            to_stderr!("forklab: error: {:#}", anyhow::Error::from(e));
            return Ok(Outcome::Exit(127));
        }
        Err(JailError::Spawn(e)) if e.step() == Step::Exec => {
            to_stderr!("forklab: error: {:#}", anyhow::Error::from(e));
            return Ok(Outcome::Exit(126));
        }
        Err(JailError::Cgroup(e @ CgroupError::NotPermitted { .. })) => bail!(
            "{e}: jail needs root, or a cgroup delegated to you given with --cgroup-parent DIR"
        ),
        Err(e) => return Err(e.into()),
    };
    to_stderr!("forklab jail: {}", summary(&report));
    if args.json {
        print_json(&report)?;
    }
    Ok(Outcome::Exit(report.exit_status().clamp(0, 255) as u8))
}

/// One line: how CMD ended, and what the cap saw.
fn summary(r: &JailReport) -> String {
    let ended = if r.timed_out {
        "timed out".to_string()
    } else if let Some(signal) = r.interrupted_by {
        format!("interrupted by signal {signal}")
    } else if let Some(signal) = r.signal {
        format!("killed by signal {signal}")
    } else if let Some(code) = r.exit_code {
        format!("exited with {code}")
    } else {
        "ended with no status to report".to_string()
    };
    format!(
        "{ended} after {:.2} s; peak {} of {}; {} refused; {} killed; cgroup {}",
        r.elapsed_s,
        plural(r.peak_tasks, "task"),
        r.pids_max,
        plural(r.forks_refused, "fork"),
        plural(r.killed_leftovers, "leftover"),
        r.cgroup,
    )
}

/// A user name or number: its uid, and unless `--group` decides, its primary group and
/// supplementary groups. A number with no passwd entry needs `--group`: root's groups must
/// not come along by default.
fn resolve_user(
    user: &str,
    group_given: bool,
) -> anyhow::Result<(u32, Option<u32>, Option<Vec<u32>>)> {
    let entry = match user.parse::<u32>() {
        Ok(uid) => User::from_uid(Uid::from_raw(uid))
            .with_context(|| format!("looking up uid {uid}"))?
            .map(Ok)
            .unwrap_or(Err(uid)),
        Err(_) => match User::from_name(user).with_context(|| format!("looking up {user:?}"))? {
            Some(entry) => Ok(entry),
            None => bail!("unknown user {user:?} (no such name in the user database)"),
        },
    };
    match entry {
        Ok(entry) if group_given => Ok((entry.uid.as_raw(), None, None)),
        Ok(entry) => {
            let name = CString::new(entry.name.as_bytes()).context("a user name with a NUL")?;
            let groups = getgrouplist(&name, entry.gid)
                .with_context(|| format!("listing the groups of {}", entry.name))?;
            let groups = groups.into_iter().map(Gid::as_raw).collect();
            Ok((entry.uid.as_raw(), Some(entry.gid.as_raw()), Some(groups)))
        }
        Err(uid) if group_given => Ok((uid, None, None)),
        Err(uid) => bail!(
            "uid {uid} has no entry in the user database, so it has no group to run with: \
             give one with --group"
        ),
    }
}

/// A group name or number.
fn resolve_group(group: &str) -> anyhow::Result<u32> {
    if let Ok(gid) = group.parse::<u32>() {
        return Ok(gid);
    }
    match Group::from_name(group).with_context(|| format!("looking up group {group:?}"))? {
        Some(entry) => Ok(entry.gid.as_raw()),
        None => bail!("unknown group {group:?} (no such name in the group database)"),
    }
}
