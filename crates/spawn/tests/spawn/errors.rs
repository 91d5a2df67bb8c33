//! A failure between creation and exec comes back as an error naming the step.

use crate::strategies;
use crate::support::*;
use forklab_spawn::{Command, Resource, Rlimit, Step};
use std::error::Error;
use std::io::{self, ErrorKind};

/// Spawns and returns the error's step, errno, kind and whole message.
fn failure(cmd: &mut Command, strategy: Strategy) -> (Step, Option<i32>, ErrorKind, String) {
    let err = spawn_error(cmd, strategy);
    (
        err.step(),
        err.raw_os_error(),
        err.kind(),
        format!("{err:#}"),
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

    fn missing_program_is_the_errno_std_gives(strategy: Strategy) {
        let std_error = std::process::Command::new("/nonexistent/prog").spawn().unwrap_err();
        let err = spawn_error(&mut Command::new("/nonexistent/prog"), strategy);
        let cause = err.source().and_then(|s| s.downcast_ref::<io::Error>()).expect("source");
        assert_eq!(cause.raw_os_error(), Some(libc::ENOENT), "source() is the OS error");
        assert_eq!(err.to_string(), format!("cannot run \"/nonexistent/prog\": {} failed", err.step()));
        let converted: io::Error = err.into();
        assert_eq!(converted.raw_os_error(), std_error.raw_os_error());
        assert_eq!(converted.raw_os_error(), Some(libc::ENOENT));
        assert_eq!(converted.kind(), std_error.kind());
        let output = Command::new("/nonexistent/prog").strategy(strategy).output().unwrap_err();
        assert_eq!(output.raw_os_error(), Some(libc::ENOENT), "output() gives std's error");
        let status = Command::new("/nonexistent/prog").strategy(strategy).status().unwrap_err();
        assert_eq!(status.raw_os_error(), Some(libc::ENOENT), "status() gives std's error");
    }

    fn an_error_without_errno_keeps_its_step_through_io_error(strategy: Strategy) {
        let err = spawn_error(Command::new("/bin/echo").arg("a\0b"), strategy);
        let converted: io::Error = err.into();
        assert_eq!(converted.kind(), ErrorKind::InvalidInput);
        let spawn = forklab_spawn::SpawnError::from_io(&converted).expect("carried along");
        assert_eq!(spawn.step(), Step::Prepare);
    }

    fn refused_credentials(strategy: Strategy) {
        if strategy == Strategy::PosixSpawn {
            assert_refused(Command::new("/bin/true").uid(u32::MAX), strategy, "posix_spawn cannot change user or group IDs");
            return;
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
        // A process group in another session cannot be joined: EPERM from setpgid.
        let (step, errno, ..) = failure(Command::new("/bin/true").process_group(1), strategy);
        assert_eq!((step, errno), (step_or_posix(strategy, Step::Setpgid), Some(libc::EPERM)));
        let soft_above_hard = Rlimit { soft: Some(10), hard: Some(5) };
        let mut cmd = Command::new("/bin/true");
        cmd.rlimit(Resource::Nofile, soft_above_hard);
        if strategy == Strategy::PosixSpawn {
            return assert_refused(&mut cmd, strategy, "posix_spawn cannot set resource limits");
        }
        let (step, errno, ..) = failure(&mut cmd, strategy);
        assert_eq!((step, errno), (Step::Rlimit, Some(libc::EINVAL)));
    }

    fn a_new_session_cannot_also_join_a_group(strategy: Strategy) {
        for pgid in [0, 1] {
            let mut cmd = Command::new("/bin/true");
            cmd.new_session(true).process_group(pgid);
            let (step, errno, kind, msg) = failure(&mut cmd, strategy);
            assert_eq!((step, errno, kind), (Step::Prepare, None, ErrorKind::InvalidInput), "{msg}");
            assert!(msg.contains("process_group together with new_session"), "{msg}");
        }
    }

    fn over_nproc_after_setuid_fails_at_execve_as_root(strategy: Strategy) {
        if strategy == Strategy::PosixSpawn {
            let mut cmd = Command::new("/bin/true");
            cmd.rlimit(Resource::Nproc, Rlimit::both(Some(0)));
            return assert_refused(&mut cmd, strategy, "posix_spawn cannot set resource limits");
        }
        if !is_root() {
            return skip("needs root to setuid");
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
        assert!(format!("{err:#}").contains("NUL"), "{err:#}");
        let err = Command::new("/bin/echo").env("A=B", "x").strategy(strategy).spawn().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    }
}
