//! Process attributes without a safe wrapper elsewhere: the three user IDs, supplementary
//! groups into a fixed array, the scheduling policy, and the environment.

use std::ffi::OsStr;
use std::io;

/// Real, effective and saved set-user-ID (raw `getresuid`).
pub(crate) fn resuid() -> Option<[u32; 3]> {
    let (mut r, mut e, mut s) = (0u32, 0u32, 0u32);
    // SAFETY: getresuid writes one uid_t into each of three live variables.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_getresuid,
            &mut r as *mut u32,
            &mut e as *mut u32,
            &mut s as *mut u32,
        )
    };
    (ret == 0).then_some([r, e, s])
}

/// The supplementary group IDs, written into `out` (raw `getgroups`); returns how many, or
/// `None` when there are more than `out` holds.
pub(crate) fn groups(out: &mut [u32]) -> Option<usize> {
    // SAFETY: the kernel writes at most `out.len()` gid_t values into `out`.
    let ret = unsafe { libc::syscall(libc::SYS_getgroups, out.len(), out.as_mut_ptr()) };
    (ret >= 0).then_some(ret as usize)
}

/// The scheduling policy (`SCHED_OTHER`, `SCHED_BATCH`…; raw `sched_getscheduler`).
pub(crate) fn sched_policy() -> Option<i32> {
    // SAFETY: sched_getscheduler(0) queries the calling process.
    let ret = unsafe { libc::syscall(libc::SYS_sched_getscheduler, 0) };
    (ret >= 0).then_some(ret as i32)
}

/// Switches the calling process to `SCHED_BATCH`, which needs no privilege.
pub(crate) fn set_sched_batch() -> io::Result<()> {
    super::sched::set(super::sched::Policy {
        policy: libc::SCHED_BATCH,
        priority: 0,
    })
}

/// Sets an environment variable.
///
/// Only for a process that has a single thread (the inheritance subject right after its
/// fork): `std::env::set_var` is unsafe because another thread could be reading the
/// environment.
pub(crate) fn set_env_single_threaded(key: &OsStr, value: &OsStr) -> io::Result<()> {
    let threads = forklab_spawn::raw::thread_count()?;
    if threads != 1 {
        return Err(io::Error::other(format!(
            "cannot set the environment with {threads} threads running"
        )));
    }
    // SAFETY: the process has one thread (checked above, and nothing here starts one), so
    // no other thread can read or write the environment concurrently.
    unsafe { std::env::set_var(key, value) };
    Ok(())
}
