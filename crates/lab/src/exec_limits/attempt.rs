//! One real `execve(2)`: build the command, spawn it (the child applies the requested
//! `RLIMIT_STACK` to itself and then calls `execve` under it), and tell "the program ran"
//! from "execve refused with this errno". Everything else is an error.

use super::{Error, StackLimit};
use forklab_spawn::{Command, Resource, Rlimit, Stdio, Step, Strategy, WaitStatus};
use std::path::Path;

/// What one `execve` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Exec {
    /// execve returned no error; the process has been reaped and ended so. An exit status,
    /// zero or not, is the program's own: it ran. A signal may be the program's crash or the
    /// kernel's kill past execve's point of no return (from outside, the two look alike).
    Ran(WaitStatus),
    /// execve failed with this `errno`: the program never started.
    Refused(i32),
}

/// A command that runs `program` as given (no `PATH` search, no `/bin/sh` fallback) with an
/// empty environment, `/dev/null` for its standard streams (it is run with megabytes of
/// arguments: an `echo` would flood the report) and, if asked, a stack limit set in the
/// child before it execs.
pub(crate) fn command(program: &Path, stack: Option<StackLimit>) -> Command {
    let mut command = Command::new(program);
    command
        .search_path(false)
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .strategy(Strategy::VforkExec);
    if let Some(stack) = stack {
        command.rlimit(Resource::Stack, stack_rlimit(stack));
    }
    command
}

/// The soft limit asked for; the hard limit is kept unless it is lower (only root may raise
/// it).
fn stack_rlimit(stack: StackLimit) -> Rlimit {
    let hard = rustix::process::getrlimit(rustix::process::Resource::Stack).maximum;
    let soft = stack.as_option();
    let hard = match (soft, hard) {
        (_, None) | (None, _) => None,
        (Some(s), Some(h)) => Some(s.max(h)),
    };
    Rlimit { soft, hard }
}

/// How long one run of the program may take: it only has to start and exit.
pub(crate) const RUN_LIMIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Runs the command once; a program still running after [`RUN_LIMIT`] is killed and is an
/// error (the measurement needs one that exits on its own).
pub(crate) fn run(command: &mut Command) -> Result<Exec, Error> {
    run_within(command, RUN_LIMIT)
}

/// [`run`] with a given time limit. The program runs in a process group of its own, so what
/// it started dies with it: the group is signalled while its leader is still unreaped, so its
/// id cannot have been reused.
fn run_within(command: &mut Command, limit: std::time::Duration) -> Result<Exec, Error> {
    match command.spawn() {
        Ok(mut child) => {
            let fail = |e| spawn_error(command, e);
            match child.wait_timeout(limit).map_err(fail)? {
                Some(status) => Ok(Exec::Ran(status)),
                None => {
                    let group = rustix::process::Pid::from_raw(child.id().as_raw());
                    if let Some(group) = group {
                        let _ = rustix::process::kill_process_group(
                            group,
                            rustix::process::Signal::KILL,
                        );
                    }
                    child.kill(forklab_spawn::Signal::KILL).map_err(fail)?;
                    child.wait().map_err(fail)?;
                    Err(Error::Hung {
                        program: command.get_program().to_string_lossy().into_owned(),
                        secs: limit.as_secs_f64(),
                    })
                }
            }
        }
        Err(e) if e.step() == Step::Exec => Ok(Exec::Refused(e.raw_os_error().unwrap_or(0))),
        Err(e) if e.step() == Step::Rlimit => {
            let errno = e.raw_os_error().unwrap_or(0);
            Err(Error::Rlimit(std::io::Error::from_raw_os_error(errno)))
        }
        Err(e) => Err(spawn_error(command, std::io::Error::new(e.kind(), e))),
    }
}

fn spawn_error(command: &Command, error: std::io::Error) -> Error {
    Error::Spawn {
        program: command.get_program().to_string_lossy().into_owned(),
        error,
    }
}

/// Runs the command once and answers "accepted?": `Ran` yes, `refused_with` no, any other
/// refusal is an error naming `what` was being measured.
pub(crate) fn accepted(
    command: &mut Command,
    refused_with: i32,
    what: &'static str,
) -> Result<bool, Error> {
    match run(command)? {
        Exec::Ran(_) => Ok(true),
        Exec::Refused(errno) if errno == refused_with => Ok(false),
        Exec::Refused(errno) => Err(Error::Unexpected {
            program: command.get_program().to_string_lossy().into_owned(),
            what,
            error: std::io::Error::from_raw_os_error(errno),
        }),
    }
}

/// `program` itself if it names a path (has a `/`), else the first executable file of that
/// name in `PATH` (`/bin:/usr/bin` when unset): every measurement then execs one exact path.
pub(crate) fn resolve(program: &Path) -> Result<std::path::PathBuf, Error> {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::PermissionsExt;
    if program.as_os_str().as_bytes().contains(&b'/') {
        return Ok(program.to_path_buf());
    }
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/bin:/usr/bin".into());
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|file| {
            std::fs::metadata(file)
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
        .ok_or_else(|| Error::Spawn {
            program: program.display().to_string(),
            error: std::io::Error::new(std::io::ErrorKind::NotFound, "no such program in PATH"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn a_program_that_does_not_exit_is_killed_with_what_it_started() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("grandchild");
        // The script starts a grandchild that records its pid, then both sleep.
        let script = dir.path().join("hang");
        let text = format!(
            "#!/bin/sh\nsleep 30 & echo $! > {}\nwait\n",
            marker.display()
        );
        // Written by a child process, so no descriptor of ours is open for writing on it
        // when it is exec'd (ETXTBSY).
        let status = std::process::Command::new("/bin/sh")
            .args([
                "-c",
                "printf '%s' \"$1\" > \"$2\" && chmod 755 \"$2\"",
                "sh",
            ])
            .arg(&text)
            .arg(&script)
            .status()
            .unwrap();
        assert!(status.success());
        let mut command = command(&script, None);
        let started = Instant::now();
        let err = run_within(&mut command, Duration::from_millis(300)).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(10));
        assert_eq!(
            err.to_string(),
            format!(
                "{} was still running after 0.3 s and was killed: exec-limits needs a program \
                 that exits at once",
                script.display()
            )
        );
        let grandchild: i32 = std::fs::read_to_string(&marker)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        // The grandchild was in the killed group: gone, or a zombie awaiting init.
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let state = std::fs::read_to_string(format!("/proc/{grandchild}/stat"))
                .ok()
                .and_then(|s| s.rsplit(')').next().map(|r| r.trim().chars().next()));
            if matches!(state, None | Some(Some('Z'))) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the grandchild survived: {state:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
