//! The live environment, for the one case where handing it to `execve` is safe: a process
//! with a single thread, where no `set_var` can run while this thread spawns.
//!
//! glibc keeps `__libc_single_threaded` (glibc 2.32, `<sys/single_threaded.h>`): non-zero
//! until the process creates its first thread, and never set again after that. It is looked
//! up at run time, so an older glibc simply means "copy the environment". Threads made
//! without glibc (a raw `clone(CLONE_THREAD)`) go unseen, like everything else that bypasses
//! the C library.

use libc::c_char;
use std::sync::OnceLock;

unsafe extern "C" {
    static environ: *const *const c_char;
}

/// Whether this process has never had a second thread (so no `set_var` can run while this
/// thread spawns, and the child may be given the live `environ`, read by [`current`] at the
/// moment of `execve`). `false` when unknown (glibc before 2.32).
pub(crate) fn single_threaded() -> bool {
    static FLAG: OnceLock<usize> = OnceLock::new();
    let flag = *FLAG.get_or_init(|| {
        // SAFETY: looking up a nul-terminated name in the already loaded objects.
        unsafe { libc::dlsym(libc::RTLD_DEFAULT, c"__libc_single_threaded".as_ptr()) as usize }
    }) as *const c_char;
    // SAFETY: `flag` is glibc's `char __libc_single_threaded`, alive for the whole process;
    // a volatile read, since glibc writes it when a thread is created.
    !flag.is_null() && unsafe { flag.read_volatile() } != 0
}

/// glibc's `environ` as it is now: a plain load, async-signal-safe, so the child reads it
/// just before `execve` (after any `pre_exec` hook has run), as std's child does.
pub(crate) fn current() -> *const *const c_char {
    // SAFETY: reading the pointer value of glibc's `environ`. Only called where no other
    // thread can be changing it: a process with one thread, or a child that has its own copy.
    unsafe { environ }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_process_with_threads_is_seen_as_such() {
        // libtest runs this on a thread of its own: the process has had a second thread.
        assert!(!super::single_threaded());
    }
}
