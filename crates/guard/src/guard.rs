//! The guard: process-connector events in, incidents out.
//!
//! One loop reads the kernel's fork, uid-change and exit events ([`crate::connector`]),
//! feeds them to the [`Detector`], and hands each detection to the [`Responder`] thread,
//! so that reading never stops while a response runs (a bomb's events would pile up and be
//! lost). When events are lost anyway (`ENOBUFS`), the process table is read again from
//! `/proc` and the loop goes on. Once a second, idle uids are forgotten and the counters
//! the caller publishes are refreshed. Idle, the loop sleeps in `poll` for up to that
//! second: no CPU is used between events.

use crate::connector::{self, Connector, ConnectorError, EventKind, Received};
use crate::detect::{Detection, Detector, Exemptions, Observation, Thresholds, UserCounters};
use crate::procfs;
use crate::respond::{self, Action, Method, Responder, Response};
use crate::sys;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The guard's settings: from flags, or a TOML file (`--config`) with the same names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GuardConfig {
    /// When a uid is a bomb.
    pub thresholds: Thresholds,
    /// Who is never acted on.
    pub exempt: Exemptions,
    /// User names never acted on (resolved to uids by the caller, added to `exempt`).
    pub exempt_users: Vec<String>,
    /// Watch only these uids (the drill's); empty: every uid that is not exempt.
    pub only_uids: Vec<u32>,
    /// What to do about an incident.
    pub action: Action,
    /// Append each incident as a JSON line to this file.
    pub events: Option<PathBuf>,
    /// Serve Prometheus metrics here.
    pub metrics: Option<SocketAddr>,
    /// The connector's receive buffer, bytes.
    pub receive_buffer: usize,
    /// Run the event loop and the responder as `SCHED_FIFO`, with memory locked.
    pub realtime: bool,
}

impl Default for GuardConfig {
    fn default() -> GuardConfig {
        GuardConfig {
            thresholds: Thresholds::default(),
            exempt: Exemptions::default(),
            exempt_users: Vec::new(),
            only_uids: Vec::new(),
            action: Action::Kill,
            events: None,
            metrics: None,
            receive_buffer: connector::Options::default().receive_buffer,
            realtime: true,
        }
    }
}

/// One incident: the guard's JSON line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Incident {
    /// The uid.
    pub uid: u32,
    /// Its name, when the user database has one.
    pub user: Option<String>,
    /// When it was detected, as the wall clock read then (RFC 3339, UTC).
    pub detected_at: String,
    /// The fork score at detection.
    pub score: f64,
    /// The uid's live processes at detection.
    pub tasks: u64,
    /// Processes stopped by the response.
    pub tasks_stopped: u64,
    /// Processes killed by the response.
    pub tasks_killed: u64,
    /// Processes of the uid still alive when the response ended.
    pub survivors: u64,
    /// Milliseconds from the first fork of the burst to detection.
    pub detect_ms: f64,
    /// Milliseconds from the first fork of the burst to no process of the uid left (none
    /// when the action leaves them, or they would not die).
    pub zero_ms: Option<f64>,
    /// The action taken.
    pub action: Action,
    /// How the processes were signalled.
    pub method: Method,
    /// Detection on the monotonic clock (for the drill's own timings), seconds.
    #[serde(skip)]
    pub detected_mono: Duration,
    /// Zero tasks on the monotonic clock.
    #[serde(skip)]
    pub zero_mono: Option<Duration>,
}

/// What the guard tells its caller as it runs.
#[derive(Debug, Clone)]
pub enum Report {
    /// The guard listens: the connector is open and the process table read.
    Listening {
        /// The receive buffer the kernel granted, bytes.
        receive_buffer: usize,
    },
    /// An incident was handled (or, for `log`, seen).
    Incident(Incident),
    /// The kernel dropped events; `/proc` was read again.
    Lost {
        /// Losses so far.
        total: u64,
    },
    /// Counters, once a second.
    Tick(Snapshot),
}

/// The counters the guard publishes.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Snapshot {
    /// Per uid.
    pub users: Vec<UserCounters>,
    /// Events received.
    pub events_total: u64,
    /// Times events were lost.
    pub events_lost_total: u64,
    /// Incidents per uid.
    pub incidents: HashMap<u32, u64>,
    /// The last incident.
    pub last_incident: Option<Incident>,
    /// Processes the detector knows.
    pub known_processes: usize,
}

/// Why the guard cannot run.
#[derive(Debug, thiserror::Error)]
pub enum GuardError {
    /// The process connector could not be opened or read.
    #[error(transparent)]
    Connector(#[from] ConnectorError),
    /// Acting on processes needs root.
    #[error(
        "forklab guard needs root: it reads the process connector and signals other users' processes"
    )]
    NotRoot,
    /// The responder thread could not start.
    #[error("cannot start the responder thread: {0}")]
    Responder(std::io::Error),
}

/// Runs the guard until `stop` is set, calling `report` with incidents, losses and counters.
pub fn run(
    config: &GuardConfig,
    stop: &AtomicBool,
    mut report: impl FnMut(Report),
) -> Result<(), GuardError> {
    if !rustix::process::geteuid().is_root() || !rustix::process::getuid().is_root() {
        return Err(GuardError::NotRoot);
    }
    let options = connector::Options {
        receive_buffer: config.receive_buffer,
        ..connector::Options::default()
    };
    let mut connector = Connector::open(&options)?;
    let responder = Responder::start(config.realtime).map_err(GuardError::Responder)?;
    if config.realtime {
        // Above the responder (30) and the drill (35): reading events is light and must
        // never wait.
        let _ = sys::sched::realtime(40);
        sys::sched::lock_memory();
    }
    let mut detector = Detector::new(config.thresholds, config.exempt.clone());
    detector.ignore(std::process::id() as i32);
    detector.reconcile(procfs::real_uids());
    report(Report::Listening {
        receive_buffer: connector.receive_buffer(),
    });
    // Detections whose response is running, with the wall clock when they were made.
    let mut pending: HashMap<u32, (Detection, String)> = HashMap::new();
    let mut snapshot = Snapshot::default();
    let mut last_tick = respond::now();
    let tick = Duration::from_secs(1);
    let watched = |uid: u32| config.only_uids.is_empty() || config.only_uids.contains(&uid);
    while !stop.load(Ordering::Relaxed) {
        let mut wait = tick.saturating_sub(respond::now().saturating_sub(last_tick));
        if !pending.is_empty() {
            // A response is running: look for its end often, to report it when it ends.
            wait = wait.min(Duration::from_millis(5));
        }
        match connector.recv_timeout(wait.max(Duration::from_millis(1)))? {
            Received::Events(events) => {
                snapshot.events_total += events.len() as u64;
                for event in events {
                    let Some(observation) = observation(&event.kind) else {
                        continue;
                    };
                    let at = Duration::from_nanos(event.timestamp_ns);
                    let uid_of = |pid| procfs::real_and_saved_uid(pid).map(|(real, _)| real);
                    if let Some(mut detection) = detector.observe(observation, at, uid_of) {
                        if !watched(detection.uid) {
                            continue;
                        }
                        detection.detected_at = respond::now();
                        responder.submit(detection.uid, config.action);
                        pending.insert(detection.uid, (detection, wall_clock_now()));
                    }
                }
            }
            Received::Lost => {
                snapshot.events_lost_total += 1;
                detector.reconcile(procfs::real_uids());
                report(Report::Lost {
                    total: snapshot.events_lost_total,
                });
            }
            Received::TimedOut => {}
        }
        for response in responder.finished() {
            let Some((detection, detected_at)) = pending.remove(&response.uid) else {
                continue;
            };
            // Its processes gone (or stopped), the uid starts again from nothing; a burst that
            // was only logged, or survived, stays one incident.
            let over = response.action != Action::Log && response.survivors == 0;
            detector.handled(response.uid, over);
            let incident = incident(&detection, detected_at, &response);
            *snapshot.incidents.entry(incident.uid).or_default() += 1;
            snapshot.last_incident = Some(incident.clone());
            report(Report::Incident(incident));
        }
        let now = respond::now();
        if now.saturating_sub(last_tick) >= tick {
            last_tick = now;
            detector.forget_idle(Duration::from_nanos(now.as_nanos() as u64));
            snapshot.users = detector.counters();
            snapshot.known_processes = detector.known_processes();
            report(Report::Tick(snapshot.clone()));
        }
    }
    Ok(())
}

/// The detector's view of a connector event: processes only (a thread's fork, uid change
/// or exit is not a process's).
fn observation(kind: &EventKind) -> Option<Observation> {
    match *kind {
        EventKind::Fork {
            parent_tgid,
            child_pid,
            child_tgid,
            ..
        } if child_pid == child_tgid => Some(Observation::Fork {
            parent: parent_tgid,
            child: child_tgid,
        }),
        EventKind::Uid {
            pid, tgid, ruid, ..
        } if pid == tgid => Some(Observation::Uid {
            pid: tgid,
            uid: ruid,
        }),
        EventKind::Exit { pid, tgid, .. } if pid == tgid => Some(Observation::Exit { pid }),
        _ => None,
    }
}

fn incident(detection: &Detection, detected_at: String, response: &Response) -> Incident {
    let ms = |d: Duration| (d.as_secs_f64() * 10_000.0).round() / 10.0;
    Incident {
        uid: detection.uid,
        user: response.user.clone(),
        detected_at,
        score: (detection.score * 10.0).round() / 10.0,
        tasks: detection.tasks,
        tasks_stopped: response.tasks_stopped,
        tasks_killed: response.tasks_killed,
        survivors: response.survivors,
        detect_ms: ms(detection.detected_at.saturating_sub(detection.burst_start)),
        zero_ms: response
            .zero_at
            .map(|zero| ms(zero.saturating_sub(detection.burst_start))),
        action: response.action,
        method: response.method,
        detected_mono: detection.detected_at,
        zero_mono: response.zero_at,
    }
}

/// The wall clock as RFC 3339 UTC, to the millisecond.
pub fn wall_clock_now() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        now.subsec_millis()
    )
}

/// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(20_787), (2026, 11, 30));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn only_processes_are_observed() {
        let fork = |child_pid, child_tgid| EventKind::Fork {
            parent_pid: 1,
            parent_tgid: 1,
            child_pid,
            child_tgid,
        };
        assert_eq!(
            observation(&fork(5, 5)),
            Some(Observation::Fork {
                parent: 1,
                child: 5
            })
        );
        assert_eq!(observation(&fork(6, 5)), None, "a thread");
        let uid = EventKind::Uid {
            pid: 7,
            tgid: 7,
            ruid: 1000,
            euid: 0,
        };
        assert_eq!(
            observation(&uid),
            Some(Observation::Uid { pid: 7, uid: 1000 })
        );
    }
}
