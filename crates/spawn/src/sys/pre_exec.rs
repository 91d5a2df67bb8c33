//! [`Command::pre_exec`]: declared here because it is an `unsafe fn` (the crate keeps
//! everything `unsafe` in `sys`); it only stores the hook, which `sys::child` runs.

use crate::Command;
use std::io;

impl Command {
    /// Schedules `hook` to run in the child just before `execve`, after everything else the
    /// command sets up, as std's `CommandExt::pre_exec`; an `Err` fails the spawn with
    /// [`crate::Step::PreExec`] and the error's `errno` (`EINVAL` if it has none). Hooks run
    /// in the order they were added.
    ///
    /// Hooks run only in a forked copy of this process, as with std: `ForkExec` runs them, and
    /// `Auto` creates such a child with `ForkExec`. `VforkExec` and `Clone3` refuse them
    /// (their child shares this process's memory, where a hook's writes, or a panic's
    /// bookkeeping, would land), and so does `PosixSpawn`, which runs no code of ours: the
    /// spawn fails with `Unsupported` before anything is created. When the command also asks
    /// for a pidfd or a cgroup v2 placement, the fork is a raw `clone3`, which skips glibc's
    /// `fork` bookkeeping (`pthread_atfork` handlers, resetting its allocator's locks): one
    /// more reason a hook must not allocate.
    ///
    /// # Safety
    ///
    /// As for std's `pre_exec`: the hook runs in a child created from a possibly
    /// multi-threaded process, so it may only do what is async-signal-safe
    /// (`signal-safety(7)`): no allocation, no locks (and no `println!`), and it must not
    /// panic. If it does, nothing unwinds into the frames the child copied from this process
    /// (the child aborts), but std's panic machinery takes locks first (the environment's,
    /// stderr's, the allocator's), so a child forked while another thread held one hangs, and
    /// `spawn` with it. The hook must not close or replace descriptors the library uses.
    pub unsafe fn pre_exec<F>(&mut self, hook: F) -> &mut Command
    where
        F: FnMut() -> io::Result<()> + Send + Sync + 'static,
    {
        self.hooks.push(Box::new(hook));
        self
    }
}
