//! The code a new child runs between its creation and `execve(2)`.
//!
//! Everything here runs in a process that may share its memory with a suspended parent
//! (`CLONE_VM|CLONE_VFORK`) or be a fork of a multi-threaded one. So it follows the rules of
//! `signal-safety(7)`: it calls only async-signal-safe functions, allocates nothing, takes no
//! lock, indexes no slice (no bounds-check panics), does no arithmetic that could overflow, and
//! reports failure by writing eight bytes (step, errno) to a pipe or to the parent's memory.
//! All inputs are prepared by the parent in a [`ChildPlan`] before the child exists.
//!
//! Credentials are changed with raw system calls rather than glibc's `setuid()`: glibc's
//! wrappers broadcast the change to every thread they know of, and in a child that shares the
//! parent's memory glibc's thread list is the parent's.

use crate::command::Hook;
use crate::error::Step;
use libc::{c_char, c_int, c_void, gid_t, pid_t, sigset_t, uid_t};

/// What a child tells its parent when a set-up step failed (never sent on success).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Failure {
    /// `Step as u32`; 0 means "no failure".
    pub step: u32,
    /// The `errno` of the failed call.
    pub errno: i32,
}

/// A [`Failure`] slot in the parent's memory for a child that shares it (`CLONE_VM`).
pub(crate) struct SharedReport(std::cell::UnsafeCell<Failure>);

impl SharedReport {
    pub(crate) fn new() -> SharedReport {
        SharedReport(std::cell::UnsafeCell::new(Failure::default()))
    }

    pub(crate) fn as_ptr(&self) -> *mut Failure {
        self.0.get()
    }

    /// The report, once the child has exec'd or exited (the clone call has returned).
    pub(crate) fn get(&self) -> Option<Failure> {
        // SAFETY: the child that may have written the slot is gone from our memory (it exec'd
        // or exited before CLONE_VFORK let us continue); a volatile read sees its write.
        let failure = unsafe { self.0.get().read_volatile() };
        (failure.step != 0).then_some(failure)
    }
}

/// Where the child writes its [`Failure`].
#[derive(Clone, Copy)]
pub(crate) enum Report {
    /// The write end of a close-on-exec pipe: end-of-file on the read side means exec worked.
    Pipe(c_int),
    /// Memory shared with a parent that stays suspended until the child execs or exits.
    Shared(*mut Failure),
    /// The current process itself is being replaced: the failure is returned.
    Caller,
}

/// One descriptor to install in the child: `dup2(src, dst)`, or clear close-on-exec when
/// `src == dst`. The parent guarantees no `src` is the `dst` of another move.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FdMove {
    pub src: c_int,
    pub dst: c_int,
}

/// Which signal dispositions go back to `SIG_DFL` before exec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dispositions {
    /// None (execve itself resets caught signals; ignored ones stay ignored).
    Keep,
    /// Caught signals: needed when the child shares memory with the parent and the kernel did
    /// not clear the handlers (`CLONE_CLEAR_SIGHAND`), since a handler would run on the
    /// parent's memory.
    Caught,
    /// Ignored signals: for exec in place, where execve resets the caught ones and the live
    /// process's handlers (glibc's own, the Rust runtime's) must survive a failed exec.
    Ignored,
    /// Every one, ignored ones included.
    All,
}

/// What happens to signal dispositions and the mask.
#[derive(Clone, Copy)]
pub(crate) struct SignalPlan {
    pub dispositions: Dispositions,
    /// `SIGPIPE` back to `SIG_DFL` (the Rust runtime ignores it in every Rust program).
    pub sigpipe_default: bool,
    /// The mask to install just before exec, if it must change.
    pub mask: Option<sigset_t>,
}

/// Everything a child needs, prepared by the parent. Pointers point into buffers the parent
/// keeps alive until the child has exec'd or exited.
pub(crate) struct ChildPlan<'a> {
    /// Programs to try in order (one unless searching `PATH`).
    pub candidates: &'a [*const c_char],
    /// `execvp(3)` rules: skip `ENOENT`-like failures, prefer reporting `EACCES`.
    pub search: bool,
    /// `["/bin/sh", <slot>, argv[1..], NULL]` to run a file without `#!` on `ENOEXEC`; null
    /// for the exec variants that do not do that. Slot 1 is written by the child.
    pub sh_argv: *mut *const c_char,
    pub argv: *const *const c_char,
    /// Null for the live `environ`, read just before `execve`.
    pub envp: *const *const c_char,
    /// Nul-terminated directory or null.
    pub cwd: *const c_char,
    pub fds: &'a [FdMove],
    /// Open `cgroup.procs` files to write "0" into, one per group to join.
    pub cgroup_procs: &'a [c_int],
    pub setsid: bool,
    pub pgroup: Option<pid_t>,
    /// `(resource, limit)` pairs for `prlimit64(2)`.
    pub rlimits: &'a [(c_int, libc::rlimit64)],
    pub groups: Option<&'a [gid_t]>,
    pub gid: Option<gid_t>,
    pub uid: Option<uid_t>,
    pub signals: SignalPlan,
    /// [`crate::Command::pre_exec`] hooks, run last: `hooks_len` of them.
    pub hooks: *mut Hook,
    pub hooks_len: usize,
    pub report: Report,
}

/// Largest signal number on Linux (`_NSIG - 1` on every architecture Rust supports here).
const MAX_SIGNAL: c_int = 64;

const SHELL: &[u8] = b"/bin/sh\0";

/// Applies the plan and execs; on failure reports it and exits with status 127. Every entry
/// into a new child is an `extern "C"` function that calls this, so a panic anywhere below
/// aborts the child instead of unwinding into frames copied from, or shared with, the parent.
pub(crate) fn run(plan: &ChildPlan<'_>) -> ! {
    let failure = apply(plan);
    match plan.report {
        Report::Pipe(fd) => {
            let bytes = (&failure as *const Failure).cast::<c_void>();
            // SAFETY: `failure` is a live 8-byte value; a short or failed write only loses the
            // report, never memory safety. The raw system call, not glibc's cancellable write().
            unsafe { libc::syscall(libc::SYS_write, fd, bytes, size_of::<Failure>()) };
        }
        // SAFETY: the parent keeps this `Failure` alive and does not touch it until the child
        // has exited (it is suspended by CLONE_VFORK).
        Report::Shared(ptr) => unsafe { ptr.write_volatile(failure) },
        Report::Caller => {}
    }
    // SAFETY: _exit(2) is async-signal-safe and never returns; it skips atexit handlers, which
    // belong to the parent.
    unsafe { libc::_exit(127) }
}

/// Applies every step, then execs. Returns only on failure.
pub(crate) fn apply(plan: &ChildPlan<'_>) -> Failure {
    if let Err(f) = set_up(plan) {
        return f;
    }
    exec(plan)
}

fn check(step: Step, ret: i64) -> Result<(), Failure> {
    if ret == -1 {
        Err(failure(step, errno()))
    } else {
        Ok(())
    }
}

fn failure(step: Step, errno: c_int) -> Failure {
    Failure {
        step: step as u32,
        errno,
    }
}

fn errno() -> c_int {
    // SAFETY: __errno_location returns the calling thread's errno slot, always valid.
    unsafe { *libc::__errno_location() }
}

fn set_up(plan: &ChildPlan<'_>) -> Result<(), Failure> {
    for &procs in plan.cgroup_procs {
        // SAFETY: writes one byte from a static buffer to an fd the parent opened. The raw
        // system call: glibc's write() is a cancellation point, which would touch the parent
        // thread's cancellation state (its memory, under CLONE_VM).
        let n = unsafe { libc::syscall(libc::SYS_write, procs, b"0".as_ptr(), 1usize) };
        check(Step::Cgroup, n as i64)?;
    }
    if plan.setsid {
        // SAFETY: setsid(2) takes no arguments.
        check(Step::Setsid, unsafe { libc::setsid() } as i64)?;
    }
    if let Some(pgid) = plan.pgroup {
        // SAFETY: setpgid(2) on the calling process.
        check(Step::Setpgid, unsafe { libc::setpgid(0, pgid) } as i64)?;
    }
    install_fds(plan.fds)?;
    for (resource, limit) in plan.rlimits {
        // SAFETY: `limit` is a valid rlimit64; a null old-limit pointer is allowed.
        let ret =
            unsafe { libc::syscall(libc::SYS_prlimit64, 0, *resource, limit as *const _, 0usize) };
        check(Step::Rlimit, ret as i64)?;
    }
    set_credentials(plan)?;
    if !plan.cwd.is_null() {
        // SAFETY: `cwd` is a nul-terminated string the parent keeps alive.
        check(Step::Chdir, unsafe { libc::chdir(plan.cwd) } as i64)?;
    }
    set_signals(&plan.signals)?;
    run_hooks(plan)
}

/// Runs the `pre_exec` hooks in order; the first error ends the set-up.
fn run_hooks(plan: &ChildPlan<'_>) -> Result<(), Failure> {
    for i in 0..plan.hooks_len {
        // SAFETY: `hooks` points to `hooks_len` boxed hooks that the parent keeps alive and
        // does not touch while this child runs; this child has the only reference.
        let hook = unsafe { &mut *plan.hooks.add(i) };
        if let Err(error) = hook() {
            let errno = error.raw_os_error().unwrap_or(libc::EINVAL);
            // Not dropped: freeing a custom error would call the allocator here.
            std::mem::forget(error);
            return Err(failure(Step::PreExec, errno));
        }
    }
    Ok(())
}

fn install_fds(fds: &[FdMove]) -> Result<(), Failure> {
    for m in fds {
        let ret = if m.src == m.dst {
            // SAFETY: fcntl(2) on an fd the parent passed; clears FD_CLOEXEC.
            unsafe { libc::fcntl(m.src, libc::F_SETFD, 0) }
        } else {
            // SAFETY: dup2(2) between fds the parent prepared; the result is not close-on-exec.
            unsafe { libc::dup2(m.src, m.dst) }
        };
        check(Step::Fd, ret as i64)?;
    }
    Ok(())
}

fn set_credentials(plan: &ChildPlan<'_>) -> Result<(), Failure> {
    if matches!(plan.report, Report::Caller) {
        return set_credentials_of_every_thread(plan);
    }
    if let Some(groups) = plan.groups {
        // SAFETY: the slice is valid for its length; raw syscall so only this task changes.
        let ret = unsafe { libc::syscall(libc::SYS_setgroups, groups.len(), groups.as_ptr()) };
        check(Step::Setgroups, ret as i64)?;
    } else if plan.uid.is_some() {
        // Dropping root: forget its supplementary groups, unless we may not (no CAP_SETGID).
        // SAFETY: setgroups(0, NULL) clears the list of this task only.
        let ret = unsafe { libc::syscall(libc::SYS_setgroups, 0usize, 0usize) };
        if ret == -1 && errno() != libc::EPERM {
            return Err(failure(Step::Setgroups, errno()));
        }
    }
    if let Some(gid) = plan.gid {
        // SAFETY: raw setgid(2) of this task.
        let ret = unsafe { libc::syscall(libc::SYS_setgid, gid) };
        check(Step::Setgid, ret as i64)?;
    }
    if let Some(uid) = plan.uid {
        // SAFETY: raw setuid(2) of this task.
        let ret = unsafe { libc::syscall(libc::SYS_setuid, uid) };
        check(Step::Setuid, ret as i64)?;
    }
    Ok(())
}

/// For exec in place: glibc's wrappers, which change every thread of the process (a raw
/// system call changes only the calling one, and a failed exec would leave the process with
/// threads of different credentials).
fn set_credentials_of_every_thread(plan: &ChildPlan<'_>) -> Result<(), Failure> {
    if let Some(groups) = plan.groups {
        // SAFETY: the slice is valid for its length.
        let ret = unsafe { libc::setgroups(groups.len(), groups.as_ptr()) };
        check(Step::Setgroups, ret as i64)?;
    } else if plan.uid.is_some() {
        // SAFETY: an empty list; a null pointer is allowed with length 0.
        let ret = unsafe { libc::setgroups(0, std::ptr::null()) };
        if ret == -1 && errno() != libc::EPERM {
            return Err(failure(Step::Setgroups, errno()));
        }
    }
    if let Some(gid) = plan.gid {
        // SAFETY: setgid(3) takes a plain id.
        check(Step::Setgid, unsafe { libc::setgid(gid) } as i64)?;
    }
    if let Some(uid) = plan.uid {
        // SAFETY: setuid(3) takes a plain id.
        check(Step::Setuid, unsafe { libc::setuid(uid) } as i64)?;
    }
    Ok(())
}

fn set_signals(signals: &SignalPlan) -> Result<(), Failure> {
    if signals.dispositions != Dispositions::Keep {
        for sig in 1..=MAX_SIGNAL {
            if sig == libc::SIGKILL || sig == libc::SIGSTOP {
                continue;
            }
            reset_signal(sig, signals.dispositions)?;
        }
    }
    if signals.sigpipe_default && signals.dispositions != Dispositions::All {
        reset_signal(libc::SIGPIPE, Dispositions::All)?;
    }
    if let Some(mask) = &signals.mask {
        // SAFETY: `mask` is a valid sigset_t; the old-mask pointer may be null.
        let ret = unsafe { libc::sigprocmask(libc::SIG_SETMASK, mask, std::ptr::null_mut()) };
        check(Step::SignalMask, ret as i64)?;
    }
    Ok(())
}

/// The kernel's `struct sigaction` for the raw `rt_sigaction(2)` system call (x86-64 layout;
/// other architectures differ only in fields we leave zero).
#[repr(C)]
#[derive(Default)]
struct KernelSigaction {
    handler: usize,
    flags: u64,
    restorer: usize,
    mask: u64,
}

/// Sets `sig` to `SIG_DFL` if it is one of `which`. The raw system call, because glibc
/// refuses to touch the signals it reserves (32, 33), which an ignored disposition inherited
/// from a parent can still hold.
fn reset_signal(sig: c_int, which: Dispositions) -> Result<(), Failure> {
    let mut old = KernelSigaction::default();
    if which != Dispositions::All {
        // SAFETY: querying the current disposition into a valid, kernel-sized struct.
        let ret = unsafe { rt_sigaction(sig, std::ptr::null(), &mut old) };
        let ignored = old.handler == libc::SIG_IGN;
        let caught = old.handler != libc::SIG_DFL && !ignored;
        let chosen = match which {
            Dispositions::Caught => caught,
            Dispositions::Ignored => ignored,
            Dispositions::Keep | Dispositions::All => false,
        };
        if ret != 0 || !chosen {
            return Ok(());
        }
    }
    let default = KernelSigaction::default(); // handler 0 is SIG_DFL
    // SAFETY: installing SIG_DFL from a valid struct; the old-action pointer may be null.
    let ret = unsafe { rt_sigaction(sig, &default, std::ptr::null_mut()) };
    if ret != 0 {
        return Err(failure(Step::Signals, errno()));
    }
    Ok(())
}

/// Every signal disposition and the mask of the calling thread, to put back after a failed
/// exec in place.
pub(crate) struct SavedSignals {
    actions: [KernelSigaction; MAX_SIGNAL as usize + 1],
    mask: Option<sigset_t>,
}

impl SavedSignals {
    pub(crate) fn take() -> SavedSignals {
        let mut saved = SavedSignals {
            actions: std::array::from_fn(|_| KernelSigaction::default()),
            mask: None,
        };
        for (sig, action) in (1..=MAX_SIGNAL).zip(saved.actions.iter_mut().skip(1)) {
            // SAFETY: querying a disposition into a valid, kernel-sized struct.
            unsafe { rt_sigaction(sig, std::ptr::null(), action) };
        }
        // SAFETY: sigset_t is plain data; sigprocmask fills it.
        let mut mask: sigset_t = unsafe { std::mem::zeroed() };
        // SAFETY: a null new mask only reads the current one into `mask`.
        let ret = unsafe { libc::sigprocmask(libc::SIG_SETMASK, std::ptr::null(), &mut mask) };
        saved.mask = (ret == 0).then_some(mask);
        saved
    }

    pub(crate) fn restore(&self) {
        for (sig, action) in (1..=MAX_SIGNAL).zip(self.actions.iter().skip(1)) {
            if sig == libc::SIGKILL || sig == libc::SIGSTOP {
                continue;
            }
            // SAFETY: reinstalling exactly what the kernel reported (handler, flags, restorer).
            unsafe { rt_sigaction(sig, action, std::ptr::null_mut()) };
        }
        if let Some(mask) = &self.mask {
            // SAFETY: `mask` is a valid sigset_t; the old-mask pointer may be null.
            unsafe { libc::sigprocmask(libc::SIG_SETMASK, mask, std::ptr::null_mut()) };
        }
    }
}

/// `rt_sigaction(sig, act, old, 8)`: no glibc wrapper, no restorer needed for `SIG_DFL`.
unsafe fn rt_sigaction(sig: c_int, act: *const KernelSigaction, old: *mut KernelSigaction) -> i64 {
    // SAFETY: the caller passes valid or null pointers to kernel-layout structs.
    unsafe { libc::syscall(libc::SYS_rt_sigaction, sig, act, old, 8usize) as i64 }
}

/// `execve(2)` each candidate in turn with the rules of `execvp(3)`.
fn exec(plan: &ChildPlan<'_>) -> Failure {
    let envp = envp(plan);
    let mut last = libc::ENOENT;
    let mut denied = false;
    for &path in plan.candidates {
        // SAFETY: path, argv and envp are nul-terminated arrays/strings kept alive by the
        // parent; execve only returns on failure.
        unsafe { libc::execve(path, plan.argv, envp) };
        let e = errno();
        if e == libc::ENOEXEC && !plan.sh_argv.is_null() {
            return exec_shell(plan, path);
        }
        if !plan.search {
            return failure(Step::Exec, e);
        }
        if !search_goes_on(e) {
            return failure(Step::Exec, e);
        }
        denied |= e == libc::EACCES;
        last = e;
    }
    failure(Step::Exec, if denied { libc::EACCES } else { last })
}

/// The environment to exec with: the plan's copy, or the live one as it is now (after the
/// hooks), when the parent found no other thread that could be changing it.
fn envp(plan: &ChildPlan<'_>) -> *const *const c_char {
    if plan.envp.is_null() {
        super::environ::current()
    } else {
        plan.envp
    }
}

/// Whether a `PATH` search goes on to the next directory after this errno (glibc's list for
/// `execvp(3)`; `EACCES` is remembered, `ELOOP` and `ENAMETOOLONG` end the search).
pub(crate) const fn search_goes_on(errno: c_int) -> bool {
    matches!(
        errno,
        libc::EACCES | libc::ENOENT | libc::ENOTDIR | libc::ESTALE | libc::ENODEV | libc::ETIMEDOUT
    )
}

/// Runs a file that has no `#!` line with `/bin/sh`, as `execvp(3)` does.
fn exec_shell(plan: &ChildPlan<'_>, path: *const c_char) -> Failure {
    // SAFETY: the parent built `sh_argv` with at least three slots (shell, slot, NULL) and
    // keeps it alive; the child writes slot 1 only, while the parent cannot look at it.
    unsafe {
        plan.sh_argv.add(1).write(path);
        libc::execve(SHELL.as_ptr().cast(), plan.sh_argv.cast_const(), envp(plan));
    }
    failure(Step::Exec, errno())
}
