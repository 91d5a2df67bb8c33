//! The stack a cloned race child runs on: a private mapping of its own with a `PROT_NONE`
//! guard page below, so the child never writes the parent's stack frames (the reason libc's
//! `vfork()` is not used from Rust). One per run; `forklab-spawn` keeps its own, cached per
//! thread, for spawning programs.

use std::io;

/// Usable size of a child stack: the child's code needs well under a page.
const STACK_SIZE: usize = 64 * 1024;

/// The stack a cloned child runs on: a private mapping with a `PROT_NONE` guard page below.
pub(crate) struct ChildStack {
    base: *mut libc::c_void,
    len: usize,
}

impl ChildStack {
    /// Maps a new stack.
    pub(crate) fn new() -> io::Result<ChildStack> {
        let page = rustix::param::page_size();
        let len = STACK_SIZE + page;
        // SAFETY: an anonymous private mapping with no address hint; the result is checked.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_STACK,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let stack = ChildStack { base, len };
        // SAFETY: the first page lies inside the mapping just created.
        super::cvt(unsafe { libc::mprotect(base, page, libc::PROT_NONE) })?;
        Ok(stack)
    }

    /// The highest address, 16-byte aligned: where a downward-growing stack starts.
    pub(crate) fn top(&self) -> *mut libc::c_void {
        ((self.base as usize + self.len) & !15) as *mut libc::c_void
    }
}

impl Drop for ChildStack {
    fn drop(&mut self) {
        // SAFETY: unmapping exactly the mapping this value owns; its children have been
        // reaped (or run in their own copy).
        unsafe { libc::munmap(self.base, self.len) };
    }
}
