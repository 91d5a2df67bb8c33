//! `forklab echo compare`: the table of server designs, or one JSON document.

use crate::Outcome;
use crate::args::EchoCompareArgs;
use crate::output;
use forklab_echo::compare::{self, CompareOptions, CompareReport, Row};
use forklab_echo::server::Model;
use std::io::{self, Write};

pub(crate) fn run(args: EchoCompareArgs) -> anyhow::Result<Outcome> {
    let models = if args.models.is_empty() {
        Model::ALL.to_vec()
    } else {
        args.models
    };
    let options = CompareOptions {
        models,
        connections: args.connections,
        concurrency: args.concurrency,
        size: args.size,
        workers: args.workers,
        forklab: std::env::current_exe()?,
    };
    let bar = output::progress_bar(options.models.len() as u64, "echo compare");
    let report = compare::run(&options, &mut |p| {
        bar.set_position(p.index as u64);
        bar.set_message(p.model.name());
    });
    bar.finish_and_clear();
    let report = report?;
    if args.json {
        output::print_json(&report)?;
    } else {
        output::to_stdout(|out| print_table(out, &report))?;
    }
    let failed = report.rows.iter().any(|r| r.errors > 0 || r.zombies > 0);
    Ok(if failed {
        Outcome::Failure
    } else {
        Outcome::Success
    })
}

fn print_table(out: &mut dyn Write, report: &CompareReport) -> io::Result<()> {
    writeln!(
        out,
        "{} connections, {} at a time, {} bytes each; pools of {}; {}",
        report.connections,
        report.concurrency,
        report.size,
        report.workers,
        match report.pinned {
            Some(p) => format!(
                "server on CPU {}, load on CPU {}",
                p.server_cpu, p.client_cpu
            ),
            None => "one CPU: server and load share it".to_string(),
        }
    )?;
    writeln!(
        out,
        "{:<17} {:>10} {:>12} {:>9} {:>8} {:>8} {:>6} {:>8}",
        "model", "server s", "proc ctl s", "conn/s", "p50 ms", "p99 ms", "peak", "zombies"
    )?;
    for row in &report.rows {
        print_row(out, row)?;
    }
    writeln!(
        out,
        "server s: CPU user+sys of the server and the workers it reaped; proc ctl s: that less \
         the iterative server's; peak: most processes + threads at once"
    )
}

fn print_row(out: &mut dyn Write, row: &Row) -> io::Result<()> {
    let control = row
        .process_control_cpu_s
        .map_or("-".to_string(), |c| format!("{c:.3}"));
    let errors = if row.errors > 0 {
        format!("  ({} failed)", row.errors)
    } else {
        String::new()
    };
    writeln!(
        out,
        "{:<17} {:>10.3} {:>12} {:>9.0} {:>8.2} {:>8.2} {:>6} {:>8}{errors}",
        row.model.name(),
        row.server_cpu_s,
        control,
        row.conn_per_s,
        row.p50_ms,
        row.p99_ms,
        row.peak_tasks,
        row.zombies
    )
}
