//! Waiting, killing, pidfds, the strategy that ran, and signal state across the spawn.

use crate::strategies;
use crate::support::*;
use forklab_spawn::{Command, Signal, Stdio, WaitStatus};
use std::time::Duration;

strategies! {
    fn exit_codes_and_try_wait(strategy: Strategy) {
        let mut child = Command::new("/bin/sh").args(["-c", "read x; exit 7"])
            .stdin(Stdio::piped()).strategy(strategy).spawn().unwrap();
        assert_eq!(child.try_wait().unwrap(), None, "still blocked on stdin");
        assert_eq!(child.wait().unwrap(), WaitStatus::Exited(7), "wait closes stdin first");
        assert_eq!(child.wait().unwrap(), WaitStatus::Exited(7), "the status is cached");
        assert_eq!(child.try_wait().unwrap(), Some(WaitStatus::Exited(7)));
    }

    fn kill_then_wait(strategy: Strategy) {
        let mut child = Command::new("sleep").arg("30").strategy(strategy).spawn().unwrap();
        child.kill(Signal::TERM).unwrap();
        let status = child.wait().unwrap();
        assert_eq!(status.signal(), Some(Signal::TERM));
        assert_eq!(status.to_string(), "signal 15 (SIGTERM)");
    }

    fn kill_after_reaping_never_reaches_the_next_owner_of_the_pid_as_root(strategy: Strategy) {
        if !is_root() {
            return skip("choosing the next pid (kernel.ns_last_pid) needs root");
        }
        let mut reaped = Command::new("/bin/true").strategy(strategy).spawn().unwrap();
        let pid = reaped.id().as_raw();
        assert!(reaped.wait().unwrap().success());
        // Hand the pid to a new process: the next pid the kernel gives out is last + 1 (other
        // processes may take it first, so try a few times). Setting it affects only which
        // free pid the machine's next fork gets.
        for _ in 0..50 {
            std::fs::write("/proc/sys/kernel/ns_last_pid", (pid - 1).to_string()).unwrap();
            let mut stranger = Command::new("sleep").arg("30").pidfd(true).spawn().unwrap();
            if stranger.id().as_raw() == pid {
                reaped.kill(Signal::KILL).unwrap();
                std::thread::sleep(Duration::from_millis(100));
                let alive = stranger.try_wait().unwrap().is_none();
                stranger.kill(Signal::KILL).unwrap();
                stranger.wait().unwrap();
                assert!(alive, "the kill reached the process that now has the pid");
                return;
            }
            stranger.kill(Signal::KILL).unwrap();
            stranger.wait().unwrap();
        }
        skip("other processes kept taking the pid");
    }

    fn wait_with_a_time_limit(strategy: Strategy) {
        let mut sleeper = Command::new("sleep").arg("30").strategy(strategy).spawn().unwrap();
        let started = std::time::Instant::now();
        assert_eq!(sleeper.wait_timeout(Duration::from_millis(100)).unwrap(), None);
        assert!(started.elapsed() >= Duration::from_millis(100), "it did wait");
        sleeper.kill(Signal::KILL).unwrap();
        let status = sleeper.wait_timeout(Duration::from_secs(10)).unwrap();
        assert_eq!(status.and_then(|s| s.signal()), Some(Signal::KILL));
        let mut quick = Command::new("/bin/true").strategy(strategy).spawn().unwrap();
        assert_eq!(quick.wait_timeout(Duration::from_secs(10)).unwrap(), Some(WaitStatus::Exited(0)));
        let mut forever = Command::new("/bin/sh").args(["-c", "sleep 0.1"]).strategy(strategy).spawn().unwrap();
        assert_eq!(forever.wait_timeout(Duration::MAX).unwrap(), Some(WaitStatus::Exited(0)), "no overflow");
    }

    fn no_pidfd_unless_asked_for(strategy: Strategy) {
        let mut child = Command::new("/bin/true").strategy(strategy).spawn().unwrap();
        if strategy == Strategy::Auto {
            assert!(matches!(child.strategy(), Strategy::Clone3 | Strategy::VforkExec));
        } else {
            assert_eq!(child.strategy(), strategy);
        }
        if strategy == Strategy::Clone3 {
            assert!(child.pidfd().is_ok(), "clone3 always makes a pidfd at birth");
        } else {
            let err = child.pidfd().unwrap_err();
            assert!(err.to_string().contains("Command::pidfd(true)"), "{err}");
        }
        assert!(child.wait().unwrap().success());
    }

    fn a_pidfd_asked_for_names_the_child_for_good(strategy: Strategy) {
        let spawned = Command::new("sleep").arg("30").pidfd(true).strategy(strategy).spawn();
        let child = match spawned {
            Err(err) if strategy == Strategy::PosixSpawn => {
                assert_eq!(err.kind(), std::io::ErrorKind::Unsupported, "{err:#}");
                assert!(format!("{err:#}").contains("pidfd_spawn needs glibc 2.39"), "{err:#}");
                return;
            }
            other => other.unwrap(),
        };
        let pidfd = child.pidfd().expect("asked for at spawn");
        let mut fds = [rustix::event::PollFd::new(pidfd, rustix::event::PollFlags::IN)];
        let now = rustix::time::Timespec { tv_sec: 0, tv_nsec: 0 };
        assert_eq!(rustix::event::poll(&mut fds, Some(&now)).unwrap(), 0, "alive: not readable");
        assert_eq!(pidfd_pid(pidfd), Some(child.id().as_raw()), "the pidfd names the child");
        assert_eq!(pidfd.try_wait().unwrap(), None);
        let pidfd = child.into_pidfd().expect("it has one");
        pidfd.kill().unwrap();
        assert_eq!(pidfd.wait().unwrap().signal(), Some(Signal::KILL));
        let err = pidfd.send_signal(Signal::TERM).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ESRCH), "reaped: the pidfd reaches no one");
    }

    fn into_pidfd_without_one_gives_the_child_back(strategy: Strategy) {
        let child = Command::new("/bin/true").strategy(strategy).spawn().unwrap();
        match child.into_pidfd() {
            Ok(pidfd) => {
                assert_eq!(strategy, Strategy::Clone3, "only clone3 makes one unasked");
                assert!(pidfd.wait().unwrap().success());
            }
            Err(mut child) => assert!(child.wait().unwrap().success()),
        }
    }

    fn a_dead_but_unreaped_child_can_still_be_killed(strategy: Strategy) {
        let mut child = Command::new("/bin/true").strategy(strategy).spawn().unwrap();
        // Wait until it is a zombie, without reaping it.
        let pid = rustix::process::Pid::from_raw(child.id().as_raw()).unwrap();
        let options = rustix::process::WaitIdOptions::EXITED | rustix::process::WaitIdOptions::NOWAIT;
        rustix::process::waitid(rustix::process::WaitId::Pid(pid), options).unwrap();
        child.kill(Signal::KILL).unwrap();
        assert_eq!(child.wait().unwrap(), WaitStatus::Exited(0), "it had ended on its own");
    }

    fn sigpipe_is_default_in_the_child(strategy: Strategy) {
        // The Rust runtime ignores SIGPIPE in this process; children must not inherit that.
        let ignored = status_field("SigIgn", strategy, |_| {});
        let mask = u64::from_str_radix(&ignored, 16).unwrap();
        assert_eq!(mask & (1 << (13 - 1)), 0, "SIGPIPE ignored in the child: {ignored}");
    }
}

/// The pid a pidfd names, from `/proc/self/fdinfo` (`-1` once the process is reaped).
fn pidfd_pid(pidfd: &forklab_spawn::PidFd) -> Option<i32> {
    use std::os::fd::AsRawFd;
    let info = std::fs::read_to_string(format!("/proc/self/fdinfo/{}", pidfd.as_raw_fd())).ok()?;
    info.lines()
        .find_map(|l| l.strip_prefix("Pid:"))
        .and_then(|p| p.trim().parse().ok())
}
