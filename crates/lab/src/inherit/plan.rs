//! What the subject process set up, in a form a child can check: descriptor numbers,
//! addresses, the timer ID, the marked signals. The probe receives it as JSON on its command
//! line. This module only describes; `setup` makes it true.

use serde::{Deserialize, Serialize};

/// The signal given a (do-nothing) handler: `handled_signal_dispositions`.
pub const HANDLED_SIGNAL: i32 = libc::SIGUSR1;
/// The signal set to `SIG_IGN`: `ignored_signal_dispositions`.
pub const IGNORED_SIGNAL: i32 = libc::SIGUSR2;
/// The signal blocked in the mask: `signal_mask` (ignored by default, so harmless).
pub const MASKED_SIGNAL: i32 = libc::SIGURG;
/// The signal blocked and then sent, so that it stays pending: `pending_signals`.
pub const PENDING_SIGNAL: i32 = libc::SIGWINCH;
/// The parent-death signal: `pdeathsig`.
pub const DEATH_SIGNAL: i32 = libc::SIGPWR;
/// The environment variable set in the subject: `environment`.
pub const ENV_KEY: &str = "FORKLAB_INHERIT_MARK";
/// Where a child moves the shared file offset after reporting it.
pub const MOVED_OFFSET: u64 = 4321;
/// The file offset the subject sets.
pub const OFFSET: u64 = 1234;
/// The byte of the lock file the subject locks with `fcntl`; an exec child locks the next.
pub const LOCKED_BYTE: u64 = 0;
/// The timer slack the subject sets, in nanoseconds.
pub const TIMER_SLACK_NS: u64 = 123_457;
/// Size of the alternate signal stack the subject installs (an unusual size, so that the
/// one the Rust runtime installs after an exec cannot be mistaken for it).
pub const ALTSTACK_SIZE: u64 = 3 * 65536 + 4096;

/// The three one-page mappings, in this order: an ordinary private one, one advised
/// `MADV_DONTFORK`, one advised `MADV_WIPEONFORK`.
pub const REGIONS: usize = 3;

/// What a child needs to know to report on the subject's distinctive state. Plain data
/// (no heap), so that a `CLONE_VM` child can read it too.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// Open, not close-on-exec: `open_fds`.
    pub plain_fd: i32,
    /// Open, close-on-exec: `cloexec_fds`.
    pub cloexec_fd: i32,
    /// A file whose offset the subject set to [`OFFSET`]: `file_offsets`.
    pub offset_fd: i32,
    /// A file the subject holds an `flock` on, through this descriptor: `flock_locks`.
    pub flock_fd: i32,
    /// A file the subject holds an `fcntl` lock on: `fcntl_locks`.
    pub lock_fd: i32,
    /// The byte the process that set up this plan locked.
    pub locked_byte: u64,
    /// The POSIX timer the process that set up this plan created: `posix_timers`.
    pub timer_id: Option<i32>,
    /// Addresses of the three mappings.
    pub regions: [u64; REGIONS],
    /// The word stored at the start of each.
    pub magic: [u64; REGIONS],
    /// A value unique to this run for [`ENV_KEY`].
    pub env_value: u64,
    /// Whether the reporting child moves shared state afterwards (the offset, the `flock`,
    /// the private mapping), so that the subject can tell "shared" from "copied".
    pub moves: bool,
}
