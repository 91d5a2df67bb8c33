//! What people coming from `std::process::Command` rely on: `pre_exec` hooks, descriptors
//! handed over with `fd` closed once the child has them, a `Debug` that reads like a shell
//! line, and spawning from anywhere, even a thread-local destructor.
// `pre_exec` is an `unsafe fn` (as std's is): the tests that call it say why each call holds.
#![allow(unsafe_code)]

use crate::strategies;
use crate::support::*;
use forklab_spawn::{Command, Signal, Stdio, Step};
use std::io::{self, Read};
use std::os::fd::{AsFd, OwnedFd};
use std::time::Duration;

/// A hook runs only in a forked copy (a vfork-style child shares our memory).
fn runs_hooks(strategy: Strategy) -> bool {
    matches!(strategy, Strategy::Auto | Strategy::ForkExec)
}

fn refused_hook(strategy: Strategy) -> &'static str {
    if strategy == Strategy::PosixSpawn {
        "posix_spawn cannot run a pre_exec hook"
    } else {
        "cannot run a pre_exec hook: it would run on this process's memory"
    }
}

strategies! {
    fn pre_exec_runs_last_in_the_child(strategy: Strategy) {
        let (reader, writer) = io::pipe().unwrap();
        let writer = OwnedFd::from(writer);
        let mut cmd = Command::new("/bin/true");
        cmd.process_group(0);
        // SAFETY: the hook only makes system calls (getpid, getpgrp, write): no allocation,
        // no lock, no unwinding.
        unsafe {
            cmd.pre_exec(move || {
                let me = rustix::process::getpid();
                // It runs after the set-up: the child already leads its own group.
                let mark: &[u8] = if rustix::process::getpgrp() == me { b"after setpgid" } else { b"too early" };
                rustix::io::write(&writer, mark)?;
                Ok(())
            });
        }
        if !runs_hooks(strategy) {
            return assert_refused(&mut cmd, strategy, refused_hook(strategy));
        }
        let mut child = cmd.strategy(strategy).spawn().unwrap();
        assert_eq!(child.strategy(), Strategy::ForkExec, "a hook needs a forked copy");
        assert!(child.wait().unwrap().success());
        drop(cmd); // the hook, and the pipe's write end it holds
        assert_eq!(read_string(reader), "after setpgid");
    }

    fn a_failing_pre_exec_hook_fails_the_spawn(strategy: Strategy) {
        let mut cmd = Command::new("/bin/true");
        // SAFETY: the hook allocates nothing: an OS error is a plain number.
        unsafe { cmd.pre_exec(|| Err(io::Error::from_raw_os_error(libc::ENOTSUP))) };
        if !runs_hooks(strategy) {
            return assert_refused(&mut cmd, strategy, refused_hook(strategy));
        }
        let err = spawn_error(&mut cmd, strategy);
        assert_eq!((err.step(), err.raw_os_error()), (Step::PreExec, Some(libc::ENOTSUP)), "{err:#}");
        let mut other = Command::new("/bin/true");
        // SAFETY: as above; an error made from a kind allocates nothing either.
        unsafe { other.pre_exec(|| Err(io::Error::from(io::ErrorKind::Other))) };
        let err = spawn_error(&mut other, strategy);
        assert_eq!((err.step(), err.raw_os_error()), (Step::PreExec, Some(libc::EINVAL)), "no errno: EINVAL, as std");
    }

    fn a_panicking_pre_exec_hook_aborts_the_child_and_nothing_else(strategy: Strategy) {
        let mut cmd = Command::new("/bin/true");
        // The panic message goes to the child's stderr, and what the test harness captured to
        // its stdout: neither belongs in this test's output.
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
        // SAFETY: deliberately breaks the rules (a panic formats and allocates) to show that
        // even then nothing unwinds into the frames the child copied from this test.
        unsafe { cmd.pre_exec(|| panic!("a hook that panics")) };
        if !runs_hooks(strategy) {
            return assert_refused(&mut cmd, strategy, refused_hook(strategy));
        }
        let me = std::process::id();
        let spawned = cmd.strategy(strategy).spawn();
        // A child that unwound would come back here as a second copy of this test.
        assert_eq!(std::process::id(), me, "only the parent returns from spawn");
        let status = spawned.unwrap().wait().unwrap();
        assert_eq!(status.signal(), Some(Signal::ABRT), "{status}");
    }

    fn a_descriptor_handed_over_is_closed_once_the_child_has_it(strategy: Strategy) {
        let (reader, writer) = io::pipe().unwrap();
        // A number no other test's descriptors take (a second child must not find one there),
        // below the open-files limit; bash, since dash takes no descriptor above 9.
        let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile).current;
        let target = limit.map_or(905, |l| l.saturating_sub(19).min(905)) as i32;
        let script = format!("echo from-the-child >&{target}");
        let mut cmd = Command::new("/bin/bash");
        cmd.args(["-c", &script]).fd(writer, target).strategy(strategy);
        let mut child = cmd.spawn().unwrap();
        assert!(child.wait().unwrap().success());
        // `cmd` is still alive: had it kept the write end, this read would never end.
        assert_eq!(read_within(reader, Duration::from_secs(5)), "from-the-child\n");
        let status = cmd.stderr(Stdio::null()).status().unwrap();
        assert!(!status.success(), "a second child does not get a descriptor already given away");
    }

    fn spawning_from_a_thread_local_destructor_works(strategy: Strategy) {
        struct SpawnOnExit(Strategy, std::sync::mpsc::Sender<String>);
        impl Drop for SpawnOnExit {
            fn drop(&mut self) {
                let status = Command::new("/bin/true").strategy(self.0).status();
                let _ = self.1.send(format!("{status:?}"));
            }
        }
        thread_local! {
            static ON_EXIT: std::cell::RefCell<Option<SpawnOnExit>> = const { std::cell::RefCell::new(None) };
        }
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            // Registered first, destroyed last: after the spawn library's own thread-locals.
            ON_EXIT.with(|cell| *cell.borrow_mut() = Some(SpawnOnExit(strategy, tx)));
            assert!(Command::new("/bin/true").strategy(strategy).status().unwrap().success());
        })
        .join()
        .unwrap();
        assert_eq!(rx.recv().unwrap(), "Ok(Exited(0))");
    }
}

#[test]
fn debug_reads_like_a_shell_line() {
    let mut cmd = Command::new("ls");
    cmd.arg("-l").arg("my file");
    assert_eq!(format!("{cmd:?}"), r#""ls" "-l" "my file""#);
    cmd.env("LANG", "C").current_dir("/tmp");
    assert_eq!(
        format!("{cmd:?}"),
        r#"cd "/tmp" && LANG="C" "ls" "-l" "my file""#
    );
    let mut removed = Command::new("env");
    removed
        .env_remove("HOME")
        .env_remove("USER")
        .arg0("printenv");
    assert_eq!(
        format!("{removed:?}"),
        r#"env -u HOME -u USER ["env"] "printenv""#
    );
    let mut cleared = Command::new("/bin/sh");
    cleared.env_clear().env("A", "1");
    assert_eq!(format!("{cleared:?}"), r#"env -i A="1" "/bin/sh""#);
    let fields = format!("{cleared:#?}");
    assert!(
        fields.starts_with("Command {") && fields.contains("strategy: Auto"),
        "{fields}"
    );
}

fn read_string(mut pipe: io::PipeReader) -> String {
    let mut text = String::new();
    pipe.read_to_string(&mut text).unwrap();
    text
}

/// Reads to end-of-file, failing the test if it has not come within `limit`.
fn read_within(mut pipe: io::PipeReader, limit: Duration) -> String {
    let deadline = std::time::Instant::now() + limit;
    let mut text = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let timeout = rustix::time::Timespec {
            tv_sec: left.as_secs() as i64,
            tv_nsec: left.subsec_nanos() as i64,
        };
        let fd = pipe.as_fd();
        let mut fds = [rustix::event::PollFd::new(
            &fd,
            rustix::event::PollFlags::IN,
        )];
        assert_eq!(
            rustix::event::poll(&mut fds, Some(&timeout)).unwrap(),
            1,
            "no end-of-file within {limit:?}"
        );
        let mut buf = [0; 256];
        match pipe.read(&mut buf).unwrap() {
            0 => return String::from_utf8(text).unwrap(),
            n => text.extend_from_slice(&buf[..n]),
        }
    }
}
