//! Real-time priority for the process that must keep working while a fork bomb runs.

use std::io;

/// How the calling thread was scheduled before [`realtime`], to put back.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Saved {
    policy: libc::c_int,
    priority: libc::c_int,
}

/// Moves the calling thread to `SCHED_FIFO` at `priority`, with `SCHED_RESET_ON_FORK` so that
/// every process it creates starts as `SCHED_OTHER` (a bomb must not inherit real time).
/// Returns what to restore.
pub(crate) fn realtime(priority: i32) -> io::Result<Saved> {
    set_fifo(priority, true)
}

/// The same without `SCHED_RESET_ON_FORK`: for the responder, whose only children are the
/// short-lived signallers that must outrun the bomb as it does.
pub(crate) fn realtime_inherited(priority: i32) -> io::Result<Saved> {
    set_fifo(priority, false)
}

fn set_fifo(priority: i32, reset_on_fork: bool) -> io::Result<Saved> {
    // SAFETY: sched_getscheduler(0) reads the calling thread's policy; no pointers.
    let policy = unsafe { libc::sched_getscheduler(0) };
    if policy < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut old = libc::sched_param { sched_priority: 0 };
    // SAFETY: a valid, writable sched_param.
    if unsafe { libc::sched_getparam(0, &mut old) } < 0 {
        return Err(io::Error::last_os_error());
    }
    let param = libc::sched_param {
        sched_priority: priority,
    };
    let fifo = if reset_on_fork {
        libc::SCHED_FIFO | libc::SCHED_RESET_ON_FORK
    } else {
        libc::SCHED_FIFO
    };
    // SAFETY: a valid sched_param for the calling thread.
    if unsafe { libc::sched_setscheduler(0, fifo, &param) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(Saved {
        policy,
        priority: old.sched_priority,
    })
}

/// Puts back the scheduling [`realtime`] replaced.
pub(crate) fn restore(saved: Saved) {
    let param = libc::sched_param {
        sched_priority: saved.priority,
    };
    // SAFETY: a valid sched_param for the calling thread. A failure leaves real time on,
    // which the caller cannot do better about.
    unsafe { libc::sched_setscheduler(0, saved.policy, &param) };
}

/// Locks the process's memory, present and future (`mlockall`), so that the guard never
/// waits on a page fault while a bomb eats memory. Best effort: without the privilege or
/// the room, memory stays unlocked.
pub(crate) fn lock_memory() {
    // SAFETY: mlockall takes flags only.
    unsafe { libc::mlockall(libc::MCL_CURRENT | libc::MCL_FUTURE) };
}
