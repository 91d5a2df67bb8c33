//! `sysconf(3)` values the exec-limit experiment compares with what it measures.

/// `sysconf(_SC_ARG_MAX)`: what glibc says the argument space is (it derives it from
/// `RLIMIT_STACK`), or `None` if it has no answer.
pub(crate) fn sysconf_arg_max() -> Option<u64> {
    // SAFETY: sysconf has no preconditions.
    let value = unsafe { libc::sysconf(libc::_SC_ARG_MAX) };
    u64::try_from(value).ok()
}

/// The C library's version (`gnu_get_libc_version(3)`), e.g. "2.36".
pub(crate) fn libc_version() -> String {
    // SAFETY: gnu_get_libc_version returns a pointer to a static, nul-terminated string.
    let version = unsafe { std::ffi::CStr::from_ptr(libc::gnu_get_libc_version()) };
    version.to_string_lossy().into_owned()
}
