//! `forklab echo load`: drive an echo server, then print the report as a short table or as
//! one JSON document. Exit status 1 when any connection failed.

use crate::Outcome;
use crate::args::EchoLoadArgs;
use crate::output;
use forklab_echo::load::{self, FailureKind, LoadOptions, LoadReport, Percentiles};
use std::io::{self, Write};

pub(crate) fn run(args: EchoLoadArgs) -> anyhow::Result<Outcome> {
    let options = options(&args);
    let bar = output::progress_bar(options.connections, "echo load");
    let report = load::run(&options, &mut |p| {
        bar.set_position(p.done);
        if p.failed > 0 {
            bar.set_message(format!("{} failed", p.failed));
        }
    });
    bar.finish_and_clear();
    let report = report?;
    if args.json {
        output::print_json(&report)?;
    } else {
        output::to_stdout(|out| print_report(out, &report))?;
    }
    Ok(if report.failed == 0 {
        Outcome::Success
    } else {
        Outcome::Failure
    })
}

fn options(args: &EchoLoadArgs) -> LoadOptions {
    let mut options = LoadOptions::new(args.connect);
    options.connections = args.connections as u64;
    options.concurrency = args.concurrency;
    options.size = args.size as u64;
    options.requests = args.requests as u64;
    options.rate = args.rate;
    options.timeout = args.timeout;
    options.busy_poll = args.busy_poll;
    if let Some(threads) = args.threads {
        options.threads = threads;
    }
    options
}

fn print_report(out: &mut dyn Write, r: &LoadReport) -> io::Result<()> {
    let pacing = match r.rate {
        Some(rate) => format!("open loop at {rate}/s"),
        None => "closed loop".to_string(),
    };
    writeln!(
        out,
        "echo load against {}: {}, {} at a time, {pacing}; {} of {} each",
        r.connect,
        output::plural(r.connections, "connection"),
        r.concurrency,
        output::plural(r.requests, "round trip"),
        output::plural(r.size, "byte"),
    )?;
    writeln!(
        out,
        "completed {} of {} in {:.3} s: {:.0} conn/s, {:.1} MB/s echoed\n",
        r.completed,
        r.connections,
        r.elapsed_s,
        r.conn_per_s,
        r.bytes_per_s / 1e6
    )?;
    print_latencies(out, r)?;
    print_errors(out, r)
}

fn print_latencies(out: &mut dyn Write, r: &LoadReport) -> io::Result<()> {
    writeln!(
        out,
        "{:<20} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "latency ms", "p50", "p90", "p99", "p99.9", "max"
    )?;
    print_row(out, "first echoed byte", &r.latency_ms)?;
    print_row(out, "whole connection", &r.connection_ms)?;
    if r.open_loop {
        print_row(out, "start lag", &r.start_lag_ms)?;
        writeln!(
            out,
            "(a connection that started late because all {} were busy counts from when it \
             was due)",
            r.concurrency
        )?;
    }
    Ok(())
}

fn print_row(out: &mut dyn Write, name: &str, p: &Percentiles) -> io::Result<()> {
    if p.samples == 0 {
        return writeln!(out, "{name:<20} {:>9} (no completed connection)", "-");
    }
    writeln!(
        out,
        "{name:<20} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>9.3}",
        p.p50, p.p90, p.p99, p.p999, p.max
    )
}

fn print_errors(out: &mut dyn Write, r: &LoadReport) -> io::Result<()> {
    if r.failed == 0 {
        return writeln!(out, "\nerrors: none");
    }
    let counts: Vec<String> = FailureKind::ALL
        .iter()
        .filter(|&&kind| r.errors.get(kind) > 0)
        .map(|&kind| format!("{} {kind}", r.errors.get(kind)))
        .collect();
    writeln!(out, "\nerrors: {}", counts.join(", "))?;
    for (kind, example) in &r.error_examples {
        writeln!(out, "  {kind}, e.g. {example}")?;
    }
    Ok(())
}
