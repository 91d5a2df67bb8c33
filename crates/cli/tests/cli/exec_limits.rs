//! `forklab exec-limits` end to end: the measured E2BIG boundary against the kernel's
//! formula (to the byte), MAX_ARG_STRLEN, empty argv, the `#!` limit, the RLIMIT_NPROC check
//! (root), a stack below the 128 KiB floor, and bad `--stack` values.

use crate::support::bin as forklab;
use crate::support::{error_line, stdout_of};
use crate::support::{is_root, skip};
use serde_json::Value;
use std::sync::OnceLock;

const STACKS: &str = "512K,16M,unlimited";

/// `forklab exec-limits --json --stack 512K,16M,unlimited`, run once: (exit code, JSON).
fn limits() -> &'static (i32, Value) {
    static LIMITS: OnceLock<(i32, Value)> = OnceLock::new();
    LIMITS.get_or_init(|| {
        let out = forklab()
            .args(["exec-limits", "--json", "--stack", STACKS])
            .output()
            .unwrap();
        let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
        });
        (out.status.code().unwrap(), json)
    })
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// The kernel's arithmetic, written out again independently of the library: a quarter of
/// the stack, capped at 6 MiB, at least ARG_MAX (131072 bytes); minus 8 bytes per pointer
/// and the filename with its NUL.
fn formula(stack: Option<u64>, argc: u64, program: &str) -> u64 {
    let quarter = stack.map_or(u64::MAX, |s| s / 4);
    let limit = quarter.clamp(131_072, 6 << 20);
    limit - 8 * argc - (program.len() as u64 + 1)
}

#[test]
fn the_boundary_is_the_kernel_formula_to_the_byte() {
    let (code, r) = limits();
    assert_eq!(*code, 0, "{r:#}");
    let page = u(&r["page_size"]);
    let program = r["program"].as_str().unwrap();
    let stack = r["stack_rlimit"].as_u64();
    assert_eq!(u(&r["envc"]), 0);
    let expected = formula(stack, u(&r["argc"]), program);
    assert_eq!(u(&r["arg_max_bytes"]), expected);
    assert_eq!(u(&r["arg_max_formula"]), expected);
    let per_stack = r["per_stack"].as_array().unwrap();
    let asked: Vec<Option<u64>> = vec![Some(512 << 10), Some(16 << 20), None];
    assert_eq!(per_stack.len(), asked.len());
    for (p, stack) in per_stack.iter().zip(asked) {
        assert_eq!(p["stack_rlimit"].as_u64(), stack, "{p}");
        if !is_root() && p["skipped"].is_string() {
            skip(format_args!("{p}: not root"));
            continue;
        }
        let expected = formula(stack, u(&p["argc"]), program);
        assert_eq!(u(&p["arg_max_bytes"]), expected, "{p}");
        assert_eq!(u(&p["arg_max_formula"]), expected, "{p}");
    }
    assert!(
        r["sysconf_arg_max"]
            .as_u64()
            .is_some_and(|n| n >= 32 * page)
    );
}

#[test]
fn single_strings_empty_argv_and_shebang_lines() {
    let (_, r) = limits();
    let page = u(&r["page_size"]);
    assert_eq!(u(&r["max_arg_strlen"]), 32 * page - 1);
    if page == 4096 {
        assert_eq!(u(&r["max_arg_strlen"]), 131_071);
    }
    // Linux 5.18+: an empty argv gets an empty argv[0].
    assert_eq!(r["empty_argv"], serde_json::json!({"argc": 1, "argv0": ""}));
    // BINPRM_BUF_SIZE is 256 since Linux 5.1: "#!" plus 253 bytes of path, then the newline.
    assert_eq!(u(&r["shebang_max"]), 255);
    assert!(r["differences"].as_array().unwrap().is_empty(), "{r:#}");
}

#[test]
fn rlimit_nproc_is_checked_at_execve() {
    let (_, r) = limits();
    if !is_root() {
        skip("the EAGAIN itself needs root to setuid() to another user");
        assert_eq!(r["nproc_at_execve"], "skipped");
        assert!(
            r["nproc_at_execve_detail"]
                .as_str()
                .unwrap()
                .contains("needs root")
        );
        return;
    }
    assert_eq!(
        r["nproc_at_execve"], "eagain",
        "{}",
        r["nproc_at_execve_detail"]
    );
}

#[test]
fn below_128_kib_the_stack_itself_is_the_bound() {
    let out = forklab()
        .args(["exec-limits", "--json", "--stack", "100K"])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let p = &r["per_stack"][0];
    let program = r["program"].as_str().unwrap();
    // The strings, the filename and an 8-byte terminator fill the 25 pages RLIMIT_STACK
    // allows the temporary stack, not the 128 KiB the formula promises.
    assert_eq!(
        u(&p["arg_max_bytes"]),
        (100 << 10) - 8 - (program.len() as u64 + 1)
    );
    assert_eq!(p["arg_max_bytes"], p["arg_max_stack_bound"]);
    assert!(u(&p["arg_max_formula"]) > u(&p["arg_max_bytes"]));
    let differences = r["differences"].to_string();
    assert!(differences.contains("temporary stack"), "{differences}");
    // How the program ended there is recorded; at the default stack it simply ran.
    let ended = p["program_at_boundary"].as_str().unwrap();
    assert!(
        ended.starts_with("exit ") || ended.starts_with("signal "),
        "{ended}"
    );
    if ended != "exit 0" {
        assert!(
            differences.contains(&format!("then the program was killed by {ended}")),
            "{differences}"
        );
    }
    assert!(!differences.contains("no room"), "{differences}");
    assert_eq!(r["program_at_boundary"], "exit 0");
}

#[test]
fn the_human_report() {
    let stdout = stdout_of(&["exec-limits", "--stack", "1M"], 0);
    for expected in [
        "RLIMIT_STACK",
        "8M (now)",
        "\n1M ",
        "max_arg_strlen",
        "shebang_max",
        "empty argv",
    ] {
        assert!(
            stdout.contains(expected),
            "{expected:?} missing from:\n{stdout}"
        );
    }
}

fn usage_error(stack: &str, says: &str) {
    let stderr = error_line(["exec-limits", "--stack", stack]);
    assert!(stderr.contains(says), "{stack}: {stderr}");
}

#[test]
fn bad_stack_sizes_are_usage_errors() {
    usage_error("abc", "not a size: \"abc\"");
    usage_error("-1", "cannot be negative");
    usage_error("8M,8X", "not a size: \"8X\"");
    usage_error("", "not a size");
}

#[test]
fn stack_sizes_too_large_say_so_and_the_maximum() {
    for (stack, max) in [
        ("99999999999999999999", "18446744073709551615"),
        ("18446744073709551616", "18446744073709551615"),
        ("99999999999999999999K", "18014398509481983K"),
        ("8M,17592186044416M", "17592186044415M"),
        ("17179869184G", "17179869183G"),
    ] {
        let value = stack.rsplit(',').next().unwrap();
        assert_eq!(
            error_line(["exec-limits", "--stack", stack]),
            format!(
                "forklab: error: invalid value '{value}' for '--stack <SIZES>': too large (max \
                 {max}) (see --help)"
            )
        );
    }
}

#[test]
fn a_program_name_is_searched_in_path_and_a_missing_one_is_named() {
    let out = forklab()
        .args(["exec-limits", "--json", "--program", "true"])
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let program = doc["program"].as_str().unwrap();
    assert!(
        ["/usr/bin/true", "/bin/true"].contains(&program),
        "{program}"
    );
    let line = error_line(["exec-limits", "--program", "no-such-program-anywhere"]);
    assert_eq!(
        line,
        "forklab: error: cannot run no-such-program-anywhere: no such program in PATH"
    );
}

#[test]
fn what_the_program_prints_stays_out_of_the_report() {
    let out = forklab()
        .args(["exec-limits", "--json", "--program", "/bin/echo"])
        .output()
        .unwrap();
    assert!(out.stdout.len() < 100_000, "{} bytes", out.stdout.len());
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["program"], "/bin/echo");
}

#[test]
fn rlim_infinity_is_shown_as_unlimited() {
    let stdout = stdout_of(&["exec-limits", "--stack", "18446744073709551615"], 0);
    assert!(stdout.contains("\nunlimited "), "{stdout}");
    assert!(!stdout.contains("18446744073709551615"), "{stdout}");
    assert!(
        stdout.contains("argc: the arguments of that call"),
        "{stdout}"
    );
}

/// A program that runs and exits non-zero (`/bin/false`; `cat`, whose arguments name no
/// file) has been started by execve: its exit status is its own, not a failure to exec.
#[test]
fn a_program_that_exits_non_zero_ran() {
    for program in ["/bin/false", "/bin/cat"] {
        let out = forklab()
            .args([
                "exec-limits",
                "--json",
                "--stack",
                "1M",
                "--program",
                program,
            ])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{program}: {stderr}");
        let r: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(r["differences"], serde_json::json!([]), "{program}");
        assert_eq!(r["program_at_boundary"], "exit 1", "{program}");
        assert_eq!(
            r["per_stack"][0]["program_at_boundary"], "exit 1",
            "{program}"
        );
        let table = stdout_of(&["exec-limits", "--program", program], 0);
        assert!(!table.contains("no room"), "{program}:\n{table}");
        assert!(!table.contains("! differs"), "{program}:\n{table}");
        assert!(
            table.contains("8M (now)  ")
                && table.contains(
                    "\n  the program ran with that list and ended with exit 1 (its own status)\n"
                ),
            "{program}:\n{table}"
        );
    }
}
