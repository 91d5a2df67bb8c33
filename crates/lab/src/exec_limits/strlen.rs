//! `MAX_ARG_STRLEN`: the longest single argument `execve(2)` accepts, found by calling it
//! with one argument of growing length under a stack limit roomy enough (8 MiB: 2 MiB of
//! argument space) that only the per-string limit can refuse it.

use super::attempt::{self, accepted};
use super::search::largest_accepted;
use super::{Error, StackLimit};
use std::path::Path;

/// The search stops here: far above any page size's 32 pages, far below the total limit.
const UPPER: u64 = 1 << 20;

/// The longest argument accepted, in bytes without its NUL.
pub(crate) fn measure(program: &Path, tick: &mut dyn FnMut()) -> Result<u64, Error> {
    let stack = roomy_stack();
    let found = largest_accepted(0, UPPER, |len| {
        tick();
        let mut command = attempt::command(program, stack);
        command.arg("x".repeat(len as usize));
        accepted(&mut command, libc::E2BIG, "MAX_ARG_STRLEN")
    })?;
    found.ok_or(Error::NoBoundary(0))
}

/// 8 MiB when the current soft limit is smaller and the hard limit (or root) allows it;
/// `None` (keep the current one) otherwise.
fn roomy_stack() -> Option<StackLimit> {
    const ROOMY: u64 = 8 << 20;
    let limit = rustix::process::getrlimit(rustix::process::Resource::Stack);
    let small = limit.current.is_some_and(|soft| soft < ROOMY);
    let allowed =
        limit.maximum.is_none_or(|hard| hard >= ROOMY) || rustix::process::geteuid().is_root();
    (small && allowed).then_some(StackLimit::Bytes(ROOMY))
}
