//! CMD's status as init's exit code: the shell's convention, and tini's.

use forklab_spawn::WaitStatus;

/// The exit code for CMD's status: its own code; `128 + n` when signal `n` killed it (init
/// exits with that code, it does not kill itself with the signal, as tini); then any code in
/// `success` (tini's `-e`) becomes 0.
pub fn exit_code(status: WaitStatus, success: &[u8]) -> u8 {
    let code = match status {
        WaitStatus::Exited(code) => code & 0xff,
        WaitStatus::Signaled { signal, .. } => (128 + signal.as_raw()) & 0xff,
        // Never the status of a reaped child; counted as a failure rather than guessed.
        _ => 1,
    } as u8;
    if success.contains(&code) { 0 } else { code }
}

#[cfg(test)]
mod tests {
    use super::*;
    use forklab_spawn::Signal;

    fn killed(signal: Signal) -> WaitStatus {
        WaitStatus::Signaled {
            signal,
            core_dumped: false,
        }
    }

    #[test]
    fn codes_signals_and_remapping() {
        assert_eq!(exit_code(WaitStatus::Exited(0), &[]), 0);
        assert_eq!(exit_code(WaitStatus::Exited(3), &[]), 3);
        assert_eq!(exit_code(WaitStatus::Exited(3), &[3]), 0);
        assert_eq!(exit_code(killed(Signal::TERM), &[]), 143);
        assert_eq!(exit_code(killed(Signal::TERM), &[143]), 0);
        assert_eq!(exit_code(killed(Signal::KILL), &[143]), 137);
        assert_eq!(exit_code(killed(Signal::new(64).unwrap()), &[]), 192);
    }
}
