//! Everything a spawn needs, allocated and opened in the parent before the child exists: the
//! candidate paths, `argv`, a copy of the environment, the descriptor moves with their pipes
//! and `/dev/null`, the cgroup, rlimits. The child only reads it (see `sys::child::ChildPlan`).
//!
//! The descriptor moves are made safe to apply in any order: a descriptor that another move
//! would overwrite is first copied above every target number.

use crate::command::{Hook, StdioDefaults};
use crate::env::EnvBlock;
use crate::sys;
use crate::sys::child::{ChildPlan, FdMove, Report, SignalPlan};
use crate::{Command, Stdio};
use libc::c_char;
use std::ffi::{CStr, CString};
use std::fs::OpenOptions;
use std::io::{self, PipeReader, PipeWriter};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;

const SHELL: &CStr = c"/bin/sh";
const DEFAULT_PATH: &[u8] = b"/bin:/usr/bin";

/// The parent's ends of the child's pipes.
#[derive(Default)]
pub(crate) struct ParentEnds {
    pub stdin: Option<PipeWriter>,
    pub stdout: Option<PipeReader>,
    pub stderr: Option<PipeReader>,
}

/// Everything allocated and opened before the child exists.
pub(crate) struct Prepared<'c> {
    pub cmd: &'c Command,
    /// The strings `candidates` points into.
    candidate_storage: Vec<CString>,
    candidates: Vec<*const c_char>,
    pub search: bool,
    pub argv: Vec<*const c_char>,
    sh_argv: Vec<*const c_char>,
    env: EnvBlock,
    pub moves: Vec<FdMove>,
    /// Descriptors the child installs; closed by us once it has them.
    pub child_ends: Vec<OwnedFd>,
    pub parent_ends: ParentEnds,
    cgroups: Vec<sys::cgroup::Cgroup>,
    /// `cgroup.procs` of every group, and of the v1 groups only (when the kernel places the
    /// child in the v2 one at birth).
    procs_all: Vec<libc::c_int>,
    procs_v1: Vec<libc::c_int>,
    rlimits: Vec<(libc::c_int, libc::rlimit64)>,
    groups: Vec<libc::gid_t>,
    hooks: &'c mut [Hook],
}

impl<'c> Prepared<'c> {
    pub(crate) fn new(
        cmd: &'c Command,
        defaults: StdioDefaults,
        hooks: &'c mut [Hook],
    ) -> io::Result<Prepared<'c>> {
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
            env: cmd.env.capture(),
            moves: Vec::new(),
            child_ends: Vec::new(),
            parent_ends: ParentEnds::default(),
            cgroups: Vec::new(),
            procs_all: Vec::new(),
            procs_v1: Vec::new(),
            rlimits: cmd
                .rlimits
                .iter()
                .map(|(r, l)| (r.as_raw(), l.to_raw()))
                .collect(),
            groups: cmd.groups.clone().unwrap_or_default(),
            hooks,
        };
        if !search {
            p.candidates.push(cmd.program.as_ptr());
        }
        if cmd.search_path {
            // `[sh, <slot>, argv[1..], NULL]`: the terminator is added here, not taken from
            // `argv`, because an empty argv has no `argv[1..]` and its only entry is the NULL.
            p.sh_argv = [SHELL.as_ptr(), std::ptr::null()]
                .into_iter()
                .chain(p.argv.iter().skip(1).copied().take_while(|a| !a.is_null()))
                .chain([std::ptr::null()])
                .collect();
            debug_assert!(p.sh_argv.len() >= 3 && p.sh_argv.last() == Some(&std::ptr::null()));
        }
        p.stdio(0, cmd.stdin.as_ref(), defaults.stdin_null)?;
        p.stdio(1, cmd.stdout.as_ref(), defaults.capture)?;
        p.stdio(2, cmd.stderr.as_ref(), defaults.capture)?;
        let limit = sys::fd::open_files_limit();
        for (fd, target) in &cmd.fds {
            if p.moves.iter().any(|m| m.dst == *target) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "descriptor {target} is both one of the child's standard streams and an \
                         extra descriptor"
                    ),
                ));
            }
            if let Some(limit) = limit.filter(|&limit| i64::from(*target) >= limit) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "descriptor number {target} is not below the open-files limit ({limit})"
                    ),
                ));
            }
            p.moves.push(FdMove {
                src: fd.as_raw_fd(),
                dst: *target,
            });
        }
        p.separate_moves()?;
        for dir in &cmd.cgroups {
            let cgroup = sys::cgroup::Cgroup::open(dir)?;
            if cgroup.is_v2() && p.cgroups.iter().any(|c| c.is_v2()) {
                let why = "a process can be in one cgroup v2 group only, and two were given";
                return Err(io::Error::new(io::ErrorKind::InvalidInput, why));
            }
            p.procs_all.push(cgroup.procs());
            if !cgroup.is_v2() {
                p.procs_v1.push(cgroup.procs());
            }
            p.cgroups.push(cgroup);
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

    /// Copies every source descriptor that another move would overwrite to a number that no
    /// move targets.
    fn separate_moves(&mut self) -> io::Result<()> {
        for i in 0..self.moves.len() {
            let src = self.moves[i].src;
            let clash = self
                .moves
                .iter()
                .enumerate()
                .any(|(j, m)| j != i && m.dst == src);
            if clash {
                let copy = self.off_targets(src)?;
                self.moves[i].src = copy.as_raw_fd();
                self.child_ends.push(copy);
            }
        }
        Ok(())
    }

    /// A close-on-exec copy of `fd` on the lowest free number (from 3) that no move targets,
    /// so the child's `dup2` calls cannot overwrite it. Lowest, not "above every target": a
    /// target may be the highest number the open-files limit allows.
    fn off_targets(&self, fd: RawFd) -> io::Result<OwnedFd> {
        let mut held = Vec::new(); // keeps target numbers busy so the next copy skips them
        loop {
            let copy = sys::fd::dup_raw_above(fd, 3)?;
            if !self.moves.iter().any(|m| m.dst == copy.as_raw_fd()) {
                return Ok(copy);
            }
            held.push(copy);
        }
    }

    /// A descriptor the child uses after installing its own: moved off every target.
    pub(crate) fn away_from_targets(&self, fd: OwnedFd) -> io::Result<OwnedFd> {
        if !self.moves.iter().any(|m| m.dst == fd.as_raw_fd()) {
            return Ok(fd);
        }
        self.off_targets(fd.as_raw_fd())
    }

    /// The `envp` to hand over now (for `posix_spawn`, which runs no code of ours in the
    /// child): the copy, or the live `environ` as it is at this moment.
    pub(crate) fn envp_now(&self) -> *const *const c_char {
        match self.env.envp() {
            copied if !copied.is_null() => copied,
            _ => sys::environ::current(),
        }
    }

    /// The one path `posix_spawn` is given: the program as given, or the first `PATH`
    /// candidate this process may execute (`sys::fd::may_execute`), judged from the child's
    /// working directory, with `execvp(3)`'s rules for what ends the search. Searched here
    /// because glibc's `posix_spawnp` would read `PATH` from the live environment in its
    /// child, without std's lock, and a candidate per `posix_spawn` would cost a process each.
    pub(crate) fn resolved_program(&self) -> io::Result<&CStr> {
        if !self.search {
            return Ok(&self.cmd.program);
        }
        let (mut denied, mut last) = (false, libc::ENOENT);
        for candidate in &self.candidate_storage {
            let checked = match &self.cmd.cwd {
                Some(cwd) if !candidate.as_bytes().starts_with(b"/") => {
                    let mut joined = cwd.as_bytes().to_vec();
                    joined.push(b'/');
                    joined.extend_from_slice(candidate.as_bytes());
                    CString::new(joined).expect("two strings without NUL")
                }
                _ => candidate.clone(),
            };
            let errno = match sys::fd::may_execute(&checked) {
                Ok(()) => return Ok(candidate),
                Err(e) => e.raw_os_error().unwrap_or(libc::EACCES),
            };
            if !sys::child::search_goes_on(errno) {
                return Err(io::Error::from_raw_os_error(errno));
            }
            denied |= errno == libc::EACCES;
            last = errno;
        }
        Err(io::Error::from_raw_os_error(if denied {
            libc::EACCES
        } else {
            last
        }))
    }

    /// Whether the command has `pre_exec` hooks.
    pub(crate) fn has_hooks(&self) -> bool {
        !self.hooks.is_empty()
    }

    /// The cgroup v2 directory `clone3(CLONE_INTO_CGROUP)` can place the child in.
    pub(crate) fn cgroup_v2_dir(&self) -> Option<RawFd> {
        self.cgroups
            .iter()
            .find(|cgroup| cgroup.is_v2())
            .map(|cgroup| cgroup.dir())
    }

    /// The plan for the child. `placed`: the kernel puts the child in its cgroup at birth
    /// (`CLONE_INTO_CGROUP`), so the child does not write `cgroup.procs` itself.
    pub(crate) fn plan(
        &mut self,
        report: Report,
        signals: SignalPlan,
        placed: bool,
    ) -> ChildPlan<'_> {
        let cmd = self.cmd;
        let cgroup_procs = if placed {
            &self.procs_v1
        } else {
            &self.procs_all
        };
        ChildPlan {
            envp: self.env.envp(),
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
            cgroup_procs,
            setsid: cmd.setsid,
            pgroup: cmd.pgroup,
            rlimits: &self.rlimits,
            groups: cmd.groups.as_ref().map(|_| self.groups.as_slice()),
            gid: cmd.gid,
            uid: cmd.uid,
            signals,
            hooks: self.hooks.as_mut_ptr(),
            hooks_len: self.hooks.len(),
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

#[cfg(test)]
mod tests {
    use super::*;

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
