//! `forklab lab`: every experiment, each as forklab's own command with `--json`, into one
//! `report.json` (written after each step) and the page made from it.
//!
//! Each step is a child process (this binary, with the step's arguments), so that a step
//! that fails or crashes costs only its own section, and each section is exactly the
//! document that command prints with `--json`.

use crate::Outcome;
use crate::args::{LabArgs, Step};
use crate::output::{spinner, to_stderr, to_stdout};
use anyhow::Context;
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) fn run(args: LabArgs) -> anyhow::Result<Outcome> {
    let steps: Vec<Step> = if args.only.is_empty() {
        Step::ALL.to_vec()
    } else {
        Step::ALL
            .into_iter()
            .filter(|s| args.only.contains(s))
            .collect()
    };
    let exe = std::env::current_exe().context("finding the forklab binary")?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let machine = forklab_lab::system::Machine::current();
    let mut report = json!({
        "report_version": 1,
        "forklab_version": env!("CARGO_PKG_VERSION"),
        "machine": {
            "kernel": machine.kernel,
            "arch": machine.arch,
            "hostname": machine.hostname,
            "cpus": machine.cpus,
            "memory_bytes": machine.memory_bytes,
            "glibc": machine.glibc,
            "forklab_version": env!("CARGO_PKG_VERSION"),
            "date": forklab_guard::guard::wall_clock_now(),
            "quick": args.quick,
        },
    });
    for step in Step::ALL {
        let value = if steps.contains(&step) {
            json!({"skipped": "not run yet (the run was interrupted before this step)"})
        } else {
            json!({"skipped": "not selected (--only)"})
        };
        report[step.key()] = value;
    }
    save(&args.out, &report)?;
    let page = args.out.join("index.html");
    super::report::write_page(&report, &page)?;
    let mut failed = 0;
    for &step in &steps {
        let started = Instant::now();
        let (value, line) = match skip_reason(step) {
            Some(why) => (json!({ "skipped": why }), format!("skipped: {why}")),
            None => {
                let bar = spinner(step.key());
                let result = run_step(&exe, step, args.quick);
                bar.finish_and_clear();
                match result {
                    Ok(document) => (document, String::new()),
                    Err(error) => {
                        failed += 1;
                        let line = format!("failed: {error}");
                        (json!({ "error": error }), line)
                    }
                }
            }
        };
        report[step.key()] = value;
        save(&args.out, &report)?;
        super::report::write_page(&report, &page)?;
        let line = if line.is_empty() {
            summary(step, &report, started.elapsed().as_secs_f64())
        } else {
            line
        };
        to_stderr!("forklab lab: {}: {line}", step.key());
    }
    to_stdout(|out| std::io::Write::write_fmt(out, format_args!("{}\n", page.display())))?;
    if failed > 0 {
        to_stderr!(
            "forklab lab: {failed} of {} steps failed; the report says why",
            steps.len()
        );
        return Ok(Outcome::Failure);
    }
    Ok(Outcome::Success)
}

/// Why a step cannot run here, if it cannot.
fn skip_reason(step: Step) -> Option<String> {
    let root = forklab_spawn::Identity::current().euid == 0;
    match step {
        Step::Guard if !root => Some(
            "needs root (the drill runs bombs as another user inside cgroups, and reads the \
             process connector)"
                .into(),
        ),
        _ => None,
    }
}

/// The step's command line, after the program name.
fn arguments(step: Step, quick: bool) -> Vec<&'static str> {
    let mut argv = match step {
        Step::Race => vec!["race", "--sweep", "--format", "json", "-n"],
        Step::SpawnCost => vec!["spawn-cost", "--json"],
        Step::Inherit => vec!["inherit", "--json"],
        Step::ExecLimits => vec!["exec-limits", "--json"],
        Step::Echo => vec!["echo", "compare", "--json"],
        Step::Guard => vec!["guard", "drill", "--json"],
        Step::Limits => vec!["limits", "show", "--json"],
    };
    match (step, quick) {
        (Step::Race, true) => argv.push("2000"),
        (Step::Race, false) => argv.push("10000"),
        (Step::SpawnCost, true) => argv.extend(["-n", "30", "--parent-mib", "0,256,1024"]),
        (Step::Echo, true) => argv.extend(["--connections", "500"]),
        (Step::Guard, true) => argv.extend(["--benign-processes", "500"]),
        _ => {}
    }
    argv
}

/// The longest one step may run: far beyond what any takes on a 2-core machine (race, the
/// longest, about 30 s in a full run), so that only a step that hangs meets it.
fn time_limit(quick: bool) -> Duration {
    Duration::from_secs(if quick { 180 } else { 900 })
}

/// Runs one step; its JSON document, or why there is none. A command that ran and found a
/// failure (exit 1) still printed its document: that is a result, not an error. A step that
/// runs over its time limit is asked to stop (SIGTERM, which every step handles by cleaning
/// up: the drill removes its cgroups), then killed.
fn run_step(exe: &Path, step: Step, quick: bool) -> Result<Value, String> {
    run_limited(exe, &arguments(step, quick), time_limit(quick))
}

fn run_limited(exe: &Path, args: &[&str], limit: Duration) -> Result<Value, String> {
    let mut child = Command::new(exe)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let start = Instant::now();
    let mut over = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Ok(status),
            Ok(None) if start.elapsed() >= limit && !over => {
                over = true;
                // Our own unreaped child: its pid cannot have changed hands.
                let pid = nix::unistd::Pid::from_raw(child.id() as i32);
                let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
            }
            Ok(None) if over && start.elapsed() >= limit + Duration::from_secs(30) => {
                let _ = child.kill();
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => break Err(format!("waiting for it: {e}")),
        }
    }?;
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    if over {
        return Err(format!(
            "ran over its time limit ({} s) and was stopped",
            limit.as_secs()
        ));
    }
    let stderr = String::from_utf8_lossy(&stderr);
    let last_error = stderr
        .lines()
        .rev()
        .find(|l| l.starts_with("forklab: error: "))
        .or_else(|| stderr.lines().rev().find(|l| !l.trim().is_empty()))
        .map(|l| l.trim_start_matches("forklab: error: ").to_string());
    match status.code() {
        Some(0 | 1) => serde_json::from_slice(&stdout).map_err(|e| {
            format!(
                "its output is not a JSON document ({e}){}",
                detail(&last_error)
            )
        }),
        Some(code) => Err(last_error.unwrap_or_else(|| format!("exited with status {code}"))),
        None => Err(format!("killed by a signal{}", detail(&last_error))),
    }
}

fn detail(error: &Option<String>) -> String {
    error.as_ref().map_or(String::new(), |e| format!(": {e}"))
}

/// The step's one-line summary: its section's finding, and how long it took.
fn summary(step: Step, report: &Value, seconds: f64) -> String {
    let finding = forklab_report::findings(report)
        .into_iter()
        .find(|(key, _)| *key == step.key())
        .and_then(|(_, finding)| finding);
    match finding {
        Some(finding) => format!("{finding} ({seconds:.1} s)"),
        None => format!("measured in {seconds:.1} s"),
    }
}

/// Writes `report.json` whole, through a temporary file renamed over it, so that a reader (or
/// an interrupted run) never sees half a report.
fn save(dir: &Path, report: &Value) -> anyhow::Result<()> {
    let path = dir.join("report.json");
    let temporary = dir.join(".report.json.partial");
    let text = serde_json::to_string_pretty(report).context("cannot render the report")?;
    std::fs::write(&temporary, text + "\n")
        .and_then(|()| std::fs::rename(&temporary, &path))
        .with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_that_fails_or_prints_no_json_is_an_error_with_its_reason() {
        let script = |text: &str| {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("step");
            std::fs::write(&path, format!("#!/bin/sh\n{text}\n")).unwrap();
            let mut perms = std::fs::metadata(&path).unwrap().permissions();
            std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
            std::fs::set_permissions(&path, perms).unwrap();
            (dir, path)
        };
        let (_d, fails) = script("echo 'forklab: error: no such thing' >&2; exit 2");
        assert_eq!(
            run_step(&fails, Step::Inherit, true),
            Err("no such thing".into())
        );
        let (_d, silent) = script("exit 0");
        let e = run_step(&silent, Step::Inherit, true).unwrap_err();
        assert!(e.starts_with("its output is not a JSON document"), "{e}");
        let (_d, found) = script("echo '{\"mismatches\": 1}'; exit 1");
        assert_eq!(
            run_step(&found, Step::Inherit, true),
            Ok(json!({"mismatches": 1}))
        );
        let (_d, killed) = script("kill -9 $$");
        assert!(
            run_step(&killed, Step::Inherit, true)
                .unwrap_err()
                .starts_with("killed by a signal")
        );
    }

    #[test]
    fn a_step_that_hangs_is_stopped_at_its_limit() {
        let start = Instant::now();
        let e =
            run_limited(Path::new("/bin/sleep"), &["30"], Duration::from_millis(300)).unwrap_err();
        assert!(e.contains("ran over its time limit"), "{e}");
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn every_step_writes_a_section_the_report_reads() {
        let keys: Vec<&str> = Step::ALL.iter().map(|s| s.key()).collect();
        assert_eq!(keys, forklab_report::SECTIONS);
    }

    #[test]
    fn quick_runs_ask_for_less() {
        assert!(arguments(Step::Race, true).ends_with(&["-n", "2000"]));
        assert!(arguments(Step::Race, false).ends_with(&["-n", "10000"]));
        assert!(arguments(Step::Echo, true).contains(&"500"));
        assert_eq!(arguments(Step::Limits, true), ["limits", "show", "--json"]);
    }
}
