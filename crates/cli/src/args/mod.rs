//! Command-line flags, parsed into plain structs that do no I/O.

use clap::{Args, Parser, Subcommand, ValueEnum};
use forklab_lab::race::{Measure, Pin, Sched, Via};
use forklab_lab::spawn_cost::Method;
use std::path::PathBuf;

mod echo;
mod guard;
mod init;
mod jail;
mod lab;
pub(crate) use echo::*;
pub(crate) use guard::*;
pub(crate) use init::*;
pub(crate) use jail::*;
pub(crate) use lab::*;
mod limits;
pub(crate) use limits::*;

/// Linux process creation you can run, measure and trust.
#[derive(Debug, Parser)]
#[command(
    name = "forklab",
    version,
    propagate_version = true,
    max_term_width = 100,
    after_help = "Exit status: 0 success; 1 the command ran and found a failure; 2 usage or runtime \
error. Each command's --help has examples."
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// The main job: run every experiment and write DIR/report.json and a page to read,
    /// DIR/index.html
    Lab(LabArgs),
    /// Render index.html again from a saved report.json
    Report(ReportArgs),
    /// Time spawn+wait per strategy as the parent grows (the HotOS 2019 "fork() in the road"
    /// figure, on this machine)
    SpawnCost(SpawnCostArgs),
    /// Replace this process with `/bin/cat FILE` (the article's execve_cat: same pid, no fork)
    Cat(CatArgs),
    /// What crosses fork() and execve(): the inheritance table, measured on this kernel
    Inherit(InheritArgs),
    /// execve's argument limits, measured: the E2BIG boundary, MAX_ARG_STRLEN, empty argv,
    /// the longest #! interpreter path
    ExecLimits(ExecLimitsArgs),
    /// The probe that the children of `inherit` and `exec-limits` run (internal)
    #[command(name = "__probe", hide = true)]
    Probe(ProbeArgs),
    /// Who runs first after fork: the article's experiment, measured (`--analyze` counts the
    /// article's lines as its awk script does)
    Race(RaceArgs),
    /// Print a shell completion script for bash, zsh or fish on stdout
    Completions(CompletionsArgs),
    /// Print the man page (roff) on stdout, or write one page per command into a directory
    Manpage(ManpageArgs),
    /// The article's fork-per-client echo server and every classic server design, a load
    /// generator, and the comparison of the designs
    Echo(EchoArgs),
    /// Run a command in a cgroup of its own with a cap on its process count (pids.max);
    /// when it ends or times out, nothing it started is left
    Jail(JailArgs),
    /// limits.conf as pam_limits reads it: the limits a user gets and where they come from,
    /// and every line it would skip
    Limits(LimitsArgs),
    /// A fork-bomb guard daemon: catches a bomb from the kernel's process events and ends
    /// it; `guard drill` proves it on this machine
    Guard(GuardArgs),
    /// A PID 1 for containers (tini's flags): reap every orphan, forward every signal to
    /// CMD, pass its exit status on; --grace leaves no descendant behind
    Init(InitArgs),
}

/// `forklab spawn-cost`.
#[derive(Debug, Args)]
#[command(after_help = SPAWN_COST_HELP)]
pub(crate) struct SpawnCostArgs {
    /// Strategies to compare, interleaved: auto, fork-exec, vfork-exec, posix-spawn, clone3,
    /// std (std::process::Command)
    #[arg(
        long,
        value_name = "LIST",
        value_delimiter = ',',
        default_value = "auto,fork-exec,vfork-exec,posix-spawn,clone3,std"
    )]
    pub strategy: Vec<Method>,
    /// Parent resident sizes in MiB; the parent dirties that much memory before measuring
    #[arg(long, value_name = "LIST", value_delimiter = ',', default_value = "0,64,256,1024", value_parser = parse_mib, allow_hyphen_values = true)]
    pub parent_mib: Vec<u64>,
    /// Spawns per strategy and size
    #[arg(short, value_name = "N", default_value_t = 200, value_parser = parse_spawns, allow_hyphen_values = true)]
    pub n: usize,
    /// The program to spawn (no arguments)
    #[arg(long, default_value = "/bin/true")]
    pub program: PathBuf,
    /// Print one JSON document instead of a table
    #[arg(long)]
    pub json: bool,
}

/// `forklab cat`.
#[derive(Debug, Args)]
#[command(after_help = CAT_HELP)]
pub(crate) struct CatArgs {
    /// The file cat prints. cat runs with an empty environment, as the article's
    /// `execve(path, argv, 0)` does
    pub file: PathBuf,
}

/// `forklab inherit`.
#[derive(Debug, Args)]
#[command(after_help = inherit_help())]
pub(crate) struct InheritArgs {
    /// Only these attributes (comma-separated keys, e.g. pid,pending_signals,file_offsets)
    #[arg(long, value_delimiter = ',', value_name = "KEYS", value_parser = parse_inherit_key)]
    pub only: Vec<String>,
    /// Print one JSON document instead of a table
    #[arg(long)]
    pub json: bool,
}

/// `forklab exec-limits`.
#[derive(Debug, Args)]
#[command(after_help = EXEC_LIMITS_HELP)]
pub(crate) struct ExecLimitsArgs {
    /// Also measure under these RLIMIT_STACK values (comma-separated), each applied to the
    /// child before it execs. A size is bytes (8388608), or a number with K, M or G (binary:
    /// 512K, 8M, 1G), or "unlimited"
    #[arg(long, value_delimiter = ',', value_name = "SIZES", value_parser = parse_stack, allow_hyphen_values = true)]
    pub stack: Vec<forklab_lab::exec_limits::StackLimit>,
    /// The program to exec when measuring (cheap, statically or dynamically linked; it must
    /// exit on its own)
    #[arg(long, default_value = "/bin/true")]
    pub program: PathBuf,
    /// Print one JSON document instead of a table
    #[arg(long)]
    pub json: bool,
}

/// The hidden `__probe` subcommand (see `cmd::probe`).
#[derive(Debug, Args)]
pub(crate) struct ProbeArgs {
    /// The descriptor to write the JSON report to
    #[arg(long, value_parser = parse_fd)]
    pub report_fd: i32,
    /// What the parent set up, as JSON
    #[arg(long, required_unless_present = "ids_only")]
    pub plan: Option<String>,
    /// Report only the credentials (the mode of a set-user-ID copy)
    #[arg(long)]
    pub ids_only: bool,
}

/// `forklab completions`.
#[derive(Debug, Args)]
#[command(after_help = COMPLETIONS_HELP)]
pub(crate) struct CompletionsArgs {
    /// The shell the script is for
    #[arg(value_enum)]
    pub shell: Shell,
}

/// A shell `forklab completions` writes a script for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Shell {
    Bash,
    Zsh,
    Fish,
}

/// `forklab manpage`.
#[derive(Debug, Args)]
#[command(after_help = MANPAGE_HELP)]
pub(crate) struct ManpageArgs {
    /// Instead of printing forklab(1), write forklab.1 and a page for every command
    /// (forklab-spawn-cost.1, …) into DIR, which must exist
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

const COMPLETIONS_HELP: &str = "\
Examples:
  forklab completions bash > ~/.local/share/bash-completion/completions/forklab
  forklab completions zsh > ~/.zfunc/_forklab      # a directory in $fpath
  forklab completions fish > ~/.config/fish/completions/forklab.fish

Exit status: 0 printed; 2 usage error (a shell other than bash, zsh or fish).";

const MANPAGE_HELP: &str = "\
Examples:
  forklab manpage > forklab.1 && man -l forklab.1
  forklab manpage --dir /usr/local/share/man/man1

Exit status: 0 printed or written; 2 usage or runtime error (a directory that cannot be written).";

const SPAWN_COST_HELP: &str = "\
Examples:
  forklab spawn-cost
  forklab spawn-cost --strategy auto,std,fork-exec
  forklab spawn-cost --parent-mib 0,64 -n 400 --json

Exit status: 0 measured; 2 usage or runtime error (a program that cannot run, a parent size the \
machine cannot hold).";

const CAT_HELP: &str = "\
Examples:
  forklab cat /etc/hostname
  forklab cat /etc/shadow    # as a user: cat's own \"Permission denied\", exit status 1

Exit status: 2 if forklab cannot become /bin/cat (a usage error, no /bin/cat). Once cat runs, \
its errors and exit status are cat's own: forklab has replaced itself with /bin/cat.";

const RACE_HELP: &str = "\
Examples:
  forklab race
  forklab race -n 10000 --measure stdout --format tlpi > spawn_output.txt
  forklab race --analyze spawn_output.txt
  forklab race --sweep

Exit status: 0 success; 1 a fork failed part-way (the trials so far are reported), vfork's \
child was not first in every trial, or --analyze skipped malformed lines; 2 usage or runtime \
error.";

const EXEC_LIMITS_HELP: &str = "\
Examples:
  forklab exec-limits
  sudo forklab exec-limits --stack 512K,16M,unlimited,100K
  forklab exec-limits --json

Columns of the table: arg max, the largest argument and environment strings (bytes, NULs \
included) execve did not refuse with E2BIG; formula, the kernel's arithmetic for the same call; limit, \
min(stack/4, 6 MiB), at least 128 KiB (ARG_MAX); argc, the number of arguments of that largest call \
(the program name, then equal strings); envc, the number of environment strings, is 0: the \
program runs with an empty environment; sysconf, sysconf(_SC_ARG_MAX). - means not measured \
(the reason follows the row); ! marks a measurement that differs from the formula.

Exit status: 0 every measurement equals the kernel's arithmetic; 1 one differs (marked !); 2 \
usage or runtime error.";

/// The help after `forklab inherit`'s flags: examples, the values, the `--only` keys (from the
/// library's attribute table), the exit statuses.
fn inherit_help() -> String {
    let keys: Vec<&str> = forklab_lab::inherit::keys().collect();
    format!(
        "\
Examples:
  sudo forklab inherit
  forklab inherit --only pid,pending_signals,file_offsets
  forklab inherit --json

Values: yes (inherited or preserved), no (reset or not inherited), shared (the same object, not \
a copy), skipped (not measurable here; the note says why), - (not measured in this column: the \
attribute makes no sense there or that child cannot observe it, e.g. a vfork child makes only \
raw system calls before it execs). A value marked ! differs from the documentation.

Keys for --only: {}

Exit status: 0 every value matches the documentation; 1 a value differs (marked !); 2 usage or \
runtime error.",
        keys.join(", ")
    )
}

/// An attribute key of `forklab inherit`.
pub(crate) fn parse_inherit_key(s: &str) -> Result<String, String> {
    forklab_lab::inherit::check_key(s.trim())
        .map(|()| s.trim().to_string())
        .map_err(|e| e.to_string())
}

/// An `RLIMIT_STACK` value for `forklab exec-limits --stack`.
/// `RLIM_INFINITY` given as a number is "unlimited", and is shown so.
pub(crate) fn parse_stack(s: &str) -> Result<forklab_lab::exec_limits::StackLimit, String> {
    use forklab_lab::exec_limits::StackLimit;
    match s.parse()? {
        StackLimit::Bytes(u64::MAX) => Ok(StackLimit::Unlimited),
        limit => Ok(limit),
    }
}

/// `forklab race`.
#[derive(Debug, Args)]
#[command(after_help = RACE_HELP)]
pub(crate) struct RaceArgs {
    /// Trials: one fork each, the child reaped before the next
    #[arg(short, default_value_t = 10_000, value_parser = parse_trials, allow_hyphen_values = true)]
    pub n: usize,
    /// How the child is created: fork (the fork(2) system call), vfork (clone with
    /// CLONE_VM|CLONE_VFORK: the child runs first by construction), clone (clone(2) without
    /// CLONE_VM)
    #[arg(long, default_value = "fork", value_name = "fork|vfork|clone")]
    pub via: Via,
    /// none, or same: pin the parent to the CPU it is on (the child inherits the pinning)
    #[arg(long, default_value = "none", value_name = "none|same")]
    pub pin: Pin,
    /// The parent's scheduling policy, inherited by the child: other, batch, idle, fifo
    /// (SCHED_FIFO needs root; skipped with the reason otherwise)
    #[arg(long, default_value = "other", value_name = "other|batch|idle|fifo")]
    pub sched: Sched,
    /// ticket: both sides take a ticket from an atomic counter in shared memory and note the
    /// time, first thing (gives fork-return latencies); stdout: each side writes its line
    /// unbuffered, the article's method
    #[arg(long, default_value = "ticket", value_name = "ticket|stdout")]
    pub measure: Measure,
    /// table; tlpi: the article's lines ("0 parent", "0 child", …, 2 per trial, in the order
    /// they happened) for its awk script, summary on stderr; json
    #[arg(long, value_enum, default_value_t = RaceFormat::Table)]
    pub format: RaceFormat,
    /// Same as --format json
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// Run every via × pin × sched variant and print one row (or JSON object) per variant
    #[arg(long, conflicts_with_all = ["via", "pin", "sched"])]
    pub sweep: bool,
    /// Run nothing: count lines in the article's format from FILE (stdin without FILE or
    /// with -): for each trial, who printed first
    #[arg(long, value_name = "FILE", num_args = 0..=1, conflicts_with_all = ["n", "via", "pin", "sched", "measure", "sweep"])]
    pub analyze: Option<Option<PathBuf>>,
}

/// How `forklab race` prints its result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum RaceFormat {
    /// A table like the article's
    Table,
    /// The article's lines
    Tlpi,
    /// One JSON document
    Json,
}

/// A size in MiB for `spawn-cost --parent-mib`: a non-negative integer, at most the largest
/// size whose bytes a `u64` holds.
pub(crate) fn parse_mib(s: &str) -> Result<u64, String> {
    use std::num::IntErrorKind;
    if s.trim_start().starts_with('-') {
        return Err(format!("sizes cannot be negative: {s}"));
    }
    let max = forklab_lab::ballast::MAX_MIB;
    match s.trim().parse::<u64>() {
        Ok(mib) if mib <= max => Ok(mib),
        Ok(_) => Err(too_large(max)),
        Err(e) if *e.kind() == IntErrorKind::PosOverflow => Err(too_large(max)),
        Err(_) => Err(format!("not a size in MiB: {s:?}")),
    }
}

/// `spawn-cost -n`: spawns per strategy and size.
pub(crate) fn parse_spawns(s: &str) -> Result<usize, String> {
    parse_count(s, forklab_lab::spawn_cost::MAX_N)
}

/// `race -n`: trials.
pub(crate) fn parse_trials(s: &str) -> Result<usize, String> {
    parse_count(s, forklab_lab::race::MAX_TRIALS)
}

/// A count from 1 to `max`.
pub(crate) fn parse_count(s: &str, max: usize) -> Result<usize, String> {
    use std::num::IntErrorKind;
    match s.trim().parse::<i64>() {
        Ok(n) if n < 1 => Err(format!("must be at least 1, got {n}")),
        Ok(n) => usize::try_from(n)
            .ok()
            .filter(|&n| n <= max)
            .ok_or_else(|| too_large(max)),
        Err(e) => match e.kind() {
            IntErrorKind::PosOverflow => Err(too_large(max)),
            IntErrorKind::NegOverflow => Err(format!("must be at least 1, got {}", s.trim())),
            _ => Err(format!("not a number: {s:?}")),
        },
    }
}

/// The hidden probe's `--report-fd`: a descriptor number.
pub(crate) fn parse_fd(s: &str) -> Result<i32, String> {
    use std::num::IntErrorKind;
    match s.trim().parse::<i32>() {
        Ok(fd) if fd >= 0 => Ok(fd),
        Ok(fd) => Err(format!("a descriptor cannot be negative, got {fd}")),
        Err(e) if *e.kind() == IntErrorKind::PosOverflow => Err(too_large(i32::MAX)),
        Err(_) => Err(format!("not a number: {s:?}")),
    }
}

/// What every numeric flag says of a value above its range.
fn too_large(max: impl std::fmt::Display) -> String {
    format!("too large (max {max})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_sizes() {
        assert_eq!(parse_count("10", 10), Ok(10));
        assert!(parse_count("0", 10).unwrap_err().contains("at least 1"));
        assert!(parse_count("-5", 10).unwrap_err().contains("at least 1"));
        assert!(parse_count("abc", 10).unwrap_err().contains("not a number"));
        assert_eq!(parse_mib("1024"), Ok(1024));
        assert!(parse_mib("-1").unwrap_err().contains("negative"));
    }

    #[test]
    fn numbers_above_the_range_are_too_large_not_malformed() {
        assert_eq!(parse_count("11", 10), Err("too large (max 10)".into()));
        let huge = "99999999999999999999";
        assert_eq!(parse_count(huge, 10), Err("too large (max 10)".into()));
        assert_eq!(
            parse_count(&format!("-{huge}"), 10),
            Err(format!("must be at least 1, got -{huge}"))
        );
        assert_eq!(parse_spawns(huge), Err("too large (max 1000000)".into()));
        assert_eq!(parse_trials(huge), Err("too large (max 100000000)".into()));
        assert_eq!(
            parse_mib(huge),
            Err("too large (max 17592186044415)".into())
        );
        assert_eq!(parse_mib("17592186044416"), parse_mib(huge));
        assert_eq!(parse_mib("17592186044415"), Ok(17592186044415));
        assert_eq!(parse_fd(huge), Err("too large (max 2147483647)".into()));
        assert_eq!(parse_fd("3"), Ok(3));
    }

    #[test]
    fn stack_sizes_and_inherit_keys() {
        use forklab_lab::exec_limits::StackLimit;
        assert_eq!(parse_stack("8M"), Ok(StackLimit::Bytes(8 << 20)));
        assert_eq!(parse_stack("unlimited"), Ok(StackLimit::Unlimited));
        assert_eq!(
            parse_stack("18446744073709551615"),
            Ok(StackLimit::Unlimited)
        );
        assert!(parse_stack("abc").unwrap_err().contains("not a size"));
        assert_eq!(parse_inherit_key(" pid "), Ok("pid".to_string()));
        assert!(
            parse_inherit_key("pids")
                .unwrap_err()
                .contains("unknown key")
        );
    }

    #[test]
    fn the_probe_is_the_subcommand_the_library_execs() {
        use clap::CommandFactory;
        let name = forklab_lab::inherit::probe::SUBCOMMAND;
        let probe = Cli::command().find_subcommand(name).cloned();
        assert!(probe.is_some_and(|p| p.is_hide_set()));
        let cli = Cli::try_parse_from(["forklab", name, "--report-fd", "3", "--ids-only"]);
        assert!(matches!(cli.map(|c| c.command), Ok(Command::Probe(_))));
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
