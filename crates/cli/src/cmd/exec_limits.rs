//! `forklab exec-limits`: execve's argument limits, measured, with the kernel's arithmetic
//! beside each figure; exit status 1 when a measurement differs from it.

use crate::Outcome;
use crate::args::ExecLimitsArgs;
use crate::output;
use forklab_lab::exec_limits::{self, Options, Report};
use std::io::{self, Write};

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
        output::to_stdout(|out| print_report(out, &report))?;
    }
    Ok(if report.differences.is_empty() {
        Outcome::Success
    } else {
        Outcome::Failure
    })
}

fn print_report(out: &mut dyn Write, r: &Report) -> io::Result<()> {
    writeln!(
        out,
        "execve(2) limits on Linux {} (page size {}), measured by exec'ing {}\n",
        r.kernel, r.page_size, r.program
    )?;
    print_arg_max(out, r)?;
    writeln!(
        out,
        "\nmax_arg_strlen   {:>8}   (expected {}: 32 pages less the NUL)",
        r.max_arg_strlen, r.max_arg_strlen_expected
    )?;
    let argv0 = r.empty_argv.argv0.as_deref();
    let argv0 = argv0.map_or("none".to_string(), |a| format!("{a:?}"));
    writeln!(
        out,
        "empty argv       argc {}, argv[0] {argv0}",
        r.empty_argv.argc
    )?;
    match (r.shebang_max, &r.shebang_note) {
        (Some(n), _) => writeln!(
            out,
            "shebang_max      {n:>8}   (expected {}: BINPRM_BUF_SIZE - 1)",
            r.shebang_max_expected
        )?,
        (None, note) => writeln!(
            out,
            "shebang_max      skipped: {}",
            note.as_deref().unwrap_or("")
        )?,
    }
    writeln!(
        out,
        "nproc_at_execve  {}: {}",
        r.nproc_at_execve, r.nproc_at_execve_detail
    )?;
    if !r.differences.is_empty() {
        writeln!(
            out,
            "\n! differs from the kernel's arithmetic (the measurement wins):"
        )?;
        for d in &r.differences {
            writeln!(out, "  {d}")?;
        }
    }
    Ok(())
}

/// One line of the E2BIG table.
struct Line {
    stack: String,
    measured: Option<u64>,
    formula: Option<u64>,
    limit: u64,
    argc: Option<u64>,
    sysconf: Option<u64>,
    /// How the program ended at the boundary.
    ended: Option<String>,
}

impl Line {
    /// The line, its first column `width` wide.
    fn print(&self, out: &mut dyn Write, width: usize) -> io::Result<()> {
        let show = |v: Option<u64>| v.map_or("-".to_string(), |v| v.to_string());
        let differs = self.measured.is_some() && self.measured != self.formula;
        writeln!(
            out,
            "{:<width$} {:>14} {:>14} {:>14} {:>8} {:>14}{}",
            self.stack,
            show(self.measured),
            show(self.formula),
            self.limit,
            show(self.argc),
            show(self.sysconf),
            if differs { " !" } else { "" }
        )?;
        self.print_ending(out)
    }

    /// Under the row: how the program ended, when it ran and exited with a status other than
    /// 0. That is the program's own affair (execve took the list; `/bin/false` exits 1
    /// whatever its arguments), so it is said, not flagged. A signal is among the differences.
    fn print_ending(&self, out: &mut dyn Write) -> io::Result<()> {
        match self.ended.as_deref() {
            Some(ended) if ended != "exit 0" && exec_limits::program_exited(ended) => writeln!(
                out,
                "  the program ran with that list and ended with {ended} (its own status)"
            ),
            _ => Ok(()),
        }
    }
}

fn print_arg_max(out: &mut dyn Write, r: &Report) -> io::Result<()> {
    let now = Line {
        stack: format!("{} (now)", r.stack_rlimit),
        measured: Some(r.arg_max_bytes),
        formula: Some(r.arg_max_formula),
        limit: r.arg_limit_bytes,
        argc: Some(r.argc),
        sysconf: r.sysconf_arg_max,
        ended: Some(r.program_at_boundary.clone()),
    };
    let per_stack: Vec<(Line, Option<&String>)> = r
        .per_stack
        .iter()
        .map(|p| {
            let line = Line {
                stack: p.stack_rlimit.to_string(),
                measured: p.arg_max_bytes,
                formula: p.arg_max_formula,
                limit: p.arg_limit_bytes,
                argc: p.argc,
                sysconf: p.sysconf_arg_max,
                ended: p.program_at_boundary.clone(),
            };
            (line, p.skipped.as_ref())
        })
        .collect();
    let header = [
        "RLIMIT_STACK",
        "arg max",
        "formula",
        "limit",
        "argc",
        "sysconf",
    ];
    let width = std::iter::once(&now)
        .chain(per_stack.iter().map(|(line, _)| line))
        .map(|line| line.stack.chars().count())
        .fold(header[0].len(), usize::max);
    let [a, b, c, d, e, f] = header;
    writeln!(out, "{a:<width$} {b:>14} {c:>14} {d:>14} {e:>8} {f:>14}")?;
    now.print(out, width)?;
    for (line, skipped) in &per_stack {
        line.print(out, width)?;
        if let Some(why) = skipped {
            writeln!(out, "  skipped: {why}")?;
        }
    }
    writeln!(
        out,
        "arg max: bytes of argument and environment strings (NULs included) execve did not\n\
         refuse with E2BIG;\n\
         argc: the arguments of that call (the program name, then equal strings); envc: its\n\
         environment strings, {} (the environment is empty), not a column;\n\
         formula: limit - 8 x (max(argc, 1) + envc) - the filename and its NUL (fs/exec.c);\n\
         limit: min(stack/4, 6 MiB), at least 128 KiB (ARG_MAX); sysconf: sysconf(_SC_ARG_MAX);\n\
         -: not measured (the reason follows the row); !: differs from the formula",
        r.envc
    )
}
