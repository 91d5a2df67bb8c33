//! Giving CMD the terminal: `tcsetpgrp(0, CMD's group)` in the child, before it execs, as
//! tini's `isolate_child` does. Done in the child rather than in init so that CMD never runs
//! in the background of its terminal, where its first read would stop it with `SIGTTIN`.

use forklab_spawn::Command;
use std::io;

/// Makes `command`'s child put its own process group (set up before hooks run) in the
/// foreground of the terminal on descriptor 0. The child's mask is empty by then and a
/// background group calling `tcsetpgrp` gets `SIGTTOU`, which would stop it: the hook blocks
/// `SIGTTOU` for the call, as tini's child has it ignored. Hooks make `forklab-spawn` create
/// the child with a fork (not a vfork-style clone), which costs nothing that matters for one
/// child of a small process.
pub(crate) fn give_terminal_to_child(command: &mut Command) {
    let hook = || {
        // SAFETY: sigset_t is plain data, initialised by sigemptyset before use.
        let mut ttou: libc::sigset_t = unsafe { std::mem::zeroed() };
        // SAFETY: only async-signal-safe calls on valid local data (see pre_exec's contract):
        // sigemptyset/sigaddset on a local set, sigprocmask, getpgrp and tcsetpgrp.
        let ret = unsafe {
            libc::sigemptyset(&mut ttou);
            libc::sigaddset(&mut ttou, libc::SIGTTOU);
            libc::sigprocmask(libc::SIG_BLOCK, &ttou, std::ptr::null_mut());
            let ret = libc::tcsetpgrp(0, libc::getpgrp());
            libc::sigprocmask(libc::SIG_UNBLOCK, &ttou, std::ptr::null_mut());
            ret
        };
        // Not a failure: the terminal may have gone (ENOTTY, ENXIO), as tini tolerates.
        let _ = ret;
        Ok::<(), io::Error>(())
    };
    // SAFETY: the hook allocates nothing, takes no lock, cannot panic, and makes only
    // async-signal-safe calls; it touches no descriptor.
    unsafe { command.pre_exec(hook) };
}

/// Gives the terminal on descriptor 0 back to init's own process group (`tcsetpgrp(0,
/// getpgrp())`). Init has `SIGTTOU` blocked, so a call from the background does not stop it.
/// Not a failure when the terminal has gone.
pub(crate) fn take_back() {
    // SAFETY: getpgrp and tcsetpgrp take and return plain integers.
    let _ = unsafe { libc::tcsetpgrp(0, libc::getpgrp()) };
}
