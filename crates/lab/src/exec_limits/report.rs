//! The measurements put together, with the kernel's arithmetic beside each one and every
//! difference listed.

use super::formula::{arg_limit, arg_max_formula, max_arg_strlen, stack_growth_bound};
use super::{Error, Nproc, Options, Progress, StackLimit};
use super::{arg_max, nproc, probe, shebang, strlen};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// `BINPRM_BUF_SIZE` since Linux 5.1: the bytes of a file the kernel reads to recognise it.
pub const BINPRM_BUF_SIZE: u64 = 256;

/// Everything `forklab exec-limits` measured.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// `uname -r`.
    pub kernel: String,
    /// The page size the kernel's limits are counted in.
    pub page_size: u64,
    /// The program exec'd while measuring.
    pub program: String,
    /// The current soft `RLIMIT_STACK`.
    pub stack_rlimit: StackLimit,
    /// The largest argument and environment strings (bytes, NULs included) accepted.
    pub arg_max_bytes: u64,
    /// What `fs/exec.c` allows for the same call: [`arg_limit_bytes`](Self::arg_limit_bytes)
    /// minus the pointer arrays and the filename.
    pub arg_max_formula: u64,
    /// The kernel's limit before the pointer arrays: `min(stack/4, 6 MiB)`, at least 128 KiB.
    pub arg_limit_bytes: u64,
    /// The bound of the temporary stack (`RLIMIT_STACK` in whole pages, less an 8-byte
    /// terminator and the filename), which binds first below about 128 KiB; `null` unlimited.
    pub arg_max_stack_bound: Option<u64>,
    /// How the program ended when exec'd with that largest list: `exit N` (it ran; the status
    /// is its own), `signal N (NAME)` (killed: flagged in `differences`), or `refused: …`
    /// (execve failed when the list was tried again).
    pub program_at_boundary: String,
    /// `argc` of that largest call (the program name, then equal strings).
    pub argc: u64,
    /// Its `envc` (the environment is empty).
    pub envc: u64,
    /// `sysconf(_SC_ARG_MAX)` here.
    pub sysconf_arg_max: Option<u64>,
    /// The longest single argument accepted, bytes without its NUL.
    pub max_arg_strlen: u64,
    /// `MAX_ARG_STRLEN - 1`: 32 pages less the NUL.
    pub max_arg_strlen_expected: u64,
    /// What a program exec'd with an empty `argv` sees.
    pub empty_argv: EmptyArgv,
    /// The longest `#!` + interpreter path (no argument) honoured; `null` if skipped.
    pub shebang_max: Option<u64>,
    /// `BINPRM_BUF_SIZE - 1`.
    pub shebang_max_expected: u64,
    /// Why `shebang_max` was skipped.
    pub shebang_note: Option<String>,
    /// `eagain`, `allowed` or `skipped`.
    pub nproc_at_execve: Nproc,
    /// What happened, or why it was skipped.
    pub nproc_at_execve_detail: String,
    /// The same boundary under each `--stack` value.
    pub per_stack: Vec<PerStack>,
    /// Every measurement that differs from the kernel's arithmetic or documentation.
    pub differences: Vec<String>,
}

/// What a program sees when exec'd with an empty `argv`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmptyArgv {
    /// Its `argc`.
    pub argc: usize,
    /// Its `argv[0]`.
    pub argv0: Option<String>,
}

/// The boundary under one stack limit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PerStack {
    /// The soft `RLIMIT_STACK` the child set before it exec'd.
    pub stack_rlimit: StackLimit,
    /// Measured, as [`Report::arg_max_bytes`]; `null` if skipped.
    pub arg_max_bytes: Option<u64>,
    /// The kernel's arithmetic for the same call; `null` if skipped.
    pub arg_max_formula: Option<u64>,
    /// The kernel's limit before the pointer arrays.
    pub arg_limit_bytes: u64,
    /// The temporary stack's bound, as [`Report::arg_max_stack_bound`].
    pub arg_max_stack_bound: Option<u64>,
    /// How the program ended at the boundary, as [`Report::program_at_boundary`].
    pub program_at_boundary: Option<String>,
    /// `argc` of the largest call.
    pub argc: Option<u64>,
    /// `sysconf(_SC_ARG_MAX)` in a process under that limit.
    pub sysconf_arg_max: Option<u64>,
    /// Why it could not be measured.
    pub skipped: Option<String>,
}

struct Ticker<'a> {
    execs: usize,
    progress: &'a mut dyn FnMut(Progress),
}

impl Ticker<'_> {
    fn tick(&mut self, stage: &'static str) {
        self.execs += 1;
        (self.progress)(Progress {
            execs: self.execs,
            stage,
        });
    }
}

pub(crate) fn measure(
    options: &Options,
    progress: &mut dyn FnMut(Progress),
) -> Result<Report, Error> {
    let mut t = Ticker { execs: 0, progress };
    let page = rustix::param::page_size() as u64;
    let program = &super::attempt::resolve(&options.program)?;
    let filename = program.as_os_str().len() as u64;
    let current = StackLimit::from_option(
        rustix::process::getrlimit(rustix::process::Resource::Stack).current,
    );
    let boundary = arg_max::measure(program, None, &mut || t.tick("arg max"))?;
    let max_arg_strlen_measured = strlen::measure(program, &mut || t.tick("MAX_ARG_STRLEN"))?;
    let shebang = shebang::measure(program, &mut || t.tick("#! line"))?;
    t.tick("empty argv");
    let empty = probe::run(&options.probe, None)?;
    t.tick("RLIMIT_NPROC");
    let (nproc, nproc_detail) = nproc::measure(program);
    let per_stack = options
        .stacks
        .iter()
        .map(|&stack| per_stack(options, program, stack, page, &mut t))
        .collect();
    let mut report = Report {
        kernel: crate::system::SystemInfo::current().kernel,
        page_size: page,
        program: program.display().to_string(),
        stack_rlimit: current,
        arg_max_bytes: boundary.bytes,
        arg_max_formula: arg_max_formula(current, boundary.argc, boundary.envc, filename),
        arg_limit_bytes: arg_limit(current),
        arg_max_stack_bound: stack_growth_bound(current, page, filename),
        program_at_boundary: boundary.program_ended.clone(),
        argc: boundary.argc,
        envc: boundary.envc,
        sysconf_arg_max: empty.sysconf_arg_max,
        max_arg_strlen: max_arg_strlen_measured,
        max_arg_strlen_expected: max_arg_strlen(page),
        empty_argv: EmptyArgv {
            argc: empty.argc,
            argv0: empty.argv0,
        },
        shebang_max: shebang.as_ref().ok().copied(),
        shebang_max_expected: BINPRM_BUF_SIZE - 1,
        shebang_note: shebang.err(),
        nproc_at_execve: nproc,
        nproc_at_execve_detail: nproc_detail,
        per_stack,
        differences: Vec::new(),
    };
    report.differences = differences(&report);
    Ok(report)
}

/// The boundary under `stack`; an error that only concerns this limit (it cannot be set
/// here) makes the entry skipped rather than failing everything.
/// `program` is the resolved path every measurement execs.
fn per_stack(
    options: &Options,
    program: &Path,
    stack: StackLimit,
    page: u64,
    t: &mut Ticker<'_>,
) -> PerStack {
    let filename = program.as_os_str().len() as u64;
    let mut entry = PerStack {
        stack_rlimit: stack,
        arg_max_bytes: None,
        arg_max_formula: None,
        arg_limit_bytes: arg_limit(stack),
        arg_max_stack_bound: stack_growth_bound(stack, page, filename),
        program_at_boundary: None,
        argc: None,
        sysconf_arg_max: None,
        skipped: None,
    };
    match arg_max::measure(program, Some(stack), &mut || t.tick("arg max per stack")) {
        Ok(b) => {
            entry.arg_max_bytes = Some(b.bytes);
            entry.arg_max_formula = Some(arg_max_formula(stack, b.argc, b.envc, filename));
            entry.argc = Some(b.argc);
            entry.program_at_boundary = Some(b.program_ended);
        }
        Err(e) => entry.skipped = Some(e.to_string()),
    }
    t.tick("sysconf per stack");
    entry.sysconf_arg_max = probe::run(&options.probe, Some(stack))
        .ok()
        .and_then(|r| r.sysconf_arg_max);
    entry
}

/// Every measured value that differs from what the kernel's arithmetic or source says.
pub(crate) fn differences(r: &Report) -> Vec<String> {
    let now = Bound {
        stack: r.stack_rlimit,
        measured: Some(r.arg_max_bytes),
        formula: Some(r.arg_max_formula),
        stack_bound: r.arg_max_stack_bound,
        program_ended: Some(r.program_at_boundary.clone()),
    };
    let per_stack = r.per_stack.iter().map(|p| Bound {
        stack: p.stack_rlimit,
        measured: p.arg_max_bytes,
        formula: p.arg_max_formula,
        stack_bound: p.arg_max_stack_bound,
        program_ended: p.program_at_boundary.clone(),
    });
    let mut out: Vec<String> = [now]
        .into_iter()
        .chain(per_stack)
        .flat_map(|b| [b.difference(), b.did_not_run()])
        .flatten()
        .collect();
    let mut check = |what: &str, measured: String, expected: String| {
        if measured != expected {
            out.push(format!("{what}: measured {measured}, expected {expected}"));
        }
    };
    let strlen = (r.max_arg_strlen, r.max_arg_strlen_expected);
    check("max_arg_strlen", strlen.0.to_string(), strlen.1.to_string());
    if let Some(shebang) = r.shebang_max {
        check(
            "shebang_max",
            shebang.to_string(),
            r.shebang_max_expected.to_string(),
        );
    }
    let argv = format!(
        "argc {} argv[0] {:?}",
        r.empty_argv.argc, r.empty_argv.argv0
    );
    check("empty_argv", argv, format!("argc 1 argv[0] {:?}", Some("")));
    if r.nproc_at_execve == Nproc::Allowed {
        check("nproc_at_execve", "allowed".into(), "eagain".into());
    }
    out
}

/// One E2BIG boundary and the arithmetic beside it.
struct Bound {
    stack: StackLimit,
    measured: Option<u64>,
    formula: Option<u64>,
    stack_bound: Option<u64>,
    program_ended: Option<String>,
}

/// Whether the program, exec'd with a boundary's list, ran and exited on its own (with any
/// status: `/bin/false` exits 1, `cat` exits 1 on arguments that name no file). Its exit
/// status is the program's business; execve's part was done.
pub fn program_exited(program_at_boundary: &str) -> bool {
    program_at_boundary.starts_with("exit ")
}

impl Bound {
    /// Set when the program did not exit on its own at the boundary: it was killed by a
    /// signal (execve returned no error; the program, or the kernel past execve's point of no
    /// return, ended so), or execve refused the list when it was run again.
    fn did_not_run(&self) -> Option<String> {
        let ended = self.program_ended.as_deref()?;
        if program_exited(ended) {
            return None;
        }
        let (stack, bytes) = (self.stack, self.measured.unwrap_or_default());
        Some(match ended.strip_prefix("refused: ") {
            Some(error) => format!(
                "arg_max_bytes (stack {stack}): execve accepted {bytes} bytes while searching, \
                 then refused the same list: {error}"
            ),
            None => format!(
                "arg_max_bytes (stack {stack}): execve accepted {bytes} bytes and returned no \
                 error, then the program was killed by {ended} instead of exiting"
            ),
        })
    }

    /// The difference from the formula, explained when the temporary stack's bound accounts
    /// for it.
    fn difference(&self) -> Option<String> {
        let (m, f) = (self.measured?, self.formula?);
        if m == f {
            return None;
        }
        let why = if Some(m) == self.stack_bound {
            ": it equals the temporary stack's bound (RLIMIT_STACK in whole pages - 8 - the \
             filename), which binds before the 128 KiB floor"
        } else {
            ""
        };
        Some(format!(
            "arg_max_bytes (stack {}): measured {m}, formula {f}{why}",
            self.stack
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bound(ended: &str) -> Bound {
        Bound {
            stack: StackLimit::Bytes(8 << 20),
            measured: Some(2_096_621),
            formula: Some(2_096_621),
            stack_bound: None,
            program_ended: Some(ended.to_string()),
        }
    }

    #[test]
    fn an_exit_status_is_the_programs_own_a_signal_or_refusal_is_flagged() {
        assert_eq!(bound("exit 0").did_not_run(), None);
        assert_eq!(bound("exit 1").did_not_run(), None);
        assert_eq!(
            bound("signal 11 (SIGSEGV)").did_not_run().unwrap(),
            "arg_max_bytes (stack 8M): execve accepted 2096621 bytes and returned no error, \
             then the program was killed by signal 11 (SIGSEGV) instead of exiting"
        );
        assert_eq!(
            bound("refused: Argument list too long (os error 7)")
                .did_not_run()
                .unwrap(),
            "arg_max_bytes (stack 8M): execve accepted 2096621 bytes while searching, then \
             refused the same list: Argument list too long (os error 7)"
        );
    }
}
