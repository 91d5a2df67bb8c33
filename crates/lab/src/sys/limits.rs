//! `sysconf(3)` values the exec-limit experiment compares with what it measures.

/// `sysconf(_SC_ARG_MAX)`: what glibc says the argument space is (it derives it from
/// `RLIMIT_STACK`), or `None` if it has no answer.
pub(crate) fn sysconf_arg_max() -> Option<u64> {
    // SAFETY: sysconf has no preconditions.
    let value = unsafe { libc::sysconf(libc::_SC_ARG_MAX) };
    u64::try_from(value).ok()
}
