//! Server designs under the same load: the CPU each echo server design used and the
//! connections per second it completed, from `echo compare`.

use super::{Part, items, unreadable};
use crate::chart::{Bar, Bars, Scale};
use crate::html::{Row, cell, esc, num_col, table, text_col};
use crate::number::{int, ratio, sig};
use crate::read::{count, num, shown, text};
use serde_json::Value;

struct Design {
    model: String,
    cpu_s: Option<f64>,
    conn_per_s: Option<f64>,
    raw: Value,
}

/// The table's number columns: (JSON key, heading).
const COLUMNS: [(&str, &str); 9] = [
    ("server_cpu_s", "server CPU (s)"),
    ("process_control_cpu_s", "process control CPU (s)"),
    ("conn_per_s", "conn/s"),
    ("p50_ms", "p50 (ms)"),
    ("p99_ms", "p99 (ms)"),
    ("peak_tasks", "peak tasks"),
    ("peak_zombies", "peak zombies"),
    ("zombies", "zombies left"),
    ("errors", "errors"),
];

impl Design {
    fn read(v: &Value) -> Option<Design> {
        Some(Design {
            model: text(v, "model")?.to_string(),
            cpu_s: num(v, "server_cpu_s"),
            conn_per_s: num(v, "conn_per_s"),
            raw: v.clone(),
        })
    }
}

/// The echo section.
pub(crate) fn build(doc: &Value) -> Part {
    let mut part = Part::default();
    let Some(list) = items(doc, "rows", &mut part) else {
        return part;
    };
    let designs: Vec<Design> = list.iter().filter_map(Design::read).collect();
    unreadable(&mut part, list.len() - designs.len(), "row");
    if designs.is_empty() {
        return part;
    }
    part.finding = finding(&designs, doc);
    if part.finding.is_none() {
        part.problem("No design has a server CPU time.".into());
    }
    for metric in METRICS {
        chart(&mut part, &designs, &metric);
    }
    let rows: Vec<Row> = designs
        .iter()
        .map(|d| {
            let mut cells = vec![esc(&d.model)];
            cells.extend(COLUMNS.iter().map(|(key, _)| {
                cell(num(&d.raw, key).map(|x| {
                    if *key == "conn_per_s" {
                        int(x)
                    } else {
                        sig(x, 3)
                    }
                }))
            }));
            Row {
                class: (count(&d.raw, "errors").unwrap_or(0) > 0).then_some("mismatch"),
                cells,
            }
        })
        .collect();
    let mut cols = vec![text_col("design")];
    cols.extend(COLUMNS.iter().map(|(_, h)| num_col(h)));
    part.push(&table(&load(doc), &cols, &rows));
    part
}

/// The load, in words, as the table's caption.
fn load(doc: &Value) -> String {
    let mut s = String::from("Each design under the same load");
    if let Some(c) = count(doc, "connections") {
        w!(s, ": {} connections", int(c as f64));
        if let Some(k) = count(doc, "concurrency") {
            w!(s, ", {} at a time", int(k as f64));
        }
        if let Some(b) = count(doc, "size") {
            w!(s, ", {} bytes each", int(b as f64));
        }
    }
    if let Some(w) = count(doc, "workers") {
        w!(
            s,
            "; {} workers for the pre-forked and pre-threaded designs",
            int(w as f64)
        );
    }
    if let Some(p) = doc.get("pinned")
        && let (Some(server), Some(client)) = (shown(p, "server_cpu"), shown(p, "client_cpu"))
    {
        w!(s, "; server on CPU {server}, load on CPU {client}");
    }
    s
}

fn finding(designs: &[Design], doc: &Value) -> Option<String> {
    let find = |m: &str| designs.iter().find(|d| d.model == m);
    let same = count(doc, "connections").map_or_else(
        || "the same load".into(),
        |c| format!("the same {} connections", int(c as f64)),
    );
    if let (Some(fork), Some(pre)) = (find("fork"), find("prefork"))
        && let (Some(a), Some(b)) = (fork.cpu_s, pre.cpu_s.filter(|b| *b > 0.0))
    {
        let mut s = format!(
            "The fork-per-client server used {} the CPU of prefork for {same}",
            ratio(a / b)
        );
        if let (Some(x), Some(y)) = (
            fork.conn_per_s.filter(|x| *x > 0.0),
            pre.conn_per_s.filter(|y| *y > 0.0),
        ) {
            if y >= x {
                w!(
                    s,
                    " and completed {} fewer connections per second",
                    ratio(y / x)
                );
            } else {
                w!(
                    s,
                    " and completed {} more connections per second",
                    ratio(x / y)
                );
            }
        }
        return Some(s + ".");
    }
    let with_cpu: Vec<(&Design, f64)> =
        designs.iter().filter_map(|d| Some((d, d.cpu_s?))).collect();
    let most = with_cpu.iter().max_by(|a, b| a.1.total_cmp(&b.1))?;
    let least = with_cpu.iter().min_by(|a, b| a.1.total_cmp(&b.1))?;
    if least.1 > 0.0 && most.0.model != least.0.model {
        Some(format!(
            "The {} design used the most CPU for {same}, {} that of {}, which used the least.",
            most.0.model,
            ratio(most.1 / least.1),
            least.0.model
        ))
    } else {
        Some(format!(
            "The {} design used {} s of CPU for {same}.",
            most.0.model,
            sig(most.1, 3)
        ))
    }
}

/// A quantity charted per design.
struct Metric {
    id: &'static str,
    title: &'static str,
    axis: &'static str,
    series: usize,
    value: fn(&Design) -> Option<f64>,
    text: fn(f64) -> String,
}

const METRICS: [Metric; 2] = [
    Metric {
        id: "chart-echo-cpu",
        title: "Server CPU time per design (less is better)",
        axis: "server CPU time, user + system (s)",
        series: 3,
        value: |d| d.cpu_s,
        text: |x| format!("{} s", sig(x, 3)),
    },
    Metric {
        id: "chart-echo-rate",
        title: "Connections completed per second per design (more is better)",
        axis: "connections per second",
        series: 0,
        value: |d| d.conn_per_s,
        text: int,
    },
];

fn chart(part: &mut Part, designs: &[Design], m: &Metric) {
    let bars: Vec<Bar> = designs
        .iter()
        .map(|d| Bar {
            label: d.model.clone(),
            value: (m.value)(d).unwrap_or(0.0),
            series: m.series,
            text: (m.value)(d).map_or_else(|| "not measured".into(), m.text),
        })
        .collect();
    let scale = Scale::linear(bars.iter().map(|b| b.value).fold(0.0, f64::max));
    let chart = Bars {
        id: m.id,
        title: m.title.into(),
        desc: part.finding.clone().unwrap_or_default(),
        axis: m.axis.into(),
        bars,
        scale,
        legend: Vec::new(),
    };
    part.figure(&format!("{}.", m.title), &chart.svg());
}
