//! Memory shared by a parent and the children it forks: an anonymous `MAP_SHARED` mapping,
//! seen as a slice of [`AtomicU64`].
//!
//! Why shared and not ordinary memory: fork write-protects every private page of the parent
//! (copy-on-write), so a parent that records a result per trial in a `Vec` takes a page fault
//! per trial, and a child's writes stay in the child. A shared mapping is neither copied nor
//! write-protected by fork: both processes see the same pages, and fork has no page-table
//! entries to copy for it. This file knows nothing of what the words mean.

use std::io;
use std::ptr::NonNull;
use std::sync::atomic::AtomicU64;

/// `len` zeroed atomic words in a `MAP_SHARED|MAP_ANONYMOUS` mapping.
pub(crate) struct SharedWords {
    ptr: NonNull<AtomicU64>,
    len: usize,
}

impl SharedWords {
    /// Maps `len` words (at least one), all zero.
    pub(crate) fn zeroed(len: usize) -> io::Result<SharedWords> {
        let len = len.max(1);
        let bytes = len
            .checked_mul(size_of::<AtomicU64>())
            .ok_or_else(|| io::Error::from(io::ErrorKind::OutOfMemory))?;
        // SAFETY: an anonymous shared mapping with no address hint; the result is checked.
        let addr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                bytes,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if addr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let ptr = NonNull::new(addr.cast::<AtomicU64>()).expect("mmap never maps page 0");
        Ok(SharedWords { ptr, len })
    }

    /// The words.
    pub(crate) fn words(&self) -> &[AtomicU64] {
        // SAFETY: the mapping is page-aligned, `len` words long, readable and writable, and
        // lives as long as `self`; anonymous memory starts zeroed, and zero is a valid
        // `AtomicU64` (same layout as `u64`). Other processes may write it concurrently,
        // which atomics allow.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for SharedWords {
    fn drop(&mut self) {
        // SAFETY: unmapping exactly the mapping this value owns; no reference from `words`
        // outlives `self`.
        unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.len * size_of::<AtomicU64>()) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering;

    #[test]
    fn zeroed_and_writable() {
        let shared = SharedWords::zeroed(1000).unwrap();
        assert_eq!(shared.words().len(), 1000);
        assert!(
            shared
                .words()
                .iter()
                .all(|w| w.load(Ordering::Relaxed) == 0)
        );
        shared.words()[999].store(7, Ordering::Relaxed);
        assert_eq!(shared.words()[999].load(Ordering::Relaxed), 7);
        assert_eq!(SharedWords::zeroed(0).unwrap().words().len(), 1);
    }
}
