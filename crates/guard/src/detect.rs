//! The detector: from fork, uid-change and exit events, each user's fork rate and live
//! process count, and the moment both say "fork bomb".
//!
//! # The two signals, and why both
//! - **Score**: a fork-rate counter with exponential decay. Each fork adds 1; the score
//!   halves every `half_life`. A steady rate of r forks/s settles at `r × half_life / ln 2`,
//!   and a burst of n forks in much less than a half-life adds about n.
//! - **Tasks**: the user's live processes (threads are not counted), kept from the events
//!   and reconciled with `/proc` at start and after lost events.
//!
//! Neither alone separates a bomb from heavy honest work on a 2-core machine. A shell loop
//! running `/bin/true` back to back forks 1,500–2,000 times a second — faster than the bash
//! bomb — but holds two or three processes at a time. A parallel build holds a few dozen,
//! and a desktop session a few hundred, forking slowly. A bomb is the one that does both:
//! forks fast *and* keeps what it forks. So an incident is a uid whose score and task count
//! are both at or over their thresholds (defaults 300 forks and 300 tasks, half-life 1 s:
//! a sustained ~210 forks/s, or a burst of 300 within a fraction of a second, by a user who
//! holds 300 processes). A C bomb crosses both within tens of milliseconds of starting.
//!
//! The detector is pure: it is given events and the time, and owns no system resource, so
//! every rule is tested with synthetic event streams.

use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// What the detector is told about a process (a thread group, named by its tgid).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observation {
    /// `parent` created the process `child`.
    Fork {
        /// The parent's tgid.
        parent: i32,
        /// The new process's tgid.
        child: i32,
    },
    /// The process's real uid is now `uid` (after setuid and friends).
    Uid {
        /// The process.
        pid: i32,
        /// Its new real uid.
        uid: u32,
    },
    /// The process exited.
    Exit {
        /// The process.
        pid: i32,
    },
}

/// When a uid is a fork bomb.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    /// The decayed fork count at or over which a uid is forking like a bomb.
    pub score: f64,
    /// The live processes at or over which a uid is keeping what it forks.
    pub tasks: u64,
    /// How long the score takes to halve, in milliseconds.
    pub half_life_ms: u64,
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        Thresholds {
            score: 300.0,
            tasks: 300,
            half_life_ms: 1000,
        }
    }
}

/// Who is never acted on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Exemptions {
    /// Every uid below this (system accounts; root is 0). Default 1000.
    pub below: u32,
    /// These uids besides.
    pub uids: Vec<u32>,
}

impl Default for Exemptions {
    fn default() -> Exemptions {
        Exemptions {
            below: 1000,
            uids: Vec::new(),
        }
    }
}

impl Exemptions {
    /// Whether `uid` is exempt. Root always is, whatever the settings: the kernel's own
    /// threads count as root's processes, and ending them would end the machine.
    pub fn covers(&self, uid: u32) -> bool {
        uid == 0 || uid < self.below || self.uids.contains(&uid)
    }
}

/// A uid found forking like a bomb.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Detection {
    /// The uid.
    pub uid: u32,
    /// Its score when detected.
    pub score: f64,
    /// Its live processes when detected.
    pub tasks: u64,
    /// When the burst began: the last fork at which the score was still at its background
    /// level (under 5% of the threshold), on the caller's clock.
    pub burst_start: Duration,
    /// When it was detected, on the caller's clock.
    pub detected_at: Duration,
}

/// One uid's state.
#[derive(Debug, Clone, Default)]
struct User {
    score: f64,
    /// When `score` was last brought up to date.
    updated: Duration,
    tasks: u64,
    burst_start: Duration,
    /// Set once an incident is reported; cleared when its response is over (or the uid is
    /// quiet again), so one bomb is one incident.
    reported: bool,
}

/// Per-uid fork rates and process counts.
#[derive(Debug, Clone)]
pub struct Detector {
    thresholds: Thresholds,
    exempt: Exemptions,
    /// Every known process and its real uid.
    processes: HashMap<i32, u32>,
    users: HashMap<u32, User>,
    /// Processes never to count (the guard itself).
    ignored: HashSet<i32>,
    /// Forks per uid since the start, kept after a uid's other state is forgotten (metrics
    /// counters must not go back), for at most [`MAX_COUNTED_UIDS`] uids.
    forks_total: HashMap<u32, u64>,
}

/// The most uids whose fork totals are kept; past it, the smallest total is dropped.
pub const MAX_COUNTED_UIDS: usize = 4096;

/// A uid's counters, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct UserCounters {
    /// The uid.
    pub uid: u32,
    /// Forks seen since the guard started.
    pub forks_total: u64,
    /// Live processes.
    pub tasks: u64,
    /// The decayed score.
    pub score: f64,
}

impl Detector {
    /// A detector with nothing known yet.
    pub fn new(thresholds: Thresholds, exempt: Exemptions) -> Detector {
        Detector {
            thresholds,
            exempt,
            processes: HashMap::new(),
            users: HashMap::new(),
            ignored: HashSet::new(),
            forks_total: HashMap::new(),
        }
    }

    /// The thresholds in force.
    pub fn thresholds(&self) -> Thresholds {
        self.thresholds
    }

    /// Replaces what is known with a fresh view of every process and its uid (from
    /// `/proc`, at start and after lost events). Scores are kept: a bomb that made the
    /// kernel drop events is still a bomb.
    pub fn reconcile(&mut self, processes: HashMap<i32, u32>) {
        self.processes = processes;
        for user in self.users.values_mut() {
            user.tasks = 0;
        }
        for &uid in self.processes.values() {
            self.users.entry(uid).or_default().tasks += 1;
        }
    }

    /// Takes one event at time `now` (any monotonic clock, the same for every call).
    /// Returns a detection the first time a non-exempt uid crosses both thresholds.
    /// `uid_of` is asked for the uid of a process the detector does not know (lost events).
    pub fn observe(
        &mut self,
        observation: Observation,
        now: Duration,
        uid_of: impl FnOnce(i32) -> Option<u32>,
    ) -> Option<Detection> {
        match observation {
            Observation::Fork { parent, child } => {
                if self.ignored.contains(&parent) {
                    return None;
                }
                let uid = match self.processes.get(&parent) {
                    Some(&uid) => uid,
                    None => uid_of(child)?,
                };
                if let Some(old) = self.processes.insert(child, uid) {
                    // A pid seen again without its exit: the exit event was lost.
                    self.user(old).tasks = self.user(old).tasks.saturating_sub(1);
                }
                let half_life = self.half_life();
                let quiet = self.thresholds.score * 0.05;
                let user = self.user(uid);
                decay(user, now, half_life);
                if user.score < quiet {
                    user.burst_start = now;
                    user.reported = false;
                }
                user.score += 1.0;
                user.tasks += 1;
                self.count_fork(uid);
                self.check(uid, now)
            }
            Observation::Uid { pid, uid } => {
                let old = self.processes.insert(pid, uid);
                if old == Some(uid) {
                    return None;
                }
                if let Some(old) = old {
                    let user = self.user(old);
                    user.tasks = user.tasks.saturating_sub(1);
                }
                self.user(uid).tasks += 1;
                self.check(uid, now)
            }
            Observation::Exit { pid } => {
                if let Some(uid) = self.processes.remove(&pid) {
                    let user = self.user(uid);
                    user.tasks = user.tasks.saturating_sub(1);
                }
                None
            }
        }
    }

    /// Never counts forks by `pid` (the guard itself, its helpers).
    pub fn ignore(&mut self, pid: i32) {
        self.ignored.insert(pid);
    }

    /// Marks `uid`'s incident handled. `rearm`: the response is over and the uid's
    /// processes are gone or stopped, so it starts again from a score of 0 and its next
    /// burst is a new incident at once. Otherwise (only logged, or survivors), the burst
    /// goes on and stays one incident until the uid has been quiet (its score under 5% of
    /// the threshold).
    pub fn handled(&mut self, uid: u32, rearm: bool) {
        let user = self.user(uid);
        if rearm {
            user.score = 0.0;
            user.reported = false;
        }
    }

    /// Drops the state of uids with no process and a score decayed to nothing, so memory
    /// follows the live uids however many have come and gone.
    pub fn forget_idle(&mut self, now: Duration) {
        let half_life = self.half_life();
        self.users.retain(|_, user| {
            decay(user, now, half_life);
            user.tasks > 0 || user.score >= 0.01
        });
    }

    /// Every uid's counters (those with live state, and those with a fork total), ascending
    /// by uid.
    pub fn counters(&self) -> Vec<UserCounters> {
        let uids: std::collections::BTreeSet<u32> = self
            .users
            .keys()
            .chain(self.forks_total.keys())
            .copied()
            .collect();
        uids.into_iter()
            .map(|uid| {
                let user = self.users.get(&uid);
                UserCounters {
                    uid,
                    forks_total: self.forks_total.get(&uid).copied().unwrap_or(0),
                    tasks: user.map_or(0, |u| u.tasks),
                    score: user.map_or(0.0, |u| u.score),
                }
            })
            .collect()
    }

    fn count_fork(&mut self, uid: u32) {
        let full = self.forks_total.len() >= MAX_COUNTED_UIDS;
        if full
            && !self.forks_total.contains_key(&uid)
            && let Some((&smallest, _)) = self.forks_total.iter().min_by_key(|(_, n)| **n)
        {
            self.forks_total.remove(&smallest);
        }
        *self.forks_total.entry(uid).or_default() += 1;
    }

    /// The live processes the detector counts for `uid`.
    pub fn tasks(&self, uid: u32) -> u64 {
        self.users.get(&uid).map_or(0, |u| u.tasks)
    }

    /// How many processes are known (bounded by the system's live processes, plus those
    /// whose exit was lost until the next reconcile).
    pub fn known_processes(&self) -> usize {
        self.processes.len()
    }

    fn check(&mut self, uid: u32, now: Duration) -> Option<Detection> {
        if self.exempt.covers(uid) {
            return None;
        }
        let thresholds = self.thresholds;
        let user = self.user(uid);
        if user.reported || user.score < thresholds.score || user.tasks < thresholds.tasks {
            return None;
        }
        user.reported = true;
        Some(Detection {
            uid,
            score: user.score,
            tasks: user.tasks,
            burst_start: user.burst_start,
            detected_at: now,
        })
    }

    fn user(&mut self, uid: u32) -> &mut User {
        self.users.entry(uid).or_default()
    }

    fn half_life(&self) -> Duration {
        Duration::from_millis(self.thresholds.half_life_ms.max(1))
    }
}

/// Brings a score up to `now`: it halves every `half_life`.
fn decay(user: &mut User, now: Duration, half_life: Duration) {
    if now > user.updated {
        let elapsed = (now - user.updated).as_secs_f64();
        user.score *= (-elapsed * std::f64::consts::LN_2 / half_life.as_secs_f64()).exp();
        user.updated = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOMBER: u32 = 61000;
    const BUILDER: u32 = 61001;

    fn ms(n: f64) -> Duration {
        Duration::from_secs_f64(n / 1000.0)
    }

    /// A detector that knows one process of `uid`, pid 100.
    fn detector(uid: u32) -> Detector {
        let mut d = Detector::new(Thresholds::default(), Exemptions::default());
        d.reconcile(HashMap::from([(100, uid), (1, 0)]));
        d
    }

    /// A C bomb: every process forks, none exits; returns the detection and the tasks then.
    fn bomb(d: &mut Detector, forks_per_ms: f64) -> Option<Detection> {
        let mut live = vec![100];
        for i in 0..20_000 {
            let parent = live[i % live.len()];
            let now = ms(i as f64 / forks_per_ms);
            let child = 1000 + i as i32;
            live.push(child);
            let fork = Observation::Fork { parent, child };
            if let Some(hit) = d.observe(fork, now, |_| None) {
                return Some(hit);
            }
        }
        None
    }

    #[test]
    fn a_bomb_is_caught_at_the_task_threshold() {
        let mut d = detector(BOMBER);
        let hit = bomb(&mut d, 10.0).expect("caught");
        assert_eq!(hit.uid, BOMBER);
        assert!((300..310).contains(&hit.tasks), "{hit:?}");
        assert!(hit.score >= 300.0 && hit.score < 301.0, "{hit:?}");
        assert!(hit.burst_start < ms(2.0), "{hit:?}");
        assert!(hit.detected_at < ms(31.0), "{hit:?}");
        // One bomb, one incident.
        assert_eq!(bomb(&mut d, 10.0), None);
    }

    #[test]
    fn a_slow_bomb_is_caught_once_its_rate_is_enough() {
        // 400 forks/s settles at 400 / ln 2 ≈ 577 with a 1 s half-life: caught.
        let mut d = detector(BOMBER);
        assert!(bomb(&mut d, 0.4).is_some());
        // 100 forks/s settles at ≈ 144: a slow grower is left to pids.max / RLIMIT_NPROC.
        let mut d = detector(BOMBER);
        assert_eq!(bomb(&mut d, 0.1), None);
    }

    #[test]
    fn a_fast_serial_loop_is_left_alone() {
        // 2,000 short processes a second, each gone before the next: a huge score, 2 tasks.
        let mut d = detector(BUILDER);
        for i in 0..10_000 {
            let now = ms(i as f64 * 0.5);
            let child = 1000 + i;
            assert_eq!(
                d.observe(Observation::Fork { parent: 100, child }, now, |_| None),
                None
            );
            d.observe(Observation::Exit { pid: child }, now + ms(0.4), |_| None);
        }
        assert!(
            d.counters()
                .iter()
                .any(|c| c.uid == BUILDER && c.score > 1000.0)
        );
        assert_eq!(d.tasks(BUILDER), 1);
    }

    #[test]
    fn a_user_with_many_processes_forking_slowly_is_left_alone() {
        let mut d = detector(BUILDER);
        let mut pids = HashMap::from([(100, BUILDER)]);
        pids.extend((2000..2500).map(|p| (p, BUILDER)));
        d.reconcile(pids);
        assert_eq!(d.tasks(BUILDER), 501);
        for i in 0..2_000 {
            // 50 forks a second, kept: tasks grow, the score stays near 72.
            let now = ms(i as f64 * 20.0);
            assert_eq!(
                d.observe(
                    Observation::Fork {
                        parent: 100,
                        child: 5000 + i
                    },
                    now,
                    |_| None
                ),
                None
            );
        }
    }

    #[test]
    fn exempt_uids_are_never_reported() {
        let root_not_exempt = Exemptions {
            below: 0,
            ..Exemptions::default()
        };
        assert!(
            root_not_exempt.covers(0),
            "root is exempt whatever the settings"
        );
        for uid in [0, 999, 65534] {
            let mut exempt = Exemptions::default();
            exempt.uids.push(65534);
            let mut d = Detector::new(Thresholds::default(), exempt);
            d.reconcile(HashMap::from([(100, uid)]));
            assert_eq!(bomb(&mut d, 10.0), None, "uid {uid}");
        }
    }

    #[test]
    fn a_uid_change_moves_the_process_and_its_children() {
        let mut d = detector(0);
        d.observe(
            Observation::Uid {
                pid: 100,
                uid: BOMBER,
            },
            ms(0.0),
            |_| None,
        );
        assert_eq!((d.tasks(0), d.tasks(BOMBER)), (1, 1));
        assert!(bomb(&mut d, 10.0).is_some());
    }

    #[test]
    fn unknown_parents_are_asked_about_and_ignored_pids_never_count() {
        let mut d = detector(BOMBER);
        d.observe(
            Observation::Fork {
                parent: 7,
                child: 8,
            },
            ms(0.0),
            |pid| {
                assert_eq!(pid, 8);
                Some(BUILDER)
            },
        );
        assert_eq!(d.tasks(BUILDER), 1);
        d.observe(
            Observation::Fork {
                parent: 9,
                child: 10,
            },
            ms(0.0),
            |_| None,
        );
        assert_eq!(
            d.known_processes(),
            3,
            "an unknowable process is not guessed"
        );
        d.ignore(100);
        assert_eq!(bomb(&mut d, 10.0), None);
    }

    #[test]
    fn state_is_forgotten_when_a_uid_is_gone() {
        let mut d = detector(BOMBER);
        d.observe(
            Observation::Fork {
                parent: 100,
                child: 101,
            },
            ms(0.0),
            |_| None,
        );
        d.observe(Observation::Exit { pid: 101 }, ms(1.0), |_| None);
        d.observe(Observation::Exit { pid: 100 }, ms(1.0), |_| None);
        d.forget_idle(Duration::from_secs(60));
        let left: Vec<_> = d
            .counters()
            .into_iter()
            .filter(|c| c.uid == BOMBER)
            .collect();
        assert_eq!(left.len(), 1);
        assert_eq!(
            (left[0].forks_total, left[0].tasks),
            (1, 0),
            "the total stays"
        );
        assert!(!d.users.contains_key(&BOMBER), "the rest is forgotten");
        for uid in 0..(MAX_COUNTED_UIDS as u32 + 10) {
            d.count_fork(100_000 + uid);
        }
        assert_eq!(d.forks_total.len(), MAX_COUNTED_UIDS);
    }

    #[test]
    fn a_handled_uid_is_caught_again_at_once() {
        // A small burst first, then the real bomb right after the response: a detector that
        // waited for a quiet spell would never report the second.
        let mut d = detector(BOMBER);
        assert!(bomb(&mut d, 10.0).is_some());
        d.handled(BOMBER, true);
        d.reconcile(HashMap::from([(100, BOMBER)]));
        let mut hit = None;
        for i in 0..2000 {
            let fork = Observation::Fork {
                parent: 100,
                child: 90_000 + i,
            };
            hit = hit.or(d.observe(fork, ms(50.0 + i as f64 * 0.1), |_| None));
        }
        assert!(hit.is_some());
    }

    #[test]
    fn a_quiet_spell_rearms_the_uid() {
        let mut d = detector(BOMBER);
        assert!(bomb(&mut d, 10.0).is_some());
        d.handled(BOMBER, false);
        // Only logged: the same burst goes on and is not reported again.
        let mut again = None;
        for i in 0..2000 {
            let fork = Observation::Fork {
                parent: 100,
                child: 70_000 + i,
            };
            again = again.or(d.observe(fork, ms(40.0 + i as f64 * 0.1), |_| None));
        }
        assert_eq!(again, None);
        let mut later = detector(BOMBER);
        later.users = d.users.clone();
        // 30 s later the score has decayed to nothing: a new burst is a new incident.
        let start = Duration::from_secs(30);
        let mut hit = None;
        for i in 0..1000 {
            let fork = Observation::Fork {
                parent: 100,
                child: 50_000 + i,
            };
            hit = hit.or(later.observe(fork, start + ms(i as f64 * 0.1), |_| None));
        }
        let hit = hit.expect("a second incident");
        assert!(
            hit.burst_start >= start && hit.burst_start < start + ms(2.0),
            "{hit:?}"
        );
    }
}
