//! How much execve accepts: the measured E2BIG boundary beside the kernel's formula, the
//! longest single string, an empty argv, the `#!` line, and the RLIMIT_NPROC check at exec.

use super::Part;
use crate::html::{Row, cell, esc, note, num_col, table, text_col};
use crate::number::{bytes, int};
use crate::read::{count, list, num, scalar, shown, text};
use serde_json::Value;

/// The exec-limits section.
pub(crate) fn build(doc: &Value) -> Part {
    let mut part = Part {
        finding: finding(doc),
        ..Part::default()
    };
    if part.finding.is_none() {
        part.problem("No measured argument limit (\"arg_max_bytes\") in this section.".into());
    }
    let rows: Vec<Row> = facts(doc)
        .into_iter()
        .filter(|f| f.measured.is_some() || f.expected.is_some())
        .map(|f| {
            let differs =
                matches!((&f.measured, &f.expected), (Some(m), Some(e)) if f.compare && m != e);
            Row {
                class: differs.then_some("mismatch"),
                cells: vec![
                    esc(f.what),
                    cell(f.measured),
                    cell(f.expected),
                    cell(f.note),
                ],
            }
        })
        .collect();
    if !rows.is_empty() {
        let cols = [
            text_col("what"),
            num_col("measured"),
            num_col("expected"),
            text_col("note"),
        ];
        part.push(&table("execve's limits, measured", &cols, &rows));
    }
    per_stack(&mut part, doc);
    for d in list(doc, "differences")
        .unwrap_or(&[])
        .iter()
        .filter_map(scalar)
    {
        part.push(&note(
            "warn",
            &format!("Differs from the kernel's rules: {d}"),
        ));
    }
    part
}

fn finding(doc: &Value) -> Option<String> {
    let measured = num(doc, "arg_max_bytes")?;
    let mut s = format!(
        "execve accepted {} of arguments and environment",
        bytes_exact(measured)
    );
    match num(doc, "arg_max_formula") {
        Some(f) if f == measured => s.push_str(", exactly what the kernel's formula predicts"),
        Some(f) => w!(
            s,
            ", {} bytes off the kernel's formula ({})",
            int((measured - f).abs()),
            int(f)
        ),
        None => {}
    }
    if let Some(strlen) = num(doc, "max_arg_strlen") {
        w!(s, ", and single strings up to {} bytes", int(strlen));
    }
    if let Some(d) = list(doc, "differences") {
        match d.len() {
            0 => s.push_str("; nothing differs from the kernel's rules"),
            1 => s.push_str("; 1 thing differs from the kernel's rules"),
            k => w!(
                s,
                "; {} things differ from the kernel's rules",
                int(k as f64)
            ),
        }
    }
    Some(s + ".")
}

/// `2,096,622 bytes (2 MiB)`.
fn bytes_exact(n: f64) -> String {
    if n >= 1024.0 {
        format!("{} bytes ({})", int(n), bytes(n))
    } else {
        format!("{} bytes", int(n))
    }
}

/// One row of the table.
struct Fact {
    what: &'static str,
    measured: Option<String>,
    expected: Option<String>,
    note: Option<String>,
    /// Whether a different measured and expected value is a mismatch.
    compare: bool,
}

fn fact(
    what: &'static str,
    measured: Option<String>,
    expected: Option<String>,
    note: Option<String>,
) -> Fact {
    Fact {
        what,
        measured,
        expected,
        note,
        compare: true,
    }
}

fn facts(doc: &Value) -> Vec<Fact> {
    let n = |key| num(doc, key).map(int);
    let empty = doc.get("empty_argv");
    vec![
        fact(
            "argument + environment bytes (E2BIG boundary)",
            n("arg_max_bytes"),
            n("arg_max_formula"),
            Some("expected: the kernel's formula".into()),
        ),
        Fact {
            compare: false,
            ..fact(
                "the kernel's limit: stack limit / 4",
                n("arg_limit_bytes"),
                None,
                None,
            )
        },
        Fact {
            compare: false,
            ..fact("sysconf(_SC_ARG_MAX)", n("sysconf_arg_max"), None, None)
        },
        Fact {
            compare: false,
            ..fact(
                "stack limit (RLIMIT_STACK), bytes",
                shown(doc, "stack_rlimit"),
                None,
                None,
            )
        },
        Fact {
            compare: false,
            ..fact(
                "argc, envc at the boundary",
                count(doc, "argc").map(|a| {
                    format!(
                        "{}, {}",
                        int(a as f64),
                        count(doc, "envc").map_or("?".into(), |e| int(e as f64))
                    )
                }),
                None,
                shown(doc, "program_at_boundary").map(|p| format!("the program: {p}")),
            )
        },
        fact(
            "longest single string (MAX_ARG_STRLEN)",
            n("max_arg_strlen"),
            n("max_arg_strlen_expected"),
            None,
        ),
        Fact {
            compare: false,
            ..fact(
                "an empty argv",
                empty
                    .and_then(|e| count(e, "argc"))
                    .map(|a| format!("argc {}", int(a as f64))),
                None,
                empty
                    .and_then(|e| text(e, "argv0"))
                    .map(|a| format!("argv[0] is {a:?}: the kernel adds an empty string")),
            )
        },
        fact(
            "longest #! line",
            n("shebang_max"),
            n("shebang_max_expected"),
            shown(doc, "shebang_note"),
        ),
        Fact {
            compare: false,
            ..fact(
                "execve over RLIMIT_NPROC after setuid",
                shown(doc, "nproc_at_execve"),
                None,
                shown(doc, "nproc_at_execve_detail"),
            )
        },
        Fact {
            compare: false,
            ..fact("page size, bytes", n("page_size"), None, None)
        },
    ]
}

fn per_stack(part: &mut Part, doc: &Value) {
    let Some(stacks) = list(doc, "per_stack").filter(|s| !s.is_empty()) else {
        return;
    };
    let rows: Vec<Row> = stacks
        .iter()
        .filter(|s| s.is_object())
        .map(|s| {
            let n = |key| num(s, key).map(int);
            Row::plain(vec![
                esc(&shown(s, "stack_rlimit").unwrap_or_else(|| "?".into())),
                cell(n("arg_max_bytes")),
                cell(n("arg_max_formula")),
                cell(n("arg_limit_bytes")),
                cell(n("argc")),
                cell(shown(s, "skipped")),
            ])
        })
        .collect();
    let cols = [
        text_col("stack limit"),
        num_col("bytes accepted"),
        num_col("formula"),
        num_col("limit (stack / 4)"),
        num_col("argc"),
        text_col("skipped because"),
    ];
    part.push(&table(
        "The boundary under other stack limits",
        &cols,
        &rows,
    ));
}
