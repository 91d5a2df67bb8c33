//! `forklab report`: the page from a saved report.json, whatever state the file is in.

use crate::support::{error_line, forklab};
use serde_json::json;
use std::path::Path;

fn write(dir: &Path, value: &serde_json::Value) -> std::path::PathBuf {
    let path = dir.join("report.json");
    std::fs::write(&path, serde_json::to_string_pretty(value).unwrap()).unwrap();
    path
}

fn minimal() -> serde_json::Value {
    json!({
        "report_version": 1,
        "forklab_version": "0.1.0",
        "machine": {"kernel": "6.18.0", "cpus": 2, "memory_bytes": 1u64 << 30, "glibc": "2.36",
                    "forklab_version": "0.1.0", "date": "2026-11-30T12:00:00Z", "quick": true},
        "race": {"skipped": "not selected (--only)"},
        "spawn_cost": {"skipped": "not selected (--only)"},
        "inherit": {"error": "the probe could not start"},
        "exec_limits": {"skipped": "not selected (--only)"},
        "echo": {"skipped": "not selected (--only)"},
        "guard": {"skipped": "needs root"},
        "limits": {"skipped": "not selected (--only)"},
    })
}

#[test]
fn a_saved_report_is_rendered_next_to_it_or_into_out() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), &minimal());
    let out = forklab(["report"]).arg(&path).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = std::fs::read_to_string(dir.path().join("index.html")).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(
        page.contains("Skipped: needs root"),
        "the skip reason is on the page"
    );
    assert!(page.contains("This experiment failed: the probe could not start"));
    // The failed section is a problem worth a warning; skipped ones are not.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("forklab report: warning: inherit:"),
        "{stderr}"
    );
    assert!(!stderr.contains("guard:"), "{stderr}");
    let elsewhere = dir.path().join("page");
    let out = forklab(["report"])
        .arg(&path)
        .arg("--out")
        .arg(&elsewhere)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        elsewhere.join("index.html").to_str().unwrap()
    );
}

#[test]
fn another_version_or_missing_fields_still_give_a_page_that_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let mut future = minimal();
    future["report_version"] = json!(2);
    let edited = json!({"machine": {"kernel": "6.18.0"}, "race": {"variants": "lost"}});
    for (name, report) in [("future", future), ("edited", edited)] {
        let sub = dir.path().join(name);
        std::fs::create_dir(&sub).unwrap();
        let path = write(&sub, &report);
        let out = forklab(["report"]).arg(&path).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        assert!(stderr.contains("warning"), "{name}: {stderr}");
        let page = std::fs::read_to_string(sub.join("index.html")).unwrap();
        for heading in ["Who runs first after fork", "What limits.conf sets"] {
            assert!(page.contains(heading), "{name}: {heading}");
        }
        if name == "future" {
            assert!(
                page.contains("report_version"),
                "a banner names the version"
            );
        } else {
            assert!(
                page.contains("Not in this report"),
                "missing sections say so"
            );
        }
    }
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nothing.json");
    let line = error_line(["report", missing.to_str().unwrap()]);
    assert!(
        line.contains("cannot read") && line.contains("nothing.json"),
        "{line}"
    );
    let garbage = dir.path().join("garbage.json");
    std::fs::write(&garbage, "{ not json").unwrap();
    let line = error_line(["report", garbage.to_str().unwrap()]);
    assert!(line.contains("is not JSON"), "{line}");
    let path = write(dir.path(), &minimal());
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let line = error_line([
        "report",
        path.to_str().unwrap(),
        "--out",
        file.to_str().unwrap(),
    ]);
    assert!(line.contains("cannot create"), "{line}");
    let line = error_line(["report"]);
    assert!(line.contains("REPORT_JSON"), "{line}");
}
