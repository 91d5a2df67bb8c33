//! Fork bombs against the guard: per bomb, when the guard caught it and when its last task
//! was gone, and whether a benign burst of short processes raised an incident.

use super::{Part, items, unreadable};
use crate::chart::{Span, Timeline};
use crate::html::{Row, cell, esc, note, num_col, table, text_col};
use crate::number::{int, ms, sig};
use crate::read::{count, flag, num, text};
use serde_json::Value;

struct Bomb {
    kind: String,
    detected: Option<bool>,
    detect_ms: Option<f64>,
    zero_ms: Option<f64>,
    survivors: Option<u64>,
    raw: Value,
}

impl Bomb {
    fn read(v: &Value) -> Option<Bomb> {
        Some(Bomb {
            kind: text(v, "kind")?.to_string(),
            detected: flag(v, "detected"),
            detect_ms: num(v, "detect_ms"),
            zero_ms: num(v, "zero_ms"),
            survivors: count(v, "survivors"),
            raw: v.clone(),
        })
    }

    fn caught(&self) -> bool {
        self.detected.unwrap_or(self.detect_ms.is_some())
    }
}

/// The guard section.
pub(crate) fn build(doc: &Value) -> Part {
    let mut part = Part::default();
    let Some(list) = items(doc, "bombs", &mut part) else {
        part.finding = benign(doc).map(|b| format!("{}{}.", b[..1].to_uppercase(), &b[1..]));
        return part;
    };
    let bombs: Vec<Bomb> = list.iter().filter_map(Bomb::read).collect();
    unreadable(&mut part, list.len() - bombs.len(), "bomb");
    if bombs.is_empty() {
        return part;
    }
    part.finding = Some(finding(&bombs, doc));
    chart(&mut part, &bombs);
    part.push(&table(
        "Each bomb, from its start",
        &columns(),
        &bombs.iter().map(row).collect::<Vec<_>>(),
    ));
    settings(&mut part, doc);
    part
}

fn finding(bombs: &[Bomb], doc: &Value) -> String {
    let caught = bombs.iter().filter(|b| b.caught()).count();
    let latest = |f: fn(&Bomb) -> Option<f64>| {
        bombs
            .iter()
            .filter_map(f)
            .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x))))
    };
    let mut s = if caught == bombs.len() {
        let mut s = if bombs.len() == 1 {
            "The bomb was caught".to_string()
        } else {
            "Every bomb was caught".to_string()
        };
        if let Some(d) = latest(|b| b.detect_ms) {
            w!(s, " within {}", ms(d));
        }
        if let Some(z) = latest(|b| b.zero_ms).filter(|_| bombs.iter().all(|b| b.zero_ms.is_some()))
        {
            w!(s, " and gone within {}", ms(z));
        }
        s
    } else {
        let missed: Vec<&str> = bombs
            .iter()
            .filter(|b| !b.caught())
            .map(|b| b.kind.as_str())
            .collect();
        format!(
            "{} of {} bombs were caught (missed: {})",
            caught,
            bombs.len(),
            missed.join(", ")
        )
    };
    let survivors: u64 = bombs.iter().filter_map(|b| b.survivors).sum();
    if survivors > 0 {
        w!(s, ", but {} of their tasks survived", int(survivors as f64));
    }
    if let Some(b) = benign(doc) {
        w!(s, "; {b}");
    }
    s + "."
}

/// What the benign burst did, as a clause.
fn benign(doc: &Value) -> Option<String> {
    let b = doc.get("benign")?;
    let incidents = count(b, "incidents")?;
    let of = count(b, "processes")
        .map_or_else(String::new, |p| format!(" of {} processes", int(p as f64)));
    Some(match incidents {
        0 => format!("the benign burst{of} raised no incident"),
        1 => format!("the benign burst{of} raised 1 incident"),
        n => format!("the benign burst{of} raised {} incidents", int(n as f64)),
    })
}

fn chart(part: &mut Part, bombs: &[Bomb]) {
    let spans = bombs
        .iter()
        .map(|b| Span {
            label: b.kind.clone(),
            end: b.zero_ms,
            mark: b.detect_ms,
            note: count(&b.raw, "peak_tasks")
                .map_or_else(String::new, |p| format!("peak {} tasks", int(p as f64))),
        })
        .collect();
    let chart = Timeline {
        id: "chart-guard",
        title: "Fork bomb timelines: detection and the last task gone, ms from the bomb's start"
            .into(),
        desc: part.finding.clone().unwrap_or_default(),
        axis: "milliseconds from the bomb's start".into(),
        spans,
        legend: (
            "bomb alive (start → its last task gone)".into(),
            "the guard caught it".into(),
        ),
    };
    part.figure("Each bomb from its start: the bar ends when its last task was gone, the diamond marks when the guard caught it.", &chart.svg());
}

fn columns() -> Vec<crate::html::Col> {
    vec![
        text_col("bomb"),
        text_col("caught"),
        num_col("caught at (ms)"),
        num_col("all gone at (ms)"),
        num_col("peak tasks"),
        num_col("stopped"),
        num_col("killed"),
        num_col("survivors"),
        num_col("forks refused"),
    ]
}

fn row(b: &Bomb) -> Row {
    let n = |key| count(&b.raw, key).map(|x| int(x as f64));
    let caught = match b.detected {
        Some(true) => "yes".to_string(),
        Some(false) => "no".to_string(),
        None => "?".to_string(),
    };
    Row {
        class: (!b.caught() || b.survivors.unwrap_or(0) > 0).then_some("mismatch"),
        cells: vec![
            esc(&b.kind),
            esc(&caught),
            cell(b.detect_ms.map(|x| sig(x, 4))),
            cell(b.zero_ms.map(|x| sig(x, 4))),
            cell(n("peak_tasks")),
            cell(n("tasks_stopped")),
            cell(n("tasks_killed")),
            cell(n("survivors")),
            cell(n("forks_refused")),
        ],
    }
}

/// The benign burst, the thresholds and the safety cap, in words.
fn settings(part: &mut Part, doc: &Value) {
    let mut s = String::new();
    if let Some(b) = doc.get("benign")
        && let (Some(p), Some(i)) = (count(b, "processes"), count(b, "incidents"))
    {
        w!(
            s,
            "Benign burst: {} short processes, {} incident{}",
            int(p as f64),
            int(i as f64),
            if i == 1 { "" } else { "s" }
        );
        if let (Some(serial), Some(parallel)) = (num(b, "serial_s"), num(b, "parallel_s")) {
            w!(
                s,
                " (serial run {} s, parallel runs {} s)",
                sig(serial, 3),
                sig(parallel, 3)
            );
        }
        s.push_str(". ");
    }
    if let Some(t) = doc.get("thresholds")
        && let (Some(score), Some(tasks)) = (num(t, "score"), count(t, "tasks"))
    {
        w!(
            s,
            "The guard acts on a fork score of {} or {} live tasks",
            sig(score, 3),
            int(tasks as f64)
        );
        if let Some(h) = count(t, "half_life_ms") {
            w!(s, " (score half-life {} ms)", int(h as f64));
        }
        s.push_str(". ");
    }
    if let Some(cap) = count(doc, "cap") {
        w!(
            s,
            "A safety cap of {} tasks bounds each bomb. ",
            int(cap as f64)
        );
    }
    if let Some(lost) = count(doc, "events_lost").filter(|l| *l > 0) {
        w!(s, "{} process events were lost. ", int(lost as f64));
    }
    if !s.is_empty() {
        part.push(&note("note", s.trim_end()));
    }
}
