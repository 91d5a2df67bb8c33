//! `forklab spawn-cost`: a table (or JSON) of spawn+wait times per strategy and parent size.

use crate::Outcome;
use crate::args::SpawnCostArgs;
use crate::output;
use forklab_lab::spawn_cost::{self, Cell, Options, Report};
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
    let report = spawn_cost::run(&options, &mut |p| {
        bar.set_length(p.total as u64);
        bar.set_position(p.done as u64);
        bar.set_message(format!("parent {} MiB", p.parent_mib));
    });
    bar.finish_and_clear();
    let report = report?;
    let failed: usize = report.results.iter().map(|c| c.failed).sum();
    if failed > 0 {
        crate::output::to_stderr!(
            "forklab: note: {failed} of the timed runs of {} did not exit 0 (they still count: \
             the program ran and was reaped)",
            report.program
        );
    }
    if args.json {
        output::print_json(&report)?;
    } else {
        output::to_stdout(|out| print_table(out, &report))?;
    }
    Ok(Outcome::Success)
}

fn print_table(out: &mut dyn Write, report: &Report) -> io::Result<()> {
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
    )?;
    for cell in &report.results {
        let auto = report
            .results
            .iter()
            .find(|c| c.strategy == "auto" && c.parent_mib == cell.parent_mib);
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
