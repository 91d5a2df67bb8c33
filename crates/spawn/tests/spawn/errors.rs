//! A failure between creation and exec comes back as an error naming the step.

use crate::strategies;
use crate::support::*;
use forklab_spawn::{Command, Resource, Rlimit, SpawnError, Step};
use std::io::ErrorKind;

/// Spawns and returns the error's step, errno and message.
fn failure(cmd: &mut Command, strategy: Strategy) -> (Step, Option<i32>, ErrorKind, String) {
    let err = cmd.strategy(strategy).spawn().expect_err("spawn must fail");
    let spawn = SpawnError::from_io(&err).unwrap_or_else(|| panic!("no SpawnError in {err:?}"));
    (
        spawn.step(),
        spawn.raw_os_error(),
        err.kind(),
        err.to_string(),
    )
}

/// glibc's posix_spawn reports the errno but not which of its steps failed.
fn step_or_posix(strategy: Strategy, step: Step) -> Step {
    if strategy == Strategy::PosixSpawn {
        Step::PosixSpawn
    } else {
        step
    }
}

strategies! {
    fn missing_program(strategy: Strategy) {
        let (step, errno, kind, msg) = failure(&mut Command::new("/nonexistent/prog"), strategy);
        assert_eq!(step, step_or_posix(strategy, Step::Exec));
        assert_eq!((errno, kind), (Some(libc::ENOENT), ErrorKind::NotFound));
        assert!(msg.starts_with("cannot run \"/nonexistent/prog\": "), "{msg}");
        assert!(msg.contains("No such file or directory"), "{msg}");
        // A PATH of directories anyone may search: one we may not enter would make it EACCES.
        let mut search = Command::new("no-such-program-anywhere");
        search.env("PATH", "/usr/bin:/bin");
        let (_, errno, ..) = failure(&mut search, strategy);
        assert_eq!(errno, Some(libc::ENOENT));
    }

    fn not_executable(strategy: Strategy) {
        let dir = temp_dir();
        let path = write_executable(dir.path(), "data", "#!/bin/sh\n", 0o644);
        let (step, errno, kind, _) = failure(&mut Command::new(&path), strategy);
        assert_eq!(step, step_or_posix(strategy, Step::Exec));
        assert_eq!((errno, kind), (Some(libc::EACCES), ErrorKind::PermissionDenied));
    }

    fn bad_working_directory(strategy: Strategy) {
        let (step, errno, _, msg) = failure(Command::new("/bin/true").current_dir("/no/such/dir"), strategy);
        assert_eq!(step, step_or_posix(strategy, Step::Chdir));
        assert_eq!(errno, Some(libc::ENOENT));
        if strategy != Strategy::PosixSpawn {
            assert!(msg.contains("chdir failed"), "{msg}");
        }
    }

    fn refused_credentials(strategy: Strategy) {
        if strategy == Strategy::PosixSpawn {
            return; // posix_spawn cannot change credentials at all: see resource_limits
        }
        // uid -1 is invalid for everyone (EINVAL); for a non-root caller any other uid is EPERM.
        let (step, errno, _, msg) = failure(Command::new("/bin/true").uid(u32::MAX), strategy);
        assert_eq!((step, errno), (Step::Setuid, Some(libc::EINVAL)), "{msg}");
        assert!(msg.contains("setuid failed"), "{msg}");
        let (step, ..) = failure(Command::new("/bin/true").gid(u32::MAX), strategy);
        assert_eq!(step, Step::Setgid);
        if !is_root() {
            let (step, errno, ..) = failure(Command::new("/bin/true").uid(0), strategy);
            assert_eq!((step, errno), (Step::Setuid, Some(libc::EPERM)));
        }
    }

    fn bad_limit_and_group(strategy: Strategy) {
        if strategy == Strategy::PosixSpawn {
            return;
        }
        let soft_above_hard = Rlimit { soft: Some(10), hard: Some(5) };
        let (step, errno, ..) = failure(Command::new("/bin/true").rlimit(Resource::Nofile, soft_above_hard), strategy);
        assert_eq!((step, errno), (Step::Rlimit, Some(libc::EINVAL)));
        // A process group in another session cannot be joined: EPERM from setpgid.
        let (step, errno, ..) = failure(Command::new("/bin/true").process_group(1), strategy);
        assert_eq!((step, errno), (Step::Setpgid, Some(libc::EPERM)));
    }

    fn over_nproc_after_setuid_fails_at_execve(strategy: Strategy) {
        if !is_root() || strategy == Strategy::PosixSpawn {
            eprintln!("skipped: needs root to setuid");
            return;
        }
        // The check in do_execveat_common: a user over RLIMIT_NPROC after setuid gets EAGAIN.
        // setuid counts the user's *other* processes, so keep one alive for the duration.
        let mut holder = Command::new("sleep").arg("30").uid(65534).gid(65534).spawn().unwrap();
        let mut cmd = Command::new("/bin/true");
        cmd.uid(65534).gid(65534).rlimit(Resource::Nproc, Rlimit::both(Some(0)));
        let result = failure(&mut cmd, strategy);
        holder.kill(forklab_spawn::Signal::KILL).unwrap();
        holder.wait().unwrap();
        assert_eq!((result.0, result.1), (Step::Exec, Some(libc::EAGAIN)));
    }

    fn nul_bytes_are_refused(strategy: Strategy) {
        let err = Command::new("/bin/echo").arg("a\0b").strategy(strategy).spawn().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(err.to_string().contains("NUL"), "{err}");
        let err = Command::new("/bin/echo").env("A=B", "x").strategy(strategy).spawn().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    }
}
