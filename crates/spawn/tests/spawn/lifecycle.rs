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
        // Reaped: its pid may be someone else's now, so kill must not send anything.
        child.kill(Signal::KILL).unwrap();
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
    }

    fn pidfd_and_strategy(strategy: Strategy) {
        let mut child = Command::new("/bin/true").strategy(strategy).spawn().unwrap();
        if strategy == Strategy::Auto {
            assert!(matches!(child.strategy(), Strategy::Clone3 | Strategy::VforkExec));
        } else {
            assert_eq!(child.strategy(), strategy);
        }
        let pidfd = child.pidfd().expect("Linux >= 5.3 gives pidfds");
        let mut fds = [rustix::event::PollFd::new(&pidfd, rustix::event::PollFlags::IN)];
        let timeout = rustix::time::Timespec { tv_sec: 5, tv_nsec: 0 };
        let ready = rustix::event::poll(&mut fds, Some(&timeout)).unwrap();
        assert_eq!(ready, 1, "a pidfd becomes readable when the child exits");
        assert!(child.wait().unwrap().success());
    }

    fn pidfd_at_spawn_or_never_after_reaping(strategy: Strategy) {
        let mut child = Command::new("sleep").arg("30").pidfd(true).strategy(strategy).spawn().unwrap();
        let pidfd = child.pidfd().expect("asked for at spawn");
        let mut fds = [rustix::event::PollFd::new(&pidfd, rustix::event::PollFlags::IN)];
        let now = rustix::time::Timespec { tv_sec: 0, tv_nsec: 0 };
        assert_eq!(rustix::event::poll(&mut fds, Some(&now)).unwrap(), 0, "alive: not readable");
        child.kill(Signal::KILL).unwrap();
        assert_eq!(child.wait().unwrap().signal(), Some(Signal::KILL));
        let mut reaped = Command::new("/bin/true").strategy(strategy).spawn().unwrap();
        reaped.wait().unwrap();
        if strategy == Strategy::Clone3 {
            assert!(reaped.pidfd().is_some(), "clone3 always makes a pidfd at birth");
        } else {
            assert!(reaped.pidfd().is_none(), "no pidfd is opened for a reaped child");
        }
    }

    fn a_dead_but_unreaped_child_can_still_be_killed(strategy: Strategy) {
        let mut child = Command::new("/bin/true").strategy(strategy).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(50));
        child.kill(Signal::KILL).unwrap();
        assert!(child.wait().unwrap().success());
    }

    fn sigpipe_is_default_in_the_child(strategy: Strategy) {
        // The Rust runtime ignores SIGPIPE in this process; children must not inherit that.
        let ignored = status_field("SigIgn", strategy, |_| {});
        let mask = u64::from_str_radix(&ignored, 16).unwrap();
        assert_eq!(mask & (1 << (13 - 1)), 0, "SIGPIPE ignored in the child: {ignored}");
    }
}
