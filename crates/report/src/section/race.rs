//! Who runs first after fork: the share of trials in which the parent acted first, per
//! variant of the race (how the child was made, CPU pinning, scheduling policy).

use super::{Part, items, unreadable};
use crate::chart::{Bar, Bars, Scale};
use crate::html::{Row, cell, esc, num_col, table, text_col};
use crate::number::{int, pct, sig};
use crate::read::{count, flag, num, text};
use serde_json::Value;

/// One variant as read.
struct Variant {
    via: String,
    pin: String,
    sched: String,
    measure: String,
    trials: Option<u64>,
    parent_pct: Option<f64>,
    child_pct: Option<f64>,
    p50_us: Option<f64>,
    expected: Option<String>,
    met: Option<bool>,
    skipped: Option<String>,
}

impl Variant {
    fn read(v: &Value) -> Option<Variant> {
        v.as_object()?;
        let (parent, child) = (count(v, "parent_first"), count(v, "child_first"));
        let from_counts = |a: Option<u64>| match (a, parent.zip(child)) {
            (Some(a), Some((p, c))) if p + c > 0 => Some(a as f64 * 100.0 / (p + c) as f64),
            _ => None,
        };
        let word = |key| text(v, key).unwrap_or("?").to_string();
        let skipped = text(v, "skipped")
            .or(text(v, "fork_error"))
            .map(str::to_string);
        Some(Variant {
            via: word("via"),
            pin: word("pin"),
            sched: word("sched"),
            measure: word("measure"),
            trials: count(v, "trials").or(parent.zip(child).map(|(p, c)| p + c)),
            parent_pct: num(v, "parent_first_pct")
                .or_else(|| from_counts(parent))
                .filter(|_| skipped.is_none()),
            child_pct: num(v, "child_first_pct")
                .or_else(|| from_counts(child))
                .filter(|_| skipped.is_none()),
            p50_us: num(v, "trial_p50_us").or(num(v, "per_trial_us")),
            expected: text(v, "expected_first").map(str::to_string),
            met: flag(v, "expectation_met"),
            skipped,
        })
    }

    /// The label: only the dimensions that vary among the variants.
    fn label(&self, varies: [bool; 4]) -> String {
        let pin = match self.pin.as_str() {
            "none" => "any CPU".to_string(),
            "same" => "same CPU".to_string(),
            other => format!("pin {other}"),
        };
        let parts = [
            self.via.clone(),
            pin,
            self.sched.clone(),
            self.measure.clone(),
        ];
        let shown: Vec<String> = parts
            .into_iter()
            .zip(varies)
            .filter(|(_, v)| *v)
            .map(|(p, _)| p)
            .collect();
        if shown.is_empty() {
            self.via.clone()
        } else {
            shown.join(" · ")
        }
    }
}

/// The race section.
pub(crate) fn build(doc: &Value) -> Part {
    let mut part = Part::default();
    let Some(list) = items(doc, "variants", &mut part) else {
        return part;
    };
    let variants: Vec<Variant> = list.iter().filter_map(Variant::read).collect();
    unreadable(&mut part, list.len() - variants.len(), "variant");
    if variants.is_empty() {
        return part;
    }
    part.finding = finding(&variants);
    if part.finding.is_none() {
        part.problem("No variant has a count of who ran first.".into());
    }
    let differ = |f: fn(&Variant) -> &str| variants.iter().any(|v| f(v) != f(&variants[0]));
    let varies = [
        differ(|v| &v.via),
        differ(|v| &v.pin),
        differ(|v| &v.sched),
        differ(|v| &v.measure),
    ];
    chart(&mut part, &variants, varies);
    rows(&mut part, &variants, varies);
    part
}

fn finding(variants: &[Variant]) -> Option<String> {
    let measured: Vec<&Variant> = variants.iter().filter(|v| v.parent_pct.is_some()).collect();
    if measured.is_empty() {
        let why = variants.iter().find_map(|v| v.skipped.as_deref())?;
        return Some(format!("No variant could be measured here: {why}."));
    }
    let base = measured
        .iter()
        .find(|v| v.via == "fork" && v.pin == "none" && v.sched == "other")
        .or_else(|| measured.iter().find(|v| v.via == "fork"))
        .unwrap_or(&measured[0]);
    let trials = base
        .trials
        .map_or_else(String::new, |t| format!(" of {} ", int(t as f64)));
    let noun = if base.via == "vfork" {
        "vforks"
    } else if base.via == "clone" {
        "clones"
    } else {
        "forks"
    };
    let mut s = format!(
        "The parent ran first in {}{}{noun}",
        pct(base.parent_pct.unwrap_or(0.0)),
        if trials.is_empty() {
            " of ".to_string()
        } else {
            trials
        }
    );
    let racing: Vec<&&Variant> = measured.iter().filter(|v| v.via != "vfork").collect();
    if racing.len() > 1 {
        let (lo, hi) = racing
            .iter()
            .filter_map(|v| v.parent_pct)
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
                (a.min(p), b.max(p))
            });
        let mut vias: Vec<&str> = Vec::new();
        for v in &racing {
            if !vias.contains(&v.via.as_str()) {
                vias.push(&v.via);
            }
        }
        let range = if lo == hi {
            pct(lo)
        } else {
            format!("{}–{}", pct(lo).trim_end_matches('%'), pct(hi))
        };
        w!(
            s,
            "; across all {} {} variants it was {range}",
            racing.len(),
            vias.join(" and ")
        );
    }
    let vfork: Vec<&&Variant> = measured.iter().filter(|v| v.via == "vfork").collect();
    if !vfork.is_empty() && base.via != "vfork" {
        if vfork.iter().all(|v| v.child_pct == Some(100.0)) {
            s.push_str(", and vfork's child always ran first, as vfork guarantees");
        } else {
            let child = vfork
                .iter()
                .filter_map(|v| v.child_pct)
                .fold(f64::INFINITY, f64::min);
            w!(
                s,
                ", and vfork's child ran first in as few as {} of trials",
                pct(child)
            );
        }
    }
    s.push('.');
    Some(s)
}

fn chart(part: &mut Part, variants: &[Variant], varies: [bool; 4]) {
    let mut vias: Vec<&str> = Vec::new();
    for v in variants {
        if !vias.contains(&v.via.as_str()) {
            vias.push(&v.via);
        }
    }
    let bars = variants
        .iter()
        .map(|v| Bar {
            label: v.label(varies),
            value: v.parent_pct.unwrap_or(0.0),
            series: vias.iter().position(|x| *x == v.via).unwrap_or(0),
            text: v.parent_pct.map_or_else(|| "not measured".into(), pct),
        })
        .collect();
    let chart = Bars {
        id: "chart-race",
        title: "Parent ran first, % of trials, per variant".into(),
        desc: part.finding.clone().unwrap_or_default(),
        axis: "trials in which the parent ran first (%)".into(),
        bars,
        scale: Scale::Linear { hi: 100.0 },
        legend: if vias.len() > 1 {
            vias.iter().map(|v| format!("via {v}")).collect()
        } else {
            Vec::new()
        },
    };
    part.figure(
        "Share of trials in which the parent acted first after the call returned, per variant.",
        &chart.svg(),
    );
}

fn rows(part: &mut Part, variants: &[Variant], varies: [bool; 4]) {
    let any_skipped = variants.iter().any(|v| v.skipped.is_some());
    let rows: Vec<Row> = variants
        .iter()
        .map(|v| {
            let expected = v.expected.as_ref().map(|e| match v.met {
                Some(true) => format!("{e} first ✓"),
                Some(false) => format!("{e} first ✗ not met"),
                None => format!("{e} first"),
            });
            Row {
                class: if v.met == Some(false) {
                    Some("mismatch")
                } else if v.skipped.is_some() {
                    Some("skipped")
                } else {
                    None
                },
                cells: vec![
                    esc(&v.label(varies)),
                    cell(v.trials.map(|t| int(t as f64))),
                    cell(v.parent_pct.map(pct)),
                    cell(v.child_pct.map(pct)),
                    cell(v.p50_us.map(|u| sig(u, 3))),
                    cell(expected),
                    cell(v.skipped.clone()),
                ]
                .into_iter()
                .take(if any_skipped { 7 } else { 6 })
                .collect(),
            }
        })
        .collect();
    let mut cols = vec![
        text_col("variant"),
        num_col("trials"),
        num_col("parent first"),
        num_col("child first"),
        num_col("median trial (µs)"),
        text_col("expected"),
    ];
    if any_skipped {
        cols.push(text_col("not measured because"));
    }
    part.push(&table("Who ran first, per variant", &cols, &rows));
}
