//! `render` and `check` never panic, whatever JSON they are given: random values built from
//! the field names the report uses (so they reach deep into each section), random values
//! put into the real sample at random places, and the page is always a whole page.

use forklab_report::{check, render};
use proptest::prelude::*;
use serde_json::{Map, Number, Value};

/// Field names the report's documents use, so random objects look like real sections.
const KEYS: &[&str] = &[
    "report_version",
    "machine",
    "race",
    "spawn_cost",
    "inherit",
    "exec_limits",
    "echo",
    "guard",
    "limits",
    "skipped",
    "error",
    "variants",
    "results",
    "rows",
    "bombs",
    "items",
    "benign",
    "thresholds",
    "via",
    "pin",
    "sched",
    "measure",
    "trials",
    "parent_first",
    "child_first",
    "parent_first_pct",
    "child_first_pct",
    "trial_p50_us",
    "expected_first",
    "expectation_met",
    "fork_error",
    "strategy",
    "used",
    "parent_mib",
    "median_us",
    "p10_us",
    "p90_us",
    "failed",
    "n",
    "program",
    "key",
    "attribute",
    "fork",
    "exec",
    "vfork",
    "posix_spawn",
    "expected_fork",
    "expected_exec",
    "matches",
    "note",
    "seen",
    "root",
    "uid",
    "arg_max_bytes",
    "arg_max_formula",
    "max_arg_strlen",
    "empty_argv",
    "argc",
    "argv0",
    "per_stack",
    "differences",
    "stack_rlimit",
    "model",
    "server_cpu_s",
    "conn_per_s",
    "connections",
    "pinned",
    "kind",
    "detected",
    "detect_ms",
    "zero_ms",
    "peak_tasks",
    "survivors",
    "incidents",
    "processes",
    "item",
    "soft",
    "hard",
    "soft_source",
    "no_limits",
    "problems",
    "files",
    "user",
    "kernel",
    "cpus",
    "memory_bytes",
    "date",
    "quick",
    "hostname",
];

/// Words the report's values use.
const WORDS: &[&str] = &[
    "fork",
    "vfork",
    "clone",
    "none",
    "same",
    "other",
    "fork-exec",
    "vfork-exec",
    "prefork",
    "yes",
    "no",
    "shared",
    "skipped",
    "child",
    "parent",
    "unlimited",
    "2026-11-30T11:58:00Z",
    "T",
    "Z",
    "",
    "é",
    "<script>",
    "\u{0}",
];

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (0u32..3000).prop_map(Value::from),
        prop_oneof![
            Just(0.0),
            Just(-0.0),
            Just(1e308),
            Just(-1e308),
            Just(5e-324),
            Just(100.0)
        ]
        .prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        prop::sample::select(WORDS).prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![4 => prop::sample::select(KEYS).prop_map(String::from), 1 => "[a-z_]{0,6}"]
}

fn json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(5, 96, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..10)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn sample() -> Value {
    let path = format!(
        "{}/tests/fixtures/full_report.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Replaces the value at a random place in `v` (walking `path` as indices) with `new`.
fn plant(v: &mut Value, path: &[usize], new: Value) {
    let Some((&step, rest)) = path.split_first() else {
        *v = new;
        return;
    };
    let child = match v {
        Value::Object(map) if !map.is_empty() => {
            let k = map.keys().nth(step % map.len()).cloned().unwrap();
            map.get_mut(&k)
        }
        Value::Array(items) if !items.is_empty() => {
            let n = items.len();
            items.get_mut(step % n)
        }
        _ => None,
    };
    match child {
        Some(child) if !rest.is_empty() || step % 5 != 0 => plant(child, rest, new),
        _ => *v = new,
    }
}

fn assert_whole_page(html: &str) {
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.trim_end().ends_with("</html>"));
    for key in [
        "race",
        "spawn_cost",
        "inherit",
        "exec_limits",
        "echo",
        "guard",
        "limits",
    ] {
        assert!(html.contains(&format!("<section id=\"{key}\"")));
    }
    assert!(!html.to_ascii_lowercase().contains("<script"));
    assert!(!html.contains("NaN"));
    assert_eq!(html.matches("<svg").count(), html.matches("</svg>").count());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn any_value_renders(report in json()) {
        assert_whole_page(&render(&report));
        let _ = check(&report);
    }

    #[test]
    fn any_sections_render(sections in prop::collection::vec((prop::sample::select(KEYS), json()), 0..10)) {
        let mut report = serde_json::json!({"report_version": 1});
        for (k, v) in sections {
            report[k] = v;
        }
        assert_whole_page(&render(&report));
        let _ = check(&report);
    }

    #[test]
    fn the_sample_damaged_anywhere_renders(path in prop::collection::vec(any::<usize>(), 1..6), new in json()) {
        let mut report = sample();
        plant(&mut report, &path, new);
        assert_whole_page(&render(&report));
        let _ = check(&report);
    }
}
