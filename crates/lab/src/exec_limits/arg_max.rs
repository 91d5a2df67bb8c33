//! The `E2BIG` boundary: the largest argument list `execve(2)` accepts, found by calling it.
//!
//! The arguments are `k` strings of at most [`CHUNK`] bytes each (far below
//! `MAX_ARG_STRLEN`, so only the total matters). First `k` is doubled until `k` full strings
//! are refused; then, with `k` fixed (so the pointer arrays are fixed too), a binary search
//! finds the largest total accepted. The environment is empty.

use super::attempt::{self, accepted};
use super::search::largest_accepted;
use super::{Error, StackLimit};
use std::path::Path;

/// Bytes per argument string, with its NUL.
pub(crate) const CHUNK: u64 = 32 * 1024;

/// More strings than this and the kernel still accepts: no boundary (never on Linux, whose
/// limit is at most 6 MiB).
const MAX_STRINGS: u64 = 4096;

/// The measured boundary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Boundary {
    /// `argc` of the largest accepted call (the program name and the `k` strings).
    pub argc: u64,
    /// Environment strings (always 0 here).
    pub envc: u64,
    /// The bytes of every argument and environment string, NULs included.
    pub bytes: u64,
    /// How the program ended when exec'd with exactly that list: `exit N` when it ran and
    /// exited (any status), `signal N (NAME)` when it was killed, `refused: …` when execve
    /// failed this time.
    pub program_ended: String,
}

/// Finds the boundary for `program` under `stack` (`None`: the current limit). `tick` is
/// called after every `execve`.
pub(crate) fn measure(
    program: &Path,
    stack: Option<StackLimit>,
    tick: &mut dyn FnMut(),
) -> Result<Boundary, Error> {
    let mut try_total = |k: u64, total: u64| {
        tick();
        let mut command = attempt::command(program, stack);
        command.args(strings(k, total));
        accepted(&mut command, libc::E2BIG, "the E2BIG boundary")
    };
    let mut k = 1;
    while try_total(k, k * CHUNK)? {
        k *= 2;
        if k > MAX_STRINGS {
            return Err(Error::NoBoundary(MAX_STRINGS * CHUNK));
        }
    }
    let found = largest_accepted(k, k * CHUNK, |total| try_total(k, total))?;
    let total = found.ok_or(Error::NoBoundary(0))?;
    // "Not refused with E2BIG" is the boundary; whether the program then ran is its own fact.
    tick();
    let mut command = attempt::command(program, stack);
    command.args(strings(k, total));
    let program_ended = match attempt::run(&mut command)? {
        attempt::Exec::Ran(status) => status.to_string(),
        attempt::Exec::Refused(errno) => {
            format!("refused: {}", std::io::Error::from_raw_os_error(errno))
        }
    };
    let program_bytes = program.as_os_str().len() as u64 + 1;
    Ok(Boundary {
        argc: k + 1,
        envc: 0,
        bytes: total + program_bytes,
        program_ended,
    })
}

/// `k` strings of `'x'` whose lengths plus NULs add up to `total` (`k <= total <= k * CHUNK`).
pub(crate) fn strings(k: u64, total: u64) -> Vec<String> {
    let (base, extra) = (total / k, total % k);
    (0..k)
        .map(|i| {
            let with_nul = base + u64::from(i < extra);
            "x".repeat(with_nul.saturating_sub(1) as usize)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::strings;

    #[test]
    fn strings_add_up_to_the_total() {
        for (k, total) in [(1, 1), (3, 100), (4, 4 * 32 * 1024), (7, 12_345)] {
            let s = strings(k, total);
            assert_eq!(s.len() as u64, k);
            assert_eq!(s.iter().map(|s| s.len() as u64 + 1).sum::<u64>(), total);
            assert!(s.iter().all(|s| (s.len() as u64) < super::CHUNK));
        }
    }
}
