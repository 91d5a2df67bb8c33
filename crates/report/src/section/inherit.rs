//! What crosses fork and execve: per attribute, what a child got through fork, execve,
//! vfork and posix_spawn, beside what POSIX and the man pages say; mismatches marked.

use super::{Part, items, unreadable};
use crate::html::{Row, esc, note, table, text_col};
use crate::number::int;
use crate::read::{count, flag, text};
use serde_json::Value;

/// The ways a child is made, as (JSON key, column heading).
const WAYS: [(&str, &str); 4] = [
    ("fork", "fork"),
    ("exec", "execve"),
    ("vfork", "vfork"),
    ("posix_spawn", "posix_spawn"),
];

struct Attribute<'a> {
    name: String,
    note: Option<&'a str>,
    matches: Option<bool>,
    /// Per way: what was seen, what was expected, and the raw observation.
    values: [(Option<&'a str>, Option<&'a str>, Option<&'a str>); 4],
}

impl<'a> Attribute<'a> {
    fn read(v: &'a Value) -> Option<Attribute<'a>> {
        let name = text(v, "attribute").or(text(v, "key"))?.to_string();
        let seen = v.get("seen");
        let values = WAYS.map(|(key, _)| {
            let expected_key = format!("expected_{key}");
            (
                text(v, key),
                text(v, &expected_key),
                seen.and_then(|s| text(s, key)),
            )
        });
        Some(Attribute {
            name,
            note: text(v, "note"),
            matches: flag(v, "matches"),
            values,
        })
    }

    fn differs(&self, i: usize) -> bool {
        matches!(self.values[i], (Some(a), Some(e), _) if a != e && a != "skipped")
    }

    fn mismatch(&self) -> bool {
        self.matches == Some(false) || (0..4).any(|i| self.differs(i))
    }

    fn skipped(&self) -> bool {
        self.values.iter().any(|(v, _, _)| *v == Some("skipped"))
    }
}

/// The inheritance section.
pub(crate) fn build(doc: &Value) -> Part {
    let mut part = Part::default();
    let Some(list) = items(doc, "rows", &mut part) else {
        return part;
    };
    let attributes: Vec<Attribute> = list.iter().filter_map(Attribute::read).collect();
    unreadable(&mut part, list.len() - attributes.len(), "row");
    if attributes.is_empty() {
        return part;
    }
    part.finding = Some(finding(&attributes));
    if flag(doc, "root") == Some(false) {
        let uid = count(doc, "uid").map_or_else(String::new, |u| format!(" (uid {u})"));
        part.push(&note("note", &format!("Measured without root{uid}: attributes that need root (set-user-ID exec) are skipped.")));
    }
    part.push(&legend());
    let mut cols = vec![text_col("attribute")];
    cols.extend(WAYS.iter().map(|(_, heading)| text_col(heading)));
    let rows: Vec<Row> = attributes.iter().map(row).collect();
    part.push(&table(
        "What a child keeps, per attribute and way of making it",
        &cols,
        &rows,
    ));
    part
}

fn finding(attributes: &[Attribute]) -> String {
    let n = attributes.len();
    let mismatched: Vec<&str> = attributes
        .iter()
        .filter(|a| a.mismatch())
        .map(|a| a.name.as_str())
        .collect();
    let skipped = attributes
        .iter()
        .filter(|a| a.skipped() && !a.mismatch())
        .count();
    let ok = n - mismatched.len() - skipped;
    let mut s = if ok == n {
        format!(
            "All {} attributes behave as POSIX and the man pages say",
            int(n as f64)
        )
    } else {
        format!(
            "{} of {} attributes behave as POSIX and the man pages say",
            int(ok as f64),
            int(n as f64)
        )
    };
    match mismatched.len() {
        0 => s.push_str("; 0 mismatches"),
        1 => w!(s, "; 1 mismatch: {}", mismatched[0]),
        k => {
            let shown: Vec<&str> = mismatched.iter().take(4).copied().collect();
            let more = if k > 4 {
                format!(" and {} more", k - 4)
            } else {
                String::new()
            };
            w!(s, "; {k} mismatches: {}{more}", shown.join(", "));
        }
    }
    if skipped > 0 {
        w!(s, " ({} could not be measured here)", int(skipped as f64));
    }
    s + "."
}

fn row(a: &Attribute) -> Row {
    let mut first = esc(&a.name);
    if a.mismatch() {
        first.push_str(" <span class=\"flag\">≠ expected</span>");
    }
    if let Some(n) = a.note {
        w!(first, "<span class=\"sub\">{}</span>", esc(n));
    }
    let mut cells = vec![first];
    for (i, (value, expected, seen)) in a.values.iter().enumerate() {
        let title = seen.map_or_else(String::new, |s| format!(" title=\"{}\"", esc(s)));
        let cell = match value {
            None => "<span class=\"none\" title=\"does not apply\">–</span>".to_string(),
            Some(v) => format!(
                "<span class=\"val val-{}\"{title}>{}</span>",
                class(v),
                esc(v)
            ),
        };
        let cell = if a.differs(i) {
            format!(
                "{cell}<span class=\"sub bad\">expected {}</span>",
                esc(expected.unwrap_or("?"))
            )
        } else {
            cell
        };
        cells.push(cell);
    }
    Row {
        class: if a.mismatch() {
            Some("mismatch")
        } else if a.skipped() {
            Some("skipped")
        } else {
            None
        },
        cells,
    }
}

/// A CSS class for a value: one of the known words, else `other`.
fn class(v: &str) -> &'static str {
    match v {
        "yes" => "yes",
        "no" => "no",
        "shared" => "shared",
        "skipped" => "skipped",
        _ => "other",
    }
}

fn legend() -> String {
    "<p class=\"legend\"><span class=\"val val-yes\">yes</span> inherited or preserved · \
     <span class=\"val val-no\">no</span> reset or not inherited · \
     <span class=\"val val-shared\">shared</span> the same object, not a copy · \
     <span class=\"none\">–</span> does not apply. Rows marked <span class=\"flag\">≠ expected</span> \
     differ from the documented behaviour: the measurement wins.</p>"
        .into()
}
