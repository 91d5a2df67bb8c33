//! The three renderings of a race: the article-style table, the article's own lines
//! (`--format tlpi`), and (elsewhere, by serde) JSON; plus the sweep table and the awk-style
//! summary of `--analyze`. Tables go to a writer, so a closed or full stdout is an error to
//! report, not a panic.

use crate::output::plural;
use forklab_lab::race::{Analysis, First, Race, Sweep, Tally};
use std::io::{self, Write};

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

/// `1 trial`, `3 of 10 trials`: how many trials ran of those asked for.
fn trials_done(trials: u64, requested: u64) -> String {
    if trials < requested {
        format!("{trials} of {}", plural(requested, "trial"))
    } else {
        plural(trials, "trial")
    }
}

pub(super) fn print_analysis(out: &mut dyn Write, analysis: &Analysis) -> io::Result<()> {
    writeln!(out, "All done")?;
    writeln!(out, "{}", tally_rows(&analysis.first))?;
    writeln!(
        out,
        "{} in {} from {}; {} malformed, {} without exactly two lines",
        plural(analysis.trials, "trial"),
        plural(analysis.lines, "line"),
        analysis.source,
        analysis.malformed,
        plural(analysis.unpaired, "trial")
    )
}

pub(super) fn print_race(out: &mut dyn Write, race: &Race) -> io::Result<()> {
    writeln!(
        out,
        "who runs first after fork: {}, {}",
        plural(race.requested, "trial"),
        race.variant()
    )?;
    if let Some(reason) = &race.skipped {
        return writeln!(out, "skipped: {reason}");
    }
    if race.trials == 0 {
        // Nothing was measured (the first fork failed): no counts, times or verdicts to show.
        return writeln!(out, "no trial completed (kernel {})", race.kernel);
    }
    if let Some(first) = &race.first {
        writeln!(out, "{}", tally_rows(first))?;
    }
    writeln!(
        out,
        "{} in {:.3} s: {:.1} µs per trial (kernel {}, {}{})",
        trials_done(race.trials, race.requested),
        race.elapsed_s,
        race.per_trial_us,
        race.kernel,
        plural(race.cpus as u64, "CPU"),
        race.pinned_cpu
            .map(|c| format!(", pinned to CPU {c}"))
            .unwrap_or_default()
    )?;
    print_times(out, race)?;
    print_expectations(out, race)
}

/// Percentiles of the time from just before the fork call to each side's first action
/// (ticket measure) and to the reap.
fn print_times(out: &mut dyn Write, race: &Race) -> io::Result<()> {
    let header = "time from just before the fork call";
    writeln!(out, "{header:<38} {:>10} {:>10}", "p50 µs", "p99 µs")?;
    let mut row = |what: &str, p50_us: f64, p99_us: f64| {
        writeln!(out, "  {what:<36} {p50_us:>10.1} {p99_us:>10.1}")
    };
    if let Some(l) = &race.latency {
        row(
            "until the child's first action",
            l.child_p50_ns / 1e3,
            l.child_p99_ns / 1e3,
        )?;
        row(
            "until fork returns in the parent",
            l.parent_p50_ns / 1e3,
            l.parent_p99_ns / 1e3,
        )?;
    }
    if let (Some(p50), Some(p99)) = (race.trial_p50_us, race.trial_p99_us) {
        row("until the child is reaped (a trial)", p50, p99)?;
    }
    Ok(())
}

fn print_expectations(out: &mut dyn Write, race: &Race) -> io::Result<()> {
    if let (Some(expected), Some(met)) = (race.expected_first, race.expectation_met) {
        let verdict = if met { "met" } else { "NOT MET" };
        writeln!(
            out,
            "expected: {} first in every trial (CLONE_VFORK suspends the parent): {verdict}",
            expected.name()
        )?;
    }
    match race.sched_child_runs_first {
        Some(value) => writeln!(out, "kernel.sched_child_runs_first = {value}"),
        None => writeln!(
            out,
            "kernel.sched_child_runs_first: absent (no effect since EEVDF in Linux 6.6, then removed; nothing asks for either order)"
        ),
    }
}

/// `--format tlpi`: the lines on stdout (already written there by the two processes for the
/// stdout measure), a summary on stderr as the C program prints its elapsed time.
pub(super) fn print_lines(race: &Race) -> anyhow::Result<()> {
    crate::output::to_stdout(|out| {
        for (j, first) in race.order.iter().enumerate() {
            let (a, b) = match first {
                First::Parent => ("parent", "child"),
                First::Child => ("child", "parent"),
            };
            writeln!(out, "{j} {a}\n{j} {b}")?;
        }
        Ok(())
    })?;
    let who = race.first.map(|f| {
        format!(
            "; parent first {} ({:.2}%), child first {} ({:.2}%)",
            f.parent_first, f.parent_first_pct, f.child_first, f.child_first_pct
        )
    });
    crate::output::to_stderr!(
        "forklab race: {} in {:.3} s, {:.1} µs per trial ({}){}",
        plural(race.trials, "trial"),
        race.elapsed_s,
        race.per_trial_us,
        race.variant(),
        who.unwrap_or_default()
    );
    if let Some(reason) = &race.skipped {
        crate::output::to_stderr!("forklab race: skipped: {reason}");
    }
    Ok(())
}

pub(super) fn print_sweep(out: &mut dyn Write, sweep: &Sweep) -> io::Result<()> {
    writeln!(
        out,
        "who runs first after fork: {} per variant (kernel {}, {})",
        plural(sweep.trials, "trial"),
        sweep.kernel,
        plural(sweep.cpus as u64, "CPU")
    )?;
    writeln!(
        out,
        "{:<6} {:<5} {:<6} {:<7} {:>13} {:>12} {:>12} {:>12} {:>13}  note",
        "via",
        "pin",
        "sched",
        "measure",
        "parent first",
        "child first",
        "trial p50 µs",
        "child p50 µs",
        "parent p50 µs",
    )?;
    for race in &sweep.variants {
        let v = race.variant();
        let head = format!("{:<6} {:<5} {:<6} {:<7}", v.via, v.pin, v.sched, v.measure);
        writeln!(out, "{head} {}", sweep_cells(race).trim_end())?;
    }
    Ok(())
}

/// The measured columns of a sweep row, then a note (a skip reason, a fork failure).
fn sweep_cells(race: &Race) -> String {
    if let Some(reason) = &race.skipped {
        let dash = "-";
        return format!(
            "{dash:>13} {dash:>12} {dash:>12} {dash:>12} {dash:>13}  skipped: {reason}"
        );
    }
    let first = race.first.unwrap_or_default();
    let us = |value: Option<f64>| value.map_or("-".to_string(), |v| format!("{v:.1}"));
    let trial = us(race.trial_p50_us);
    let child = us(race.latency.map(|l| l.child_p50_ns / 1e3));
    let parent = us(race.latency.map(|l| l.parent_p50_ns / 1e3));
    let note = race.fork_error.clone().unwrap_or_default();
    format!(
        "{:>12.2}% {:>11.2}% {trial:>12} {child:>12} {parent:>13}  {note}",
        first.parent_first_pct, first.child_first_pct
    )
}
