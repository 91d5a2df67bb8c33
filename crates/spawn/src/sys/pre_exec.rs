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
    /// `Auto` creates such a child with `fork`, so the hook runs in a copy of this process, as
    /// with std. With `VforkExec` or `Clone3` it runs in a child that shares this process's
    /// memory until exec: what it writes, this process sees. `PosixSpawn` cannot run a hook
    /// (the spawn fails with `Unsupported`). A hook that panics aborts the child; nothing
    /// unwinds into this process's frames.
    ///
    /// # Safety
    ///
    /// As for std's `pre_exec`: the hook runs in a child created from a possibly
    /// multi-threaded process, so it may only do what is async-signal-safe
    /// (`signal-safety(7)`): no allocation, no locks (and no `println!`), no unwinding. It must
    /// not close or replace descriptors the library uses, and a `VforkExec`/`Clone3` hook must
    /// not return into, or rely on, this thread's stack.
    pub unsafe fn pre_exec<F>(&mut self, hook: F) -> &mut Command
    where
        F: FnMut() -> io::Result<()> + Send + Sync + 'static,
    {
        self.hooks.push(Box::new(hook));
        self
    }
}
