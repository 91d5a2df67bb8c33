//! The stack a `CLONE_VM` child runs on: its own mapping, so the child never writes the
//! parent's stack frames (the reason `vfork()` is unusable from Rust), with a guard page below
//! it, and cached per thread so a spawn does not pay for `mmap`/`munmap` and page faults.
//!
//! Per thread, because `CLONE_VFORK` suspends only the calling thread: two threads may have a
//! child on a stack at the same moment.

use super::cvt;
use std::cell::Cell;
use std::io;

/// Usable size of a child stack. The pre-exec code needs a few KiB; the rest is headroom.
const STACK_SIZE: usize = 128 * 1024;

/// A private anonymous mapping: one `PROT_NONE` guard page, then `STACK_SIZE` bytes.
pub(crate) struct Stack {
    base: *mut libc::c_void,
    len: usize,
}

impl Stack {
    fn new() -> io::Result<Stack> {
        let page = page_size();
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
        let stack = Stack { base, len };
        // SAFETY: the first page lies inside the mapping just created.
        cvt(unsafe { libc::mprotect(base, page, libc::PROT_NONE) })?;
        Ok(stack)
    }

    /// The highest address, 16-byte aligned: where a downward-growing stack starts.
    pub(crate) fn top(&self) -> *mut libc::c_void {
        let end = self.base as usize + self.len;
        (end & !15) as *mut libc::c_void
    }

    /// The usable part (above the guard page) as `(lowest address, size)`.
    pub(crate) fn usable(&self) -> (*mut libc::c_void, usize) {
        let page = page_size();
        let low = self.base as usize + page;
        (low as *mut libc::c_void, self.top() as usize - low)
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        // SAFETY: unmapping exactly the mapping this value owns; no child is running on it
        // (a stack is only dropped outside `with_stack`).
        unsafe { libc::munmap(self.base, self.len) };
    }
}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if size > 0 { size as usize } else { 4096 }
}

thread_local! {
    static CACHED: Cell<Option<Stack>> = const { Cell::new(None) };
}

/// Runs `f` with this thread's child stack, creating it on first use. In a thread-local
/// destructor, where the cache may already be gone, a stack is made for this call alone.
pub(crate) fn with_stack<R>(f: impl FnOnce(&Stack) -> io::Result<R>) -> io::Result<R> {
    let stack = match CACHED.try_with(Cell::take) {
        Ok(Some(stack)) => stack,
        Ok(None) | Err(_) => Stack::new()?,
    };
    let result = f(&stack);
    // If the cache is gone, the stack is unmapped here instead.
    let _ = CACHED.try_with(|cell| cell.set(Some(stack)));
    result
}
