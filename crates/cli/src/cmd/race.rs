//! `forklab race`: who runs first after fork, as a table like the article's, the article's own
//! lines (`--format tlpi`), or JSON; `--sweep` for every variant; `--analyze` to count lines.

use crate::Outcome;
use crate::args::{RaceArgs, RaceFormat};
use crate::output;
use anyhow::{Context, bail};
use forklab_lab::race::{
    self, Analysis, First, Lines, Measure, Options, Progress, Race, Sweep, Tally, Variant,
};
use indicatif::ProgressBar;
use std::io::{self, BufWriter, Write};
use std::os::fd::AsFd;
use std::path::Path;
use std::time::{Duration, Instant};

pub(crate) fn run(args: RaceArgs) -> anyhow::Result<Outcome> {
    let format = if args.json {
        RaceFormat::Json
    } else {
        args.format
    };
    if let Some(file) = &args.analyze {
        return analyze(file.as_deref(), format);
    }
    if args.sweep {
        return sweep(&args, format);
    }
    let variant = Variant {
        via: args.via,
        pin: args.pin,
        sched: args.sched,
        measure: args.measure,
    };
    let options = Options {
        trials: args.n,
        variant,
    };
    let stdout = io::stdout();
    let lines = match (format, args.measure) {
        (RaceFormat::Tlpi, Measure::Stdout) => Lines::Write(stdout.as_fd()),
        _ => Lines::Count,
    };
    let mut bar = LateBar::new(args.n);
    let race = race::run(&options, lines, &mut |p| bar.update(p));
    bar.finish();
    let race = race?;
    match format {
        RaceFormat::Table => print_race(&race),
        RaceFormat::Json => output::print_json(&race)?,
        RaceFormat::Tlpi => print_lines(&race)?,
    }
    Ok(report_failure(&race))
}

/// Says on stderr what went wrong in a run; `Failure` if anything did.
fn report_failure(race: &Race) -> Outcome {
    if let Some(error) = &race.fork_error {
        eprintln!(
            "forklab: error: {error}; the {} trials before it are reported",
            race.trials
        );
    }
    if race.expectation_met == Some(false) {
        let first = race.first.unwrap_or_default();
        eprintln!(
            "forklab: error: {}: the child was first in {} of {} trials, but the parent sleeps \
             until the child exits (CLONE_VFORK), so it must be first in all",
            race.via, first.child_first, race.trials
        );
    }
    if race.failed() {
        Outcome::Failure
    } else {
        Outcome::Success
    }
}

fn sweep(args: &RaceArgs, format: RaceFormat) -> anyhow::Result<Outcome> {
    if format == RaceFormat::Tlpi {
        bail!("--sweep prints a table or JSON, not the article's lines (drop --format tlpi)");
    }
    let mut bar = LateBar::new(args.n * Variant::matrix(args.measure).len());
    let sweep = race::sweep(args.n, args.measure, &mut |p| bar.update(p));
    bar.finish();
    let sweep = sweep?;
    match format {
        RaceFormat::Json => output::print_json(&sweep)?,
        _ => print_sweep(&sweep),
    }
    let failed: Vec<Outcome> = sweep.variants.iter().map(report_failure).collect();
    Ok(if failed.iter().any(|o| matches!(o, Outcome::Failure)) {
        Outcome::Failure
    } else {
        Outcome::Success
    })
}

fn analyze(file: Option<&Path>, format: RaceFormat) -> anyhow::Result<Outcome> {
    if format == RaceFormat::Tlpi {
        bail!("--analyze prints a table or JSON, not the article's lines (drop --format tlpi)");
    }
    let analysis = match file {
        None => race::analyze(io::stdin().lock(), "-").context("cannot read stdin")?,
        Some(path) if path == Path::new("-") => {
            race::analyze(io::stdin().lock(), "-").context("cannot read stdin")?
        }
        Some(path) => {
            let read = || {
                race::analyze(
                    io::BufReader::new(std::fs::File::open(path)?),
                    &path.display().to_string(),
                )
            };
            read().with_context(|| format!("cannot read {}", path.display()))?
        }
    };
    for problem in &analysis.problems {
        eprintln!("{problem}");
    }
    match format {
        RaceFormat::Json => output::print_json(&analysis)?,
        _ => print_analysis(&analysis),
    }
    if analysis.malformed == 0 {
        return Ok(Outcome::Success);
    }
    let unshown = analysis.malformed - analysis.problems.len() as u64;
    let more = if unshown > 0 {
        format!(" ({unshown} not shown)")
    } else {
        String::new()
    };
    eprintln!(
        "forklab: error: {} malformed lines in {} were skipped{more}",
        analysis.malformed, analysis.source
    );
    Ok(Outcome::Failure)
}

/// The awk script's rows: `parent   9983  99.83%`.
fn tally_rows(first: &Tally) -> String {
    format!(
        "{:<6} {:>6} {:>6.2}%\n{:<6} {:>6} {:>6.2}%",
        "parent",
        first.parent_first,
        first.parent_first_pct,
        "child",
        first.child_first,
        first.child_first_pct
    )
}

fn print_analysis(analysis: &Analysis) {
    println!("All done");
    println!("{}", tally_rows(&analysis.first));
    println!(
        "{} trials in {} lines from {}; {} malformed, {} trials without exactly two lines",
        analysis.trials, analysis.lines, analysis.source, analysis.malformed, analysis.unpaired
    );
}

fn print_race(race: &Race) {
    println!(
        "who runs first after fork: {} trials, {}",
        race.requested,
        race.variant()
    );
    if let Some(reason) = &race.skipped {
        println!("skipped: {reason}");
        return;
    }
    if let Some(first) = &race.first {
        println!("{}", tally_rows(first));
    }
    let done = if race.trials < race.requested {
        format!("{} of {}", race.trials, race.requested)
    } else {
        race.trials.to_string()
    };
    println!(
        "{done} trials in {:.3} s: {:.1} µs per trial (kernel {}, {} CPUs{})",
        race.elapsed_s,
        race.per_trial_us,
        race.kernel,
        race.cpus,
        race.pinned_cpu
            .map(|c| format!(", pinned to CPU {c}"))
            .unwrap_or_default()
    );
    if let Some(l) = &race.latency {
        println!(
            "{:<38} {:>10} {:>10}",
            "from the fork call to", "p50 µs", "p99 µs"
        );
        println!(
            "{:<38} {:>10.1} {:>10.1}",
            "  the child's first instruction",
            l.child_p50_ns / 1e3,
            l.child_p99_ns / 1e3
        );
        println!(
            "{:<38} {:>10.1} {:>10.1}",
            "  fork returning in the parent",
            l.parent_p50_ns / 1e3,
            l.parent_p99_ns / 1e3
        );
        println!(
            "{:<38} {:>10.1} {:>10.1}",
            "  the child reaped (whole trial)", l.trial_p50_us, l.trial_p99_us
        );
    }
    print_expectations(race);
}

fn print_expectations(race: &Race) {
    if let (Some(expected), Some(met)) = (race.expected_first, race.expectation_met) {
        let verdict = if met { "met" } else { "NOT MET" };
        println!(
            "expected: {} first in every trial (CLONE_VFORK suspends the parent): {verdict}",
            expected.name()
        );
    }
    match race.sched_child_runs_first {
        Some(value) => println!("kernel.sched_child_runs_first = {value}"),
        None => println!(
            "kernel.sched_child_runs_first: absent (removed with CFS in Linux 6.6; nothing asks for either order)"
        ),
    }
}

/// `--format tlpi`: the lines on stdout (already written there by the two processes for the
/// stdout measure), a summary on stderr as the C program prints its elapsed time.
fn print_lines(race: &Race) -> anyhow::Result<()> {
    let mut out = BufWriter::new(io::stdout().lock());
    for (j, first) in race.order.iter().enumerate() {
        let (a, b) = match first {
            First::Parent => ("parent", "child"),
            First::Child => ("child", "parent"),
        };
        writeln!(out, "{j} {a}\n{j} {b}")?;
    }
    out.flush()?;
    let who = race.first.map(|f| {
        format!(
            "; parent first {} ({:.2}%), child first {} ({:.2}%)",
            f.parent_first, f.parent_first_pct, f.child_first, f.child_first_pct
        )
    });
    eprintln!(
        "forklab race: {} trials in {:.3} s, {:.1} µs per trial ({}){}",
        race.trials,
        race.elapsed_s,
        race.per_trial_us,
        race.variant(),
        who.unwrap_or_default()
    );
    if let Some(reason) = &race.skipped {
        eprintln!("forklab race: skipped: {reason}");
    }
    Ok(())
}

fn print_sweep(sweep: &Sweep) {
    println!(
        "who runs first after fork: {} trials per variant (kernel {}, {} CPUs)",
        sweep.trials, sweep.kernel, sweep.cpus
    );
    println!(
        "{:<6} {:<5} {:<6} {:<7} {:>13} {:>12} {:>9} {:>12} {:>13}  note",
        "via",
        "pin",
        "sched",
        "measure",
        "parent first",
        "child first",
        "µs/trial",
        "child p50 µs",
        "parent p50 µs",
    );
    for race in &sweep.variants {
        let v = race.variant();
        print!("{:<6} {:<5} {:<6} {:<7} ", v.via, v.pin, v.sched, v.measure);
        if let Some(reason) = &race.skipped {
            println!(
                "{:>13} {:>12} {:>9} {:>12} {:>13}  skipped: {reason}",
                "-", "-", "-", "-", "-"
            );
            continue;
        }
        let first = race.first.unwrap_or_default();
        let (child, parent) = race.latency.map_or(("-".into(), "-".into()), |l| {
            (
                format!("{:.1}", l.child_p50_ns / 1e3),
                format!("{:.1}", l.parent_p50_ns / 1e3),
            )
        });
        let note = race.fork_error.clone().unwrap_or_default();
        println!(
            "{:>12.2}% {:>11.2}% {:>9.1} {child:>12} {parent:>13}  {note}",
            first.parent_first_pct, first.child_first_pct, race.per_trial_us
        );
    }
}

/// A progress bar that appears once a run has lasted a second, and only on a terminal. It is
/// updated from the trial loop: no ticking thread, because a process with threads forks
/// slower and its children may only call async-signal-safe functions.
struct LateBar {
    total: u64,
    start: Instant,
    bar: Option<ProgressBar>,
}

impl LateBar {
    fn new(total: usize) -> LateBar {
        LateBar {
            total: total as u64,
            start: Instant::now(),
            bar: None,
        }
    }

    fn update(&mut self, p: Progress) {
        if self.bar.is_none() && self.start.elapsed() >= Duration::from_secs(1) {
            self.bar = Some(output::progress_bar(self.total, "race"));
        }
        if let Some(bar) = &self.bar {
            bar.set_position(p.done as u64);
            bar.set_message(p.variant.to_string());
        }
    }

    fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}
