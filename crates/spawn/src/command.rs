//! The `Command` builder: what to run and how the child is set up.
//!
//! Strings are converted to C strings as they are added, so a spawn only has to assemble
//! pointer arrays. A NUL byte inside an argument cannot be passed to `execve`: it is remembered
//! and reported by `spawn` as `InvalidInput`, as `std::process::Command` does.
//!
//! `Debug` prints the command as a shell line (`cd "/tmp" && FOO="1" "ls" "-l"`), as std's
//! does; `{:#?}` shows every field.

use crate::env::CommandEnv;
use crate::rlimit::{Resource, Rlimit};
use crate::{Child, Output, SpawnError, Stdio, Strategy, WaitStatus};
use std::ffi::{CStr, CString, OsStr};
use std::fmt;
use std::io;
use std::os::fd::{AsFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// A process to create: program, arguments, environment, and the state of the child.
///
/// ```no_run
/// use forklab_spawn::{Command, Stdio, Strategy};
///
/// let out = Command::new("echo")
///     .arg("hello")
///     .stdout(Stdio::piped())
///     .strategy(Strategy::Auto)
///     .output()?;
/// assert_eq!(out.stdout, b"hello\n");
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Command {
    pub(crate) program: CString,
    pub(crate) args: Vec<CString>,
    pub(crate) search_path: bool,
    /// The `PATH` to search instead of the child's (`execvpe` searches the caller's).
    pub(crate) search_path_in: Option<Option<std::ffi::OsString>>,
    pub(crate) env: CommandEnv,
    pub(crate) cwd: Option<CString>,
    pub(crate) stdin: Option<Stdio>,
    pub(crate) stdout: Option<Stdio>,
    pub(crate) stderr: Option<Stdio>,
    pub(crate) fds: Vec<(OwnedFd, RawFd)>,
    pub(crate) pgroup: Option<i32>,
    pub(crate) setsid: bool,
    pub(crate) reset_signal_mask: bool,
    pub(crate) reset_signal_dispositions: bool,
    pub(crate) rlimits: Vec<(Resource, Rlimit)>,
    pub(crate) uid: Option<u32>,
    pub(crate) gid: Option<u32>,
    pub(crate) groups: Option<Vec<u32>>,
    pub(crate) cgroups: Vec<std::path::PathBuf>,
    pub(crate) strategy: Strategy,
    pub(crate) pidfd: bool,
    /// [`Command::pre_exec`] hooks (declared in `sys::pre_exec`, being `unsafe`).
    pub(crate) hooks: Vec<Hook>,
    /// Why the command cannot be spawned (a string with a NUL byte…); spawning then fails
    /// with `InvalidInput`.
    pub(crate) invalid: Option<&'static str>,
}

impl Command {
    /// A command running `program`: a path if it contains `/`, else a name searched in `PATH`
    /// (the command's own, else this process's, else `/bin:/usr/bin`) with the rules of
    /// `execvp(3)`. `argv[0]` is `program`. The search happens in the child, one `execve` per
    /// candidate, except with `PosixSpawn`: there this process picks the first candidate it
    /// may execute (`faccessat`, from the child's working directory; a `noexec` mount counts),
    /// since glibc's `posix_spawnp` would read `PATH` from the live environment; a candidate
    /// only `execve` can refuse (a security module, a file that is not a program, `ETXTBSY`)
    /// then ends the search instead of being skipped.
    pub fn new(program: impl AsRef<OsStr>) -> Command {
        let mut invalid = None;
        let program = c_string(program.as_ref(), &mut invalid);
        Command {
            args: vec![program.clone()],
            program,
            search_path: true,
            search_path_in: None,
            env: CommandEnv::default(),
            cwd: None,
            stdin: None,
            stdout: None,
            stderr: None,
            fds: Vec::new(),
            pgroup: None,
            setsid: false,
            reset_signal_mask: false,
            reset_signal_dispositions: false,
            rlimits: Vec::new(),
            uid: None,
            gid: None,
            groups: None,
            cgroups: Vec::new(),
            strategy: Strategy::Auto,
            pidfd: false,
            hooks: Vec::new(),
            invalid,
        }
    }

    /// Appends an argument. Any bytes but NUL are passed through unchanged.
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Command {
        let arg = c_string(arg.as_ref(), &mut self.invalid);
        self.args.push(arg);
        self
    }

    /// Appends arguments.
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        for arg in args {
            self.arg(arg);
        }
        self
    }

    /// Sets `argv[0]`, which is the program by default.
    pub fn arg0(&mut self, arg0: impl AsRef<OsStr>) -> &mut Command {
        let arg0 = c_string(arg0.as_ref(), &mut self.invalid);
        match self.args.first_mut() {
            Some(first) => *first = arg0,
            None => self.args.push(arg0),
        }
        self
    }

    /// Passes an empty `argv` (`argc == 0`), which only odd callers do; Linux then gives the
    /// program an `argv[0]` of `""` (see `do_execveat_common` in `fs/exec.c`). Arguments added
    /// later are appended as usual.
    pub fn empty_argv(&mut self) -> &mut Command {
        self.args.clear();
        self
    }

    /// `false`: use the program as a path as given, like `execve(2)` (no `PATH` search, no
    /// `/bin/sh` for files without `#!`). `true` (the default): the rules of `execvp(3)`.
    pub fn search_path(&mut self, search: bool) -> &mut Command {
        self.search_path = search;
        self
    }

    /// Sets an environment variable in the child.
    pub fn env(&mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> &mut Command {
        self.env.set(key.as_ref(), value.as_ref());
        self
    }

    /// Sets several environment variables.
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Command
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        for (key, value) in vars {
            self.env(key, value);
        }
        self
    }

    /// Removes a variable from the child's environment.
    pub fn env_remove(&mut self, key: impl AsRef<OsStr>) -> &mut Command {
        self.env.remove(key.as_ref());
        self
    }

    /// Starts the child with an empty environment (plus what `env` adds afterwards).
    pub fn env_clear(&mut self) -> &mut Command {
        self.env.clear();
        self
    }

    /// The child's working directory. A relative program path is resolved from it.
    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Command {
        self.cwd = Some(c_string(dir.as_ref().as_os_str(), &mut self.invalid));
        self
    }

    /// The child's standard input (default: inherited). A given descriptor is kept by the
    /// command, close-on-exec, as with [`Command::fd`].
    pub fn stdin(&mut self, stdio: impl Into<Stdio>) -> &mut Command {
        self.stdin = Some(self.kept(stdio.into()));
        self
    }

    /// The child's standard output (default: inherited).
    pub fn stdout(&mut self, stdio: impl Into<Stdio>) -> &mut Command {
        self.stdout = Some(self.kept(stdio.into()));
        self
    }

    /// The child's standard error (default: inherited).
    pub fn stderr(&mut self, stdio: impl Into<Stdio>) -> &mut Command {
        self.stderr = Some(self.kept(stdio.into()));
        self
    }

    /// A descriptor the command keeps: close-on-exec, so no other child inherits it.
    fn kept(&mut self, stdio: Stdio) -> Stdio {
        if let Stdio::Fd(fd) = &stdio
            && crate::sys::fd::set_cloexec(fd.as_fd()).is_err()
        {
            self.invalid = Some("a descriptor that is not open");
        }
        stdio
    }

    /// Passes `fd` to the child as descriptor number `target` (not close-on-exec there).
    /// Until then the command keeps `fd`, close-on-exec, so no other child inherits it by
    /// accident; once a child has been spawned the command closes it, as std's
    /// `CommandExt::fd` does (so the write end of a pipe given to a child is held by the child
    /// alone, and the reader sees end-of-file when the child is done). A later call for the
    /// same `target` replaces the earlier one. A target that is also a standard stream set to
    /// something other than inherit, or not below the open-files limit, makes the spawn fail
    /// with `InvalidInput`.
    pub fn fd(&mut self, fd: impl Into<OwnedFd>, target: RawFd) -> &mut Command {
        let fd = fd.into();
        if target < 0 {
            self.invalid = Some("a negative descriptor number");
        } else if crate::sys::fd::set_cloexec(fd.as_fd()).is_err() {
            self.invalid = Some("a descriptor that is not open");
        }
        self.fds.retain(|(_, t)| *t != target);
        self.fds.push((fd, target));
        self
    }

    /// Puts the child in process group `pgid`; 0 makes it the leader of a new group. Not
    /// together with [`Command::new_session`] (a session leader leads its own new group):
    /// spawning fails with `InvalidInput`.
    pub fn process_group(&mut self, pgid: i32) -> &mut Command {
        self.pgroup = Some(pgid);
        self
    }

    /// Makes the child the leader of a new session (`setsid(2)`), with no controlling terminal.
    pub fn new_session(&mut self, setsid: bool) -> &mut Command {
        self.setsid = setsid;
        self
    }

    /// Starts the child with an empty signal mask instead of the calling thread's.
    pub fn reset_signal_mask(&mut self, reset: bool) -> &mut Command {
        self.reset_signal_mask = reset;
        self
    }

    /// Resets every signal disposition to its default, ignored ones included. (Caught signals
    /// are always reset by exec, and `SIGPIPE`, which the Rust runtime ignores, is always
    /// restored to its default, as `std::process::Command` does.)
    pub fn reset_signal_dispositions(&mut self, reset: bool) -> &mut Command {
        self.reset_signal_dispositions = reset;
        self
    }

    /// Sets a resource limit in the child.
    pub fn rlimit(&mut self, resource: Resource, limit: Rlimit) -> &mut Command {
        self.rlimits.push((resource, limit));
        self
    }

    /// Runs the child as this user ID (real, effective and saved). Without [`Command::groups`]
    /// the supplementary groups are dropped, when the caller may do so.
    pub fn uid(&mut self, uid: u32) -> &mut Command {
        self.uid = Some(uid);
        self
    }

    /// Runs the child with this group ID (real, effective and saved).
    pub fn gid(&mut self, gid: u32) -> &mut Command {
        self.gid = Some(gid);
        self
    }

    /// Sets the child's supplementary groups.
    pub fn groups(&mut self, groups: &[u32]) -> &mut Command {
        self.groups = Some(groups.to_vec());
        self
    }

    /// Moves the child into the cgroup directory `dir` (v1 or v2) before it execs, so that
    /// everything the program does is counted there. On v2, `Clone3`, `Auto` and `ForkExec`
    /// create it there (`clone3(CLONE_INTO_CGROUP)`, Linux 5.7; `ForkExec` then forks through
    /// `clone3`); otherwise the child writes itself into `cgroup.procs` as its first act. A
    /// full `pids.max` in the target refuses a child born there (`EAGAIN` at process
    /// creation) but not one that moves in.
    ///
    /// Each call adds a directory, for cgroup v1, where every controller may sit on a
    /// hierarchy of its own: a child confined by `pids` and stoppable by `freezer` joins one
    /// group in each, in the order given. A process is in one v2 group only, so a second v2
    /// directory is refused (`InvalidInput`).
    pub fn cgroup(&mut self, dir: impl AsRef<Path>) -> &mut Command {
        self.cgroups.push(dir.as_ref().to_path_buf());
        self
    }

    /// The system interface used to create the child (default [`Strategy::Auto`]).
    pub fn strategy(&mut self, strategy: Strategy) -> &mut Command {
        self.strategy = strategy;
        self
    }

    /// The program as given.
    pub fn get_program(&self) -> &OsStr {
        OsStr::from_bytes(self.program.as_bytes())
    }

    /// The arguments after `argv[0]`.
    pub fn get_args(&self) -> impl Iterator<Item = &OsStr> {
        self.args
            .iter()
            .skip(1)
            .map(|a| OsStr::from_bytes(a.as_bytes()))
    }

    /// The environment edits: `(key, Some(value))` set, `(key, None)` removed.
    pub fn get_envs(&self) -> impl Iterator<Item = (&OsStr, Option<&OsStr>)> {
        self.env.edits()
    }

    /// Whether the child starts from an empty environment.
    pub fn get_env_clear(&self) -> bool {
        self.env.is_cleared()
    }

    /// Creates a pidfd together with the child ([`Child::pidfd`]), which names it for good
    /// even if something else reaps it (`SIGCHLD` set to `SIG_IGN`, a `waitpid(-1)`
    /// elsewhere). Atomic for every strategy that can do it, or the spawn fails with
    /// `Unsupported` — never a pidfd opened afterwards: `CLONE_PIDFD` with `Clone3`,
    /// `VforkExec`, `Auto` (Linux 5.2), and with `ForkExec` (which then forks with `clone3`,
    /// as std does); glibc's `pidfd_spawnp` with `PosixSpawn` (glibc 2.39). It costs a few
    /// microseconds, so it is off by default (`Clone3` always makes one).
    pub fn pidfd(&mut self, at_spawn: bool) -> &mut Command {
        self.pidfd = at_spawn;
        self
    }

    /// The requested strategy.
    pub fn get_strategy(&self) -> Strategy {
        self.strategy
    }

    /// Creates the child. Fails with the step that went wrong if the child could not exec;
    /// `?` turns that into the `io::Error` std would give.
    pub fn spawn(&mut self) -> Result<Child, SpawnError> {
        crate::spawn::spawn(self, StdioDefaults::SPAWN)
    }

    /// Runs the child to completion with inherited standard streams.
    pub fn status(&mut self) -> io::Result<WaitStatus> {
        self.spawn()?.wait()
    }

    /// Runs the child to completion, collecting its output (stdin is `/dev/null` and the
    /// output streams are captured unless set otherwise).
    pub fn output(&mut self) -> io::Result<Output> {
        crate::spawn::spawn(self, StdioDefaults::OUTPUT)?.wait_with_output()
    }

    /// Replaces the current process with the program (same pid, no new process), applying
    /// everything this command sets, hooks included. Returns only on failure. Then the signal
    /// dispositions and mask are as they were, but what the exec needed first has happened to
    /// this process: descriptors moved, directory, session and process group, rlimits, and
    /// credentials (changed for every thread, as glibc's `setuid(3)` does). The error converts
    /// into the `io::Error` std's `CommandExt::exec` would return.
    pub fn exec(&mut self) -> SpawnError {
        crate::spawn::exec(self)
    }

    pub(crate) fn program_bytes(&self) -> &[u8] {
        self.program.as_bytes()
    }

    pub(crate) fn arg_ptrs(&self) -> impl Iterator<Item = &CStr> {
        self.args.iter().map(CString::as_c_str)
    }
}

/// A [`Command::pre_exec`] hook.
pub(crate) type Hook = Box<dyn FnMut() -> io::Result<()> + Send + Sync>;

/// A shell line: `cd "dir" && env -u GONE FOO="1" [program] "arg0" "arg1"`.
impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            return self.debug_fields(f);
        }
        if let Some(dir) = &self.cwd {
            write!(f, "cd {dir:?} && ")?;
        }
        if self.env.is_cleared() {
            f.write_str("env -i ")?;
        } else if self.env.edits().any(|(_, value)| value.is_none()) {
            f.write_str("env ")?;
            for (key, _) in self.env.edits().filter(|(_, value)| value.is_none()) {
                write!(f, "-u {} ", key.to_string_lossy())?;
            }
        }
        for (key, value) in self.env.edits() {
            if let Some(value) = value {
                write!(f, "{}={value:?} ", key.to_string_lossy())?;
            }
        }
        if self.args.first() != Some(&self.program) {
            write!(f, "[{:?}] ", self.program)?;
        }
        let mut args = self.args.iter();
        if let Some(arg0) = args.next() {
            write!(f, "{arg0:?}")?;
        }
        args.try_for_each(|arg| write!(f, " {arg:?}"))
    }
}

impl Command {
    fn debug_fields(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Command")
            .field("program", &self.program)
            .field("args", &self.args)
            .field("search_path", &self.search_path)
            .field("env", &self.env)
            .field("cwd", &self.cwd)
            .field("stdin", &self.stdin)
            .field("stdout", &self.stdout)
            .field("stderr", &self.stderr)
            .field("fds", &self.fds)
            .field("pgroup", &self.pgroup)
            .field("setsid", &self.setsid)
            .field("reset_signal_mask", &self.reset_signal_mask)
            .field("reset_signal_dispositions", &self.reset_signal_dispositions)
            .field("rlimits", &self.rlimits)
            .field("uid", &self.uid)
            .field("gid", &self.gid)
            .field("groups", &self.groups)
            .field("cgroups", &self.cgroups)
            .field("strategy", &self.strategy)
            .field("pidfd", &self.pidfd)
            .field("pre_exec_hooks", &self.hooks.len())
            .finish_non_exhaustive()
    }
}

/// What an unset standard stream becomes.
#[derive(Clone, Copy)]
pub(crate) struct StdioDefaults {
    pub stdin_null: bool,
    pub capture: bool,
}

impl StdioDefaults {
    pub(crate) const SPAWN: StdioDefaults = StdioDefaults {
        stdin_null: false,
        capture: false,
    };
    pub(crate) const OUTPUT: StdioDefaults = StdioDefaults {
        stdin_null: true,
        capture: true,
    };
}

fn c_string(s: &OsStr, invalid: &mut Option<&'static str>) -> CString {
    CString::new(s.as_bytes()).unwrap_or_else(|_| {
        *invalid = Some("a string with a NUL byte");
        CString::from(c"<string-with-nul>")
    })
}
