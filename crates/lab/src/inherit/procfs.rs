//! Parsers for the `/proc` files the probe reads: `/proc/self/status` and `/proc/locks`.
//! Pure functions on strings, so they are tested without a kernel.

/// The value in KiB of a `Name:   123 kB` line of `/proc/PID/status`.
pub(crate) fn status_kib(status: &str, name: &str) -> Option<u64> {
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(name)?.strip_prefix(':')?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

/// A file as `/proc/locks` names it: device major and minor, inode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LockedFile {
    pub major: u32,
    pub minor: u32,
    pub ino: u64,
}

/// The pids holding a POSIX (`fcntl`) record lock on `file`, from `/proc/locks`. Lines look
/// like `1: POSIX  ADVISORY  WRITE 1234 fd:01:5678 0 0` (device in hex); waiters (`->`) hold
/// nothing and are skipped, and so are OFD locks, which belong to no process.
pub(crate) fn posix_lock_holders(locks: &str, file: LockedFile) -> Vec<i32> {
    locks
        .lines()
        .filter_map(|line| holder(line, file))
        .collect()
}

fn holder(line: &str, file: LockedFile) -> Option<i32> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    if fields.get(1) != Some(&"POSIX") {
        return None;
    }
    let at = fields.iter().position(|f| f.matches(':').count() == 2)?;
    if parse_file(fields.get(at)?)? != file {
        return None;
    }
    fields.get(at.checked_sub(1)?)?.parse().ok()
}

fn parse_file(field: &str) -> Option<LockedFile> {
    let mut parts = field.split(':');
    let major = u32::from_str_radix(parts.next()?, 16).ok()?;
    let minor = u32::from_str_radix(parts.next()?, 16).ok()?;
    let ino = parts.next()?.parse().ok()?;
    Some(LockedFile { major, minor, ino })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_values() {
        let status = "Name:\tforklab\nVmLck:\t       8 kB\nVmPin:\t 0 kB\n";
        assert_eq!(status_kib(status, "VmLck"), Some(8));
        assert_eq!(status_kib(status, "VmPin"), Some(0));
        assert_eq!(status_kib(status, "VmRSS"), None);
        assert_eq!(status_kib("VmLckX:\t3 kB\n", "VmLck"), None);
    }

    #[test]
    fn posix_lock_lines() {
        let locks = "1: POSIX  ADVISORY  WRITE 4242 fd:01:5678 0 0\n\
                     1: -> POSIX  ADVISORY  WRITE 4343 fd:01:5678 0 0\n\
                     2: FLOCK  ADVISORY  WRITE 4444 fd:01:5678 0 EOF\n\
                     3: OFDLCK ADVISORY  READ  -1 fd:01:5678 0 EOF\n\
                     4: POSIX  ADVISORY  READ  4545 fd:01:9999 10 10\n\
                     5: POSIX  ADVISORY  WRITE 4646 fd:01:5678 10 10\n";
        let file = LockedFile {
            major: 0xfd,
            minor: 1,
            ino: 5678,
        };
        assert_eq!(posix_lock_holders(locks, file), vec![4242, 4646]);
        assert!(posix_lock_holders("", file).is_empty());
    }
}
