//! `forklab limits`: reads the limits.conf files (the library reads nothing itself), looks
//! the user and groups up, and hands both to `forklab-limits`.

mod check;
mod show;

use crate::Outcome;
use crate::args::{DialectArg, LimitsArgs, LimitsCommand};
use anyhow::{Context, anyhow};
use forklab_limits::{Dialect, Parsed, Subject, limits_d_order, parse};
use nix::unistd::{Gid, Group, Uid, User};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

const CONF: &str = "/etc/security/limits.conf";
const CONF_DIR: &str = "/etc/security/limits.d";

pub(crate) fn run(args: LimitsArgs) -> anyhow::Result<Outcome> {
    match args.command {
        LimitsCommand::Show(args) => show::run(args),
        LimitsCommand::Check(args) => check::run(args),
    }
}

fn dialect(arg: DialectArg) -> Dialect {
    match arg {
        DialectArg::Debian => Dialect::Debian,
        DialectArg::Upstream => Dialect::Upstream,
    }
}

/// The files pam_limits reads, in its order, parsed. The default limits.conf and limits.d
/// may be missing (pam_limits does without them); a file or directory named on the command
/// line must be there. As with pam_limits' `conf=`, a file given without a directory is read
/// alone.
fn read_files(
    conf: Option<PathBuf>,
    conf_dir: Option<PathBuf>,
    dialect: Dialect,
) -> anyhow::Result<Vec<Parsed>> {
    let dir = match (&conf, conf_dir) {
        (Some(_), None) => None,
        (_, Some(dir)) => Some((dir, true)),
        (None, None) => Some((PathBuf::from(CONF_DIR), false)),
    };
    let mut files = Vec::new();
    let (conf, required) = conf.map_or((PathBuf::from(CONF), false), |c| (c, true));
    if let Some(parsed) = read_one(&conf, required, dialect)? {
        files.push(parsed);
    }
    if let Some((dir, required)) = dir {
        for path in limits_d(&dir, required)? {
            files.extend(read_one(&path, true, dialect)?);
        }
    }
    Ok(files)
}

/// `dir`'s `*.conf` files in pam_limits' order (directories named `*.conf` are skipped: to
/// pam_limits they read as empty).
fn limits_d(dir: &Path, required: bool) -> anyhow::Result<Vec<PathBuf>> {
    let listing = match std::fs::read_dir(dir) {
        Err(e) if e.kind() == ErrorKind::NotFound && !required => return Ok(Vec::new()),
        listing => listing.with_context(|| format!("cannot read {}", dir.display()))?,
    };
    let mut names = Vec::new();
    for entry in listing {
        let entry = entry.with_context(|| format!("cannot read {}", dir.display()))?;
        if !entry.path().is_dir() {
            names.push(entry.file_name());
        }
    }
    Ok(limits_d_order(names)
        .into_iter()
        .map(|n| dir.join(n))
        .collect())
}

/// One file parsed; None for a missing file that may be missing.
fn read_one(path: &Path, required: bool, dialect: Dialect) -> anyhow::Result<Option<Parsed>> {
    match std::fs::read(path) {
        Ok(bytes) => {
            let name = path.display().to_string();
            Ok(Some(parse(
                &name,
                &String::from_utf8_lossy(&bytes),
                dialect,
            )))
        }
        Err(e) if e.kind() == ErrorKind::NotFound && !required => Ok(None),
        Err(e) => Err(anyhow!(e).context(format!("cannot read {}", path.display()))),
    }
}

/// The user asked about (default: the caller), with the system's groups or `groups`.
fn subject(user: Option<&str>, groups: &[String]) -> anyhow::Result<Subject> {
    let user = match user {
        None => User::from_uid(Uid::current())?
            .ok_or_else(|| anyhow!("the current uid {} has no user name", Uid::current()))?,
        Some(name) => lookup_user(name)?,
    };
    let groups: Vec<(String, u32)> = if groups.is_empty() {
        let name = std::ffi::CString::new(user.name.as_str())?;
        let gids = nix::unistd::getgrouplist(&name, user.gid)
            .with_context(|| format!("cannot list the groups of {}", user.name))?;
        gids.into_iter()
            .map(group_of)
            .collect::<anyhow::Result<_>>()?
    } else {
        groups
            .iter()
            .map(|g| lookup_group(g))
            .collect::<anyhow::Result<_>>()?
    };
    let gid = groups.first().map_or(user.gid.as_raw(), |&(_, gid)| gid);
    Ok(Subject {
        user: user.name,
        uid: user.uid.as_raw(),
        gid,
        groups,
    })
}

fn lookup_user(name: &str) -> anyhow::Result<User> {
    let found = match User::from_name(name)? {
        Some(user) => Some(user),
        None => match name.parse::<u32>() {
            Ok(uid) => User::from_uid(Uid::from_raw(uid))?,
            Err(_) => None,
        },
    };
    found.ok_or_else(|| anyhow!("unknown user {name:?}"))
}

fn lookup_group(name: &str) -> anyhow::Result<(String, u32)> {
    let found = match Group::from_name(name)? {
        Some(group) => Some(group),
        None => match name.parse::<u32>() {
            Ok(gid) => Group::from_gid(Gid::from_raw(gid))?,
            Err(_) => None,
        },
    };
    let group = found.ok_or_else(|| anyhow!("unknown group {name:?}"))?;
    Ok((group.name, group.gid.as_raw()))
}

/// A gid of the user's and its name. A gid with no group entry has no name an `@group` line
/// could match (pam_limits asks `getgrnam` for the line's name): it gets one no line can
/// spell, so that only `@:gid` ranges reach it.
fn group_of(gid: Gid) -> anyhow::Result<(String, u32)> {
    let name = Group::from_gid(gid)?.map_or_else(|| format!("(gid {gid} has no name)"), |g| g.name);
    Ok((name, gid.as_raw()))
}
