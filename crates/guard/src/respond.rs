//! The responder: stop a user's fork race, then end every one of its processes, and check
//! that none is left — without a pid list that could be stale.
//!
//! Under a bomb, pids go round `pid_max` within seconds: a pid read a moment ago may be an
//! innocent process now. So the responder never signals a pid it read. It sends
//! `kill(-1, SIGSTOP)` and then `kill(-1, SIGKILL)` *as the user*, from a short-lived child
//! that has taken the user's uid and no capability (`sys::uid_signal`): the kernel walks its
//! own task list and signals exactly that user's processes. Stopping first matters: a stopped
//! process neither forks nor exits, so the stop passes shrink the race to nothing, and
//! `/proc` is read only to count — how many are still running, how many are left. If the
//! child cannot be made (no pid left) or does not finish (the user stopped it), that pass
//! falls back to checked pidfds. Root (uid 0) is never a target.
//!
//! When one of the guard's own ancestors belongs to the user (a guard started from that
//! user's shell with sudo), `kill(-1)` would hit the ancestor. Then each process is signalled
//! through a pidfd instead, after checking through `/proc` that the process behind the pidfd
//! is the user's and is still alive once checked, and the ancestors are skipped.
//!
//! The responder runs on a thread of its own, started with the guard: a thread made at the
//! moment of need could fail for want of a pid, since a bomb takes them all. The thread never
//! changes its credentials, so the user it acts on cannot signal it.

use crate::procfs::{self, Task};
use crate::sys;
use rustix::process::{Pid, PidfdFlags, Signal};
use serde::{Deserialize, Serialize};
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::{Duration, Instant};

/// What the guard does about an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Stop every process of the user, then kill them all.
    #[default]
    Kill,
    /// Stop every process of the user and leave them stopped (for a person to look at).
    Stop,
    /// Only report.
    Log,
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Action::Kill => "kill",
            Action::Stop => "stop",
            Action::Log => "log",
        })
    }
}

impl std::str::FromStr for Action {
    type Err = String;
    fn from_str(s: &str) -> Result<Action, String> {
        match s {
            "kill" => Ok(Action::Kill),
            "stop" => Ok(Action::Stop),
            "log" => Ok(Action::Log),
            _ => Err(format!("unknown action {s:?} (kill, stop or log)")),
        }
    }
}

/// How the processes were signalled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// `kill(-1)` with the user's credentials.
    KillAsUser,
    /// One checked pidfd per process (an ancestor of the guard is the user's, or the
    /// signalling child could not be made or was stopped).
    Pidfds,
    /// Nothing was signalled (`Action::Log`).
    None,
}

/// What a response did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Response {
    /// The user.
    pub uid: u32,
    /// The user's name, when the user database has one (looked up here, off the event
    /// loop, which a slow name service must not hold up).
    pub user: Option<String>,
    /// The action taken.
    pub action: Action,
    /// How the processes were signalled.
    pub method: Method,
    /// Processes found stopped when the stop passes ended.
    pub tasks_stopped: u64,
    /// Processes alive (not zombies) when the kill began.
    pub tasks_killed: u64,
    /// Processes of the user still alive when the response gave up (0 on success; for
    /// `Stop`, those not stopped).
    pub survivors: u64,
    /// Stop passes sent.
    pub stop_passes: u32,
    /// When every process of the user was stopped, on the monotonic clock.
    pub stopped_at: Option<Duration>,
    /// When no process of the user was left, on the monotonic clock.
    pub zero_at: Option<Duration>,
}

/// The responder's `SCHED_FIFO` priority (the guard's event loop runs at 40).
const RESPONDER_PRIORITY: i32 = 30;

/// Sleeps as long as the last pass took (at least `floor`): a response runs at real-time
/// priority and scans /proc, so without this it could hold a CPU for seconds against
/// everything else that must run (the guard's loop, another guard, the drill's clock).
fn pause_after(pass: Instant, floor: Duration) {
    std::thread::sleep(pass.elapsed().max(floor));
}

/// The longest a response keeps sending stop passes before it kills anyway.
const STOP_FOR: Duration = Duration::from_millis(500);
/// The longest a response waits for the user's processes to be gone.
const KILL_FOR: Duration = Duration::from_secs(5);

/// The responder thread, and the way to it.
#[derive(Debug)]
pub struct Responder {
    jobs: Sender<(u32, Action)>,
    done: Receiver<Response>,
}

impl Responder {
    /// Starts the responder thread. `realtime`: run it as `SCHED_FIFO` (see `sys::sched`),
    /// so that it is not starved by the processes it has to stop.
    pub fn start(realtime: bool) -> std::io::Result<Responder> {
        let (jobs, inbox) = mpsc::channel::<(u32, Action)>();
        let (outbox, done) = mpsc::channel();
        std::thread::Builder::new()
            .name("forklab-responder".into())
            .spawn(move || {
                if realtime {
                    // Inherited by the signalling children: an ordinary process would wait
                    // behind every runnable process of the bomb before it could send a signal.
                    // Below the event loop (40): its reading is light and must not wait
                    // behind a response's /proc scans; above every ordinary process.
                    let _ = sys::sched::realtime_inherited(RESPONDER_PRIORITY);
                }
                for (uid, action) in inbox {
                    // Taken afresh: the guard may have been re-parented since.
                    let mut response = respond(uid, action, &exclusions());
                    response.user = nix::unistd::User::from_uid(uid.into())
                        .ok()
                        .flatten()
                        .map(|u| u.name);
                    if outbox.send(response).is_err() {
                        break;
                    }
                }
            })?;
        Ok(Responder { jobs, done })
    }

    /// Asks for a response to `uid`; its result comes from [`Responder::finished`].
    pub fn submit(&self, uid: u32, action: Action) {
        let _ = self.jobs.send((uid, action));
    }

    /// The responses finished since the last call.
    pub fn finished(&self) -> Vec<Response> {
        self.done.try_iter().collect()
    }

    /// Waits up to `within` for the next finished response.
    pub fn wait(&self, within: Duration) -> Option<Response> {
        self.done.recv_timeout(within).ok()
    }
}

/// This process and its ancestors: never signalled.
fn exclusions() -> Vec<i32> {
    let mut exclude = procfs::ancestors();
    exclude.push(std::process::id() as i32);
    exclude
}

/// The monotonic clock the guard measures with (the process connector's timestamps are on
/// it too).
pub fn now() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// Stops, then (for `Kill`) kills, every process of `uid`.
pub fn respond(uid: u32, action: Action, exclude: &[i32]) -> Response {
    let mut response = Response {
        uid,
        user: None,
        action,
        method: Method::None,
        tasks_stopped: 0,
        tasks_killed: 0,
        survivors: 0,
        stop_passes: 0,
        stopped_at: None,
        zero_at: None,
    };
    if action == Action::Log || uid == 0 {
        return response;
    }
    let owns_an_ancestor = exclude.iter().any(|&pid| {
        procfs::real_and_saved_uid(pid).is_some_and(|(real, saved)| real == uid || saved == uid)
    });
    response.method = if owns_an_ancestor {
        Method::Pidfds
    } else {
        Method::KillAsUser
    };
    let method = response.method;
    let mut fell_back = false;
    let mut signal = |signal: Signal| {
        if method == Method::KillAsUser {
            let sent = sys::uid_signal::signal_every_process_of(
                uid,
                signal.as_raw(),
                Duration::from_millis(200),
            );
            if matches!(sent, Ok(sys::uid_signal::Sent::Done)) {
                return;
            }
            fell_back = true;
        }
        signal_each(uid, signal, exclude);
    };
    let start = Instant::now();
    let mut previous = u64::MAX;
    let mut steady = 0;
    loop {
        let pass = Instant::now();
        signal(Signal::STOP);
        response.stop_passes += 1;
        let tasks = procfs::tasks_of(uid);
        if tasks.iter().all(|t| !running(t)) {
            response.stopped_at = Some(now());
            response.tasks_stopped = tasks.iter().filter(|t| stopped(t)).count() as u64;
            break;
        }
        // A vfork parent cannot stop until its child has exec'd, and a task deep in the
        // kernel stops only on its way out: once three passes in a row find no more
        // processes than the one before, nothing is multiplying any more, which is all the
        // stop is for. The kill that follows needs nobody to be stopped.
        let count = alive(&tasks);
        steady = if count <= previous { steady + 1 } else { 0 };
        previous = count;
        if steady >= 3 {
            response.tasks_stopped = tasks.iter().filter(|t| stopped(t)).count() as u64;
            break;
        }
        if start.elapsed() >= STOP_FOR {
            response.tasks_stopped = tasks.iter().filter(|t| stopped(t)).count() as u64;
            break;
        }
        pause_after(pass, Duration::from_micros(500));
    }
    if action == Action::Stop {
        let tasks = procfs::tasks_of(uid);
        response.survivors = tasks.iter().filter(|t| running(t)).count() as u64;
        if fell_back {
            response.method = Method::Pidfds;
        }
        return response;
    }
    response.tasks_killed = alive(&procfs::tasks_of(uid));
    let start = Instant::now();
    loop {
        let pass = Instant::now();
        signal(Signal::KILL);
        let left = alive(&procfs::tasks_of(uid));
        if left == 0 {
            response.zero_at = Some(now());
            break;
        }
        if start.elapsed() >= KILL_FOR {
            response.survivors = left;
            break;
        }
        pause_after(pass, Duration::from_millis(1));
    }
    if fell_back {
        response.method = Method::Pidfds;
    }
    response
}

/// Not stopped, not dead: a process that may still fork.
fn running(task: &Task) -> bool {
    !matches!(task.state, 'T' | 't' | 'Z' | 'X')
}

fn stopped(task: &Task) -> bool {
    matches!(task.state, 'T' | 't')
}

/// Processes that have not yet exited (zombies are gone but for their parent's wait).
fn alive(tasks: &[Task]) -> u64 {
    tasks
        .iter()
        .filter(|t| !matches!(t.state, 'Z' | 'X'))
        .count() as u64
}

/// Signals each process of `uid` through a pidfd checked to be that user's, skipping
/// `exclude`.
fn signal_each(uid: u32, signal: Signal, exclude: &[i32]) {
    for task in procfs::tasks_of(uid) {
        if exclude.contains(&task.pid) {
            continue;
        }
        let Some(pid) = Pid::from_raw(task.pid) else {
            continue;
        };
        let Ok(pidfd) = rustix::process::pidfd_open(pid, PidfdFlags::empty()) else {
            continue;
        };
        let owned = procfs::real_and_saved_uid(task.pid)
            .is_some_and(|(real, saved)| real == uid || saved == uid);
        if owned && crate::cgroup::is_alive(&pidfd) {
            let _ = rustix::process::pidfd_send_signal(&pidfd, signal);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{as_user, skip};

    /// A few processes of `uid`, each a shell that forks sleeps for ever, and a bystander
    /// of another uid; runs `respond` and checks only the user's processes are gone.
    fn respond_to(uid: u32) {
        if !rustix::process::geteuid().is_root() {
            return skip("the responder needs root");
        }
        let mut victims: Vec<_> = (0..3)
            .map(|_| as_user(uid, "sh", &["-c", "while :; do sleep 0.05; done"]))
            .collect();
        let mut bystander = as_user(uid + 1, "sleep", &["30"]);
        std::thread::sleep(Duration::from_millis(100));
        let response = respond(uid, Action::Kill, &exclusions());
        assert_eq!(response.method, Method::KillAsUser);
        assert!(response.tasks_stopped >= 3, "{response:?}");
        assert_eq!(response.survivors, 0, "{response:?}");
        assert!(response.zero_at.is_some());
        for v in &mut victims {
            let status = v.wait().unwrap();
            assert!(!status.success(), "{status:?}");
        }
        assert_eq!(bystander.try_wait().unwrap(), None, "a bystander was hit");
        bystander.kill(forklab_spawn::Signal::KILL).unwrap();
        bystander.wait().unwrap();
    }

    #[test]
    fn kill_as_the_user_ends_only_that_users_processes() {
        respond_to(61300);
    }

    #[test]
    fn log_does_nothing_and_root_is_never_a_target() {
        let r = respond(61302, Action::Log, &[]);
        assert_eq!((r.method, r.stop_passes), (Method::None, 0));
        let r = respond(0, Action::Kill, &exclusions());
        assert_eq!(
            (r.method, r.stop_passes, r.tasks_killed),
            (Method::None, 0, 0)
        );
    }

    #[test]
    fn the_user_cannot_stop_the_guard() {
        if !rustix::process::geteuid().is_root() {
            return skip("the responder needs root");
        }
        // The user's processes try to stop every thread of this process by its tid (a
        // thread holding the user's credentials could be signalled so, and SIGSTOP stops
        // the whole process), and every process they may signal, while the response runs.
        let uid = 61305;
        let me = std::process::id();
        // They start together, once all exist: one already at work would stop the next one
        // between its setuid and its exec, and hold the test's spawn in vfork's wait.
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(
            dir.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
        let go = dir.path().join("go");
        let script = format!(
            "while [ ! -e {go} ]; do sleep 0.01; done; \
             while :; do for t in /proc/{me}/task/*; do kill -STOP ${{t##*/}} 2>/dev/null; done; \
             kill -STOP -1 2>/dev/null; done",
            go = go.display()
        );
        let mut victims: Vec<_> = (0..4)
            .map(|_| as_user(uid, "sh", &["-c", &script]))
            .collect();
        std::fs::write(&go, "").unwrap();
        std::thread::sleep(Duration::from_millis(100));
        let r = respond(uid, Action::Kill, &exclusions());
        assert_eq!(r.survivors, 0, "{r:?}");
        let me = procfs::tasks_of(rustix::process::getuid().as_raw());
        let mine = me
            .iter()
            .find(|t| t.pid == std::process::id() as i32)
            .unwrap();
        assert_ne!(mine.state, 'T', "the guard was stopped");
        for v in &mut victims {
            let _ = v.wait();
        }
    }

    #[test]
    fn stop_leaves_them_stopped() {
        if !rustix::process::geteuid().is_root() {
            return skip("the responder needs root");
        }
        let uid = 61303;
        let mut child = as_user(uid, "sleep", &["30"]);
        let r = respond(uid, Action::Stop, &exclusions());
        assert_eq!((r.tasks_stopped, r.survivors), (1, 0), "{r:?}");
        assert_eq!(procfs::tasks_of(uid).first().map(|t| t.state), Some('T'));
        child.kill(forklab_spawn::Signal::KILL).unwrap();
        child.wait().unwrap();
    }

    #[test]
    fn signal_each_spares_the_excluded() {
        if !rustix::process::geteuid().is_root() {
            return skip("the responder needs root");
        }
        let uid = 61304;
        let mut spared = as_user(uid, "sleep", &["30"]);
        let mut hit = as_user(uid, "sleep", &["30"]);
        std::thread::sleep(Duration::from_millis(50));
        signal_each(uid, Signal::KILL, &[spared.id().as_raw()]);
        assert!(!hit.wait().unwrap().success());
        assert_eq!(spared.try_wait().unwrap(), None);
        spared.kill(forklab_spawn::Signal::KILL).unwrap();
        spared.wait().unwrap();
    }
}
