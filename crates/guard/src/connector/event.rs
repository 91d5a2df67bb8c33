//! What the process connector reports: [`Event`] and its [`EventKind`]s, with the helpers
//! a guard that counts processes (not threads) needs.

use serde::Serialize;

/// A process id as the kernel reports it (`__kernel_pid_t`).
pub type Pid = i32;

/// One process-connector event (`struct proc_event`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Event {
    /// The connector's sequence number (`cn_msg.seq`): the kernel's count of messages sent
    /// from this CPU, acks included (a filter or a lost message leaves gaps).
    pub seq: u32,
    /// The CPU that reported it (`u32::MAX` for an ack).
    pub cpu: u32,
    /// `ktime_get_ns()` when it was reported: nanoseconds of `CLOCK_MONOTONIC`.
    pub timestamp_ns: u64,
    /// What happened.
    pub kind: EventKind,
}

/// What happened (`proc_event.what` and its part of the `event_data` union). Every `pid` is
/// a task (thread) id, every `tgid` the id of its process (thread group).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    /// `PROC_EVENT_NONE`: the answer to a subscription request; `err` is an errno, 0 for
    /// success, `ack` the request's `cn_msg.ack` plus one.
    Ack {
        /// 0, or the positive errno of the failure.
        err: u32,
        /// The request's `cn_msg.ack` plus one.
        ack: u32,
    },
    /// `PROC_EVENT_FORK`: a new task; a thread when `child_pid != child_tgid`.
    Fork {
        /// The task that forked.
        parent_pid: Pid,
        /// Its process.
        parent_tgid: Pid,
        /// The new task.
        child_pid: Pid,
        /// The new task's process (`child_pid` itself for a new process).
        child_tgid: Pid,
    },
    /// `PROC_EVENT_EXEC`: a successful execve.
    Exec {
        /// The task.
        pid: Pid,
        /// Its process.
        tgid: Pid,
    },
    /// `PROC_EVENT_UID`: the real or effective user id changed.
    Uid {
        /// The task.
        pid: Pid,
        /// Its process.
        tgid: Pid,
        /// New real uid (as seen from the initial user namespace).
        ruid: u32,
        /// New effective uid.
        euid: u32,
    },
    /// `PROC_EVENT_GID`: the real or effective group id changed.
    Gid {
        /// The task.
        pid: Pid,
        /// Its process.
        tgid: Pid,
        /// New real gid.
        rgid: u32,
        /// New effective gid.
        egid: u32,
    },
    /// `PROC_EVENT_SID`: the task started a new session (setsid).
    Sid {
        /// The task.
        pid: Pid,
        /// Its process.
        tgid: Pid,
    },
    /// `PROC_EVENT_PTRACE`: attached (tracer ids) or detached (tracer ids 0).
    Ptrace {
        /// The traced task.
        pid: Pid,
        /// Its process.
        tgid: Pid,
        /// The tracer, 0 on detach.
        tracer_pid: Pid,
        /// The tracer's process, 0 on detach.
        tracer_tgid: Pid,
    },
    /// `PROC_EVENT_COMM`: the task's name changed (exec, `prctl(PR_SET_NAME)`).
    Comm {
        /// The task.
        pid: Pid,
        /// Its process.
        tgid: Pid,
        /// The new name, NUL-padded (see [`EventKind::comm`]).
        comm: [u8; 16],
    },
    /// `PROC_EVENT_COREDUMP`: the task dumped core.
    Coredump {
        /// The task.
        pid: Pid,
        /// Its process.
        tgid: Pid,
        /// Its parent task (0 if it had none left).
        parent_pid: Pid,
        /// The parent's process.
        parent_tgid: Pid,
    },
    /// `PROC_EVENT_EXIT`: a task exited; the process ended when `pid == tgid`.
    Exit {
        /// The task.
        pid: Pid,
        /// Its process.
        tgid: Pid,
        /// `task->exit_code`: a wait status (exit status `<< 8`, or the signal number).
        exit_code: u32,
        /// The signal its parent gets (`SIGCHLD`, or -1 as `u32` for a thread).
        exit_signal: u32,
        /// Its parent task (0 if it had none left).
        parent_pid: Pid,
        /// The parent's process.
        parent_tgid: Pid,
    },
    /// A `what` this decoder does not know (a newer kernel); not an error.
    Other {
        /// The raw `proc_event.what`.
        what: u32,
    },
}

impl EventKind {
    /// Whether the event is about a thread rather than a whole process: a fork that made a
    /// thread (`child_pid != child_tgid`), or any other event whose `pid != tgid`. A guard
    /// that counts processes skips these.
    pub fn is_thread(&self) -> bool {
        match *self {
            EventKind::Fork {
                child_pid,
                child_tgid,
                ..
            } => child_pid != child_tgid,
            _ => self.task().is_some_and(|(pid, tgid)| pid != tgid),
        }
    }

    /// The task the event is about and its process, `(pid, tgid)`: the child for a fork;
    /// `None` for an ack or an unknown kind.
    pub fn task(&self) -> Option<(Pid, Pid)> {
        match *self {
            EventKind::Fork {
                child_pid,
                child_tgid,
                ..
            } => Some((child_pid, child_tgid)),
            EventKind::Exec { pid, tgid }
            | EventKind::Uid { pid, tgid, .. }
            | EventKind::Gid { pid, tgid, .. }
            | EventKind::Sid { pid, tgid }
            | EventKind::Ptrace { pid, tgid, .. }
            | EventKind::Comm { pid, tgid, .. }
            | EventKind::Coredump { pid, tgid, .. }
            | EventKind::Exit { pid, tgid, .. } => Some((pid, tgid)),
            EventKind::Ack { .. } | EventKind::Other { .. } => None,
        }
    }

    /// The name of a [`EventKind::Comm`] event up to its first NUL, else `None`.
    pub fn comm(&self) -> Option<&[u8]> {
        match self {
            EventKind::Comm { comm, .. } => {
                let end = comm.iter().position(|&b| b == 0).unwrap_or(comm.len());
                Some(&comm[..end])
            }
            _ => None,
        }
    }
}
