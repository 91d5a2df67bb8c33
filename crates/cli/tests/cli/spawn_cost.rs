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

/// A size's rows are out as soon as it is measured: killed during a larger size (as by the
/// OOM killer), the run leaves the smaller sizes' rows behind.
#[test]
fn each_size_is_printed_when_it_is_done_and_survives_a_kill() {
    use std::io::BufRead;
    use std::os::unix::process::ExitStatusExt;
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("forklab"))
        // fork-exec at 256 MiB: ~10 ms a spawn, seconds for the size; 0 MiB: well under one.
        .args(["spawn-cost", "-n", "300", "--parent-mib", "0,256"])
        .args(["--strategy", "auto,fork-exec"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    for _ in 0..4 {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        lines.push(line);
    }
    child.kill().unwrap();
    let status = child.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    assert_eq!(
        status.signal(),
        Some(9),
        "still measuring 256 MiB when killed"
    );
    assert!(
        lines[0].starts_with("spawn+wait of /bin/true, 300 per cell"),
        "{lines:?}"
    );
    assert!(lines[1].trim_start().starts_with("parent"), "{lines:?}");
    assert!(lines[2].contains("0 MiB  auto "), "{lines:?}");
    assert!(lines[3].contains("0 MiB  fork-exec "), "{lines:?}");
    assert_eq!(rest, "", "nothing of 256 MiB");
}

/// A memory cgroup (v1) below this process's own, with a limit; removed on drop, its
/// processes killed first.
struct MemoryCgroup {
    dir: std::path::PathBuf,
    /// As `/proc/self/cgroup` names it.
    name: String,
}

impl MemoryCgroup {
    /// A new cgroup limited to `limit_mib`, or why there cannot be one here.
    fn new(limit_mib: u64) -> Result<MemoryCgroup, String> {
        if !is_root() {
            return Err("needs root to create a memory cgroup".into());
        }
        let root = std::path::Path::new("/sys/fs/cgroup/memory");
        if !root.join("memory.limit_in_bytes").exists() {
            return Err("no cgroup v1 memory hierarchy at /sys/fs/cgroup/memory".into());
        }
        let own = std::fs::read_to_string("/proc/self/cgroup").unwrap();
        let own = own
            .lines()
            .find_map(|l| l.split_once(":memory:").map(|(_, path)| path.to_string()))
            .ok_or("this process is in no v1 memory cgroup")?;
        let name = format!(
            "{}/forklab-spawn-cost-{}-{limit_mib}",
            own.trim_end_matches('/'),
            std::process::id()
        );
        let dir = root.join(name.trim_start_matches('/'));
        std::fs::create_dir(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let cgroup = MemoryCgroup { dir, name };
        std::fs::write(
            cgroup.dir.join("memory.limit_in_bytes"),
            (limit_mib << 20).to_string(),
        )
        .map_err(|e| format!("cannot set the limit: {e}"))?;
        Ok(cgroup)
    }

    /// Runs `forklab ARGS…` inside the cgroup: a shell joins it, then becomes forklab.
    fn run(&self, args: &str) -> std::process::Output {
        let script = format!(
            "echo $$ > {}/cgroup.procs && exec {} {args}",
            self.dir.display(),
            assert_cmd::cargo::cargo_bin("forklab").display()
        );
        std::process::Command::new("/bin/sh")
            .args(["-c", &script])
            .output()
            .unwrap()
    }

    /// The OOM kills in the cgroup so far.
    fn oom_kills(&self) -> u64 {
        let control = std::fs::read_to_string(self.dir.join("memory.oom_control")).unwrap();
        control
            .lines()
            .find_map(|l| l.strip_prefix("oom_kill "))
            .map_or(0, |n| n.trim().parse().unwrap())
    }
}

impl Drop for MemoryCgroup {
    fn drop(&mut self) {
        let procs = || std::fs::read_to_string(self.dir.join("cgroup.procs")).unwrap_or_default();
        for _ in 0..100 {
            for pid in procs().split_whitespace() {
                let _ = std::process::Command::new("kill")
                    .args(["-9", pid])
                    .status();
            }
            if std::fs::remove_dir(&self.dir).is_ok() || !self.dir.exists() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        eprintln!("could not remove {}", self.dir.display());
    }
}

#[test]
fn a_size_over_the_cgroup_limit_is_refused_not_oom_killed() {
    let cgroup = match MemoryCgroup::new(64) {
        Ok(cgroup) => cgroup,
        Err(why) => return skip(why),
    };
    let out = cgroup.run("spawn-cost --parent-mib 0,256 -n 2");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{:?}: {stderr}", out.status);
    assert_eq!(out.stdout, b"", "refused before any size is measured");
    let line = stderr.trim_end();
    let start = format!(
        "forklab: error: cannot make the parent 256 MiB: the cgroup {} allows ",
        cgroup.name
    );
    assert!(line.starts_with(&start), "{line}");
    assert!(
        line.contains(" MiB more (memory.limit_in_bytes 64 MiB, ")
            && line.ends_with(" MiB in use) and 64 MiB must stay free for the programs spawned"),
        "{line}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert_eq!(cgroup.oom_kills(), 0);
}

#[test]
fn sizes_that_fit_the_cgroup_are_measured_in_it() {
    let cgroup = match MemoryCgroup::new(256) {
        Ok(cgroup) => cgroup,
        Err(why) => return skip(why),
    };
    let out = cgroup.run("spawn-cost --parent-mib 0,96 -n 5 --strategy auto,fork-exec --json");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{:?}: {stderr}", out.status);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["results"].as_array().unwrap().len(), 4);
    assert_eq!(cgroup.oom_kills(), 0);
}
