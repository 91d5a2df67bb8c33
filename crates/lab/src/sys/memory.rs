//! One-page private anonymous mappings with `madvise(2)` advice, `mlock(2)`, and reading or
//! writing a word in them in place.
//!
//! A [`Region`] can only be made by [`map`], and a mapping made here is never unmapped: the
//! address stays valid in the process that made it, and in every `CLONE_VM` child of it
//! (which shares the address space). A `fork(2)` child reads the regions through
//! `/proc/self/mem` instead, because `MADV_DONTFORK` removes one of them there.

use rustix::mm::{Advice, MapFlags, ProtFlags};
use std::io;

/// A page this module mapped, read-write, for the life of the process.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Region {
    addr: usize,
    len: usize,
}

impl Region {
    /// Its address.
    pub(crate) fn addr(self) -> u64 {
        self.addr as u64
    }
}

/// How a region is advised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Advise {
    /// No advice: an ordinary private mapping (copied on fork).
    Nothing,
    /// `MADV_DONTFORK`: absent from a fork child.
    DontFork,
    /// `MADV_WIPEONFORK`: zero-filled in a fork child.
    WipeOnFork,
}

/// Maps one page, stores `value` at its start and applies `advise`.
pub(crate) fn map(value: u64, advise: Advise) -> io::Result<Region> {
    let len = rustix::param::page_size();
    // SAFETY: a fresh anonymous private mapping with no address hint touches no existing
    // memory.
    let ptr = unsafe {
        rustix::mm::mmap_anonymous(
            std::ptr::null_mut(),
            len,
            ProtFlags::READ | ProtFlags::WRITE,
            MapFlags::PRIVATE,
        )
    }?;
    let region = Region {
        addr: ptr as usize,
        len,
    };
    poke(region, value);
    let advice = match advise {
        Advise::Nothing => return Ok(region),
        Advise::DontFork => Advice::LinuxDontFork,
        Advise::WipeOnFork => Advice::LinuxWipeOnFork,
    };
    // SAFETY: advice on exactly the page just mapped; neither advice discards its contents
    // in this process.
    unsafe { rustix::mm::madvise(ptr, len, advice) }?;
    Ok(region)
}

/// Locks the region into memory (`mlock(2)`).
pub(crate) fn lock(region: Region) -> io::Result<()> {
    // SAFETY: locking a range this module mapped and never unmaps.
    unsafe { rustix::mm::mlock(region.addr as *mut _, region.len) }?;
    Ok(())
}

/// The word at the start of the region (a volatile read, so a `CLONE_VM` child's write is
/// seen).
pub(crate) fn peek(region: Region) -> u64 {
    // SAFETY: the page is mapped read-write for the life of the process (see the module
    // docs) and page-aligned, so an aligned u64 read is in bounds.
    unsafe { (region.addr as *const u64).read_volatile() }
}

/// Stores `value` at the start of the region.
pub(crate) fn poke(region: Region, value: u64) {
    // SAFETY: as for `peek`; u64 has no invalid bit patterns.
    unsafe { (region.addr as *mut u64).write_volatile(value) }
}
