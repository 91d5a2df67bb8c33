//! `forklab report`: the page again, from a saved report.json.

use crate::Outcome;
use crate::args::ReportArgs;
use crate::output::{to_stderr, to_stdout};
use anyhow::Context;
use std::path::Path;

pub(crate) fn run(args: ReportArgs) -> anyhow::Result<Outcome> {
    let text = std::fs::read_to_string(&args.report)
        .with_context(|| format!("cannot read {}", args.report.display()))?;
    let report: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not JSON", args.report.display()))?;
    let dir = match &args.out {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            dir.clone()
        }
        None => args
            .report
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf(),
    };
    for problem in forklab_report::check(&report) {
        to_stderr!("forklab report: warning: {problem}");
    }
    let page = dir.join("index.html");
    write_page(&report, &page)?;
    to_stdout(|out| std::io::Write::write_fmt(out, format_args!("{}\n", page.display())))?;
    Ok(Outcome::Success)
}

/// Renders the report and writes the page whole (a temporary file renamed over it).
pub(crate) fn write_page(report: &serde_json::Value, page: &Path) -> anyhow::Result<()> {
    let html = forklab_report::render(report);
    let temporary = page.with_extension("html.partial");
    std::fs::write(&temporary, html)
        .and_then(|()| std::fs::rename(&temporary, page))
        .with_context(|| format!("cannot write {}", page.display()))
}
