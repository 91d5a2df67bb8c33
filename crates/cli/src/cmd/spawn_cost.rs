//! `forklab spawn-cost`: a table (or JSON) of spawn+wait times per strategy and parent size.
//! The table's rows of a size are printed as soon as that size is measured, so a run that
//! dies during a larger size (the OOM killer, a Ctrl-C) leaves the smaller ones on screen or
//! in the file; the JSON document is one document, printed at the end.

use crate::Outcome;
use crate::args::SpawnCostArgs;
use crate::output;
use forklab_lab::spawn_cost::{self, Cell, Options, Report};
use indicatif::ProgressBar;
use std::io::{self, Write};

pub(crate) fn run(args: SpawnCostArgs) -> anyhow::Result<Outcome> {
    let options = Options {
        program: args.program,
        methods: args.strategy,
        parent_mib: args.parent_mib,
        n: args.n,
        ..Options::default()
    };
    let total = options.n * options.methods.len() * options.parent_mib.len();
    let bar = output::progress_bar(total as u64, "spawn-cost");
    let measured = measure(&options, &bar, !args.json);
    bar.finish_and_clear();
    let report = measured?;
    note_failures(&report);
    if args.json {
        output::print_json(&report)?;
    }
    Ok(Outcome::Success)
}

/// Runs the measurement, printing each size's rows as soon as it is done when `table`.
fn measure(options: &Options, bar: &ProgressBar, table: bool) -> anyhow::Result<Report> {
    let mut run = spawn_cost::Run::start(options, |p| {
        bar.set_length(p.total as u64);
        bar.set_position(p.done as u64);
        bar.set_message(format!("parent {} MiB", p.parent_mib));
    })?;
    let mut header = table.then(|| run.report().clone());
    for cells in run.by_ref() {
        let cells = cells?;
        if !table {
            continue;
        }
        // Above the bar, not through it, when both are on a terminal.
        bar.suspend(|| {
            output::to_stdout(|out| {
                if let Some(report) = header.take() {
                    print_header(out, &report)?;
                }
                print_rows(out, &cells)
            })
        })?;
    }
    Ok(run.into_report())
}

/// Says on stderr how many timed runs of the program did not exit 0.
fn note_failures(report: &Report) {
    let failed: usize = report.results.iter().map(|c| c.failed).sum();
    if failed > 0 {
        crate::output::to_stderr!(
            "forklab: note: {failed} of the timed runs of {} did not exit 0 (they still count: \
             the program ran and was reaped)",
            report.program
        );
    }
}

fn print_header(out: &mut dyn Write, report: &Report) -> io::Result<()> {
    writeln!(
        out,
        "spawn+wait of {}, {} per cell, kernel {}, {}",
        report.program,
        report.n,
        report.kernel,
        output::plural(report.cpus as u64, "CPU")
    )?;
    writeln!(
        out,
        "{:>10}  {:<12} {:<11} {:>10} {:>10} {:>10} {:>8}",
        "parent", "strategy", "ran as", "median µs", "p10 µs", "p90 µs", "vs auto"
    )
}

/// The rows of one parent size.
fn print_rows(out: &mut dyn Write, cells: &[Cell]) -> io::Result<()> {
    let auto = cells.iter().find(|c| c.strategy == "auto");
    for cell in cells {
        writeln!(
            out,
            "{:>6} MiB  {:<12} {:<11} {:>10.1} {:>10.1} {:>10.1} {:>8}",
            cell.parent_mib,
            cell.strategy,
            cell.used,
            cell.median_us,
            cell.p10_us,
            cell.p90_us,
            ratio(cell, auto)
        )?;
    }
    Ok(())
}

fn ratio(cell: &Cell, auto: Option<&Cell>) -> String {
    match auto {
        Some(auto) if auto.median_us > 0.0 => format!("{:.2}×", cell.median_us / auto.median_us),
        _ => "-".to_string(),
    }
}
