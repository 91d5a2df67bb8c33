//! A `clone(CLONE_VM|CLONE_VFORK)` child that runs one function and exits: what a `vfork(2)`
//! child sees before it execs, measured without ever running on the parent's stack.
//!
//! The child runs on a private stack (`forklab_spawn::raw::clone_run`, the primitive under the
//! spawn library's vfork strategy); the parent thread is suspended until the child exits. The function receives a pointer into the parent's memory (shared with the
//! child) and must follow the rules of `signal-safety(7)`: raw system calls, plain stores,
//! no allocation, no lock, no panic. This module does not exec: the exec column of the
//! experiment is measured elsewhere.

use crate::inherit::raw::{self, VforkJob};
use std::io;

struct Job<'a, T> {
    data: &'a mut T,
    run: fn(&mut T),
}

extern "C" fn entry<T>(arg: *mut libc::c_void) -> libc::c_int {
    // SAFETY: `arg` is the `Job` that `run_in_vfork_child` passes to clone; the parent keeps
    // it alive and does not touch it while it is suspended by CLONE_VFORK.
    let job = unsafe { &mut *arg.cast::<Job<'_, T>>() };
    (job.run)(job.data);
    0
}

/// Takes the inherit experiment's vfork-column snapshot: runs [`raw::vfork_child`] in a
/// `CLONE_VM|CLONE_VFORK` child and returns its pid once it has exited (the caller reaps it).
/// Its writes to `job` land in the caller's memory.
pub(crate) fn snapshot_in_vfork_child(job: &mut VforkJob) -> io::Result<i32> {
    // SAFETY: `raw::vfork_child` follows signal-safety(7) (see that module's docs): raw
    // system calls and plain stores into the job, no allocation, no lock, no panic.
    unsafe { run_in_vfork_child(job, raw::vfork_child) }
}

/// Runs `run(data)` in a `CLONE_VM|CLONE_VFORK` child and returns its pid once it has
/// exited. Its writes to `data` land in the caller's memory.
///
/// # Safety
///
/// `run` executes in a child that shares this process's memory while this thread sleeps:
/// it must be async-signal-safe (`signal-safety(7)`): no allocation, no lock, no panic, and
/// nothing that relies on this thread's stack or thread-local state.
unsafe fn run_in_vfork_child<T>(data: &mut T, run: fn(&mut T)) -> io::Result<i32> {
    let mut job = Job { data, run };
    let arg = (&mut job as *mut Job<'_, T>).cast::<libc::c_void>();
    let memory = forklab_spawn::raw::CloneMemory::SharedUntilExit;
    // SAFETY: `run` is async-signal-safe by the caller's contract; `job` outlives the call
    // because CLONE_VFORK suspends this thread until the child has exited. Signals stay
    // unblocked on purpose: the child measures the mask it inherits.
    let pid = unsafe { forklab_spawn::raw::clone_run(memory, entry::<T>, arg) }?;
    Ok(pid.as_raw())
}
