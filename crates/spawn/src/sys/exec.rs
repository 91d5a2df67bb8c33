//! Replacing the current process, and the current environment as `execve(2)` wants it.

use super::child::{self, ChildPlan, Failure};
use libc::c_char;

unsafe extern "C" {
    static environ: *const *const c_char;
}

/// The current environment as a nul-terminated array of `KEY=VALUE` strings.
///
/// Valid until the environment is next modified; `std::env::set_var` is `unsafe` precisely
/// because no other thread may be reading it then.
pub(crate) fn environ_ptr() -> *const *const c_char {
    // SAFETY: reading the pointer value of glibc's `environ` variable.
    unsafe { environ }
}

/// Applies `plan` to this process and execs; returns only on failure, with the signal
/// dispositions and mask as they were before (descriptors, directory, session, limits and
/// credentials stay as the plan set them).
pub(crate) fn exec_in_place(plan: &ChildPlan<'_>) -> Failure {
    let saved = child::SavedSignals::take();
    let failure = child::apply(plan);
    saved.restore();
    failure
}
