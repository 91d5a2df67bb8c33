//! From what the subjects measured to the table: one [`Row`] per attribute, with the
//! expectations beside the measurements and every difference flagged.

use super::Value;
use super::attribute::Attribute;
use super::columns::Measured;
use super::judge::{Cell, Column, judge};
use super::setuid::{SetuidRuns, UNPRIVILEGED};
use super::subject::RoundResult;
use serde::{Deserialize, Serialize};

/// One attribute: what each column measured, what the documentation expects, and whether
/// they agree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    /// The key (as in `--only`).
    pub key: String,
    /// Its human name.
    pub attribute: String,
    /// In a `fork` child.
    pub fork: Value,
    /// Across `execve` in the same process.
    pub exec: Value,
    /// In a `CLONE_VM|CLONE_VFORK` child before exec (`null`: not measured there).
    pub vfork: Option<Value>,
    /// In a `posix_spawn` child (of the probe; `null`: not measured there).
    pub posix_spawn: Option<Value>,
    /// What fork(2) and friends say.
    pub expected_fork: Value,
    /// What execve(2) and friends say.
    pub expected_exec: Value,
    /// What to expect of a vfork child.
    pub expected_vfork: Option<Value>,
    /// What to expect of a posix_spawn child (fork, then exec).
    pub expected_posix_spawn: Option<Value>,
    /// False when a measured (not skipped) value differs from its expectation.
    pub matches: bool,
    /// Where the expectation comes from, differences, reasons for skipped cells.
    pub note: String,
    /// What was observed, per column.
    pub seen: Seen,
}

/// What each column observed (or why it was skipped).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seen {
    /// The fork column.
    pub fork: String,
    /// The exec column.
    pub exec: String,
    /// The vfork column.
    pub vfork: Option<String>,
    /// The posix_spawn column.
    pub posix_spawn: Option<String>,
}

/// The set-user-ID measurement as the rows need it.
pub(crate) enum SetuidOutcome {
    /// Not asked for (filtered out by `--only`).
    NotWanted,
    /// Measured, or the reason it could not be.
    Done(Result<SetuidRuns, String>),
}

/// Builds the row of `attribute` from the two rounds and the set-user-ID runs.
pub(crate) fn row(
    attribute: &Attribute,
    main: &RoundResult,
    second: &RoundResult,
    setuid: &SetuidOutcome,
) -> Row {
    let key = attribute.key;
    let round = match key {
        "itimer_real" | "dumpable" => second,
        _ => main,
    };
    let (fork, exec, vfork, posix_spawn) = measured(attribute, round, setuid);
    let cells = [
        ("fork", Some(&fork), Some(attribute.fork)),
        ("exec", Some(&exec), Some(attribute.exec)),
        ("vfork", vfork.as_ref(), attribute.vfork),
        (
            "posix_spawn",
            posix_spawn.as_ref(),
            attribute.expected_posix_spawn(),
        ),
    ];
    let (matches, note) = compare(attribute, round.notes.get(key), &cells);
    Row {
        key: key.to_string(),
        attribute: attribute.name.to_string(),
        fork: fork.value,
        exec: exec.value,
        vfork: vfork.as_ref().map(|c| c.value),
        posix_spawn: posix_spawn.as_ref().map(|c| c.value),
        expected_fork: attribute.fork,
        expected_exec: attribute.exec,
        expected_vfork: attribute.vfork,
        expected_posix_spawn: attribute.expected_posix_spawn(),
        matches,
        note,
        seen: Seen {
            fork: fork.seen,
            exec: exec.seen,
            vfork: vfork.map(|c| c.seen),
            posix_spawn: posix_spawn.map(|c| c.seen),
        },
    }
}

/// The four cells of a row (vfork and posix_spawn only where measured).
fn measured(
    attribute: &Attribute,
    round: &RoundResult,
    setuid: &SetuidOutcome,
) -> (Cell, Cell, Option<Cell>, Option<Cell>) {
    let key = attribute.key;
    let exec = match key {
        "setuid_exec_euid" => setuid_cell(setuid, 1),
        "setuid_exec_saved_uid" => setuid_cell(setuid, 2),
        _ => cell(&round.exec, key),
    };
    (
        cell(&round.fork, key),
        exec,
        attribute.vfork.map(|_| cell(&round.vfork, key)),
        attribute.posix_spawn.then(|| cell(&round.posix_spawn, key)),
    )
}

type Compared<'a> = (&'a str, Option<&'a Cell>, Option<Value>);

/// Whether every measured cell matches, and the note: the source, the set-up note, each
/// difference, each reason for a skip.
fn compare(
    attribute: &Attribute,
    setup: Option<&String>,
    cells: &[Compared<'_>],
) -> (bool, String) {
    let mut note = vec![attribute.source.to_string()];
    note.extend(setup.cloned());
    let mut matches = true;
    for (column, cell, expected) in cells {
        let (Some(cell), Some(expected)) = (cell, expected) else {
            continue;
        };
        if cell.value == Value::Skipped {
            note.push(format!("{column} skipped: {}", cell.seen));
        } else if cell.value != *expected {
            matches = false;
            note.push(format!(
                "DIFFERS: {column} measured {} where {} is documented ({}); the measurement wins",
                cell.value, expected, cell.seen
            ));
        }
    }
    (matches, note.join("; "))
}

fn cell(measured: &Result<Measured, String>, key: &str) -> Cell {
    match measured {
        Ok(m) => judge(
            key,
            &Column {
                plan: &m.plan,
                before: &m.before,
                after: &m.after,
                post: &m.post,
            },
        ),
        Err(e) => Cell {
            value: Value::Skipped,
            seen: format!("the column failed: {e}"),
        },
    }
}

/// `index` 1: the effective user ID, 2: the saved set-user-ID.
fn setuid_cell(setuid: &SetuidOutcome, index: usize) -> Cell {
    match setuid {
        SetuidOutcome::NotWanted => Cell {
            value: Value::Skipped,
            seen: "not requested".into(),
        },
        SetuidOutcome::Done(Err(why)) => Cell {
            value: Value::Skipped,
            seen: why.clone(),
        },
        SetuidOutcome::Done(Ok(runs)) => {
            let (before, after) = (runs.plain[index], runs.setuid[index]);
            let value = if before == after {
                Value::Yes
            } else {
                Value::No
            };
            let [r, e, s] = runs.setuid;
            let seen = format!(
                "uid {UNPRIVILEGED} execs a set-user-ID copy owned by root: {before} -> {after} \
                 (real/effective/saved after: {r}/{e}/{s})"
            );
            Cell { value, seen }
        }
    }
}
