//! Spawning: everything the child needs is allocated and opened in the parent first
//! ([`Prepared`]), then one strategy creates the child, then the child's failure report, if
//! any, becomes an error naming the failed step.
//!
//! The descriptor moves are made safe to apply in any order: a descriptor that would be
//! overwritten by an earlier `dup2` is first copied above every target number.

use crate::command::StdioDefaults;
use crate::error::{SpawnError, Step};
use crate::sys;
use crate::sys::child::{ChildPlan, Failure, FdMove, Report, SignalPlan};
use crate::{Child, Command, Stdio, Strategy};
use libc::c_char;
use std::ffi::{CStr, CString};
use std::fs::OpenOptions;
use std::io::{self, PipeReader, PipeWriter};
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::sync::atomic::{AtomicU8, Ordering};

/// Whether `clone3` with our flags works here: unknown, yes, no.
static CLONE3: AtomicU8 = AtomicU8::new(CLONE3_UNKNOWN);
const CLONE3_UNKNOWN: u8 = 0;
const CLONE3_WORKS: u8 = 1;
const CLONE3_MISSING: u8 = 2;

const SHELL: &CStr = c"/bin/sh";
const DEFAULT_PATH: &[u8] = b"/bin:/usr/bin";

pub(crate) fn spawn(cmd: &Command, defaults: StdioDefaults) -> io::Result<Child> {
    validate(cmd)?;
    let mut prepared = Prepared::new(cmd, defaults).map_err(|e| error(cmd, Step::Prepare, e))?;
    let (pid, pidfd, used) = match cmd.strategy {
        Strategy::ForkExec => (fork_exec(&mut prepared)?, None, Strategy::ForkExec),
        Strategy::PosixSpawn => (posix_spawn(&mut prepared)?, None, Strategy::PosixSpawn),
        Strategy::VforkExec => {
            let (pid, pidfd) = vm_spawn(&mut prepared, Strategy::VforkExec)?;
            (pid, pidfd, Strategy::VforkExec)
        }
        Strategy::Clone3 => {
            let (pid, pidfd) = vm_spawn(&mut prepared, Strategy::Clone3)?;
            (pid, pidfd, Strategy::Clone3)
        }
        Strategy::Auto => auto(&mut prepared)?,
    };
    // Our unreaped child's pid cannot be reused, so opening a pidfd afterwards is race-free.
    let pidfd = if cmd.pidfd {
        pidfd.or_else(|| sys::wait::pidfd_open(pid).ok())
    } else {
        None
    };
    let ends = prepared.parent_ends;
    Ok(Child::new(
        pid,
        pidfd,
        used,
        ends.stdin,
        ends.stdout,
        ends.stderr,
    ))
}

fn validate(cmd: &Command) -> io::Result<()> {
    let why = match cmd.invalid {
        Some(why) => why,
        None if cmd.env.is_invalid() => {
            "an environment variable with a NUL byte or `=` in its name"
        }
        None if cmd.strategy == Strategy::PosixSpawn => match posix_spawn_cannot(cmd) {
            Some(what) => {
                let msg = format!("posix_spawn cannot {what}; use another strategy");
                return Err(error(
                    cmd,
                    Step::PosixSpawn,
                    io::Error::new(io::ErrorKind::Unsupported, msg),
                ));
            }
            None => return Ok(()),
        },
        None => return Ok(()),
    };
    let msg = format!("invalid command: {why}");
    Err(error(
        cmd,
        Step::Prepare,
        io::Error::new(io::ErrorKind::InvalidInput, msg),
    ))
}

fn posix_spawn_cannot(cmd: &Command) -> Option<&'static str> {
    if !cmd.rlimits.is_empty() {
        Some("set resource limits")
    } else if cmd.uid.is_some() || cmd.gid.is_some() || cmd.groups.is_some() {
        Some("change user or group IDs")
    } else if cmd.cgroup.is_some() {
        Some("place the child in a cgroup")
    } else {
        None
    }
}

fn error(cmd: &Command, step: Step, source: io::Error) -> io::Error {
    SpawnError::new(step, cmd.program_bytes(), source).into_io()
}

fn failure_error(cmd: &Command, failure: Failure) -> io::Error {
    let step = Step::from_u32(failure.step).unwrap_or(Step::Exec);
    error(cmd, step, io::Error::from_raw_os_error(failure.errno))
}

/// Reaps a child that reported a failure (it has exited, or is about to, with 127).
fn reap(pid: libc::pid_t) {
    let _ = sys::wait::wait(pid, false);
}

fn auto(p: &mut Prepared<'_>) -> io::Result<(libc::pid_t, Option<OwnedFd>, Strategy)> {
    if CLONE3.load(Ordering::Relaxed) != CLONE3_MISSING {
        match vm_spawn(p, Strategy::Clone3) {
            Ok((pid, pidfd)) => {
                CLONE3.store(CLONE3_WORKS, Ordering::Relaxed);
                return Ok((pid, pidfd, Strategy::Clone3));
            }
            Err(e) if clone3_missing(&e) => CLONE3.store(CLONE3_MISSING, Ordering::Relaxed),
            Err(e) => return Err(e),
        }
    }
    let (pid, pidfd) = vm_spawn(p, Strategy::VforkExec)?;
    Ok((pid, pidfd, Strategy::VforkExec))
}

/// `clone3` itself (not the child) failed because the kernel, a seccomp filter or the
/// architecture lacks it or one of its flags.
fn clone3_missing(e: &io::Error) -> bool {
    let Some(spawn) = SpawnError::from_io(e) else {
        return false;
    };
    spawn.step() == Step::Create
        && (matches!(
            spawn.raw_os_error(),
            Some(libc::ENOSYS | libc::EINVAL | libc::EPERM)
        ) || e.kind() == io::ErrorKind::Unsupported)
}

/// `VforkExec` and `Clone3`: the child shares our memory until it execs and writes its failure
/// report straight into it. With `VforkExec` one of our signal handlers could run in the child,
/// on our memory, so every signal is blocked around the clone and the child resets handlers
/// before restoring the mask; `Clone3` has the kernel clear the handlers at birth instead.
fn vm_spawn(
    p: &mut Prepared<'_>,
    strategy: Strategy,
) -> io::Result<(libc::pid_t, Option<OwnedFd>)> {
    let cmd = p.cmd;
    let legacy = strategy == Strategy::VforkExec;
    let blocked = if legacy {
        let blocked = sys::signal::BlockedSignals::block_all();
        Some(blocked.map_err(|e| error(cmd, Step::Prepare, e))?)
    } else {
        None
    };
    let mask = match (&blocked, cmd.reset_signal_mask) {
        (_, true) => Some(sys::signal::empty_set()),
        (Some(blocked), false) => Some(blocked.old_mask()),
        (None, false) => None,
    };
    let signals = SignalPlan {
        reset_all: cmd.reset_signal_dispositions,
        reset_handlers: legacy,
        sigpipe_default: true,
        mask,
    };
    let report = sys::child::SharedReport::new();
    let plan = p.plan(Report::Shared(report.as_ptr()), signals);
    let created = sys::stack::with_stack(|stack| match strategy {
        Strategy::Clone3 => sys::clone3::clone3_vfork(&plan, stack, cmd.pidfd),
        _ => sys::clone::clone_vfork(&plan, stack, cmd.pidfd),
    });
    drop(blocked);
    let (pid, pidfd) = created.map_err(|e| error(cmd, Step::Create, e))?;
    match report.get() {
        Some(failure) => {
            reap(pid);
            Err(failure_error(cmd, failure))
        }
        None => Ok((pid, pidfd)),
    }
}

/// `ForkExec`: the child reports a failure through a close-on-exec pipe; end-of-file on our
/// side means its exec succeeded.
fn fork_exec(p: &mut Prepared<'_>) -> io::Result<libc::pid_t> {
    let cmd = p.cmd;
    let (reader, writer) = io::pipe().map_err(|e| error(cmd, Step::Prepare, e))?;
    let writer = p
        .above_targets(writer.into())
        .map_err(|e| error(cmd, Step::Prepare, e))?;
    let signals = SignalPlan {
        reset_all: cmd.reset_signal_dispositions,
        reset_handlers: false,
        sigpipe_default: true,
        mask: cmd.reset_signal_mask.then(sys::signal::empty_set),
    };
    let plan = p.plan(Report::Pipe(writer.as_raw_fd()), signals);
    let pid = sys::fork::fork_exec(&plan).map_err(|e| error(cmd, Step::Create, e))?;
    drop(writer);
    p.child_ends.clear();
    match sys::fd::read_failure(reader.as_fd()) {
        Ok(None) => Ok(pid),
        Ok(Some(failure)) => {
            reap(pid);
            Err(failure_error(cmd, failure))
        }
        Err(e) => {
            let _ = sys::wait::kill(pid, libc::SIGKILL);
            reap(pid);
            Err(error(cmd, Step::Prepare, e))
        }
    }
}

fn posix_spawn(p: &mut Prepared<'_>) -> io::Result<libc::pid_t> {
    let cmd = p.cmd;
    let (path, search) = posix_spawn_path(p);
    let sigdefault = if cmd.reset_signal_dispositions {
        sys::signal::full_set()
    } else {
        sys::signal::set_of(libc::SIGPIPE)
    };
    let req = sys::posix_spawn::SpawnRequest {
        path: path.as_ptr(),
        search,
        argv: p.argv.as_ptr(),
        envp: p.envp(),
        fds: &p.moves,
        cwd: cmd.cwd.as_deref().map_or(std::ptr::null(), CStr::as_ptr),
        setsid: cmd.setsid,
        pgroup: cmd.pgroup,
        sigdefault,
        mask: cmd.reset_signal_mask.then(sys::signal::empty_set),
    };
    sys::posix_spawn::spawn(&req).map_err(|e| error(cmd, Step::PosixSpawn, e))
}

/// glibc searches the caller's `PATH`; when the command sets another, search it ourselves.
fn posix_spawn_path(p: &Prepared<'_>) -> (CString, bool) {
    if !p.search {
        return (p.cmd.program.clone(), false);
    }
    if !p.cmd.env.path_overridden() {
        return (p.cmd.program.clone(), true);
    }
    let found = p.candidate_storage.iter().find(|c| is_executable_file(c));
    (found.unwrap_or(&p.cmd.program).clone(), false)
}

fn is_executable_file(path: &CStr) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let path = std::path::Path::new(std::ffi::OsStr::from_bytes(path.to_bytes()));
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The parent's ends of the child's pipes.
#[derive(Default)]
struct ParentEnds {
    stdin: Option<PipeWriter>,
    stdout: Option<PipeReader>,
    stderr: Option<PipeReader>,
}

/// Everything allocated and opened before the child exists.
struct Prepared<'c> {
    cmd: &'c Command,
    candidate_storage: Vec<CString>,
    candidates: Vec<*const c_char>,
    search: bool,
    argv: Vec<*const c_char>,
    sh_argv: Vec<*const c_char>,
    env_storage: Vec<CString>,
    envp: Vec<*const c_char>,
    moves: Vec<FdMove>,
    /// Descriptors the child installs; closed by us once it has them.
    child_ends: Vec<OwnedFd>,
    parent_ends: ParentEnds,
    cgroup_procs: Option<OwnedFd>,
    rlimits: Vec<(libc::c_int, libc::rlimit64)>,
    groups: Vec<libc::gid_t>,
    /// Every descriptor the child must keep open is numbered at most this.
    highest_target: RawFd,
}

impl<'c> Prepared<'c> {
    fn new(cmd: &'c Command, defaults: StdioDefaults) -> io::Result<Prepared<'c>> {
        let (candidate_storage, search) = candidates(cmd);
        let mut p = Prepared {
            cmd,
            candidates: candidate_storage.iter().map(|c| c.as_ptr()).collect(),
            candidate_storage,
            search,
            argv: cmd
                .arg_ptrs()
                .map(CStr::as_ptr)
                .chain([std::ptr::null()])
                .collect(),
            sh_argv: Vec::new(),
            env_storage: Vec::new(),
            envp: Vec::new(),
            moves: Vec::new(),
            child_ends: Vec::new(),
            parent_ends: ParentEnds::default(),
            cgroup_procs: None,
            rlimits: cmd
                .rlimits
                .iter()
                .map(|(r, l)| (r.as_raw(), l.to_raw()))
                .collect(),
            groups: cmd.groups.clone().unwrap_or_default(),
            highest_target: 2,
        };
        if !search {
            p.candidates.push(cmd.program.as_ptr());
        }
        if cmd.search_path {
            p.sh_argv = [SHELL.as_ptr(), std::ptr::null()]
                .into_iter()
                .chain(p.argv.iter().skip(1).copied())
                .collect();
        }
        if !cmd.env.is_unchanged() {
            p.env_storage = cmd.env.capture();
            p.envp = p
                .env_storage
                .iter()
                .map(|c| c.as_ptr())
                .chain([std::ptr::null()])
                .collect();
        }
        p.stdio(0, cmd.stdin.as_ref(), defaults.stdin_null)?;
        p.stdio(1, cmd.stdout.as_ref(), defaults.capture)?;
        p.stdio(2, cmd.stderr.as_ref(), defaults.capture)?;
        for (fd, target) in &cmd.fds {
            p.moves.push(FdMove {
                src: fd.as_raw_fd(),
                dst: *target,
            });
        }
        p.separate_moves()?;
        if let Some(dir) = &cmd.cgroup {
            let file = OpenOptions::new()
                .write(true)
                .open(dir.join("cgroup.procs"))?;
            p.cgroup_procs = Some(file.into());
        }
        Ok(p)
    }

    /// Sets up one standard stream; `default_other` means "null" for stdin and "piped" for
    /// the output streams when the command left it unset.
    fn stdio(
        &mut self,
        target: RawFd,
        stdio: Option<&Stdio>,
        default_other: bool,
    ) -> io::Result<()> {
        let src = match stdio {
            Some(Stdio::Inherit) => return Ok(()),
            None if !default_other => return Ok(()),
            Some(Stdio::Fd(fd)) => fd.as_raw_fd(),
            Some(Stdio::Null) => self.null()?,
            None if target == 0 => self.null()?,
            Some(Stdio::Piped) | None => self.pipe(target)?,
        };
        self.moves.push(FdMove { src, dst: target });
        Ok(())
    }

    fn null(&mut self) -> io::Result<RawFd> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/null")?;
        let fd = OwnedFd::from(file);
        let raw = fd.as_raw_fd();
        self.child_ends.push(fd);
        Ok(raw)
    }

    fn pipe(&mut self, target: RawFd) -> io::Result<RawFd> {
        let (reader, writer) = io::pipe()?;
        let child_end: OwnedFd = if target == 0 {
            self.parent_ends.stdin = Some(writer);
            reader.into()
        } else {
            if target == 1 {
                self.parent_ends.stdout = Some(reader);
            } else {
                self.parent_ends.stderr = Some(reader);
            }
            writer.into()
        };
        let raw = child_end.as_raw_fd();
        self.child_ends.push(child_end);
        Ok(raw)
    }

    /// Copies every source descriptor that another move would overwrite above all targets.
    fn separate_moves(&mut self) -> io::Result<()> {
        let targets: Vec<RawFd> = self.moves.iter().map(|m| m.dst).collect();
        self.highest_target = targets.iter().copied().max().unwrap_or(2).max(2);
        for i in 0..self.moves.len() {
            let src = self.moves[i].src;
            let clash = targets.iter().enumerate().any(|(j, &t)| j != i && t == src);
            if clash {
                let copy = sys::fd::dup_raw_above(src, self.highest_target + 1)?;
                self.moves[i].src = copy.as_raw_fd();
                self.child_ends.push(copy);
            }
        }
        Ok(())
    }

    /// A descriptor the child uses after installing its own: moved above every target.
    fn above_targets(&self, fd: OwnedFd) -> io::Result<OwnedFd> {
        if fd.as_raw_fd() > self.highest_target {
            return Ok(fd);
        }
        sys::fd::dup_raw_above(fd.as_raw_fd(), self.highest_target + 1)
    }

    fn envp(&self) -> *const *const c_char {
        if self.envp.is_empty() {
            sys::exec::environ_ptr()
        } else {
            self.envp.as_ptr()
        }
    }

    fn plan(&mut self, report: Report, signals: SignalPlan) -> ChildPlan<'_> {
        let cmd = self.cmd;
        ChildPlan {
            envp: self.envp(),
            candidates: &self.candidates,
            search: self.search,
            sh_argv: if self.sh_argv.is_empty() {
                std::ptr::null_mut()
            } else {
                self.sh_argv.as_mut_ptr()
            },
            argv: self.argv.as_ptr(),
            cwd: cmd.cwd.as_deref().map_or(std::ptr::null(), CStr::as_ptr),
            fds: &self.moves,
            cgroup_procs: self.cgroup_procs.as_ref().map_or(-1, AsRawFd::as_raw_fd),
            setsid: cmd.setsid,
            pgroup: cmd.pgroup,
            rlimits: &self.rlimits,
            groups: cmd.groups.as_ref().map(|_| self.groups.as_slice()),
            gid: cmd.gid,
            uid: cmd.uid,
            signals,
            report,
        }
    }
}

/// The paths to try: the program itself, or each `PATH` directory joined with its name.
fn candidates(cmd: &Command) -> (Vec<CString>, bool) {
    let program = cmd.program_bytes();
    if !cmd.search_path || program.contains(&b'/') {
        return (Vec::new(), false);
    }
    if program.is_empty() {
        return (Vec::new(), true);
    }
    let path = match &cmd.search_path_in {
        Some(path) => path.clone(),
        None => cmd.env.search_path(),
    };
    let path = path.as_ref().map_or(DEFAULT_PATH, |p| p.as_bytes());
    let joined = path.split(|&b| b == b':').filter_map(|dir| {
        let dir: &[u8] = if dir.is_empty() { b"." } else { dir };
        let mut full = Vec::with_capacity(dir.len() + 1 + program.len());
        full.extend_from_slice(dir);
        full.push(b'/');
        full.extend_from_slice(program);
        CString::new(full).ok()
    });
    (joined.collect(), true)
}

/// Applies `cmd` to the current process and execs; returns only the error.
pub(crate) fn exec(cmd: &Command) -> io::Error {
    if let Err(e) = validate(cmd) {
        return e;
    }
    let mut p = match Prepared::new(cmd, StdioDefaults::SPAWN) {
        Ok(p) => p,
        Err(e) => return error(cmd, Step::Prepare, e),
    };
    let signals = SignalPlan {
        reset_all: cmd.reset_signal_dispositions,
        reset_handlers: false,
        sigpipe_default: true,
        mask: cmd.reset_signal_mask.then(sys::signal::empty_set),
    };
    let plan = p.plan(Report::Caller, signals);
    let failure = sys::exec::exec_in_place(&plan);
    failure_error(cmd, failure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_falls_back_when_clone3_is_missing() {
        let before = CLONE3.swap(CLONE3_MISSING, Ordering::Relaxed);
        let mut child = Command::new("/bin/true").spawn().unwrap();
        CLONE3.store(before, Ordering::Relaxed);
        assert_eq!(child.strategy(), Strategy::VforkExec);
        assert!(child.wait().unwrap().success());
    }

    #[test]
    fn a_missing_clone3_is_told_from_a_failed_child() {
        let missing = error(
            &Command::new("x"),
            Step::Create,
            io::Error::from_raw_os_error(libc::ENOSYS),
        );
        assert!(clone3_missing(&missing));
        let child_failed = error(
            &Command::new("x"),
            Step::Exec,
            io::Error::from_raw_os_error(libc::EINVAL),
        );
        assert!(!clone3_missing(&child_failed));
    }

    #[test]
    fn path_candidates_follow_execvp() {
        let mut cmd = Command::new("tool");
        cmd.env("PATH", "/a::/b/");
        assert!(candidates(&cmd).1, "a bare name is searched");
        assert_eq!(candidates_of(&cmd), ["/a/tool", "./tool", "/b//tool"]);
        let (found, search) = candidates(&Command::new("./tool"));
        assert!(
            found.is_empty() && !search,
            "a name with a slash is used as is"
        );
        let mut cleared = Command::new("tool");
        cleared.env_clear();
        assert_eq!(
            candidates_of(&cleared),
            ["/bin/tool", "/usr/bin/tool"],
            "no PATH: the default"
        );
    }

    fn candidates_of(cmd: &Command) -> Vec<String> {
        candidates(cmd)
            .0
            .iter()
            .map(|c| c.to_str().unwrap().to_string())
            .collect()
    }
}
