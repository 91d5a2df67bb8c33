//! Behaviour that depends on the whole process: how many threads it has, its environment
//! changing under it, `SIGCHLD` being ignored. libtest runs tests on threads of one process,
//! each beside the others, so these run here instead, in a binary without the test harness
//! (`harness = false`): one thread, one check after another, each named as it passes.
// Changing the environment and SIGCHLD's disposition is `unsafe` (other threads may read
// them): here no other thread does, and each call says so.
#![allow(unsafe_code)]

use forklab_spawn::raw::thread_count;
use forklab_spawn::{Command, Signal, Stdio, Strategy};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

fn main() {
    // First, while this process still has one thread: the environment is passed as it is.
    the_environment_of_a_single_threaded_process_reaches_the_child();
    println!("test the_environment_of_a_single_threaded_process_reaches_the_child ... ok");
    let checks: [(&str, fn()); 7] = [
        ("thread_count_counts_exactly", thread_count_counts_exactly),
        (
            "wait_with_output_starts_no_thread",
            wait_with_output_starts_no_thread,
        ),
        (
            "a_pidfd_names_the_child_even_when_sigchld_is_ignored",
            a_pidfd_with_sigchld_ignored,
        ),
        (
            "spawning_while_another_thread_changes_the_environment",
            env_changes_under_spawn,
        ),
        (
            "a_child_reaped_elsewhere_never_reports_a_strangers_status_as_root",
            reaped_elsewhere,
        ),
        (
            "posix_spawn_searches_a_path_without_a_process_per_directory",
            posix_spawn_search_makes_no_process,
        ),
        (
            "a_late_pidfd_never_waits_on_a_stranger_as_root",
            late_pidfd_stranger,
        ),
    ];
    for (name, check) in checks {
        check();
        println!("test {name} ... ok");
    }
}

fn the_environment_of_a_single_threaded_process_reaches_the_child() {
    // SAFETY: one thread: nothing else reads or writes the environment now.
    unsafe { std::env::set_var("FORKLAB_ALONE", "inherited as is") };
    for strategy in Strategy::ALL {
        let out = Command::new("/bin/sh")
            .args(["-c", "echo \"$FORKLAB_ALONE\""])
            .stdout(Stdio::piped())
            .strategy(strategy)
            .output()
            .unwrap();
        assert_eq!(out.stdout, b"inherited as is\n", "{strategy}");
    }
    // A hook that changes the environment (fine in the fork of a one-thread process, where
    // the allocator's lock cannot be held by a vanished thread): the program sees the change,
    // as with std, because the live environment is read at the moment of execve.
    let mut cmd = Command::new("/bin/sh");
    cmd.args(["-c", "echo \"$FORKLAB_HOOKED\""])
        .stdout(Stdio::piped());
    // SAFETY: see above; the child is a copy of this single-threaded process.
    unsafe {
        cmd.pre_exec(|| {
            std::env::set_var("FORKLAB_HOOKED", "by the hook");
            Ok(())
        })
    };
    let out = cmd.strategy(Strategy::ForkExec).output().unwrap();
    assert_eq!(out.stdout, b"by the hook\n");
    assert_eq!(
        std::env::var_os("FORKLAB_HOOKED"),
        None,
        "only the child's copy changed"
    );
    assert_eq!(thread_count().unwrap(), 1, "still one thread");
}

fn thread_count_counts_exactly() {
    assert_eq!(thread_count().unwrap(), 1, "only main runs");
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let (tx2, rx2) = std::sync::mpsc::channel::<()>();
    let first = std::thread::spawn(move || rx.recv());
    assert_eq!(thread_count().unwrap(), 2);
    let second = std::thread::spawn(move || rx2.recv());
    assert_eq!(thread_count().unwrap(), 3);
    tx.send(()).unwrap();
    tx2.send(()).unwrap();
    first.join().unwrap().unwrap();
    second.join().unwrap().unwrap();
    // A joined thread's task can linger in /proc for a moment.
    let deadline = Instant::now() + Duration::from_secs(2);
    while thread_count().unwrap() != 1 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(thread_count().unwrap(), 1, "both are gone");
    match forklab_spawn::fork().expect("one thread: fork is allowed") {
        forklab_spawn::Fork::Child => forklab_spawn::raw::exit_now(0),
        forklab_spawn::Fork::Parent(pid) => {
            assert!(forklab_spawn::raw::wait_pid(pid).unwrap().success());
        }
    }
}

/// The child reads how many threads its parent has while the parent is inside
/// `wait_with_output` with both pipes to read.
fn wait_with_output_starts_no_thread() {
    for strategy in Strategy::ALL {
        let script = "sleep 0.2; grep Threads: /proc/$PPID/status; echo done >&2";
        let out = Command::new("/bin/sh")
            .args(["-c", script])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .strategy(strategy)
            .spawn()
            .unwrap()
            .wait_with_output()
            .unwrap();
        let seen = String::from_utf8(out.stdout).unwrap();
        assert_eq!(seen, "Threads:\t1\n", "{strategy}: read in this thread");
        assert_eq!(out.stderr, b"done\n");
    }
}

/// With `SIGCHLD` ignored the kernel reaps children itself, and their pids are free at once.
/// A pidfd asked for at spawn still names the child and no one else.
fn a_pidfd_with_sigchld_ignored() {
    // SAFETY: this process has one thread; the disposition is put back below.
    let old = unsafe { libc::signal(libc::SIGCHLD, libc::SIG_IGN) };
    for strategy in Strategy::ALL {
        let spawned = Command::new("/bin/true")
            .pidfd(true)
            .strategy(strategy)
            .spawn();
        let mut child = match spawned {
            Err(e) if strategy == Strategy::PosixSpawn => {
                assert_eq!(e.kind(), std::io::ErrorKind::Unsupported, "{e:#}");
                continue; // glibc < 2.39: refused, as the other test checks
            }
            other => other.unwrap(),
        };
        let pidfd = child.pidfd().expect("made with the child");
        let fd = std::os::fd::AsFd::as_fd(pidfd);
        let mut fds = [rustix::event::PollFd::new(
            &fd,
            rustix::event::PollFlags::IN,
        )];
        rustix::event::poll(&mut fds, None).unwrap();
        // Reaped by the kernel by now (or in a moment): the pidfd reaches no one.
        let deadline = Instant::now() + Duration::from_secs(2);
        let err = loop {
            match pidfd.send_signal(Signal::TERM) {
                Err(e) => break e,
                Ok(()) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(1)),
                Ok(()) => panic!("{strategy}: the child was never reaped"),
            }
        };
        assert_eq!(err.raw_os_error(), Some(libc::ESRCH), "{strategy}");
        child
            .kill(Signal::KILL)
            .expect("through the pidfd: no error, and no stranger hit");
    }
    // SAFETY: as above.
    unsafe { libc::signal(libc::SIGCHLD, old) };
}

/// Another thread sets and removes variables as fast as it can (glibc then rewrites and
/// reallocates its `environ` array) while this one spawns a program by path and by a name
/// searched in `PATH`: every spawn must work.
fn env_changes_under_spawn() {
    for (strategy, program) in Strategy::ALL
        .into_iter()
        .flat_map(|s| [(s, "/bin/true"), (s, "true")])
    {
        let stop = AtomicBool::new(false);
        let (spawns, failures) = std::thread::scope(|scope| {
            scope.spawn(|| {
                let mut i = 0u32;
                while !stop.load(Ordering::Relaxed) {
                    let key = format!("FORKLAB_STRESS_{}", i % 16);
                    // SAFETY: the other thread reads the environment only through
                    // forklab-spawn, which copies it under std's environment lock.
                    unsafe { std::env::set_var(&key, "x".repeat((i % 64) as usize)) };
                    // SAFETY: as above.
                    unsafe { std::env::remove_var(&key) };
                    i = i.wrapping_add(1);
                }
            });
            let result = spawn_for(strategy, program, Duration::from_millis(400));
            stop.store(true, Ordering::Relaxed);
            result
        });
        assert_eq!(
            failures,
            Vec::<String>::new(),
            "{strategy}: {} of {spawns} failed",
            failures.len()
        );
        assert!(
            spawns >= ENOUGH_SPAWNS,
            "{strategy} {program}: only {spawns} spawns in {SPAWN_LIMIT:?}"
        );
    }
}

/// A child with a pidfd is reaped behind its `Child`'s back (a `waitpid` elsewhere), and its
/// pid goes to a new process: waiting on the old `Child` must not return the new one's status.
fn reaped_elsewhere() {
    if forklab_spawn::Identity::current().euid != 0 {
        return println!("SKIPPED: choosing the next pid (kernel.ns_last_pid) needs root");
    }
    for strategy in Strategy::ALL {
        let spawned = Command::new("/bin/sh")
            .args(["-c", "exit 3"])
            .pidfd(true)
            .strategy(strategy)
            .spawn();
        let mut first = match spawned {
            Err(e) if strategy == Strategy::PosixSpawn => {
                assert_eq!(e.kind(), std::io::ErrorKind::Unsupported, "{e:#}");
                continue;
            }
            other => other.unwrap(),
        };
        let pid = first.id().as_raw();
        let mut status = 0;
        // SAFETY: waiting for a child of this (single-threaded) process.
        let reaped = unsafe { libc::waitpid(pid, &mut status, 0) };
        assert_eq!(reaped, pid, "reaped behind its back");
        let Some(mut second) = spawn_with_pid(pid) else {
            println!("SKIPPED {strategy}: other processes kept taking pid {pid}");
            continue;
        };
        let err = first.wait().expect_err("the first child is gone");
        assert_eq!(err.raw_os_error(), Some(libc::ECHILD), "{strategy}: {err}");
        assert_eq!(
            second.wait().unwrap().code(),
            Some(7),
            "{strategy}: the second kept its status"
        );
    }
}

/// `PosixSpawn` with a `PATH` of the command's own: the search happens in this process, so a
/// program found nowhere costs no process at all (one `posix_spawn` per directory used to
/// cost one each). Children's page faults, summed by the kernel as they are reaped, tell.
fn posix_spawn_search_makes_no_process() {
    let faults = || {
        // SAFETY: rusage is plain data that getrusage fills.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: a valid `who` and a valid pointer.
        let ret = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
        assert_eq!(ret, 0);
        usage.ru_minflt
    };
    let before = faults();
    let err = Command::new("no-such-tool")
        .env("PATH", "/nonexistent/a:/nonexistent/b:/nonexistent/c")
        .strategy(Strategy::PosixSpawn)
        .spawn()
        .unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ENOENT), "{err:#}");
    assert_eq!(faults(), before, "no child ran");
    let mut found = Command::new("true");
    found.env("PATH", "/nonexistent/a:/nonexistent/b:/usr/bin:/bin");
    assert!(
        found
            .strategy(Strategy::PosixSpawn)
            .status()
            .unwrap()
            .success()
    );
    assert!(faults() > before, "the one child that ran is counted");
}

/// A child without a pidfd is reaped by the kernel (`SIGCHLD` ignored) and its pid goes to a
/// process that is not ours: `wait_timeout`, which opens a pidfd to sleep on, must notice.
fn late_pidfd_stranger() {
    if forklab_spawn::Identity::current().euid != 0 {
        return println!("SKIPPED: choosing the next pid (kernel.ns_last_pid) needs root");
    }
    // SAFETY: this process has one thread running; the disposition is put back below.
    let old = unsafe { libc::signal(libc::SIGCHLD, libc::SIG_IGN) };
    let mut gone = Command::new("/bin/true").spawn().unwrap();
    let pid = gone.id().as_raw();
    let proc_dir = format!("/proc/{pid}");
    while std::path::Path::new(&proc_dir).exists() {
        std::thread::sleep(Duration::from_millis(1)); // until the kernel has reaped it
    }
    // SAFETY: as above.
    unsafe { libc::signal(libc::SIGCHLD, old) };
    // A stranger with that pid: an orphaned `sleep`, child of a shell that has exited.
    for _ in 0..50 {
        std::fs::write("/proc/sys/kernel/ns_last_pid", (pid - 2).to_string()).unwrap();
        let out = Command::new("/bin/sh")
            .args(["-c", "sleep 2 & echo $!"])
            .stdout(Stdio::piped())
            .output()
            .unwrap();
        if String::from_utf8_lossy(&out.stdout).trim() != pid.to_string() {
            continue;
        }
        let err = gone
            .wait_timeout(Duration::from_millis(200))
            .expect_err("not our child");
        assert_eq!(err.raw_os_error(), Some(libc::ECHILD), "{err}");
        return;
    }
    println!("SKIPPED: other processes kept taking pid {pid}");
}

/// A child (`sh -c 'exit 7'`) that gets `pid`, which must be free: the next pid the kernel
/// hands out is `ns_last_pid + 1` unless another process takes it first.
fn spawn_with_pid(pid: i32) -> Option<forklab_spawn::Child> {
    for _ in 0..50 {
        std::fs::write("/proc/sys/kernel/ns_last_pid", (pid - 1).to_string()).unwrap();
        let mut child = Command::new("/bin/sh")
            .args(["-c", "exit 7"])
            .spawn()
            .unwrap();
        if child.id().as_raw() == pid {
            return Some(child);
        }
        child.wait().unwrap();
    }
    None
}

/// Spawns enough to have hit the old bug (it failed within a few dozen).
const ENOUGH_SPAWNS: usize = 100;
/// However slow the machine.
const SPAWN_LIMIT: Duration = Duration::from_secs(10);

/// Spawns `program` (which exits 0) for `time`, and on until there have been
/// [`ENOUGH_SPAWNS`] (a loaded machine spawns slowly), but for at most [`SPAWN_LIMIT`];
/// returns how many, and how the failures failed.
fn spawn_for(strategy: Strategy, program: &str, time: Duration) -> (usize, Vec<String>) {
    let started = Instant::now();
    let (mut spawns, mut failures) = (0, Vec::new());
    while (started.elapsed() < time || spawns < ENOUGH_SPAWNS) && started.elapsed() < SPAWN_LIMIT {
        spawns += 1;
        match Command::new(program).strategy(strategy).status() {
            Ok(status) if status.success() => {}
            Ok(status) => failures.push(status.to_string()),
            Err(e) => failures.push(e.to_string()),
        }
        if failures.len() >= 5 {
            break;
        }
    }
    (spawns, failures)
}
