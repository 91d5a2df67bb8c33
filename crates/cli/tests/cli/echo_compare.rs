//! `forklab echo compare` end to end, on a small workload: every row's fields, what they must
//! be (no zombie, no failed connection, the iterative row as the baseline of process-control
//! CPU, the fork model's peak above its pool size), the pinning said in the table, and bad input.

use crate::support::{error_line, forklab, stdout_of};
use serde_json::Value;

#[test]
fn the_rows_are_measured_and_consistent() {
    let text = stdout_of(
        &[
            "echo",
            "compare",
            "--models",
            "iterative,fork,prefork-mutex,prethread,async",
            "--connections",
            "300",
            "--workers",
            "3",
            "--json",
        ],
        0,
    );
    let report: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(report["connections"], 300);
    assert_eq!(report["concurrency"], 10);
    assert_eq!(report["size"], 4000);
    let rows = report["rows"].as_array().unwrap();
    let models: Vec<&str> = rows.iter().map(|r| r["model"].as_str().unwrap()).collect();
    assert_eq!(
        models,
        ["iterative", "fork", "prefork-mutex", "prethread", "async"]
    );
    for row in rows {
        for field in ["server_cpu_s", "conn_per_s", "p50_ms", "p99_ms"] {
            assert!(row[field].as_f64().unwrap() > 0.0, "{field}: {row}");
        }
        assert_eq!(row["zombies"], 0, "{row}");
        assert_eq!(row["errors"], 0, "{row}");
        assert!(row["process_control_cpu_s"].is_number(), "{row}");
        assert!(row["p99_ms"].as_f64() >= row["p50_ms"].as_f64(), "{row}");
    }
    assert_eq!(
        rows[0]["process_control_cpu_s"], 0.0,
        "iterative is the baseline"
    );
    assert_eq!(rows[0]["peak_tasks"], 1, "iterative: the server alone");
    assert_eq!(rows[4]["peak_tasks"], 1, "async: one thread");
    assert_eq!(
        rows[2]["peak_tasks"], 4,
        "prefork-mutex: the parent and 3 workers"
    );
    assert!(
        rows[1]["peak_tasks"].as_u64().unwrap() > 1,
        "fork: children: {}",
        rows[1]
    );
    let cpus = report["cpus"].as_u64().unwrap();
    assert_eq!(report["pinned"].is_null(), cpus < 2, "{}", report["pinned"]);
}

#[test]
fn the_table_says_where_server_and_load_ran() {
    let text = stdout_of(
        &[
            "echo",
            "compare",
            "--models",
            "thread",
            "--connections",
            "50",
        ],
        0,
    );
    let first = text.lines().next().unwrap();
    assert!(
        first.starts_with("50 connections, 10 at a time, 4000 bytes each; pools of 8; "),
        "{first}"
    );
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cpus >= 2 {
        assert!(first.ends_with("server on CPU 0, load on CPU 1"), "{first}");
    }
    assert!(text.lines().any(|l| l.starts_with("thread ")), "{text}");
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let line = error_line(["echo", "compare", "--models", "fork,nope"]);
    assert!(
        line.starts_with(
            "forklab: error: invalid value 'nope' for '--models <LIST>': unknown model \"nope\""
        ),
        "{line}"
    );
    let line = error_line(["echo", "compare", "--connections", "0"]);
    assert!(line.contains("must be at least 1, got 0"), "{line}");
    let out = forklab(["echo", "compare", "--concurrency", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
