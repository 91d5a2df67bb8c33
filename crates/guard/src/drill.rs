//! `forklab guard drill`: prove the guard on this machine, safely.
//!
//! A guard runs in this process, watching only the drill's uids. Each bomb then runs as an
//! unprivileged uid inside a safety group (a cgroup with a `pids.max` cap, default 20,000,
//! far above what the guard should let it reach) and is timed from its start: when the guard
//! detected it, the most tasks it had, when none was left, and who survived. A benign burst
//! follows as another uid — thousands of short processes, one after another and two at a
//! time — which must raise no incident. Whatever happens, every safety group is emptied
//! (race-free, [`PidsGroup::kill_all`]) and removed before the drill returns, and this
//! process reaps every orphan as a child subreaper.

use crate::bomb::{self, BombKind};
use crate::cgroup::{CgroupError, PidsGroup};
use crate::guard::{self, GuardConfig, GuardError, Incident, Report};
use crate::reap::{Reaper, Subreaper};
use crate::respond::{self, Action};
use forklab_spawn::Command;
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// What to drill.
#[derive(Debug, Clone)]
pub struct DrillOptions {
    /// The bombs, in order.
    pub kinds: Vec<BombKind>,
    /// The uid the bombs run as (needs no passwd entry).
    pub uid: u32,
    /// The uid of the benign burst.
    pub benign_uid: u32,
    /// Short processes in each benign run (three runs: serial, then two at once).
    pub benign_processes: u32,
    /// The safety group's `pids.max`.
    pub cap: u64,
    /// How long a bomb may run before the drill ends it itself.
    pub limit: Duration,
    /// The forklab binary (the `fork` and `vfork-exec` bombs are its `__bomb`).
    pub exe: PathBuf,
    /// The guard's settings (its thresholds are what is drilled).
    pub guard: GuardConfig,
}

/// One bomb's result: the `bombs` entries of the drill's JSON.
#[derive(Debug, Clone, Serialize)]
pub struct BombResult {
    /// The bomb.
    pub kind: BombKind,
    /// Whether the guard raised an incident for it.
    pub detected: bool,
    /// Milliseconds from the bomb's start to detection.
    pub detect_ms: Option<f64>,
    /// The most tasks the safety group held.
    pub peak_tasks: u64,
    /// Milliseconds from the bomb's start to no task of it left.
    pub zero_ms: Option<f64>,
    /// Processes of the bomb's uid alive after the guard's response.
    pub survivors: u64,
    /// Forks the safety cap refused (0 unless the guard was too slow).
    pub forks_refused: u64,
    /// What the guard's response counted.
    pub tasks_stopped: u64,
    /// What the guard's response killed.
    pub tasks_killed: u64,
}

/// The benign burst's result.
#[derive(Debug, Clone, Serialize)]
pub struct BenignResult {
    /// Incidents raised for the benign uid (must be 0).
    pub incidents: u64,
    /// Short processes run.
    pub processes: u64,
    /// Seconds the serial run took.
    pub serial_s: f64,
    /// Seconds the two parallel runs took.
    pub parallel_s: f64,
}

/// The drill's JSON document.
#[derive(Debug, Clone, Serialize)]
pub struct DrillReport {
    /// Per bomb.
    pub bombs: Vec<BombResult>,
    /// The benign burst.
    pub benign: BenignResult,
    /// The thresholds drilled.
    pub thresholds: crate::detect::Thresholds,
    /// The safety cap.
    pub cap: u64,
    /// Times the kernel dropped events during the drill.
    pub events_lost: u64,
}

impl DrillReport {
    /// Whether every bomb was caught with no survivor and the burst raised nothing.
    pub fn passed(&self) -> bool {
        self.benign.incidents == 0
            && self
                .bombs
                .iter()
                .all(|b| b.detected && b.survivors == 0 && b.zero_ms.is_some())
    }
}

/// Why the drill could not run.
#[derive(Debug, thiserror::Error)]
pub enum DrillError {
    /// The drill needs root.
    #[error(
        "the drill needs root: it runs the guard (the process connector) and bombs as another \
         user inside cgroups"
    )]
    NotRoot,
    /// A drill uid is exempt from the guard (it would never act).
    #[error("uid {0} is exempt from the guard (below {1}): drill with a uid at or above it")]
    Exempt(u32, u32),
    /// The guard failed.
    #[error(transparent)]
    Guard(#[from] GuardError),
    /// A safety group could not be made or emptied.
    #[error(transparent)]
    Cgroup(#[from] CgroupError),
    /// A bomb or the benign burst could not be started.
    #[error(transparent)]
    Spawn(#[from] forklab_spawn::SpawnError),
    /// The guard thread stopped unexpectedly.
    #[error("the guard thread stopped: {0}")]
    GuardStopped(String),
    /// Interrupted (every safety group was still emptied and removed).
    #[error("interrupted; every bomb was ended and its cgroup removed")]
    Interrupted,
}

fn interrupted(interrupt: &AtomicBool) -> Result<(), DrillError> {
    if interrupt.load(Ordering::Relaxed) {
        Err(DrillError::Interrupted)
    } else {
        Ok(())
    }
}

/// Runs the drill. `progress` is told what is happening, for a person watching; setting
/// `interrupt` ends the drill early (cleaning up all the same) with
/// [`DrillError::Interrupted`].
///
/// The calling thread runs at real-time priority while the drill lasts (`SCHED_FIFO`, reset
/// for every process it starts): under a bomb an ordinary thread barely runs, and this one
/// must keep measuring and, if the guard fails, end the bomb itself.
pub fn drill(
    opts: &DrillOptions,
    interrupt: &AtomicBool,
    mut progress: impl FnMut(&str),
) -> Result<DrillReport, DrillError> {
    if !rustix::process::geteuid().is_root() || !rustix::process::getuid().is_root() {
        return Err(DrillError::NotRoot);
    }
    for uid in [opts.uid, opts.benign_uid] {
        if opts.guard.exempt.covers(uid) {
            return Err(DrillError::Exempt(uid, opts.guard.exempt.below));
        }
    }
    let mut config = opts.guard.clone();
    config.only_uids = vec![opts.uid, opts.benign_uid];
    if config.action == Action::Log {
        config.action = Action::Kill;
    }
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, incidents) = mpsc::channel::<Report>();
    let (ready_tx, ready) = mpsc::channel::<Result<(), String>>();
    let guard_thread = {
        let stop = stop.clone();
        std::thread::Builder::new()
            .name("forklab-guard".into())
            .spawn(move || {
                let mut first = Some(ready_tx);
                let result = guard::run(&config, &stop, |report| {
                    if let Some(ready) = first.take() {
                        let _ = ready.send(Ok(()));
                    }
                    let _ = tx.send(report);
                });
                if let (Err(e), Some(ready)) = (&result, first) {
                    let _ = ready.send(Err(e.to_string()));
                }
                result
            })
            .map_err(|e| DrillError::GuardStopped(e.to_string()))?
    };
    let stop_guard = || {
        stop.store(true, Ordering::Relaxed);
    };
    // The guard reports a tick within its first second, once it listens.
    match ready.recv_timeout(Duration::from_secs(10)) {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            stop_guard();
            let _ = guard_thread.join();
            return Err(DrillError::GuardStopped(e));
        }
        Err(_) => {
            stop_guard();
            return Err(DrillError::GuardStopped(
                "it did not start within 10 s".into(),
            ));
        }
    }
    let subreaper = Subreaper::become_one();
    // Between the guard's loop (40) and its responder (30): the drill's clock must not wait
    // behind a response, nor hold up the events.
    let realtime = crate::sys::sched::realtime(35).ok();
    let mut lost = 0;
    let result = (|| -> Result<(Vec<BombResult>, BenignResult), DrillError> {
        let mut bombs = Vec::new();
        for &kind in &opts.kinds {
            interrupted(interrupt)?;
            progress(&format!("{kind} bomb as uid {}", opts.uid));
            bombs.push(run_bomb(opts, kind, &incidents, &mut lost, interrupt)?);
            settle(&incidents, &mut lost, Duration::from_millis(300));
        }
        interrupted(interrupt)?;
        progress(&format!("benign burst as uid {}", opts.benign_uid));
        let benign = run_benign(opts, &incidents, &mut lost, interrupt)?;
        Ok((bombs, benign))
    })();
    if let Some(saved) = realtime {
        crate::sys::sched::restore(saved);
    }
    stop_guard();
    let joined = guard_thread.join();
    Reaper::default().all(Duration::from_secs(2));
    drop(subreaper);
    let (bombs, benign) = result?;
    match joined {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(e.into()),
        Err(_) => return Err(DrillError::GuardStopped("it panicked".into())),
    }
    Ok(DrillReport {
        bombs,
        benign,
        thresholds: opts.guard.thresholds,
        cap: opts.cap,
        events_lost: lost,
    })
}

/// Takes reports for `within`, counting losses; incidents now would be stray and are
/// dropped.
fn settle(incidents: &mpsc::Receiver<Report>, lost: &mut u64, within: Duration) {
    let end = Instant::now() + within;
    while let Some(left) = end.checked_duration_since(Instant::now()) {
        match incidents.recv_timeout(left) {
            Ok(Report::Lost { .. }) => *lost += 1,
            Ok(_) => {}
            Err(_) => break,
        }
    }
}

/// Runs one bomb in a safety group and waits for the guard's incident.
fn run_bomb(
    opts: &DrillOptions,
    kind: BombKind,
    reports: &mpsc::Receiver<Report>,
    lost: &mut u64,
    interrupt: &AtomicBool,
) -> Result<BombResult, DrillError> {
    let group = PidsGroup::create("forklab-drill", None)?;
    group.set_max(Some(opts.cap))?;
    let mut cmd = bomb::command(kind, &opts.exe);
    cmd.uid(opts.uid)
        .gid(opts.uid)
        .groups(&[opts.uid])
        .reset_signal_mask(true)
        .reset_signal_dispositions(true)
        .stdin(forklab_spawn::Stdio::null())
        .stdout(forklab_spawn::Stdio::null())
        .stderr(forklab_spawn::Stdio::null());
    for dir in group.join_dirs() {
        cmd.cgroup(dir);
    }
    let start = respond::now();
    let started = Instant::now();
    let spawned = cmd.spawn();
    let mut incident: Option<Incident> = None;
    let mut peak = 0;
    if spawned.is_ok() {
        while started.elapsed() < opts.limit && !interrupt.load(Ordering::Relaxed) {
            peak = peak.max(group.current().unwrap_or(0));
            match reports.recv_timeout(Duration::from_millis(2)) {
                // Not a late report of the previous bomb: detected after this one started.
                Ok(Report::Incident(found))
                    if found.uid == opts.uid && found.detected_mono >= start =>
                {
                    incident = Some(found);
                    break;
                }
                Ok(Report::Lost { .. }) => *lost += 1,
                _ => {}
            }
            Reaper::default().ready();
        }
    }
    let survivors = crate::procfs::tasks_of(opts.uid)
        .iter()
        .filter(|t| !matches!(t.state, 'Z' | 'X'))
        .count() as u64;
    let peak = group.peak().unwrap_or(0).max(peak);
    let refused = group.forks_refused().unwrap_or(0);
    // The safety net: whatever the guard did, nothing of the bomb is left.
    let removed = group.remove(Duration::from_secs(10));
    Reaper::default().all(Duration::from_secs(2));
    spawned?;
    removed?;
    interrupted(interrupt)?;
    let ms = |d: Duration| (d.saturating_sub(start).as_secs_f64() * 10_000.0).round() / 10.0;
    Ok(BombResult {
        kind,
        detected: incident.is_some(),
        detect_ms: incident.as_ref().map(|i| ms(i.detected_mono)),
        peak_tasks: peak,
        zero_ms: incident.as_ref().and_then(|i| i.zero_mono).map(ms),
        survivors: incident
            .as_ref()
            .map_or(survivors, |i| i.survivors.max(survivors)),
        forks_refused: refused,
        tasks_stopped: incident.as_ref().map_or(0, |i| i.tasks_stopped),
        tasks_killed: incident.as_ref().map_or(0, |i| i.tasks_killed),
    })
}

/// Runs `n` short processes one after another as the benign uid, then two such runs at
/// once, and counts the guard's incidents for that uid meanwhile.
fn run_benign(
    opts: &DrillOptions,
    reports: &mpsc::Receiver<Report>,
    lost: &mut u64,
    interrupt: &AtomicBool,
) -> Result<BenignResult, DrillError> {
    let group = PidsGroup::create("forklab-drill-benign", None)?;
    group.set_max(Some(opts.cap))?;
    let script = format!(
        "i=0; while [ $i -lt {} ]; do /bin/true; i=$((i+1)); done",
        opts.benign_processes
    );
    let run = |copies: usize| -> Result<f64, DrillError> {
        let start = Instant::now();
        let mut children = Vec::new();
        for _ in 0..copies {
            let mut cmd = Command::new("/bin/sh");
            cmd.args(["-c", &script])
                .uid(opts.benign_uid)
                .gid(opts.benign_uid)
                .groups(&[opts.benign_uid])
                .reset_signal_mask(true)
                .reset_signal_dispositions(true);
            for dir in group.join_dirs() {
                cmd.cgroup(dir);
            }
            children.push(cmd.spawn()?);
        }
        // Waited for with an eye on `interrupt`: the group's removal ends them if it is set.
        for mut child in children {
            while !interrupt.load(Ordering::Relaxed) {
                match child.wait_timeout(Duration::from_millis(50)) {
                    Ok(None) => {}
                    _ => break,
                }
            }
        }
        interrupted(interrupt)?;
        Ok(start.elapsed().as_secs_f64())
    };
    let serial = run(1);
    let parallel = serial.as_ref().ok().map(|_| run(2));
    // Incidents are reported when the response ends: give a late one time to arrive.
    let mut incidents = 0;
    let end = Instant::now() + Duration::from_millis(1500);
    while let Some(left) = end.checked_duration_since(Instant::now()) {
        match reports.recv_timeout(left) {
            Ok(Report::Incident(i)) if i.uid == opts.benign_uid => incidents += 1,
            Ok(Report::Lost { .. }) => *lost += 1,
            Ok(_) => {}
            Err(_) => break,
        }
    }
    let removed = group.remove(Duration::from_secs(10));
    let serial = serial?;
    let parallel = parallel.transpose()?.unwrap_or(0.0);
    removed?;
    Ok(BenignResult {
        incidents,
        processes: 3 * u64::from(opts.benign_processes),
        serial_s: serial,
        parallel_s: parallel,
    })
}
