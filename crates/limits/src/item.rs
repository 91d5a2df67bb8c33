//! The items of limits.conf(5): what each one limits, in which unit the file gives it, and how
//! pam_limits turns the written number into what it sets.

use serde::Serialize;
use std::fmt;

/// One `<item>` of a limits.conf line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Item {
    /// `RLIMIT_CORE`, written in KiB.
    Core,
    /// `RLIMIT_DATA`, written in KiB.
    Data,
    /// `RLIMIT_FSIZE`, written in KiB.
    Fsize,
    /// `RLIMIT_MEMLOCK`, written in KiB.
    Memlock,
    /// `RLIMIT_NOFILE`, descriptors.
    Nofile,
    /// `RLIMIT_RSS`, written in KiB (the kernel ignores it).
    Rss,
    /// `RLIMIT_STACK`, written in KiB.
    Stack,
    /// `RLIMIT_CPU`, written in minutes.
    Cpu,
    /// `RLIMIT_NPROC`, processes.
    Nproc,
    /// `RLIMIT_AS`, written in KiB.
    As,
    /// Logins of this user (or of a `%group`); not a kernel limit.
    Maxlogins,
    /// Logins on the whole system; not a kernel limit.
    Maxsyslogins,
    /// `prctl(PR_SET_NO_NEW_PRIVS)` when 1; not a kernel limit.
    Nonewprivs,
    /// The nice value the session starts with (`setpriority`); not a kernel limit.
    Priority,
    /// `RLIMIT_LOCKS`, file locks.
    Locks,
    /// `RLIMIT_SIGPENDING`, queued signals.
    Sigpending,
    /// `RLIMIT_MSGQUEUE`, bytes (not KiB).
    Msgqueue,
    /// `RLIMIT_NICE`, written as a nice value -20..19 and set as `20 - nice`.
    Nice,
    /// `RLIMIT_RTPRIO`, a real-time priority.
    Rtprio,
    /// `RLIMIT_RTTIME`, microseconds (upstream knows it; the man page does not list it).
    Rttime,
    /// Debian only: the directory to chroot the session into (a path, not a number).
    Chroot,
}

/// How pam_limits reads the value of an item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    /// An rlimit: `strtoull`, or `-1`/`-`/`unlimited`/`infinity`.
    Rlimit,
    /// `strtol` clamped to `int`; `unlimited` and friends too, except for priority and nice.
    Int,
    /// Exactly `0` or `1`.
    Flag,
    /// A path, taken as written (after lowercasing, as every value).
    Path,
}

impl Item {
    /// Every item, in the order `forklab limits show` lists them.
    pub const ALL: [Item; 21] = [
        Item::Core,
        Item::Data,
        Item::Fsize,
        Item::Memlock,
        Item::Nofile,
        Item::Rss,
        Item::Stack,
        Item::Cpu,
        Item::Nproc,
        Item::As,
        Item::Maxlogins,
        Item::Maxsyslogins,
        Item::Nonewprivs,
        Item::Priority,
        Item::Locks,
        Item::Sigpending,
        Item::Msgqueue,
        Item::Nice,
        Item::Rtprio,
        Item::Rttime,
        Item::Chroot,
    ];

    /// The name in the file.
    pub fn name(self) -> &'static str {
        match self {
            Item::Core => "core",
            Item::Data => "data",
            Item::Fsize => "fsize",
            Item::Memlock => "memlock",
            Item::Nofile => "nofile",
            Item::Rss => "rss",
            Item::Stack => "stack",
            Item::Cpu => "cpu",
            Item::Nproc => "nproc",
            Item::As => "as",
            Item::Maxlogins => "maxlogins",
            Item::Maxsyslogins => "maxsyslogins",
            Item::Nonewprivs => "nonewprivs",
            Item::Priority => "priority",
            Item::Locks => "locks",
            Item::Sigpending => "sigpending",
            Item::Msgqueue => "msgqueue",
            Item::Nice => "nice",
            Item::Rtprio => "rtprio",
            Item::Rttime => "rttime",
            Item::Chroot => "chroot",
        }
    }

    /// The item named `name` (already lowercased, as pam_limits compares it), if `dialect`
    /// knows it: `chroot` is Debian's own, and `rttime` came to upstream after the 1.5 that
    /// Debian ships (Debian 12's `pam_limits.so` has no such string, and skips the line).
    pub fn from_name(name: &str, dialect: crate::Dialect) -> Option<Item> {
        let item = Item::ALL.into_iter().find(|i| i.name() == name)?;
        let known = match item {
            Item::Chroot => dialect == crate::Dialect::Debian,
            Item::Rttime => dialect == crate::Dialect::Upstream,
            _ => true,
        };
        known.then_some(item)
    }

    /// How the value is read.
    pub fn value_kind(self) -> ValueKind {
        match self {
            Item::Maxlogins | Item::Maxsyslogins | Item::Priority | Item::Nice => ValueKind::Int,
            Item::Nonewprivs => ValueKind::Flag,
            Item::Chroot => ValueKind::Path,
            _ => ValueKind::Rlimit,
        }
    }

    /// Whether the item is a kernel resource limit with a soft and a hard value, each kept
    /// with the precedence of the line that set it.
    pub fn is_rlimit(self) -> bool {
        self == Item::Nice || self.value_kind() == ValueKind::Rlimit
    }

    /// What the file's number is multiplied by to get the kernel's unit (`process_limit`:
    /// minutes to seconds for cpu, KiB to bytes for the seven size items).
    pub fn scale(self) -> u64 {
        match self {
            Item::Cpu => 60,
            Item::Core
            | Item::Data
            | Item::Fsize
            | Item::Memlock
            | Item::Rss
            | Item::Stack
            | Item::As => 1024,
            _ => 1,
        }
    }

    /// The unit of the effective value (what pam_limits hands the kernel).
    pub fn unit(self) -> &'static str {
        match self {
            Item::Core
            | Item::Data
            | Item::Fsize
            | Item::Memlock
            | Item::Rss
            | Item::Stack
            | Item::As
            | Item::Msgqueue => "bytes",
            Item::Cpu => "seconds",
            Item::Nofile => "files",
            Item::Nproc => "processes",
            Item::Maxlogins | Item::Maxsyslogins => "logins",
            Item::Nonewprivs => "0 or 1",
            Item::Priority => "nice value",
            Item::Locks => "locks",
            Item::Sigpending => "signals",
            Item::Nice => "20 - nice",
            Item::Rtprio => "priority",
            Item::Rttime => "microseconds",
            Item::Chroot => "path",
        }
    }
}

impl fmt::Display for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
