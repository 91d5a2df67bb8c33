//! What limits.conf sets: each resource limit pam_limits would set for the user the lab ran
//! as, and the `file:line` that sets it.

use super::{Part, items, unreadable};
use crate::html::{Row, cell, esc, note, table, text_col};
use crate::number::int;
use crate::read::{count, list, scalar, shown, text};
use serde_json::Value;

struct Item<'a> {
    name: String,
    soft: Option<String>,
    hard: Option<String>,
    raw: &'a Value,
}

impl<'a> Item<'a> {
    fn read(v: &'a Value) -> Option<Item<'a>> {
        Some(Item {
            name: text(v, "item")?.to_string(),
            soft: shown(v, "soft"),
            hard: shown(v, "hard"),
            raw: v,
        })
    }

    fn set(&self) -> bool {
        self.soft.is_some() || self.hard.is_some()
    }
}

/// The limits section.
pub(crate) fn build(doc: &Value) -> Part {
    let mut part = Part::default();
    let Some(list_) = items(doc, "items", &mut part) else {
        return part;
    };
    let items: Vec<Item> = list_.iter().filter_map(Item::read).collect();
    unreadable(&mut part, list_.len() - items.len(), "item");
    part.finding = Some(finding(&items, doc));
    let set: Vec<&Item> = items.iter().filter(|i| i.set()).collect();
    if !set.is_empty() {
        let cols = [
            text_col("item"),
            text_col("soft"),
            text_col("hard"),
            text_col("unit"),
            text_col("set by"),
        ];
        let rows: Vec<Row> = set.iter().map(|i| row(i)).collect();
        part.push(&table("The limits pam_limits sets at login", &cols, &rows));
    }
    let unset: Vec<&str> = items
        .iter()
        .filter(|i| !i.set())
        .map(|i| i.name.as_str())
        .collect();
    if !unset.is_empty() {
        part.push(&note(
            "note",
            &format!("Not set (kept as they are): {}.", unset.join(", ")),
        ));
    }
    part
}

fn who(doc: &Value) -> String {
    let user = text(doc, "user").unwrap_or("the user");
    match count(doc, "uid") {
        Some(uid) => format!("{user} (uid {uid})"),
        None => user.to_string(),
    }
}

fn finding(items: &[Item], doc: &Value) -> String {
    let who = who(doc);
    let files: Vec<String> = list(doc, "files")
        .unwrap_or(&[])
        .iter()
        .filter_map(scalar)
        .collect();
    let from = if files.is_empty() {
        "no limits.conf file".to_string()
    } else {
        files.join(", ")
    };
    let mut s = if let Some(line) = text(doc, "no_limits") {
        format!("pam_limits sets no limits for {who}: {line} is a \"-\" line that turns them off")
    } else {
        let set: Vec<&str> = items
            .iter()
            .filter(|i| i.set())
            .map(|i| i.name.as_str())
            .collect();
        match set.len() {
            0 => format!(
                "pam_limits sets no limits for {who} from {from}: every limit keeps its current value"
            ),
            k => format!(
                "pam_limits sets {} of {} limits for {who} from {from}: {}",
                k,
                items.len(),
                set.join(", ")
            ),
        }
    };
    if let Some(p) = count(doc, "problems").filter(|p| *p > 0) {
        w!(
            s,
            "; it skips or misreads {} line{} (forklab limits check lists them)",
            int(p as f64),
            if p == 1 { "" } else { "s" }
        );
    }
    s + "."
}

fn row(i: &Item) -> Row {
    let mut soft = cell(i.soft.clone());
    if i.raw.get("soft_lowered").and_then(Value::as_bool) == Some(true) {
        soft.push_str("<span class=\"sub\">lowered to the hard value</span>");
    }
    let sources: Vec<String> = [("soft", "soft_source"), ("hard", "hard_source")]
        .iter()
        .filter_map(|(which, key)| shown(i.raw, key).map(|s| format!("{which}: {s}")))
        .collect();
    Row::plain(vec![
        esc(&i.name),
        soft,
        cell(i.hard.clone()),
        cell(shown(i.raw, "unit")),
        cell((!sources.is_empty()).then(|| sources.join("; "))),
    ])
}
