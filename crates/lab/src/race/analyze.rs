//! Reading the article's lines (`0 parent`, `0 child`, `1 parent`, …) and counting, for each
//! trial, who printed first: what TLPI's `fork_whos_on_first.count.awk` does, plus checks the
//! awk script does not make.
//!
//! As in the awk script, a trial is a run of lines with the same number, and its first line
//! decides. A line that is not `<number> parent` or `<number> child`, or repeats a side within
//! a trial, is malformed: counted, reported with its line number, and skipped. A trial with
//! other than two lines is counted as the awk script counts it, and as `unpaired`.

use super::report::{First, Tally};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::io::{self, BufRead};

/// Malformed lines kept with their message; beyond this they are only counted.
pub const MAX_REPORTED: usize = 1000;

/// The summary of a file of lines. The JSON has the fields of a race run; what lines cannot
/// tell (elapsed time, variant, kernel) is `null`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    /// Trials found (runs of lines with one number).
    pub trials: u64,
    /// Who printed first.
    #[serde(flatten)]
    pub first: Tally,
    /// Unknown from lines.
    pub elapsed_s: Option<f64>,
    /// Unknown from lines.
    pub per_trial_us: Option<f64>,
    /// Unknown from lines.
    pub via: Option<String>,
    /// Unknown from lines.
    pub pin: Option<String>,
    /// Lines are the stdout measure.
    pub measure: Option<String>,
    /// Unknown from lines.
    pub kernel: Option<String>,
    /// Unknown from lines.
    pub cpus: Option<usize>,
    /// Where the lines came from (a path, or `-` for stdin).
    pub source: String,
    /// Lines read.
    pub lines: u64,
    /// Malformed lines (skipped).
    pub malformed: u64,
    /// Trials with other than exactly two lines.
    pub unpaired: u64,
    /// The first [`MAX_REPORTED`] malformed lines.
    #[serde(skip)]
    pub problems: Vec<Malformed>,
}

/// A line that is not one of the article's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Malformed {
    /// Where the lines came from.
    pub source: String,
    /// 1-based line number.
    pub line: u64,
    /// What is wrong with it.
    pub message: String,
}

/// `FILE:LINE: message`.
impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.source, self.line, self.message)
    }
}

/// The trial being read.
struct Current {
    number: u64,
    seen: [bool; 2],
    lines: u64,
}

/// Reads lines from `input` (named `source` in messages) to the end.
pub fn analyze(input: impl BufRead, source: &str) -> io::Result<Analysis> {
    let mut a = Analysis::empty(source);
    let (mut parent, mut child) = (0, 0);
    let mut current: Option<Current> = None;
    for raw in input.split(b'\n') {
        a.lines += 1;
        let (number, side) = match parse(&raw?) {
            Ok(parsed) => parsed,
            Err(message) => {
                a.malformed(message);
                continue;
            }
        };
        match &mut current {
            Some(c) if c.number == number => {
                if c.seen[side as usize] {
                    a.malformed(format!(
                        "a second {number} {} line in trial {number}",
                        side.name()
                    ));
                    continue;
                }
                c.seen[side as usize] = true;
                c.lines += 1;
            }
            _ => {
                a.close(current.take());
                a.trials += 1;
                *if side == First::Parent {
                    &mut parent
                } else {
                    &mut child
                } += 1;
                let mut seen = [false; 2];
                seen[side as usize] = true;
                current = Some(Current {
                    number,
                    seen,
                    lines: 1,
                });
            }
        }
    }
    a.close(current);
    a.first = Tally::new(parent, child);
    Ok(a)
}

/// `<number> <parent|child>`, with any whitespace around and between.
fn parse(raw: &[u8]) -> Result<(u64, First), String> {
    let Ok(text) = std::str::from_utf8(raw) else {
        return Err("not UTF-8 text".to_string());
    };
    let fields: Vec<&str> = text.split_whitespace().collect();
    let expected = || {
        format!(
            "expected \"<trial> parent\" or \"<trial> child\", found {:?}",
            text.trim_end()
        )
    };
    let [number, who] = fields[..] else {
        return Err(expected());
    };
    let number = number.parse::<u64>().map_err(|_| expected())?;
    match who {
        "parent" => Ok((number, First::Parent)),
        "child" => Ok((number, First::Child)),
        _ => Err(expected()),
    }
}

impl Analysis {
    fn empty(source: &str) -> Analysis {
        Analysis {
            trials: 0,
            first: Tally::default(),
            elapsed_s: None,
            per_trial_us: None,
            via: None,
            pin: None,
            measure: Some("stdout".to_string()),
            kernel: None,
            cpus: None,
            source: source.to_string(),
            lines: 0,
            malformed: 0,
            unpaired: 0,
            problems: Vec::new(),
        }
    }

    fn malformed(&mut self, message: String) {
        self.malformed += 1;
        if self.problems.len() < MAX_REPORTED {
            self.problems.push(Malformed {
                source: self.source.clone(),
                line: self.lines,
                message,
            });
        }
    }

    fn close(&mut self, trial: Option<Current>) {
        if trial.is_some_and(|t| t.lines != 2) {
            self.unpaired += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::race::report::FIXED_FIELDS;

    fn run(text: &str) -> Analysis {
        analyze(text.as_bytes(), "lines.txt").unwrap()
    }

    #[test]
    fn counts_the_first_line_of_each_trial_like_the_awk_script() {
        let a = run("0 parent\n0 child\n1 child\n1 parent\n2 parent\n2 child\n");
        assert_eq!(
            (a.trials, a.first.parent_first, a.first.child_first),
            (3, 2, 1)
        );
        assert_eq!((a.lines, a.malformed, a.unpaired), (6, 0, 0));
        assert!((a.first.parent_first_pct - 66.666).abs() < 0.01);
    }

    #[test]
    fn malformed_lines_are_reported_with_file_and_line_and_skipped() {
        let a = run(
            "0 parent\n0 child\nThe elapsed time is 0.1 seconds.\n1 child\n\nx parent\n1 kid\n1 parent\n",
        );
        assert_eq!(
            (a.trials, a.first.parent_first, a.first.child_first),
            (2, 1, 1)
        );
        assert_eq!(a.malformed, 4);
        let messages: Vec<String> = a.problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            [
                "lines.txt:3: expected \"<trial> parent\" or \"<trial> child\", found \"The elapsed time is 0.1 seconds.\"",
                "lines.txt:5: expected \"<trial> parent\" or \"<trial> child\", found \"\"",
                "lines.txt:6: expected \"<trial> parent\" or \"<trial> child\", found \"x parent\"",
                "lines.txt:7: expected \"<trial> parent\" or \"<trial> child\", found \"1 kid\"",
            ]
        );
    }

    #[test]
    fn repeated_sides_and_lone_lines() {
        let a = run("0 parent\n0 parent\n0 child\n1 child\n2 parent\n2 child\n");
        assert_eq!(a.malformed, 1);
        assert_eq!(
            a.problems[0].to_string(),
            "lines.txt:2: a second 0 parent line in trial 0"
        );
        assert_eq!((a.trials, a.unpaired), (3, 1));
    }

    #[test]
    fn crlf_non_utf8_and_empty_input() {
        let a = run("0 child\r\n0 parent\r\n");
        assert_eq!((a.trials, a.first.child_first, a.malformed), (1, 1, 0));
        let a = analyze(&b"0 parent\n\xff child\n0 child\n"[..], "-").unwrap();
        assert_eq!(a.problems[0].to_string(), "-:2: not UTF-8 text");
        let a = run("");
        assert_eq!((a.trials, a.lines, a.first.parent_first_pct), (0, 0, 0.0));
    }

    #[test]
    fn only_the_first_problems_are_kept_but_all_are_counted() {
        let text = "junk\n".repeat(MAX_REPORTED + 5);
        let a = run(&text);
        assert_eq!(a.malformed, MAX_REPORTED as u64 + 5);
        assert_eq!(a.problems.len(), MAX_REPORTED);
    }

    #[test]
    fn json_has_the_race_fields() {
        let json = serde_json::to_value(run("0 parent\n0 child\n")).unwrap();
        for key in FIXED_FIELDS {
            assert!(json.get(key).is_some(), "{key} missing from {json}");
        }
        assert_eq!(json["parent_first"], 1);
        assert!(json["elapsed_s"].is_null());
    }
}
