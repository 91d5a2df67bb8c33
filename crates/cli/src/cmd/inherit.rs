//! `forklab inherit`: the table of what crosses fork() and execve(), measured, in the shape
//! of TLPI's "Effect of exec() and fork() on process attributes"; differences from the
//! documentation marked `!` and explained below the table.

use crate::Outcome;
use crate::args::InheritArgs;
use crate::output::{self, plural};
use forklab_lab::inherit::{self, Options, Report, Row, Value};
use std::io::{self, Write};

pub(crate) fn run(args: InheritArgs) -> anyhow::Result<Outcome> {
    let options = Options {
        probe: std::env::current_exe()?,
        only: args.only,
    };
    let report = inherit::run(&options)?;
    if args.json {
        output::print_json(&report)?;
    } else {
        output::to_stdout(|out| print_table(out, &report))?;
    }
    Ok(if report.mismatches > 0 {
        Outcome::Failure
    } else {
        Outcome::Success
    })
}

const NAME_WIDTH: usize = 46;

fn print_table(out: &mut dyn Write, report: &Report) -> io::Result<()> {
    let who = if report.root { "root" } else { "not root" };
    writeln!(
        out,
        "Effect of fork() and exec() on process attributes: measured on Linux {} (uid {}, {who})",
        report.kernel, report.uid
    )?;
    let header = ["attribute", "fork", "exec", "vfork", "posix_spawn"];
    writeln!(
        out,
        "{:<NAME_WIDTH$} {:<9}{:<9}{:<9}{}",
        header[0], header[1], header[2], header[3], header[4]
    )?;
    for row in &report.rows {
        writeln!(
            out,
            "{:<NAME_WIDTH$} {:<9}{:<9}{:<9}{}",
            row.attribute,
            cell(Some(row.fork), Some(row.expected_fork)),
            cell(Some(row.exec), Some(row.expected_exec)),
            cell(row.vfork, row.expected_vfork),
            cell(row.posix_spawn, row.expected_posix_spawn),
        )?;
    }
    print_footnotes(out, report)
}

/// `yes`, `no!` (differs from the documentation), `-` (not measured in this column).
fn cell(value: Option<Value>, expected: Option<Value>) -> String {
    match (value, expected) {
        (None, _) => "-".to_string(),
        (Some(v), Some(e)) if v != e && v != Value::Skipped => format!("{v}!"),
        (Some(v), _) => v.to_string(),
    }
}

fn print_footnotes(out: &mut dyn Write, report: &Report) -> io::Result<()> {
    let differing: Vec<&Row> = report.rows.iter().filter(|r| !r.matches).collect();
    let skipped: Vec<&Row> = report.rows.iter().filter(|r| has_skip(r)).collect();
    if report
        .rows
        .iter()
        .any(|r| r.vfork.is_none() || r.posix_spawn.is_none())
    {
        writeln!(
            out,
            "\n- not measured in this column: the attribute makes no sense there or that child \
             cannot observe it (a vfork child makes only raw system calls before it execs)"
        )?;
    }
    if !differing.is_empty() {
        writeln!(
            out,
            "\n! differs from the documentation (the measurement wins):"
        )?;
        for row in differing {
            writeln!(out, "  {}: {}", row.key, row.note)?;
        }
    }
    if !skipped.is_empty() {
        writeln!(out, "\nskipped:")?;
        for row in skipped {
            writeln!(out, "  {}: {}", row.key, skip_reasons(row))?;
        }
    }
    writeln!(
        out,
        "\n{}, {} from the documentation. --json shows what each column saw.",
        plural(report.rows.len() as u64, "attribute"),
        match report.mismatches {
            1 => "1 differs".to_string(),
            n => format!("{n} differ"),
        }
    )
}

fn has_skip(row: &Row) -> bool {
    [Some(row.fork), Some(row.exec), row.vfork, row.posix_spawn].contains(&Some(Value::Skipped))
}

fn skip_reasons(row: &Row) -> String {
    let columns = [
        ("fork", Some(row.fork), Some(&row.seen.fork)),
        ("exec", Some(row.exec), Some(&row.seen.exec)),
        ("vfork", row.vfork, row.seen.vfork.as_ref()),
        (
            "posix_spawn",
            row.posix_spawn,
            row.seen.posix_spawn.as_ref(),
        ),
    ];
    let reasons: Vec<String> = columns
        .iter()
        .filter(|(_, v, _)| *v == Some(Value::Skipped))
        .map(|(c, _, seen)| format!("{c}: {}", seen.map_or("", String::as_str)))
        .collect();
    reasons.join("; ")
}

#[cfg(test)]
mod tests {
    use super::cell;
    use forklab_lab::inherit::Value::{No, Shared, Skipped, Yes};

    #[test]
    fn differences_are_marked_and_skips_are_not() {
        assert_eq!(cell(Some(Yes), Some(Yes)), "yes");
        assert_eq!(cell(Some(Shared), Some(Yes)), "shared!");
        assert_eq!(cell(Some(Skipped), Some(No)), "skipped");
        assert_eq!(cell(None, None), "-");
    }
}
