//! `forklab limits show`: each item's soft and hard value pam_limits would set for a user,
//! with the `file:line` that sets it.

use super::{dialect, read_files, subject};
use crate::Outcome;
use crate::args::LimitsShowArgs;
use crate::output;
use forklab_limits::{
    Item, ItemLimits, Resolved, Setting, Subject, Value, effective_rlimit, resolve,
};
use serde::Serialize;
use std::io::{self, Write};

/// The JSON document (field names fixed by the issue: user, uid, items, and per item item,
/// soft, hard, soft_source, hard_source).
#[derive(Serialize)]
struct Report {
    user: String,
    uid: u32,
    gid: u32,
    groups: Vec<String>,
    dialect: forklab_limits::Dialect,
    files: Vec<String>,
    /// The `<domain> -` line that makes pam_limits set nothing, as `file:line`.
    no_limits: Option<String>,
    items: Vec<Row>,
    /// Lines of these files pam_limits skips or misreads (`forklab limits check` lists them).
    problems: usize,
}

#[derive(Serialize)]
struct Row {
    item: Item,
    soft: Option<String>,
    hard: Option<String>,
    soft_source: Option<String>,
    hard_source: Option<String>,
    unit: &'static str,
    /// pam_limits lowers the soft value to the hard one.
    soft_lowered: bool,
}

pub(crate) fn run(args: LimitsShowArgs) -> anyhow::Result<Outcome> {
    let dialect = dialect(args.dialect);
    let who = subject(args.user.as_deref(), &args.group)?;
    let files = read_files(args.conf, args.conf_dir, dialect)?;
    let resolved = resolve(&files, &who, dialect);
    let report = report(&who, &files, &resolved, dialect);
    if args.json {
        output::print_json(&report)?;
    } else {
        output::to_stdout(|out| print(out, &report, who.uid))?;
    }
    Ok(Outcome::Success)
}

fn report(
    who: &Subject,
    files: &[forklab_limits::Parsed],
    resolved: &Resolved,
    dialect: forklab_limits::Dialect,
) -> Report {
    Report {
        user: who.user.clone(),
        uid: who.uid,
        gid: who.gid,
        groups: who.groups.iter().map(|(name, _)| name.clone()).collect(),
        dialect,
        files: files.iter().map(|f| f.file.clone()).collect(),
        no_limits: resolved.no_limits.as_ref().map(ToString::to_string),
        items: resolved.items.iter().map(row).collect(),
        problems: files.iter().map(|f| f.problems.len()).sum(),
    }
}

fn row(limits: &ItemLimits) -> Row {
    let value = |s: &Option<Setting>| s.as_ref().map(|s| effective(limits.item, &s.value));
    let source = |s: &Option<Setting>| s.as_ref().map(|s| s.source.to_string());
    Row {
        item: limits.item,
        soft: value(&limits.soft),
        hard: value(&limits.hard),
        soft_source: source(&limits.soft),
        hard_source: source(&limits.hard),
        unit: limits.item.unit(),
        soft_lowered: limits.soft_lowered(),
    }
}

/// The value pam_limits hands on, as text.
fn effective(item: Item, value: &Value) -> String {
    match value {
        Value::Unlimited => "unlimited".into(),
        _ if item.is_rlimit() => {
            effective_rlimit(item, value).map_or("unlimited".into(), |n| n.to_string())
        }
        other => other.to_string(),
    }
}

fn print(out: &mut dyn Write, r: &Report, uid: u32) -> io::Result<()> {
    writeln!(
        out,
        "pam_limits ({:?}) for {} (uid {}, gid {}; groups: {})",
        r.dialect,
        r.user,
        r.uid,
        r.gid,
        r.groups.join(", ")
    )?;
    let files = if r.files.is_empty() {
        "none".into()
    } else {
        r.files.join(", ")
    };
    writeln!(out, "files: {files}\n")?;
    if let Some(line) = &r.no_limits {
        writeln!(
            out,
            "no limits: {line} is a \"<domain> -\" line for {}: pam_limits sets none",
            r.user
        )?;
    }
    let not_set = "not set".to_string();
    let cell = |v: &Option<String>| v.clone().unwrap_or_else(|| not_set.clone());
    let w_soft = r
        .items
        .iter()
        .map(|i| cell(&i.soft).len())
        .fold(4, usize::max);
    let w_hard = r
        .items
        .iter()
        .map(|i| cell(&i.hard).len())
        .fold(4, usize::max);
    writeln!(
        out,
        "{:<13} {:<w_soft$} {:<w_hard$} {:<13} set by",
        "item", "soft", "hard", "unit"
    )?;
    for i in &r.items {
        let by = match (&i.soft_source, &i.hard_source) {
            (Some(s), Some(h)) if s == h => s.clone(),
            (Some(s), Some(h)) => format!("soft {s}, hard {h}"),
            (Some(s), None) => format!("soft {s}"),
            (None, Some(h)) => format!("hard {h}"),
            (None, None) => String::new(),
        };
        let soft = format!("{}{}", cell(&i.soft), if i.soft_lowered { "!" } else { "" });
        let line = format!(
            "{:<13} {:<w_soft$} {:<w_hard$} {:<13} {by}",
            i.item.name(),
            soft,
            cell(&i.hard),
            i.unit
        );
        writeln!(out, "{}", line.trim_end())?;
    }
    notes(out, r, uid)
}

fn notes(out: &mut dyn Write, r: &Report, uid: u32) -> io::Result<()> {
    writeln!(
        out,
        "\nnot set: no line sets it; the session keeps what it inherits."
    )?;
    if r.items.iter().any(|i| i.soft_lowered) {
        writeln!(
            out,
            "!: above the hard value; pam_limits lowers the soft value to it."
        )?;
    }
    let nofile_unlimited = r.items.iter().any(|i| {
        i.item == Item::Nofile
            && [&i.soft, &i.hard]
                .iter()
                .any(|v| v.as_deref() == Some("unlimited"))
    });
    if nofile_unlimited {
        let nr_open = std::fs::read_to_string("/proc/sys/fs/nr_open").unwrap_or_default();
        writeln!(
            out,
            "nofile unlimited: pam_limits sets /proc/sys/fs/nr_open instead ({} here).",
            nr_open.trim()
        )?;
    }
    if uid == 0 {
        writeln!(
            out,
            "uid 0: pam_limits does not enforce maxlogins or maxsyslogins."
        )?;
    }
    if r.problems > 0 {
        writeln!(
            out,
            "{} of these files are skipped or misread by pam_limits: see forklab limits check.",
            output::plural(r.problems as u64, "line")
        )?;
    }
    Ok(())
}
