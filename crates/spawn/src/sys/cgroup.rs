//! The cgroup a child is to start in: its directory, opened before the child exists, and
//! which hierarchy it belongs to.
//!
//! On cgroup v2 the directory itself is what `clone3(CLONE_INTO_CGROUP)` takes (Linux 5.7):
//! the kernel creates the child inside the group, so it is never counted in the parent's, not
//! even for the moment between its birth and a write to `cgroup.procs`. v1 has no such flag;
//! there (and where `clone3` cannot be used) the child writes its own pid, "0", into
//! `cgroup.procs` as its first act. That file is opened here too, so the child only writes.

use super::cvt;
use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// `CGROUP2_SUPER_MAGIC` from `linux/magic.h`: the file system type of a cgroup v2 mount.
const CGROUP2_SUPER_MAGIC: i64 = 0x6367_7270;

/// An opened cgroup directory.
#[derive(Debug)]
pub(crate) struct Cgroup {
    dir: OwnedFd,
    procs: OwnedFd,
    v2: bool,
}

impl Cgroup {
    /// Opens `dir` and its `cgroup.procs` for writing, and tells v2 from v1 by `fstatfs`.
    pub(crate) fn open(dir: &Path) -> io::Result<Cgroup> {
        let path = CString::new(dir.as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a cgroup path with a NUL"))?;
        let flags = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC;
        // SAFETY: a nul-terminated path; the result is checked.
        let dir = cvt(unsafe { libc::open(path.as_ptr(), flags) })?;
        // SAFETY: the kernel returned a new descriptor that nothing else owns.
        let dir = unsafe { OwnedFd::from_raw_fd(dir) };
        let flags = libc::O_WRONLY | libc::O_CLOEXEC;
        // SAFETY: a valid directory descriptor and a nul-terminated name.
        let procs = cvt(unsafe { libc::openat(dir.as_raw_fd(), c"cgroup.procs".as_ptr(), flags) })?;
        // SAFETY: as above.
        let procs = unsafe { OwnedFd::from_raw_fd(procs) };
        // SAFETY: statfs is plain data that fstatfs fills.
        let mut fs: libc::statfs = unsafe { std::mem::zeroed() };
        // SAFETY: a valid descriptor and a valid pointer.
        cvt(unsafe { libc::fstatfs(dir.as_raw_fd(), &mut fs) })?;
        let v2 = fs.f_type as i64 == CGROUP2_SUPER_MAGIC;
        Ok(Cgroup { dir, procs, v2 })
    }

    /// On the unified (v2) hierarchy.
    pub(crate) fn is_v2(&self) -> bool {
        self.v2
    }

    /// The directory, for `CLONE_INTO_CGROUP`.
    pub(crate) fn dir(&self) -> RawFd {
        self.dir.as_raw_fd()
    }

    /// `cgroup.procs`, open for writing.
    pub(crate) fn procs(&self) -> RawFd {
        self.procs.as_raw_fd()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    /// Where cgroup v2 is mounted, when the tests run as root (to create groups there).
    pub(crate) fn v2_root_as_root() -> Option<std::path::PathBuf> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return None;
        }
        let info = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
        info.lines().find_map(|line| {
            let (left, right) = line.split_once(" - ")?;
            let mount = left.split(' ').nth(4)?;
            (right.split(' ').next() == Some("cgroup2")).then(|| mount.into())
        })
    }

    #[test]
    fn v1_and_v2_are_told_apart() {
        let Some(v2) = v2_root_as_root() else {
            return;
        };
        assert!(super::Cgroup::open(&v2).unwrap().is_v2());
        let v1 = std::path::Path::new("/sys/fs/cgroup/pids");
        if v1.join("cgroup.procs").exists() {
            assert!(!super::Cgroup::open(v1).unwrap().is_v2());
        }
    }
}
