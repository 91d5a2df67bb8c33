//! `forklab limits check`: every line pam_limits would skip or misread, as `FILE:LINE: …`;
//! exit status 1 when there is one.

use super::{dialect, read_files, read_one};
use crate::Outcome;
use crate::args::LimitsCheckArgs;
use crate::output::{self, plural};

pub(crate) fn run(args: LimitsCheckArgs) -> anyhow::Result<Outcome> {
    let dialect = dialect(args.dialect);
    let files = if args.files.is_empty() {
        read_files(None, None, dialect)?
    } else {
        let mut files = Vec::new();
        for path in &args.files {
            files.extend(read_one(path, true, dialect)?);
        }
        files
    };
    let problems: Vec<_> = files.iter().flat_map(|f| &f.problems).collect();
    output::to_stdout(|out| {
        for p in &problems {
            writeln!(out, "{p}")?;
        }
        let skipped = problems.iter().filter(|p| p.skipped).count() as u64;
        let what = match problems.len() {
            0 => "no problems".to_string(),
            n => format!(
                "{} ({} skipped by pam_limits)",
                plural(n as u64, "problem"),
                plural(skipped, "line")
            ),
        };
        writeln!(
            out,
            "{} checked: {what}",
            plural(files.len() as u64, "file")
        )
    })?;
    Ok(if problems.is_empty() {
        Outcome::Success
    } else {
        Outcome::Failure
    })
}
