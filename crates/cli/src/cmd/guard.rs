//! `forklab guard` (the daemon) and `forklab guard drill`.

use crate::Outcome;
use crate::args::{DrillArgs, GuardArgs, GuardCommand, GuardRunArgs, ThresholdArgs};
use crate::output::{print_json, to_stderr, to_stdout};
use anyhow::{Context, bail};
use forklab_guard::detect::Thresholds;
use forklab_guard::drill::{self, DrillOptions, DrillReport};
use forklab_guard::guard::{self, GuardConfig, Report, Snapshot};
use forklab_guard::respond::Action;
use nix::sys::signal::{SigSet, Signal};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

pub(crate) fn run(args: GuardArgs) -> anyhow::Result<Outcome> {
    match args.command {
        Some(GuardCommand::Drill(drill)) => run_drill(drill),
        None => run_guard(args.run),
    }
}

/// The thresholds, from the defaults (or a config) with the flags applied.
fn thresholds(mut base: Thresholds, flags: &ThresholdArgs) -> Thresholds {
    if let Some(score) = flags.score {
        base.score = score;
    }
    if let Some(tasks) = flags.tasks {
        base.tasks = tasks;
    }
    if let Some(half_life) = flags.half_life {
        base.half_life_ms = half_life.as_millis().max(1) as u64;
    }
    base
}

/// The settings: the config file's, then the flags'.
fn config(args: &GuardRunArgs) -> anyhow::Result<GuardConfig> {
    let mut config = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let config = forklab_guard::config::from_toml(&text, &path.display().to_string())?;
            // Names in the file are checked here, so that an unknown one is `FILE: key: …`.
            for name in &config.exempt_users {
                if !matches!(nix::unistd::User::from_name(name), Ok(Some(_))) {
                    bail!("{}: exempt_users: unknown user {name:?}", path.display());
                }
            }
            config
        }
        None => GuardConfig::default(),
    };
    config.thresholds = thresholds(config.thresholds, &args.thresholds);
    if let Some(action) = args.action {
        config.action = action;
    }
    if args.dry_run {
        config.action = Action::Log;
    }
    if args.metrics.is_some() {
        config.metrics = args.metrics;
    }
    if args.events.is_some() {
        config.events.clone_from(&args.events);
    }
    if let Some(below) = args.exempt_below {
        config.exempt.below = below;
    }
    config.exempt.uids.extend(&args.exempt_uid);
    config.exempt_users.extend(args.exempt_user.iter().cloned());
    for name in &config.exempt_users {
        let user = nix::unistd::User::from_name(name)
            .with_context(|| format!("looking up user {name:?}"))?
            .with_context(|| format!("unknown user {name:?} in the exempt users"))?;
        config.exempt.uids.push(user.uid.as_raw());
    }
    if args.no_realtime {
        config.realtime = false;
    }
    Ok(config)
}

fn run_guard(args: GuardRunArgs) -> anyhow::Result<Outcome> {
    let config = config(&args)?;
    let mut events = match &config.events {
        Some(path) => Some(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| format!("cannot open {} for appending", path.display()))?,
        ),
        None => None,
    };
    let (stop, _signal) = stop_on_signals()?;
    let snapshot = Arc::new(Mutex::new(Snapshot::default()));
    if let Some(addr) = config.metrics {
        serve_metrics(addr, snapshot.clone())?;
    }
    let mut write_error = None;
    let t = config.thresholds;
    guard::run(&config, &stop, |report| match report {
        Report::Listening { receive_buffer } => {
            to_stderr!(
                "forklab guard: watching ({} KiB of event buffer); incident at score >= {} and \
                 >= {} live processes (half-life {} ms); action {}; exempt: uids below {}{}",
                receive_buffer / 1024,
                t.score,
                t.tasks,
                t.half_life_ms,
                config.action,
                config.exempt.below,
                if config.exempt.uids.is_empty() {
                    String::new()
                } else {
                    format!(", {:?}", config.exempt.uids)
                }
            );
        }
        Report::Incident(incident) => {
            let line = serde_json::to_string(&incident).unwrap_or_default();
            to_stderr!("{line}");
            if let Some(file) = &mut events
                && let Err(e) = writeln!(file, "{line}")
            {
                write_error.get_or_insert(e);
            }
            if let Ok(mut s) = snapshot.lock() {
                s.last_incident = Some(incident);
            }
        }
        Report::Lost { total } => {
            to_stderr!(
                "forklab guard: the kernel dropped events ({total} times so far); /proc re-read"
            );
        }
        Report::Tick(tick) => {
            if let Ok(mut s) = snapshot.lock() {
                *s = tick;
            }
        }
    })?;
    if let Some(e) = write_error {
        to_stderr!("forklab guard: warning: writing the events file failed: {e}");
    }
    to_stderr!("forklab guard: stopped");
    Ok(Outcome::Success)
}

/// SIGINT, SIGTERM, SIGHUP and SIGQUIT set the returned flag: blocked here, before any other thread
/// exists (threads inherit the mask), and taken by one thread with sigwait. Returns the
/// flag and that thread.
fn stop_on_signals() -> anyhow::Result<(Arc<AtomicBool>, std::thread::JoinHandle<()>)> {
    let mut stops = SigSet::empty();
    stops.add(Signal::SIGINT);
    stops.add(Signal::SIGTERM);
    stops.add(Signal::SIGHUP);
    stops.add(Signal::SIGQUIT);
    stops
        .thread_block()
        .context("blocking SIGINT, SIGTERM, SIGHUP and SIGQUIT")?;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let thread = std::thread::Builder::new()
        .name("forklab-signals".into())
        .spawn(move || {
            if stops.wait().is_ok() {
                flag.store(true, Ordering::Relaxed);
            }
        })
        .context("starting the signal thread")?;
    Ok((stop, thread))
}

/// Serves `GET /metrics` (any path, in fact) on a thread of its own.
fn serve_metrics(addr: std::net::SocketAddr, snapshot: Arc<Mutex<Snapshot>>) -> anyhow::Result<()> {
    let server = tiny_http::Server::http(addr)
        .map_err(|e| anyhow::anyhow!("cannot serve metrics on {addr}: {e}"))?;
    if let Some(bound) = server.server_addr().to_ip() {
        to_stderr!("forklab guard: metrics on http://{bound}/metrics");
    }
    std::thread::Builder::new()
        .name("forklab-metrics".into())
        .spawn(move || {
            for request in server.incoming_requests() {
                let body = snapshot
                    .lock()
                    .map(|s| forklab_guard::metrics::render(&s))
                    .unwrap_or_default();
                let header = tiny_http::Header::from_bytes(
                    &b"Content-Type"[..],
                    &b"text/plain; version=0.0.4; charset=utf-8"[..],
                )
                .expect("a valid header");
                let _ = request.respond(tiny_http::Response::from_string(body).with_header(header));
            }
        })
        .context("starting the metrics thread")?;
    Ok(())
}

fn run_drill(args: DrillArgs) -> anyhow::Result<Outcome> {
    let mut kinds = Vec::new();
    for kind in args.kind.into_iter().flatten() {
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    if args.uid == args.benign_uid {
        bail!("--uid and --benign-uid must differ (the burst must not be confused with a bomb)");
    }
    let mut guard = GuardConfig::default();
    guard.thresholds = thresholds(guard.thresholds, &args.thresholds);
    let opts = DrillOptions {
        kinds,
        uid: args.uid,
        benign_uid: args.benign_uid,
        benign_processes: args.benign_processes,
        cap: args.cap,
        limit: args.limit,
        exe: std::env::current_exe().context("finding the forklab binary")?,
        guard,
    };
    let (stop, _signal) = stop_on_signals()?;
    let report = match drill::drill(&opts, &stop, |step| {
        to_stderr!("forklab guard drill: {step}")
    }) {
        Ok(report) => report,
        Err(e @ drill::DrillError::Interrupted) => {
            to_stderr!("forklab: error: {e}");
            return Ok(Outcome::Exit(130));
        }
        Err(e) => return Err(e.into()),
    };
    if args.json {
        print_json(&report)?;
    } else {
        print_drill(&report)?;
    }
    Ok(if report.passed() {
        Outcome::Success
    } else {
        Outcome::Failure
    })
}

fn print_drill(r: &DrillReport) -> anyhow::Result<()> {
    let ms = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.0}"));
    to_stdout(|out| {
        writeln!(
            out,
            "guard drill: score >= {}, tasks >= {}, half-life {} ms; safety cap {} tasks",
            r.thresholds.score, r.thresholds.tasks, r.thresholds.half_life_ms, r.cap
        )?;
        writeln!(out)?;
        writeln!(
            out,
            "{:<11} {:>8} {:>10} {:>6} {:>8} {:>9} {:>8}",
            "bomb", "detected", "detect ms", "peak", "zero ms", "survivors", "refused"
        )?;
        for b in &r.bombs {
            writeln!(
                out,
                "{:<11} {:>8} {:>10} {:>6} {:>8} {:>9} {:>8}",
                b.kind.name(),
                if b.detected { "yes" } else { "NO" },
                ms(b.detect_ms),
                b.peak_tasks,
                ms(b.zero_ms),
                b.survivors,
                b.forks_refused
            )?;
        }
        writeln!(out)?;
        writeln!(
            out,
            "benign burst: {} short processes (serial {:.1} s, two at once {:.1} s): {} incidents",
            r.benign.processes, r.benign.serial_s, r.benign.parallel_s, r.benign.incidents
        )?;
        if r.events_lost > 0 {
            writeln!(
                out,
                "the kernel dropped events {} times; /proc was re-read",
                r.events_lost
            )?;
        }
        writeln!(
            out,
            "{}",
            if r.passed() {
                "PASS: every bomb caught, nothing survived, the burst raised nothing"
            } else {
                "FAIL: see above"
            }
        )
    })
}
