//! The article's three fork bombs, for `forklab jail`'s tests and `forklab guard drill`:
//! `for (;;) fork();`, the vfork-and-exec-yourself loop that defeated the SunOS fork-bomb
//! killer, and bash's `:(){ :|:& };:`.
//!
//! A bomb started bare takes the machine down. [`run`] therefore refuses unless the process
//! is confined: not root, and in a cgroup whose `pids.max` is a number. Start one only through
//! [`command`], inside a group made for it.

use forklab_spawn::{Command, Strategy};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The hidden subcommand a bomb process runs as: `forklab __bomb KIND`.
pub const SUBCOMMAND: &str = "__bomb";

/// Which bomb.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BombKind {
    /// `for (;;) fork();`
    Fork,
    /// `for (;;) if (vfork() == 0) execl(argv[0], argv[0], 0);` — each child replaces itself
    /// with a fresh copy of the bomb, so a killer that counts failed forks per process never
    /// sees the same process fail twice.
    VforkExec,
    /// `:(){ :|:& };:` in bash.
    Shell,
}

impl BombKind {
    /// Every kind, in the order the drill runs them.
    pub const ALL: [BombKind; 3] = [BombKind::Fork, BombKind::VforkExec, BombKind::Shell];

    /// The name on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            BombKind::Fork => "fork",
            BombKind::VforkExec => "vfork-exec",
            BombKind::Shell => "shell",
        }
    }

    /// The kind with this name.
    pub fn from_name(name: &str) -> Option<BombKind> {
        BombKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl std::fmt::Display for BombKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The command that starts a bomb of this kind. `exe` is the forklab binary (it runs
/// `exe __bomb KIND`); the caller adds the cgroup, user and group, and must cap the group
/// first.
pub fn command(kind: BombKind, exe: &Path) -> Command {
    match kind {
        BombKind::Shell => {
            let mut cmd = Command::new("bash");
            cmd.args(["-c", ":(){ :|:& };:"]);
            cmd
        }
        _ => {
            let mut cmd = Command::new(exe);
            cmd.args([SUBCOMMAND, kind.name()]);
            cmd
        }
    }
}

/// Why this process may not run a bomb, if it may not: it must be an unprivileged user in a
/// cgroup with a numeric `pids.max` (v1 pids hierarchy, or v2).
pub fn refusal() -> Option<String> {
    if rustix::process::geteuid().is_root() || rustix::process::getuid().is_root() {
        return Some("a bomb never runs as root".into());
    }
    if !capped() {
        return Some("a bomb runs only inside a cgroup with a pids.max cap".into());
    }
    if forklab_spawn::raw::thread_count().ok() != Some(1) {
        return Some("a bomb runs only in a single-threaded process".into());
    }
    None
}

/// Whether the process is in a cgroup with a numeric `pids.max`, on v1 or v2.
fn capped() -> bool {
    let Ok(mounts) = crate::cgroup::Mounts::read() else {
        return false;
    };
    let Ok(membership) = std::fs::read_to_string("/proc/self/cgroup") else {
        return false;
    };
    membership.lines().any(|line| {
        let mut fields = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(path)) =
            (fields.next(), fields.next(), fields.next())
        else {
            return false;
        };
        let root = if controllers.is_empty() {
            mounts.v2.as_ref()
        } else if controllers.split(',').any(|c| c == "pids") {
            mounts.v1_pids.as_ref()
        } else {
            None
        };
        root.is_some_and(|root| {
            let max = root.join(path.trim_start_matches('/')).join("pids.max");
            std::fs::read_to_string(max).is_ok_and(|m| m.trim().parse::<u64>().is_ok())
        })
    })
}

/// Runs the bomb in this process, for ever; returns only the reason it refused to start.
pub fn run(kind: BombKind) -> String {
    if let Some(why) = refusal() {
        return why;
    }
    match kind {
        BombKind::Fork => crate::sys::bomb::fork_forever(),
        BombKind::VforkExec => {
            let exe = match std::env::current_exe() {
                Ok(exe) => exe,
                Err(e) => return format!("cannot find this program: {e}"),
            };
            let mut cmd = command(kind, &exe);
            cmd.strategy(Strategy::VforkExec);
            loop {
                // Each success is a child that is itself the bomb; the parent is held until
                // that child has exec'd, and then goes round again. Nobody waits for anyone.
                let _ = cmd.spawn();
            }
        }
        BombKind::Shell => {
            let error = command(kind, Path::new("")).exec();
            format!("cannot run bash: {error}")
        }
    }
}
