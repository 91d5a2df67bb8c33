//! The report's sections, one per experiment, each built from that experiment's own JSON
//! document. A section's document may be missing, `{"skipped": reason}`, `{"error":
//! message}`, or not what this version reads: the section then says so in words, and the
//! problem is listed for [`crate::check`].
//!
//! Each experiment's module turns a present document into a [`Part`]: the finding (one
//! sentence computed from the data), charts and tables.

mod echo;
mod exec_limits;
mod guard;
mod inherit;
mod limits;
mod race;
mod spawn_cost;

use crate::html::{esc, note};
use crate::read;
use serde_json::Value;

/// What became of an experiment's document.
pub(crate) enum State {
    /// It is there and was read (perhaps in part: see the problems).
    Measured,
    /// The lab could not run it here.
    Skipped(String),
    /// It ran and failed.
    Failed(String),
    /// The report has no such key.
    Missing,
    /// It is not an object.
    Unreadable(String),
}

/// A rendered section.
pub(crate) struct Section {
    /// Its key in report.json (and its HTML `id`).
    pub(crate) key: &'static str,
    /// Its heading.
    pub(crate) title: &'static str,
    /// What became of its document.
    pub(crate) state: State,
    /// Its finding, when there is one.
    pub(crate) finding: Option<String>,
    /// Everything after the finding, HTML.
    pub(crate) body: String,
    /// What could not be read, for `check`.
    pub(crate) problems: Vec<String>,
}

/// What an experiment's module makes of its document.
#[derive(Default)]
pub(crate) struct Part {
    /// The finding sentence (plain text).
    pub(crate) finding: Option<String>,
    /// Charts, tables and notes (HTML).
    pub(crate) body: String,
    /// What could not be read.
    pub(crate) problems: Vec<String>,
}

impl Part {
    /// Appends HTML.
    pub(crate) fn push(&mut self, html: &str) {
        self.body.push_str(html);
    }

    /// Records something that could not be read and says so on the page.
    pub(crate) fn problem(&mut self, text: String) {
        self.body.push_str(&note("warn", &text));
        self.problems.push(text);
    }

    /// A chart in a figure with its caption.
    pub(crate) fn figure(&mut self, caption: &str, svg: &str) {
        w!(
            self.body,
            "<figure>{svg}<figcaption>{}</figcaption></figure>",
            esc(caption)
        );
    }
}

/// An experiment: its key, heading, the command that measures it alone, and its renderer.
struct Experiment {
    key: &'static str,
    title: &'static str,
    command: &'static str,
    build: fn(&Value) -> Part,
}

const EXPERIMENTS: [Experiment; 7] = [
    Experiment {
        key: "race",
        title: "Who runs first after fork",
        command: "forklab race --sweep",
        build: race::build,
    },
    Experiment {
        key: "spawn_cost",
        title: "What a spawn costs as the parent grows",
        command: "forklab spawn-cost",
        build: spawn_cost::build,
    },
    Experiment {
        key: "inherit",
        title: "What crosses fork and execve",
        command: "forklab inherit",
        build: inherit::build,
    },
    Experiment {
        key: "exec_limits",
        title: "How much execve accepts",
        command: "forklab exec-limits",
        build: exec_limits::build,
    },
    Experiment {
        key: "echo",
        title: "Server designs under the same load",
        command: "forklab echo compare",
        build: echo::build,
    },
    Experiment {
        key: "guard",
        title: "Fork bombs against the guard",
        command: "forklab guard drill",
        build: guard::build,
    },
    Experiment {
        key: "limits",
        title: "What limits.conf sets",
        command: "forklab limits show",
        build: limits::build,
    },
];

#[cfg(test)]
#[test]
fn the_public_list_of_sections_is_the_page_order() {
    let keys: Vec<&str> = EXPERIMENTS.iter().map(|e| e.key).collect();
    assert_eq!(keys, crate::SECTIONS);
}

/// Every section of `report`, in page order.
pub(crate) fn all(report: &Value) -> Vec<Section> {
    EXPERIMENTS
        .iter()
        .map(|e| section(e, report.get(e.key)))
        .collect()
}

fn section(e: &Experiment, doc: Option<&Value>) -> Section {
    let state = state(doc);
    let mut part = match (&state, doc) {
        (State::Measured, Some(doc)) => (e.build)(doc),
        _ => Part::default(),
    };
    let message = match &state {
        State::Measured => None,
        State::Skipped(why) => Some(("skipped", format!("Skipped: {why}"))),
        State::Failed(why) => Some(("fail", format!("This experiment failed: {why}"))),
        State::Missing => Some((
            "warn",
            format!("Not in this report: report.json has no \"{}\".", e.key),
        )),
        State::Unreadable(what) => Some((
            "warn",
            format!(
                "Not readable: \"{}\" is {what}, not an object of results.",
                e.key
            ),
        )),
    };
    if let Some((class, text)) = &message {
        part.body.insert_str(0, &note(class, text));
        if *class != "skipped" {
            part.problems.push(format!("{}: {text}", e.key));
        }
    }
    w!(
        part.body,
        "<p class=\"how\">Measured alone with <code>{}</code>.</p>",
        esc(e.command)
    );
    let problems = part
        .problems
        .into_iter()
        .map(|p| {
            if p.starts_with(e.key) {
                p
            } else {
                format!("{}: {p}", e.key)
            }
        })
        .collect();
    Section {
        key: e.key,
        title: e.title,
        state,
        finding: part.finding,
        body: part.body,
        problems,
    }
}

fn state(doc: Option<&Value>) -> State {
    let Some(doc) = doc else {
        return State::Missing;
    };
    if !doc.is_object() {
        return match doc {
            Value::Null => State::Missing,
            other => State::Unreadable(read::kind(other).into()),
        };
    }
    let reason = |key| {
        doc.get(key)
            .filter(|v| !v.is_null())
            .map(|v| read::scalar(v).unwrap_or_default())
    };
    if let Some(error) = reason("error") {
        return State::Failed(if error.is_empty() {
            "no message".into()
        } else {
            error
        });
    }
    if let Some(why) = reason("skipped") {
        return State::Skipped(if why.is_empty() {
            "no reason given".into()
        } else {
            why
        });
    }
    State::Measured
}

/// The items of a document's list field, or a problem when it is missing or not a list.
pub(crate) fn items<'a>(doc: &'a Value, key: &str, part: &mut Part) -> Option<&'a [Value]> {
    match doc.get(key) {
        Some(Value::Array(items)) if !items.is_empty() => Some(items),
        Some(Value::Array(_)) => {
            part.problem(format!(
                "The \"{key}\" list is empty: nothing was measured."
            ));
            None
        }
        Some(other) => {
            part.problem(format!(
                "\"{key}\" is {}, not a list: this report is not in the shape this version reads.",
                read::kind(other)
            ));
            None
        }
        None => {
            part.problem(format!(
                "No \"{key}\" list in this section: nothing to show."
            ));
            None
        }
    }
}

/// Notes a number of entries of a list that could not be read.
pub(crate) fn unreadable(part: &mut Part, n: usize, what: &str) {
    if n > 0 {
        let s = if n == 1 { "" } else { "s" };
        part.problem(format!(
            "{n} {what}{s} could not be read and {} left out.",
            if n == 1 { "is" } else { "are" }
        ));
    }
}
