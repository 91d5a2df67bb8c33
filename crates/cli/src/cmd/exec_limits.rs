//! `forklab exec-limits`: execve's argument limits, measured, with the kernel's arithmetic
//! beside each figure; exit status 1 when a measurement differs from it.

use crate::Outcome;
use crate::args::ExecLimitsArgs;
use crate::output;
use forklab_lab::exec_limits::{self, Options, Report};

pub(crate) fn run(args: ExecLimitsArgs) -> anyhow::Result<Outcome> {
    let options = Options {
        program: args.program,
        probe: std::env::current_exe()?,
        stacks: args.stack,
    };
    let bar = output::progress_bar(options.estimated_execs() as u64, "exec-limits");
    let report = exec_limits::run(&options, &mut |p| {
        bar.set_position(p.execs as u64);
        bar.set_message(p.stage);
    });
    bar.finish_and_clear();
    let report = report?;
    if args.json {
        output::print_json(&report)?;
    } else {
        print_report(&report);
    }
    Ok(if report.differences.is_empty() {
        Outcome::Success
    } else {
        Outcome::Failure
    })
}

fn print_report(r: &Report) {
    println!(
        "execve(2) limits on Linux {} (page size {}), measured by exec'ing {}",
        r.kernel, r.page_size, r.program
    );
    println!(
        "\n{:<12} {:>14} {:>14} {:>14} {:>8} {:>14}",
        "RLIMIT_STACK", "arg max", "formula", "limit", "argc", "sysconf"
    );
    let row = |stack: String,
               measured: Option<u64>,
               formula: Option<u64>,
               limit: u64,
               argc: Option<u64>,
               sysconf: Option<u64>| {
        let show = |v: Option<u64>| v.map_or("-".to_string(), |v| v.to_string());
        let mark = if measured.is_some() && measured != formula {
            " !"
        } else {
            ""
        };
        println!(
            "{stack:<12} {:>14} {:>14} {limit:>14} {:>8} {:>14}{mark}",
            show(measured),
            show(formula),
            show(argc),
            show(sysconf)
        );
    };
    row(
        format!("{} (now)", r.stack_rlimit),
        Some(r.arg_max_bytes),
        Some(r.arg_max_formula),
        r.arg_limit_bytes,
        Some(r.argc),
        r.sysconf_arg_max,
    );
    for p in &r.per_stack {
        row(
            p.stack_rlimit.to_string(),
            p.arg_max_bytes,
            p.arg_max_formula,
            p.arg_limit_bytes,
            p.argc,
            p.sysconf_arg_max,
        );
        if let Some(why) = &p.skipped {
            println!("  skipped: {why}");
        }
    }
    println!(
        "  arg max: argument + environment bytes (NULs included) accepted; formula: limit - 8 x (argc + envc) - the filename and its NUL"
    );
    println!(
        "\nmax_arg_strlen   {:>8}   (expected {}: 32 pages less the NUL)",
        r.max_arg_strlen, r.max_arg_strlen_expected
    );
    let argv0 = r
        .empty_argv
        .argv0
        .as_deref()
        .map_or("none".to_string(), |a| format!("{a:?}"));
    println!(
        "empty argv       argc {}, argv[0] {argv0}",
        r.empty_argv.argc
    );
    match (r.shebang_max, &r.shebang_note) {
        (Some(n), _) => println!(
            "shebang_max      {n:>8}   (expected {}: BINPRM_BUF_SIZE - 1)",
            r.shebang_max_expected
        ),
        (None, note) => println!(
            "shebang_max      skipped: {}",
            note.as_deref().unwrap_or("")
        ),
    }
    println!(
        "nproc_at_execve  {}: {}",
        serde_json::to_value(r.nproc_at_execve)
            .map(|v| v.as_str().unwrap_or_default().to_string())
            .unwrap_or_default(),
        r.nproc_at_execve_detail
    );
    if !r.differences.is_empty() {
        println!("\n! differs from the kernel's arithmetic (the measurement wins):");
        for d in &r.differences {
            println!("  {d}");
        }
    }
}
