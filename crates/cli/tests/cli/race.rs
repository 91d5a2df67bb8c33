//! `forklab race` end to end: bad input, every output format, `--analyze` agreeing with the
//! run it reads, and a fork failing part-way (root and a pids cgroup).

use crate::support::bin as forklab;
use crate::support::skip;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Runs `forklab race ARGS`, expecting `code`; returns (stdout, stderr).
fn race(args: &[&str], code: i32) -> (String, String) {
    let out = forklab()
        .arg("race")
        .args(args)
        .assert()
        .code(code)
        .get_output()
        .clone();
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn json(args: &[&str]) -> Value {
    let (stdout, _) = race(&[args, &["--format", "json"]].concat(), 0);
    serde_json::from_str(&stdout).unwrap()
}

/// A temporary directory for one test.
fn temp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// Asserts stderr is exactly one line, starting as given.
fn one_line_error(stderr: &str, starts: &str) {
    assert_eq!(stderr.lines().count(), 1, "not one line: {stderr}");
    assert!(
        stderr.starts_with(starts),
        "{stderr:?} does not start with {starts:?}"
    );
}

#[test]
fn bad_counts_are_one_line_usage_errors() {
    let cases = [
        (
            "0",
            "forklab: error: invalid value '0' for '-n <N>': must be at least 1, got 0",
        ),
        (
            "-5",
            "forklab: error: invalid value '-5' for '-n <N>': must be at least 1, got -5",
        ),
        (
            "abc",
            "forklab: error: invalid value 'abc' for '-n <N>': not a number: \"abc\"",
        ),
        (
            "99999999999999999999",
            "forklab: error: invalid value '99999999999999999999' for '-n <N>': too large (max \
             100000000) (see --help)",
        ),
        (
            "100000001",
            "forklab: error: invalid value '100000001' for '-n <N>': too large (max 100000000) \
             (see --help)",
        ),
    ];
    for (n, message) in cases {
        let (stdout, stderr) = race(&["-n", n], 2);
        assert_eq!(stdout, "");
        one_line_error(&stderr, message);
    }
}

#[test]
fn unknown_variants_name_the_choices() {
    let cases = [
        (
            ["--via", "spoon"],
            "unknown way to create the child \"spoon\" (expected one of: fork, vfork, clone)",
        ),
        (
            ["--pin", "all"],
            "unknown CPU pinning \"all\" (expected one of: none, same)",
        ),
        (
            ["--sched", "rr"],
            "unknown scheduling policy \"rr\" (expected one of: other, batch, idle, fifo)",
        ),
        (
            ["--measure", "clock"],
            "unknown measure \"clock\" (expected one of: ticket, stdout)",
        ),
    ];
    for (args, message) in cases {
        let (_, stderr) = race(&args, 2);
        one_line_error(&stderr, "forklab: error: invalid value");
        assert!(stderr.contains(message), "{stderr}");
    }
    let (_, stderr) = race(&["--format", "csv"], 2);
    one_line_error(
        &stderr,
        "forklab: error: invalid value 'csv' for '--format <FORMAT>'",
    );
}

#[test]
fn a_missing_file_to_analyze_is_an_error() {
    let (stdout, stderr) = race(&["--analyze", "/nonexistent/lines.txt"], 2);
    assert_eq!(stdout, "");
    one_line_error(
        &stderr,
        "forklab: error: cannot read /nonexistent/lines.txt: No such file or directory (os error 2)",
    );
}

#[test]
fn flags_that_cannot_go_together_are_refused() {
    let (_, stderr) = race(&["--sweep", "--format", "tlpi"], 2);
    one_line_error(
        &stderr,
        "forklab: error: --sweep prints a table or JSON, not the article's lines",
    );
    let (_, stderr) = race(&["--analyze", "-", "--via", "vfork"], 2);
    one_line_error(
        &stderr,
        "forklab: error: the argument '--analyze [<FILE>]' cannot be used with",
    );
}

#[test]
fn json_counts_every_trial_for_every_way_and_measure() {
    for via in ["fork", "vfork", "clone"] {
        for measure in ["ticket", "stdout"] {
            let v = json(&["-n", "400", "--via", via, "--measure", measure]);
            assert_eq!(v["trials"], 400, "{v}");
            let (parent, child) = (
                v["parent_first"].as_u64().unwrap(),
                v["child_first"].as_u64().unwrap(),
            );
            assert_eq!(parent + child, 400, "{via} {measure}");
            for key in [
                "parent_first_pct",
                "elapsed_s",
                "per_trial_us",
                "kernel",
                "cpus",
            ] {
                assert!(!v[key].is_null(), "{key} in {v}");
            }
            assert_eq!(
                (v["via"].as_str(), v["pin"].as_str()),
                (Some(via), Some("none"))
            );
            assert_eq!(v["measure"].as_str(), Some(measure));
        }
    }
}

#[test]
fn vfork_always_gives_the_child_first() {
    let v = json(&["-n", "500", "--via", "vfork", "--pin", "same"]);
    assert_eq!(
        (v["child_first"].as_u64(), v["parent_first"].as_u64()),
        (Some(500), Some(0))
    );
    assert_eq!(v["expectation_met"], true);
    let (table, _) = race(&["-n", "300", "--via", "vfork"], 0);
    assert!(table.contains("child     300 100.00%"), "{table}");
    assert!(
        table.contains(
            "expected: child first in every trial (CLONE_VFORK suspends the parent): met"
        )
    );
}

#[test]
fn the_table_has_the_awk_scripts_rows() {
    let (table, stderr) = race(&["-n", "300"], 0);
    assert_eq!(stderr, "");
    let rows: Vec<&str> = table.lines().skip(1).take(2).collect();
    assert!(
        rows[0].starts_with("parent ") && rows[1].starts_with("child "),
        "{table}"
    );
    assert!(
        rows.iter().all(|r| r.ends_with('%') && r.len() == 21),
        "{rows:?}"
    );
    assert!(
        table.contains("µs per trial") && table.contains("until the child is reaped (a trial)")
    );
}

/// Parses "parent first P (…), child first C (…)" from the tlpi summary on stderr.
fn summary_counts(stderr: &str) -> (u64, u64) {
    let number_after = |what: &str| {
        let rest = &stderr[stderr.find(what).unwrap() + what.len()..];
        rest.split_whitespace().next().unwrap().parse().unwrap()
    };
    (number_after("parent first "), number_after("child first "))
}

fn analyze_json(path: &Path) -> Value {
    let (stdout, _) = race(&["--analyze", path.to_str().unwrap(), "--json"], 0);
    serde_json::from_str(&stdout).unwrap()
}

#[test]
fn tlpi_lines_analyze_to_the_counts_of_their_run() {
    let dir = temp();
    let (lines, stderr) = race(&["-n", "1000", "--format", "tlpi"], 0);
    assert_eq!(lines.lines().count(), 2000);
    assert!(lines.starts_with("0 parent\n0 child\n") || lines.starts_with("0 child\n0 parent\n"));
    let file = dir.path().join("lines.txt");
    std::fs::write(&file, &lines).unwrap();
    let a = analyze_json(&file);
    let (parent, child) = summary_counts(&stderr);
    assert_eq!(
        (a["parent_first"].as_u64(), a["child_first"].as_u64()),
        (Some(parent), Some(child))
    );
    assert_eq!(
        (
            a["trials"].as_u64(),
            a["malformed"].as_u64(),
            a["unpaired"].as_u64()
        ),
        (Some(1000), Some(0), Some(0))
    );
}

#[test]
fn the_stdout_measure_writes_the_articles_lines_straight_out() {
    let dir = temp();
    for via in ["fork", "vfork", "clone"] {
        let (lines, stderr) = race(
            &[
                "-n",
                "800",
                "--measure",
                "stdout",
                "--format",
                "tlpi",
                "--via",
                via,
            ],
            0,
        );
        assert_eq!(lines.lines().count(), 1600, "{via}");
        assert!(
            stderr.starts_with("forklab race: 800 trials in "),
            "{stderr}"
        );
        let file = dir.path().join(format!("{via}.txt"));
        std::fs::write(&file, &lines).unwrap();
        let a = analyze_json(&file);
        assert_eq!(
            (a["trials"].as_u64(), a["unpaired"].as_u64()),
            (Some(800), Some(0)),
            "{via}"
        );
        if via == "vfork" {
            assert_eq!(a["child_first"], 800);
        }
    }
}

#[test]
fn analyze_reads_stdin_and_prints_the_awk_summary() {
    let lines = "0 parent\n0 child\n1 child\n1 parent\n2 parent\n2 child\n3 parent\n3 child\n";
    for args in [&["--analyze"][..], &["--analyze", "-"][..]] {
        let out = forklab()
            .arg("race")
            .args(args)
            .write_stdin(lines)
            .assert()
            .code(0)
            .get_output()
            .clone();
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(
            stdout.starts_with("All done\nparent      3  75.00%\nchild       1  25.00%\n"),
            "{stdout}"
        );
    }
}

#[test]
fn malformed_lines_are_reported_skipped_and_fail_the_run() {
    let dir = temp();
    let file = dir.path().join("spawn_output.txt");
    std::fs::write(
        &file,
        "0 parent\n0 child\n1 child\nThe elapsed time is 0.000000000 seconds.\n1 parent\n1 dog\n",
    )
    .unwrap();
    let (stdout, stderr) = race(&["--analyze", file.to_str().unwrap()], 1);
    let name = file.display();
    let expected = format!(
        "{name}:4: expected \"<trial> parent\" or \"<trial> child\", found \"The elapsed time is 0.000000000 seconds.\"\n\
         {name}:6: expected \"<trial> parent\" or \"<trial> child\", found \"1 dog\"\n\
         forklab: error: 2 malformed lines in {name} were skipped\n"
    );
    assert_eq!(stderr, expected);
    assert!(
        stdout.starts_with("All done\nparent      1  50.00%\nchild       1  50.00%\n"),
        "{stdout}"
    );
}

#[test]
fn analyzing_input_without_trials_prints_only_the_error() {
    for json in [&[][..], &["--json"][..]] {
        let (stdout, stderr) = race(&[&["--analyze", "/dev/null"][..], json].concat(), 1);
        assert_eq!(
            stderr,
            "forklab: error: no trials in /dev/null: expected lines like \"0 parent\" and \"0 child\"\n"
        );
        assert_eq!(stdout, "", "{json:?}");
        let out = forklab()
            .args([&["race", "--analyze"][..], json].concat())
            .write_stdin("")
            .assert()
            .code(1)
            .get_output()
            .clone();
        assert_eq!(
            String::from_utf8(out.stderr).unwrap(),
            "forklab: error: no trials in -: expected lines like \"0 parent\" and \"0 child\"\n"
        );
        assert!(out.stdout.is_empty(), "{json:?}");
    }
}

#[test]
fn a_run_without_a_single_trial_meets_no_expectation() {
    let cgroup = match pids_cgroup(&format!("forklab-race-zero-{}", std::process::id())) {
        Ok(cgroup) => cgroup,
        Err(why) => return skip(why),
    };
    let dir = &cgroup.0;
    std::fs::write(dir.join("pids.max"), "1").unwrap();
    // The shell joins the cgroup, then becomes forklab: its first fork is over the limit.
    let bin = assert_cmd::cargo::cargo_bin("forklab");
    let script = format!(
        "echo $$ > {}/cgroup.procs && exec {} race --via vfork -n 50 --format json",
        dir.display(),
        bin.display()
    );
    let out = std::process::Command::new("/bin/sh")
        .args(["-c", &script])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["trials"], 0, "{v}");
    assert_eq!(v["expectation_met"], Value::Null, "{v}");
    let table = std::process::Command::new("/bin/sh")
        .args(["-c", &script.replace(" --format json", "")])
        .output()
        .unwrap();
    assert_eq!(table.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&table.stdout);
    assert!(
        stdout
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("no trial completed (kernel "),
        "{stdout}"
    );
    assert_eq!(
        stdout.lines().count(),
        2,
        "no counts, times or verdicts: {stdout}"
    );
}

#[test]
fn a_sweep_has_one_row_per_variant() {
    let (stdout, _) = race(&["--sweep", "-n", "256", "--json"], 0);
    let v: Value = serde_json::from_str(&stdout).unwrap();
    let variants = v["variants"].as_array().unwrap();
    assert_eq!(variants.len(), 3 * 2 * 4);
    for r in variants {
        if let Some(reason) = r["skipped"].as_str() {
            skip(format_args!(
                "{}/{}/{}: {reason}",
                r["via"], r["pin"], r["sched"]
            ));
            continue;
        }
        assert_eq!(
            r["parent_first"].as_u64().unwrap() + r["child_first"].as_u64().unwrap(),
            256,
            "{r}"
        );
    }
    let (table, _) = race(&["--sweep", "-n", "256", "--measure", "stdout"], 0);
    assert_eq!(table.lines().count(), 2 + 24, "{table}");
}

#[test]
fn fifo_needs_root() {
    let v = json(&["-n", "200", "--sched", "fifo"]);
    if forklab_spawn::Identity::current().euid == 0 {
        assert_eq!(v["trials"], 200, "{v}");
    } else {
        eprintln!("not root: checking that --sched fifo is skipped");
        assert!(
            v["skipped"]
                .as_str()
                .unwrap()
                .starts_with("SCHED_FIFO needs CAP_SYS_NICE")
        );
    }
}

/// A pids cgroup (v1), removed on drop.
struct Cgroup(PathBuf);

impl Drop for Cgroup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.0);
    }
}

/// A pids cgroup (v1) this test may create, or why not.
fn pids_cgroup(name: &str) -> Result<Cgroup, String> {
    if forklab_spawn::Identity::current().euid != 0 {
        return Err("not root".into());
    }
    let root = Path::new("/sys/fs/cgroup/pids");
    if !root.join("cgroup.procs").exists() {
        return Err("no cgroup v1 pids hierarchy at /sys/fs/cgroup/pids".into());
    }
    let dir = root.join(name);
    std::fs::create_dir(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(Cgroup(dir))
}

/// Waits until a process of the cgroup has forked (`pids.peak` above 1, where the kernel has
/// it), and a little more, so the limit set next stops the run part-way.
fn wait_for_forks_in(dir: &Path) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let peak = || std::fs::read_to_string(dir.join("pids.peak")).ok();
    while peak().is_some_and(|p| p.trim() == "1") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(100));
}

#[test]
fn a_fork_failing_mid_run_reports_the_trials_so_far_and_exits_1() {
    let cgroup = match pids_cgroup(&format!("forklab-race-test-{}", std::process::id())) {
        Ok(cgroup) => cgroup,
        Err(why) => return skip(why),
    };
    let dir = &cgroup.0;
    let bin = assert_cmd::cargo::cargo_bin("forklab");
    let mut child = std::process::Command::new(bin)
        .args(["race", "-n", "100000000", "--format", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::fs::write(dir.join("cgroup.procs"), child.id().to_string()).unwrap();
    wait_for_forks_in(dir);
    std::fs::write(dir.join("pids.max"), "1").unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("forklab did not stop after forks started failing");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let trials = v["trials"].as_u64().unwrap();
    assert!(trials > 0 && trials < 100_000_000, "{v}");
    assert_eq!(
        v["parent_first"].as_u64().unwrap() + v["child_first"].as_u64().unwrap(),
        trials
    );
    assert!(
        v["fork_error"].as_str().unwrap().contains("(os error 11)"),
        "{v}"
    );
    one_line_error(
        &stderr,
        &format!("forklab: error: fork failed in trial {trials}: Resource temporarily unavailable"),
    );
}

#[test]
fn help_names_every_flag() {
    let out = forklab()
        .args(["race", "--help"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let help = String::from_utf8(out).unwrap();
    for flag in [
        "-n <N>",
        "--via",
        "--pin",
        "--sched",
        "--measure",
        "--format",
        "--json",
        "--sweep",
        "--analyze",
    ] {
        assert!(help.contains(flag), "{flag} missing from --help");
    }
}

#[test]
fn counts_of_one_are_singular() {
    let (stdout, _) = race(&["-n", "1"], 0);
    assert!(
        stdout.starts_with("who runs first after fork: 1 trial, via fork"),
        "{stdout}"
    );
    assert!(stdout.contains("\n1 trial in "), "{stdout}");
    let dir = temp();
    let file = dir.path().join("one.txt");
    std::fs::write(&file, "0 parent\n0 child\n1 parent\n2 dog\n").unwrap();
    let (stdout, stderr) = race(&["--analyze", file.to_str().unwrap()], 1);
    assert!(
        stdout.contains("; 1 malformed, 1 trial without exactly two lines\n"),
        "{stdout}"
    );
    let last = stderr.lines().last().unwrap();
    assert_eq!(
        last,
        format!(
            "forklab: error: 1 malformed line in {} was skipped",
            file.display()
        )
    );
}

/// `--measure stdout --format tlpi`: the children write the lines themselves, and a failed
/// write ends the run as one of ours does: a full disk is exit 2 and the one error line.
#[test]
fn tlpi_lines_to_a_full_disk_fail_at_once() {
    for via in ["fork", "vfork", "clone"] {
        let full = std::fs::File::options()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let started = Instant::now();
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("forklab"))
            .args([
                "race",
                "-n",
                "1000000",
                "--measure",
                "stdout",
                "--format",
                "tlpi",
            ])
            .args(["--via", via])
            .stdout(full)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8(out.stderr).unwrap(),
            "forklab: error: cannot write output: No space left on device (os error 28)\n",
            "{via}"
        );
        assert_eq!(out.status.code(), Some(2), "{via}");
        assert!(started.elapsed() < Duration::from_secs(10), "{via}");
    }
}

/// A reader that goes away (`| head -1`) ends the run at the next line, quietly (exit 0, as
/// every command on a closed stdout), instead of running every trial for nobody.
#[test]
fn tlpi_lines_stop_when_the_reader_is_gone() {
    use std::io::BufRead;
    for via in ["fork", "vfork", "clone"] {
        let started = Instant::now();
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("forklab"))
            // 100 million trials take hours: only stopping early passes.
            .args([
                "race",
                "-n",
                "100000000",
                "--measure",
                "stdout",
                "--format",
                "tlpi",
            ])
            .args(["--via", via])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut reader = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        assert!(line == "0 parent\n" || line == "0 child\n", "{line:?}");
        drop(reader);
        let deadline = started + Duration::from_secs(20);
        while child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                child.kill().unwrap();
                panic!("{via}: forklab kept running after its reader was gone");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let out = child.wait_with_output().unwrap();
        assert_eq!(String::from_utf8(out.stderr).unwrap(), "", "{via}");
        assert_eq!(out.status.code(), Some(0), "{via}");
    }
}
