//! `forklab race`: who runs first after fork, as a table like the article's, the article's own
//! lines (`--format tlpi`), or JSON; `--sweep` for every variant; `--analyze` to count lines.

use crate::Outcome;
use crate::args::{RaceArgs, RaceFormat};
use crate::output::{self, plural};
use anyhow::{Context, bail};
use forklab_lab::race::{self, Lines, Measure, Options, Progress, Race, Variant};
use indicatif::ProgressBar;
use render::{print_analysis, print_lines, print_race, print_sweep};
use std::io;
use std::os::fd::AsFd;
use std::path::Path;
use std::time::{Duration, Instant};

mod render;

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
    single(&args, format)
}

/// One variant: a table, the article's lines, or JSON.
fn single(args: &RaceArgs, format: RaceFormat) -> anyhow::Result<Outcome> {
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
    // The lines the two processes write themselves are this command's output.
    let race = race.map_err(|e| match e {
        race::Error::Write(e) => output::cannot_write(e),
        e => e.into(),
    })?;
    match format {
        RaceFormat::Table => output::to_stdout(|out| print_race(out, &race))?,
        RaceFormat::Json => output::print_json(&race)?,
        RaceFormat::Tlpi => print_lines(&race)?,
    }
    Ok(report_failure(&race))
}

/// Says on stderr what went wrong in a run; `Failure` if anything did.
fn report_failure(race: &Race) -> Outcome {
    if let Some(error) = &race.fork_error {
        crate::output::to_stderr!(
            "forklab: error: {error}; the {} before it {} reported",
            plural(race.trials, "trial"),
            if race.trials == 1 { "is" } else { "are" }
        );
    }
    if race.expectation_met == Some(false) {
        let first = race.first.unwrap_or_default();
        crate::output::to_stderr!(
            "forklab: error: {}: the child was first in {} of {}, but the parent sleeps \
             until the child exits (CLONE_VFORK), so it must be first in all",
            race.via,
            first.child_first,
            plural(race.trials, "trial")
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
        _ => output::to_stdout(|out| print_sweep(out, &sweep))?,
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
        crate::output::to_stderr!("{problem}");
    }
    if analysis.trials == 0 {
        // Nothing to count: a summary of zeros would only hide the error.
        crate::output::to_stderr!(
            "forklab: error: no trials in {}: expected lines like \"0 parent\" and \"0 child\"",
            analysis.source
        );
        return Ok(Outcome::Failure);
    }
    match format {
        RaceFormat::Json => output::print_json(&analysis)?,
        _ => output::to_stdout(|out| print_analysis(out, &analysis))?,
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
    crate::output::to_stderr!(
        "forklab: error: {} in {} {} skipped{more}",
        plural(analysis.malformed, "malformed line"),
        analysis.source,
        if analysis.malformed == 1 {
            "was"
        } else {
            "were"
        }
    );
    Ok(Outcome::Failure)
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
