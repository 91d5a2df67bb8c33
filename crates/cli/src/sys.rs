//! The command's only `unsafe` code: taking over the descriptor that a parent forklab hands
//! to its probe (the children of `inherit` and `exec-limits`) for the report.

use std::fs::File;
use std::io;

/// The report descriptor named on the probe's command line (or in its environment).
pub(crate) fn report_channel(fd: i32) -> io::Result<File> {
    // SAFETY: the probe runs only as the child of forklab's own `inherit` or `exec-limits`,
    // which open this descriptor for it and pass its number; nothing else in this process
    // owns it, and each probe takes it once, here, before writing its one report.
    unsafe { forklab_lab::inherit::probe::report_channel(fd) }
}
