//! The three renderings of a race: the article-style table, the article's own lines
//! (`--format tlpi`), and (elsewhere, by serde) JSON; plus the sweep table and the awk-style
//! summary of `--analyze`.

use forklab_lab::race::{Analysis, First, Race, Sweep, Tally};
use std::io::{self, BufWriter, Write};

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

pub(super) fn print_analysis(analysis: &Analysis) {
    println!("All done");
    println!("{}", tally_rows(&analysis.first));
    println!(
        "{} trials in {} lines from {}; {} malformed, {} trials without exactly two lines",
        analysis.trials, analysis.lines, analysis.source, analysis.malformed, analysis.unpaired
    );
}

pub(super) fn print_race(race: &Race) {
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
    print_times(race);
    print_expectations(race);
}

/// Percentiles of the time from just before the fork call to each side's first action
/// (ticket measure) and to the reap.
fn print_times(race: &Race) {
    let row = |what: &str, p50_us: f64, p99_us: f64| {
        println!("  {what:<36} {p50_us:>10.1} {p99_us:>10.1}");
    };
    let header = "time from just before the fork call";
    println!("{header:<38} {:>10} {:>10}", "p50 µs", "p99 µs");
    if let Some(l) = &race.latency {
        row(
            "until the child's first action",
            l.child_p50_ns / 1e3,
            l.child_p99_ns / 1e3,
        );
        row(
            "until fork returns in the parent",
            l.parent_p50_ns / 1e3,
            l.parent_p99_ns / 1e3,
        );
    }
    if let (Some(p50), Some(p99)) = (race.trial_p50_us, race.trial_p99_us) {
        row("until the child is reaped (a trial)", p50, p99);
    }
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
pub(super) fn print_lines(race: &Race) -> anyhow::Result<()> {
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

pub(super) fn print_sweep(sweep: &Sweep) {
    println!(
        "who runs first after fork: {} trials per variant (kernel {}, {} CPUs)",
        sweep.trials, sweep.kernel, sweep.cpus
    );
    println!(
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
    );
    for race in &sweep.variants {
        let v = race.variant();
        let head = format!("{:<6} {:<5} {:<6} {:<7}", v.via, v.pin, v.sched, v.measure);
        println!("{head} {}", sweep_cells(race).trim_end());
    }
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
