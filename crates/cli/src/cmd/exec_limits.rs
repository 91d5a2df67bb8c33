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
        "execve(2) limits on Linux {} (page size {}), measured by exec'ing {}\n",
        r.kernel, r.page_size, r.program
    );
    print_arg_max(r);
    println!(
        "\nmax_arg_strlen   {:>8}   (expected {}: 32 pages less the NUL)",
        r.max_arg_strlen, r.max_arg_strlen_expected
    );
    let argv0 = r.empty_argv.argv0.as_deref();
    let argv0 = argv0.map_or("none".to_string(), |a| format!("{a:?}"));
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
        r.nproc_at_execve, r.nproc_at_execve_detail
    );
    if !r.differences.is_empty() {
        println!("\n! differs from the kernel's arithmetic (the measurement wins):");
        for d in &r.differences {
            println!("  {d}");
        }
    }
}

/// One line of the E2BIG table.
struct Line {
    stack: String,
    measured: Option<u64>,
    formula: Option<u64>,
    limit: u64,
    argc: Option<u64>,
    sysconf: Option<u64>,
}

impl Line {
    fn print(&self) {
        let show = |v: Option<u64>| v.map_or("-".to_string(), |v| v.to_string());
        let differs = self.measured.is_some() && self.measured != self.formula;
        println!(
            "{:<12} {:>14} {:>14} {:>14} {:>8} {:>14}{}",
            self.stack,
            show(self.measured),
            show(self.formula),
            self.limit,
            show(self.argc),
            show(self.sysconf),
            if differs { " !" } else { "" }
        );
    }
}

fn print_arg_max(r: &Report) {
    let header = [
        "RLIMIT_STACK",
        "arg max",
        "formula",
        "limit",
        "argc",
        "sysconf",
    ];
    let [a, b, c, d, e, f] = header;
    println!("{a:<12} {b:>14} {c:>14} {d:>14} {e:>8} {f:>14}");
    let now = Line {
        stack: format!("{} (now)", r.stack_rlimit),
        measured: Some(r.arg_max_bytes),
        formula: Some(r.arg_max_formula),
        limit: r.arg_limit_bytes,
        argc: Some(r.argc),
        sysconf: r.sysconf_arg_max,
    };
    now.print();
    for p in &r.per_stack {
        let line = Line {
            stack: p.stack_rlimit.to_string(),
            measured: p.arg_max_bytes,
            formula: p.arg_max_formula,
            limit: p.arg_limit_bytes,
            argc: p.argc,
            sysconf: p.sysconf_arg_max,
        };
        line.print();
        if let Some(why) = &p.skipped {
            println!("  skipped: {why}");
        }
    }
    println!(
        "arg max: bytes of argument and environment strings (NULs included) execve accepted;\n\
         formula: limit - 8 x (argc + envc) - the filename and its NUL (fs/exec.c);\n\
         limit: min(stack/4, 6 MiB), at least 32 pages; sysconf: sysconf(_SC_ARG_MAX)"
    );
}
