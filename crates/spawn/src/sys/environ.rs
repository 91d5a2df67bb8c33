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

/// `environ`, if this process has never had a second thread; `None` otherwise (the caller
/// then copies the environment under std's lock).
pub(crate) fn environ_if_single_threaded() -> Option<*const *const c_char> {
    static FLAG: OnceLock<usize> = OnceLock::new();
    let flag = *FLAG.get_or_init(|| {
        // SAFETY: looking up a nul-terminated name in the already loaded objects.
        unsafe { libc::dlsym(libc::RTLD_DEFAULT, c"__libc_single_threaded".as_ptr()) as usize }
    }) as *const c_char;
    if flag.is_null() {
        return None;
    }
    // SAFETY: `flag` is glibc's `char __libc_single_threaded`, alive for the whole process;
    // a volatile read, since glibc writes it when a thread is created.
    if unsafe { flag.read_volatile() } == 0 {
        return None;
    }
    // SAFETY: reading the pointer value of glibc's `environ`; with one thread nothing else
    // can change it, or the array, before the child has exec'd.
    Some(unsafe { environ })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_process_with_threads_gets_a_copy() {
        // libtest runs this on a thread of its own: the process has had a second thread.
        assert_eq!(super::environ_if_single_threaded(), None);
    }
}
