//! The page around the sections: the document head and its stylesheet, a banner when the
//! report is not the version this crate reads, the machine's facts, the contents, and a
//! footer. Nothing here reads a clock or the environment: the page is the JSON's.

use crate::REPORT_VERSION;
use crate::html::{esc, note};
use crate::number::{bytes, int};
use crate::read::{self, count, flag, num, shown, text};
use crate::section::{Section, State};
use serde_json::Value;

const STYLE: &str = include_str!("page.css");

/// The whole page.
pub(crate) fn page(report: &Value, sections: &[Section]) -> String {
    let machine = report.get("machine");
    let host = machine.and_then(|m| text(m, "hostname"));
    let mut out = String::with_capacity(64 * 1024);
    w!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>forklab report{}</title><style>{STYLE}</style></head><body><main>",
        host.map_or_else(String::new, |h| format!(" — {}", esc(h)))
    );
    header(&mut out, report, host);
    contents(&mut out, sections);
    for s in sections {
        section(&mut out, s);
    }
    footer(&mut out, report);
    out.push_str("</main></body></html>\n");
    out
}

/// Why the report may not read as it should, or `None`.
pub(crate) fn version_problem(report: &Value) -> Option<String> {
    if !report.is_object() {
        return Some(format!(
            "This report is {}, not a JSON object: there is nothing to show.",
            read::kind(report)
        ));
    }
    match report.get("report_version") {
        None => Some("This report has no report_version: it may not come from forklab lab. Showing what can be read.".into()),
        Some(v) if v.as_u64() == Some(REPORT_VERSION) => None,
        Some(v) => Some(format!(
            "This report is version {}; this forklab reads version {REPORT_VERSION}. Showing what can be read: sections it cannot read say so.",
            read::scalar(v).unwrap_or_else(|| "null".into())
        )),
    }
}

fn header(out: &mut String, report: &Value, host: Option<&str>) {
    out.push_str("<header><h1>forklab report</h1>");
    let on = host.map_or_else(String::new, |h| format!(" on {}", esc(h)));
    w!(
        out,
        "<p class=\"lede\">Linux process creation, measured{on}: who runs first after fork, what a spawn costs, what a child inherits, how much execve accepts, how server designs compare, and whether a fork bomb is caught.</p>"
    );
    if let Some(problem) = version_problem(report) {
        out.push_str(&note("banner", &problem));
    }
    match report.get("machine").filter(|m| m.is_object()) {
        Some(m) => facts(out, m),
        None => out.push_str(&note(
            "warn",
            "No machine facts in this report (\"machine\" is missing or not an object).",
        )),
    }
    out.push_str("</header>");
}

fn facts(out: &mut String, m: &Value) {
    let date = text(m, "date").map(|d| match d.split_once('T') {
        Some((day, time)) if day.len() == 10 => format!(
            "{day} {}",
            time.trim_end_matches('Z')
                .chars()
                .take(5)
                .collect::<String>()
                + if time.ends_with('Z') { " UTC" } else { "" }
        ),
        _ => d.to_string(),
    });
    let run = flag(m, "quick").map(|q| {
        if q {
            "quick (--quick)".to_string()
        } else {
            "full".to_string()
        }
    });
    let facts = [
        ("kernel", shown(m, "kernel")),
        ("CPUs", count(m, "cpus").map(|c| int(c as f64))),
        ("memory", num(m, "memory_bytes").map(bytes)),
        ("glibc", shown(m, "glibc")),
        ("forklab", shown(m, "forklab_version")),
        ("date", date),
        ("host", shown(m, "hostname")),
        ("arch", shown(m, "arch")),
        ("run", run),
    ];
    out.push_str("<dl class=\"facts\">");
    for (name, value) in facts {
        w!(
            out,
            "<div><dt>{name}</dt><dd>{}</dd></div>",
            value.map_or_else(|| "<span class=\"none\">unknown</span>".into(), |v| esc(&v))
        );
    }
    out.push_str("</dl>");
}

fn contents(out: &mut String, sections: &[Section]) {
    out.push_str("<nav aria-label=\"Contents\"><ol>");
    for s in sections {
        let (class, word) = match s.state {
            State::Measured => ("ok", "measured"),
            State::Skipped(_) => ("skipped", "skipped"),
            State::Failed(_) => ("fail", "failed"),
            State::Missing => ("warn", "missing"),
            State::Unreadable(_) => ("warn", "unreadable"),
        };
        w!(
            out,
            "<li><a href=\"#{}\">{}</a> <span class=\"state state-{class}\">{word}</span></li>",
            s.key,
            esc(s.title)
        );
    }
    out.push_str("</ol></nav>");
}

fn section(out: &mut String, s: &Section) {
    w!(
        out,
        "<section id=\"{0}\" aria-labelledby=\"{0}-h\"><h2 id=\"{0}-h\">{1}</h2>",
        s.key,
        esc(s.title)
    );
    if let Some(finding) = &s.finding {
        w!(out, "<p class=\"finding\">{}</p>", esc(finding));
    }
    out.push_str(&s.body);
    out.push_str("</section>");
}

fn footer(out: &mut String, report: &Value) {
    let version = report
        .get("report_version")
        .and_then(read::scalar)
        .unwrap_or_else(|| "none".into());
    let forklab = text(report, "forklab_version")
        .map_or_else(String::new, |v| format!(", written by forklab {}", esc(v)));
    w!(
        out,
        "<footer>Rendered from report.json (report_version {}{forklab}) by forklab-report {}. \
         A static page: no scripts, nothing loaded from the network.</footer>",
        esc(&version),
        env!("CARGO_PKG_VERSION")
    );
}
