//! forklab's report: the `report.json` that `forklab lab` writes, rendered as one
//! self-contained HTML page (inline CSS and SVG charts; no scripts, nothing loaded from the
//! network).
//!
//! [`render`] is a pure function of the JSON: no I/O, no clock, no environment. It never
//! panics and never returns a blank page, whatever it is given: a section whose document is
//! missing, `{"skipped": …}`, `{"error": …}` or not in the shape this version reads says so
//! in words, and a report of another `report_version` gets a banner. [`check`] lists those
//! problems for a caller that wants to warn.
//!
//! Each experiment's section leads with its finding in one sentence computed from the data,
//! then its chart and its table.
//!
//! ```
//! let report = serde_json::json!({
//!     "report_version": 1,
//!     "machine": {"kernel": "6.18.0", "cpus": 2},
//!     "race": {"skipped": "not measured in this example"},
//! });
//! let html = forklab_report::render(&report);
//! assert!(html.starts_with("<!DOCTYPE html>"));
//! assert!(html.contains("Skipped: not measured in this example"));
//! assert!(!forklab_report::check(&report).is_empty()); // spawn_cost and the others are missing
//! ```
#![deny(missing_docs)]

/// `write!` to a `String`, which cannot fail.
macro_rules! w {
    ($out:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = write!($out, $($arg)*);
    }};
}

mod chart;
mod html;
mod number;
mod page;
mod read;
mod section;

use serde_json::Value;

/// The `report_version` this crate reads.
pub const REPORT_VERSION: u64 = 1;

/// The experiments' keys in report.json, in page order: what `forklab lab` writes, one
/// section each.
pub const SECTIONS: [&str; 7] = [
    "race",
    "spawn_cost",
    "inherit",
    "exec_limits",
    "echo",
    "guard",
    "limits",
];

/// The whole HTML page for a report.
pub fn render(report: &Value) -> String {
    page::page(report, &section::all(report))
}

/// Each experiment's finding — the one sentence its section leads with — by its key in
/// report.json, in page order; `None` where the section has none (skipped, failed, missing).
pub fn findings(report: &Value) -> Vec<(&'static str, Option<String>)> {
    section::all(report)
        .into_iter()
        .map(|s| (s.key, s.finding))
        .collect()
}

/// What in a report could not be rendered as it should: another `report_version`, sections
/// missing, failed or not in the shape this version reads, entries left out. Skipped
/// sections are not problems. Empty for a complete report.
pub fn check(report: &Value) -> Vec<String> {
    let mut problems: Vec<String> = page::version_problem(report).into_iter().collect();
    if report.is_object() {
        if !report.get("machine").is_some_and(Value::is_object) {
            problems.push("machine: missing or not an object".into());
        }
        problems.extend(section::all(report).into_iter().flat_map(|s| s.problems));
    }
    problems
}
