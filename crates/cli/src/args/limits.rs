//! `forklab limits show | check`.

use clap::{Args, Subcommand, ValueEnum};
use std::path::PathBuf;

/// `forklab limits`.
#[derive(Debug, Args)]
pub(crate) struct LimitsArgs {
    #[command(subcommand)]
    pub command: LimitsCommand,
}

/// The limits subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum LimitsCommand {
    /// Each limit pam_limits would set for a user, and the file:line that sets it
    Show(LimitsShowArgs),
    /// Report every line of limits.conf files that pam_limits would skip or misread
    Check(LimitsCheckArgs),
}

/// Whose pam_limits to model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum DialectArg {
    /// Debian and Ubuntu (linux-pam 1.5): chroot item, `*` and `@group` not applied to root
    Debian,
    /// Current upstream linux-pam
    Upstream,
}

/// `forklab limits show`.
#[derive(Debug, Args)]
#[command(after_help = LIMITS_SHOW_HELP)]
pub(crate) struct LimitsShowArgs {
    /// The user (a name or a uid; default: the user running forklab)
    #[arg(long, short, value_name = "U")]
    pub user: Option<String>,
    /// The main file (given alone, limits.d is not read, as pam_limits' conf= argument)
    #[arg(long, value_name = "FILE")]
    pub conf: Option<PathBuf>,
    /// The directory of *.conf files read after the main file [default: /etc/security/limits.d]
    #[arg(long, value_name = "DIR")]
    pub conf_dir: Option<PathBuf>,
    /// Ask "what if" the user were in these groups instead of the system's (repeatable; a
    /// name or a gid; the first is the primary group)
    #[arg(long, short, value_name = "G")]
    pub group: Vec<String>,
    /// Whose pam_limits to model
    #[arg(long, value_enum, default_value_t = DialectArg::Debian)]
    pub dialect: DialectArg,
    /// Print one JSON document
    #[arg(long)]
    pub json: bool,
}

/// `forklab limits check`.
#[derive(Debug, Args)]
#[command(after_help = LIMITS_CHECK_HELP)]
pub(crate) struct LimitsCheckArgs {
    /// Files to check (default: /etc/security/limits.conf and /etc/security/limits.d/*.conf)
    pub files: Vec<PathBuf>,
    /// Whose pam_limits to model
    #[arg(long, value_enum, default_value_t = DialectArg::Debian)]
    pub dialect: DialectArg,
}

const LIMITS_SHOW_HELP: &str = "\
Examples:
  forklab limits show --user alice
  forklab limits show --user alice --group wheel --group dev     # what if alice were in them
  forklab limits show --user root --conf ./limits.conf --json    # that file only

Values are what pam_limits hands the kernel (KiB and minutes in the file become bytes and \
seconds); \"not set\" (null in JSON) means no line sets it and the session keeps the value it \
inherits. A line that sets nothing for anyone because pam_limits skips it is not shown: see \
`forklab limits check`.

Exit status: 0 shown; 2 usage or runtime error (an unknown user or group, a file that cannot \
be read).";

const LIMITS_CHECK_HELP: &str = "\
Examples:
  forklab limits check
  forklab limits check /etc/security/limits.d/90-local.conf
  forklab limits check --dialect upstream ./limits.conf

Each problem is one line, FILE:LINE: message: a line pam_limits skips (unknown item, bad \
type, bad value, wrong field count, an invalid range) or one it reads differently from how it \
looks (trailing characters after a number, a negative size, a value out of range).

Exit status: 0 no problem; 1 problems found; 2 usage or runtime error (a file that cannot be \
read).";
