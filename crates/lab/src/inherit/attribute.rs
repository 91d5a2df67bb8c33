//! The attributes measured, in the order of the table, each with what the documentation says
//! happens to it: the expectations stored beside every measurement.
//!
//! Sources are the Linux man pages (fork(2), execve(2), and the page of the call that sets
//! the attribute), POSIX `fork()`, and, where the pages are silent, the kernel source. The
//! `posix_spawn` expectation is derived: a `posix_spawn` child is created as if by `fork`
//! and then execs, so it keeps what both keep ([`combine`]).

use super::Value::{self, No, Shared, Yes};

/// One attribute and what the documentation expects of it.
#[derive(Clone, Copy, Debug)]
pub struct Attribute {
    /// The key used in JSON and in `--only`.
    pub key: &'static str,
    /// A human name, as in TLPI's table.
    pub name: &'static str,
    /// Expected in a `fork` child.
    pub fork: Value,
    /// Expected across `execve` in the same process.
    pub exec: Value,
    /// Expected in a `CLONE_VM|CLONE_VFORK` child before it execs; `None`: not measured there.
    pub vfork: Option<Value>,
    /// Whether the `posix_spawn` column is measured.
    pub posix_spawn: bool,
    /// Where the expectation comes from.
    pub source: &'static str,
}

impl Attribute {
    /// The expected `posix_spawn` value, when that column is measured.
    pub fn expected_posix_spawn(&self) -> Option<Value> {
        self.posix_spawn.then(|| combine(self.fork, self.exec))
    }
}

/// What a child created by fork-then-exec keeps: nothing that either step drops; a shared
/// object stays shared if exec keeps it.
pub fn combine(fork: Value, exec: Value) -> Value {
    match (fork, exec) {
        (Value::Skipped, _) | (_, Value::Skipped) => Value::Skipped,
        (No, _) | (_, No) => No,
        (Shared, _) | (_, Shared) => Shared,
        (Yes, Yes) => Yes,
    }
}

const fn row(
    key: &'static str,
    name: &'static str,
    (fork, exec, vfork): (Value, Value, Option<Value>),
    source: &'static str,
) -> Attribute {
    Attribute {
        key,
        name,
        fork,
        exec,
        vfork,
        posix_spawn: true,
        source,
    }
}

const fn no_spawn(mut a: Attribute) -> Attribute {
    a.posix_spawn = false;
    a
}

const KEPT: (Value, Value, Option<Value>) = (Yes, Yes, Some(Yes));

/// Every attribute, in table order.
#[rustfmt::skip]
pub const ATTRIBUTES: &[Attribute] = &[
    row("pid", "Process ID", (No, Yes, Some(No)), "fork(2): the child has its own unique process ID; execve(2): unchanged"),
    row("ppid", "Parent process ID", (No, Yes, Some(No)), "fork(2): the child's parent process ID is the parent's process ID"),
    row("pgid", "Process group ID", KEPT, "POSIX fork(): the child is in the parent's process group; execve(2) keeps it"),
    row("sid", "Session ID", KEPT, "POSIX fork(): the child is in the parent's session; execve(2) keeps it"),
    row("real_uid", "Real user ID", KEPT, "credentials(7): inherited by fork, preserved across execve"),
    row("supplementary_groups", "Supplementary group IDs", KEPT, "credentials(7): inherited by fork, preserved across execve"),
    no_spawn(row("setuid_exec_euid", "Effective UID (exec of set-user-ID file)", (Yes, No, None), "execve(2): a set-user-ID file makes the effective user ID its owner")),
    no_spawn(row("setuid_exec_saved_uid", "Saved set-user-ID (exec of set-user-ID file)", (Yes, No, None), "execve(2): the effective user ID is copied to the saved set-user-ID")),
    row("open_fds", "Open file descriptors", KEPT, "fork(2): the child inherits copies of the descriptors; execve(2) keeps them"),
    row("cloexec_fds", "Close-on-exec descriptors", (Yes, No, Some(Yes)), "execve(2): descriptors marked close-on-exec are closed"),
    row("file_offsets", "File offsets", (Shared, Yes, Some(Shared)), "fork(2): the descriptors share open file descriptions, so offsets are shared"),
    row("cwd", "Current working directory", KEPT, "fork(2)/execve(2): inherited and preserved"),
    row("root_dir", "Root directory", KEPT, "fork(2)/execve(2): inherited and preserved"),
    row("umask", "File mode creation mask", KEPT, "umask(2): inherited by fork, preserved across execve"),
    row("environment", "Environment", (Yes, Yes, None), "execve(2): the new program gets envp; exec functions without 'e' pass environ"),
    row("handled_signal_dispositions", "Signal dispositions: handled", (Yes, No, Some(Yes)), "execve(2): dispositions of caught signals are reset to the default"),
    row("ignored_signal_dispositions", "Signal dispositions: ignored", KEPT, "execve(2): ignored signals stay ignored"),
    row("signal_mask", "Signal mask", KEPT, "fork(2): inherited; execve(2): preserved"),
    row("pending_signals", "Pending signals", (No, Yes, Some(No)), "fork(2): the child's pending set is empty; execve(2): preserved"),
    row("alt_signal_stack", "Alternate signal stack", (Yes, No, Some(Yes)), "sigaltstack(2): inherited by fork; execve(2): not preserved"),
    row("alarm", "alarm() timer", (No, Yes, Some(No)), "alarm(2): not inherited by fork, preserved across execve"),
    row("itimer_real", "Interval timer (ITIMER_REAL)", (No, Yes, Some(No)), "setitimer(2): not inherited by fork, preserved across execve"),
    row("posix_timers", "POSIX timers", (No, No, Some(No)), "fork(2): not inherited; execve(2): not preserved"),
    row("rlimits", "Resource limits", KEPT, "getrlimit(2): inherited by fork, preserved across execve"),
    row("nice", "Nice value", KEPT, "sched(7): inherited by fork, preserved across execve"),
    row("sched_policy", "Scheduling policy", KEPT, "sched(7): inherited by fork (no SCHED_RESET_ON_FORK), preserved across execve"),
    row("cpu_affinity", "CPU affinity mask", KEPT, "sched_setaffinity(2): inherited by fork, preserved across execve"),
    row("fcntl_locks", "Record locks (fcntl)", (No, Yes, Some(No)), "fork(2): record locks are not inherited; fcntl(2): preserved across execve"),
    row("flock_locks", "flock() locks", (Shared, Yes, Some(Shared)), "flock(2): the lock belongs to the open file description, which the child shares"),
    row("memory_locks", "Memory locks (mlock)", (No, No, None), "fork(2): memory locks are not inherited; execve(2): not preserved"),
    row("private_mappings", "Private mappings (contents)", (Yes, No, Some(Shared)), "fork(2): a copy-on-write copy; execve(2): a new address space; vfork: the same memory"),
    row("madv_dontfork", "MADV_DONTFORK mappings", (No, No, Some(Shared)), "madvise(2): not made available to a fork child"),
    row("madv_wipeonfork", "MADV_WIPEONFORK mappings (contents)", (No, No, Some(Shared)), "madvise(2): zero-filled in a fork child; the setting is cleared by execve"),
    row("pdeathsig", "Parent-death signal", (No, Yes, Some(No)), "prctl(2): cleared in a fork child, preserved across execve (not set-ID ones)"),
    row("no_new_privs", "no_new_privs flag", KEPT, "prctl(2): inherited by fork and clone, preserved across execve"),
    row("dumpable", "Dumpable flag", (Yes, No, Some(Shared)), "prctl(2) is silent on a plain execve; fs/exec.c begin_new_exec() sets a new mm dumpable; the flag lives in the mm"),
    row("timer_slack", "Timer slack", KEPT, "prctl(2): a new thread takes its creator's timer slack; execve keeps it"),
    row("cpu_times", "CPU times", (No, Yes, Some(No)), "fork(2): the child's CPU times are reset to zero; execve keeps them"),
    row("threads", "Other threads", (No, No, Some(No)), "fork(2): the child has only the calling thread; execve(2): other threads are destroyed"),
    row("exit_handlers", "atexit() handlers", (Yes, No, None), "atexit(3): a fork child inherits the registrations; exec removes them"),
];

/// The attribute with this key.
pub fn find(key: &str) -> Option<&'static Attribute> {
    ATTRIBUTES.iter().find(|a| a.key == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_cover_the_issue() {
        let issue = "pid ppid pgid sid real_uid supplementary_groups setuid_exec_euid \
            setuid_exec_saved_uid open_fds cloexec_fds file_offsets cwd root_dir umask \
            environment handled_signal_dispositions ignored_signal_dispositions signal_mask \
            pending_signals alt_signal_stack alarm itimer_real posix_timers rlimits nice \
            sched_policy cpu_affinity fcntl_locks flock_locks memory_locks private_mappings \
            madv_dontfork madv_wipeonfork pdeathsig no_new_privs dumpable timer_slack \
            cpu_times threads exit_handlers";
        for key in issue.split_whitespace() {
            assert!(find(key).is_some(), "{key} is missing");
        }
        let mut keys: Vec<_> = ATTRIBUTES.iter().map(|a| a.key).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), ATTRIBUTES.len());
    }

    #[test]
    fn posix_spawn_is_fork_then_exec() {
        assert_eq!(combine(Yes, Yes), Yes);
        assert_eq!(combine(Yes, No), No);
        assert_eq!(combine(No, Yes), No);
        assert_eq!(combine(Shared, Yes), Shared);
        assert_eq!(combine(Shared, No), No);
        let expect = |key| find(key).unwrap().expected_posix_spawn();
        assert_eq!(expect("pending_signals"), Some(No));
        assert_eq!(expect("file_offsets"), Some(Shared));
        assert_eq!(expect("handled_signal_dispositions"), Some(No));
        assert_eq!(expect("setuid_exec_euid"), None);
    }

    #[test]
    fn the_article_s_claims_are_the_expectations() {
        // "A child created via fork() initially has an empty pending signal set; the pending
        // signal set is preserved across an execve()."
        let pending = find("pending_signals").unwrap();
        assert_eq!((pending.fork, pending.exec), (No, Yes));
        // "During an execve(), the dispositions of handled signals are reset to the default;
        // the dispositions of ignored signals are left unchanged."
        assert_eq!(find("handled_signal_dispositions").unwrap().exec, No);
        assert_eq!(find("ignored_signal_dispositions").unwrap().exec, Yes);
    }
}
