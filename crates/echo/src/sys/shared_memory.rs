//! A value in a `MAP_SHARED` anonymous mapping: after `fork(2)` the parent and every child
//! see the same bytes, so workers can count what they do and the parent can read it.
//!
//! Only values made of atomics may live there ([`ProcessShared`]): a pointer into one
//! process's heap means nothing in another.

use std::io;
use std::ops::Deref;
use std::ptr::NonNull;

/// A type that may be shared between processes through [`SharedMemory`].
///
/// # Safety
///
/// The type must hold no pointers, references or descriptors (only atomics and plain
/// numbers), must be `Sync`, and must need no `Drop`: each process reads and writes the same
/// bytes, and the mapping is unmapped without dropping the value.
pub(crate) unsafe trait ProcessShared: Default + Sync {}

// SAFETY: a Tally is a `#[repr(C)]` struct of `AtomicU64`s only.
unsafe impl ProcessShared for crate::server::tally::Tally {}

/// A `T` in memory shared with the children forked after it was made.
pub(crate) struct SharedMemory<T: ProcessShared> {
    value: NonNull<T>,
}

impl<T: ProcessShared> SharedMemory<T> {
    /// `mmap(NULL, size_of::<T>(), PROT_READ|PROT_WRITE, MAP_SHARED|MAP_ANONYMOUS)`, holding
    /// `T::default()`.
    pub(crate) fn new() -> io::Result<SharedMemory<T>> {
        use rustix::mm::{MapFlags, ProtFlags, mmap_anonymous};
        let len = std::mem::size_of::<T>().max(1);
        // SAFETY: a new anonymous mapping at an address the kernel chooses: no existing
        // memory is affected.
        let ptr = unsafe {
            mmap_anonymous(
                std::ptr::null_mut(),
                len,
                ProtFlags::READ | ProtFlags::WRITE,
                MapFlags::SHARED,
            )
        }?;
        let value = NonNull::new(ptr.cast::<T>()).ok_or(io::ErrorKind::OutOfMemory)?;
        // SAFETY: the mapping is page-aligned (enough for any T), at least size_of::<T>()
        // long, writable, and not yet seen by anyone else.
        unsafe { value.as_ptr().write(T::default()) };
        Ok(SharedMemory { value })
    }
}

impl<T: ProcessShared> Deref for SharedMemory<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: initialised in `new` and mapped until `drop`; T is Sync, and its state is
        // changed only through atomics, so shared references from every process are sound.
        unsafe { self.value.as_ref() }
    }
}

impl<T: ProcessShared> Drop for SharedMemory<T> {
    fn drop(&mut self) {
        let len = std::mem::size_of::<T>().max(1);
        // SAFETY: the mapping made in `new`, of that length; no reference to it outlives
        // `self` (Deref borrows `self`). Other processes keep their own mappings.
        let _ = unsafe { rustix::mm::munmap(self.value.as_ptr().cast(), len) };
    }
}
