//! What the exec child does before it execs the probe: it re-creates, in itself, the state
//! that a fork child does not inherit (timers, a record lock, memory regions and a memory
//! lock, the parent-death signal, a pending signal, used CPU time, a second thread), so that
//! the exec column compares one process with itself across `execve`.

use super::marks;
use super::plan::{LOCKED_BYTE, PENDING_SIGNAL, Plan};
use super::setup::{Notes, Round};
use crate::sys;
use std::io;

/// Prepares the calling process (a fork child of the subject) and returns the plan that
/// describes it.
pub(crate) fn prepare(round: Round, subject: &Plan) -> io::Result<Plan> {
    let mut plan = *subject;
    let mut notes = Notes::new();
    plan.timer_id = marks::timers(round, &mut notes);
    plan.locked_byte = LOCKED_BYTE + 1;
    sys::locks::lock_byte(plan.lock_fd, plan.locked_byte)?;
    marks::memory(&mut plan, &mut notes)?;
    let death = Some(rustix::process::Signal::POWER);
    rustix::process::set_parent_process_death_signal(death)?;
    sys::signals::raise_in_process(PENDING_SIGNAL)?;
    marks::burn_cpu();
    // A second thread, which the exec must destroy; it parks until then.
    std::thread::spawn(|| {
        loop {
            std::thread::park();
        }
    });
    // A step that failed leaves the mark unset: the judge then skips that row with a reason.
    drop(notes);
    Ok(plan)
}
