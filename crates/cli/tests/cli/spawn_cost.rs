//! `forklab spawn-cost`.

use crate::support::*;

/// `forklab spawn-cost ARGS…`, which must succeed: its stdout and stderr.
fn spawn_cost(args: &[&str]) -> (Vec<u8>, String) {
    let out = forklab([&["spawn-cost"][..], args].concat())
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{stderr}");
    (out.stdout, stderr)
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let line = error_line(["spawn-cost", "-n", "0"]);
    assert_eq!(
        line,
        "forklab: error: invalid value '0' for '-n <N>': must be at least 1, got 0 (see --help)"
    );
    let line = error_line(["spawn-cost", "-n", "-5"]);
    assert!(line.contains("must be at least 1, got -5"), "{line}");
    let line = error_line(["spawn-cost", "--strategy", "auto,fast"]);
    assert!(line.contains("unknown strategy \"fast\" (expected one of: auto, fork-exec, vfork-exec, posix-spawn, clone3, std)"), "{line}");
    let line = error_line(["spawn-cost", "--parent-mib", "0,-5"]);
    assert!(line.contains("sizes cannot be negative: -5"), "{line}");
    let line = error_line(["spawn-cost", "--parent-mib", "lots"]);
    assert!(line.contains("not a size in MiB: \"lots\""), "{line}");
}

#[test]
fn a_missing_program_is_reported() {
    let line = error_line(["spawn-cost", "--program", "/nonexistent/prog", "-n", "1"]);
    assert_eq!(
        line,
        "forklab: error: auto: cannot run \"/nonexistent/prog\": execve failed: No such file or directory (os error 2)"
    );
}

#[test]
fn a_size_the_machine_cannot_hold_is_refused_before_allocating() {
    let line = error_line(["spawn-cost", "--parent-mib", "0,100000000", "-n", "1"]);
    assert!(
        line.starts_with("forklab: error: cannot make the parent 100000000 MiB: only "),
        "{line}"
    );
    assert!(line.ends_with(" MiB of memory is available"), "{line}");
}

#[test]
fn json_has_the_documented_fields() {
    let (stdout, _) = spawn_cost(&[
        "-n",
        "3",
        "--parent-mib",
        "0,2",
        "--strategy",
        "auto,fork-exec,std",
        "--json",
    ]);
    let doc: serde_json::Value = serde_json::from_slice(&stdout).unwrap();
    assert_eq!(doc["program"], "/bin/true");
    assert_eq!(doc["n"], 3);
    let results = doc["results"].as_array().unwrap();
    assert_eq!(results.len(), 6);
    for (cell, (strategy, mib)) in results.iter().zip([
        ("auto", 0),
        ("fork-exec", 0),
        ("std", 0),
        ("auto", 2),
        ("fork-exec", 2),
        ("std", 2),
    ]) {
        assert_eq!(cell["strategy"], strategy);
        assert_eq!(cell["parent_mib"], mib);
        assert_eq!(cell["n"], 3);
        let (p10, median, p90) = (
            cell["p10_us"].as_f64().unwrap(),
            cell["median_us"].as_f64().unwrap(),
            cell["p90_us"].as_f64().unwrap(),
        );
        assert!(0.0 < p10 && p10 <= median && median <= p90, "{cell}");
    }
    assert_ne!(
        results[0]["used"], "auto",
        "auto records the strategy it chose"
    );
}

#[test]
fn the_table_names_every_cell() {
    let (stdout, _) = spawn_cost(&[
        "-n",
        "2",
        "--parent-mib",
        "0",
        "--strategy",
        "auto,vfork-exec",
    ]);
    let text = String::from_utf8(stdout).unwrap();
    assert!(
        text.starts_with("spawn+wait of /bin/true, 2 per cell, kernel "),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.contains("vfork-exec") && l.contains("0 MiB")),
        "{text}"
    );
}

#[test]
fn numbers_too_large_say_so_and_the_maximum() {
    for n in ["1000001", "1000000000000", "99999999999999999999"] {
        assert_eq!(
            error_line(["spawn-cost", "-n", n, "--parent-mib", "0"]),
            format!(
                "forklab: error: invalid value '{n}' for '-n <N>': too large (max 1000000) (see \
                 --help)"
            )
        );
    }
    for mib in ["17592186044416", "99999999999999999999"] {
        assert_eq!(
            error_line(["spawn-cost", "--parent-mib", &format!("0,{mib}")]),
            format!(
                "forklab: error: invalid value '{mib}' for '--parent-mib <LIST>': too large \
                 (max 17592186044415) (see --help)"
            )
        );
    }
}

#[test]
fn the_program_output_stays_out_of_the_report() {
    let (stdout, stderr) = spawn_cost(&[
        "-n",
        "2",
        "--parent-mib",
        "0",
        "--strategy",
        "auto,std",
        "--program",
        "/bin/echo",
        "--json",
    ]);
    assert!(
        stdout.starts_with(b"{"),
        "{}",
        String::from_utf8_lossy(&stdout)
    );
    let doc: serde_json::Value = serde_json::from_slice(&stdout).unwrap();
    assert_eq!(doc["results"].as_array().unwrap().len(), 2);
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn children_that_fail_are_noted_and_counted() {
    let (stdout, stderr) = spawn_cost(&[
        "-n",
        "2",
        "--parent-mib",
        "0",
        "--strategy",
        "auto,auto",
        "--program",
        "/bin/false",
        "--json",
    ]);
    let doc: serde_json::Value = serde_json::from_slice(&stdout).unwrap();
    let results = doc["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "a repeated strategy is measured once");
    assert_eq!(results[0]["failed"], 2);
    assert_eq!(
        stderr.trim(),
        "forklab: note: 2 of the timed runs of /bin/false did not exit 0 (they still count: the \
         program ran and was reaped)"
    );
}
