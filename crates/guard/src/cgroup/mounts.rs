//! Where the cgroup hierarchies are mounted, read from `/proc/self/mountinfo`.

use std::path::{Path, PathBuf};

/// The cgroup mounts that matter for confining and stopping processes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mounts {
    /// The unified (v2) hierarchy, wherever it is mounted (`/sys/fs/cgroup` on a v2-only
    /// system, `/sys/fs/cgroup/unified` on a hybrid one).
    pub v2: Option<PathBuf>,
    /// The v1 hierarchy the `pids` controller is bound to.
    pub v1_pids: Option<PathBuf>,
    /// The v1 hierarchy the `freezer` controller is bound to.
    pub v1_freezer: Option<PathBuf>,
}

impl Mounts {
    /// Reads this process's mount table.
    pub fn read() -> std::io::Result<Mounts> {
        Ok(Mounts::parse(&std::fs::read_to_string(
            "/proc/self/mountinfo",
        )?))
    }

    /// Finds the cgroup mounts in the text of a `mountinfo` file (proc(5)): field 5 is the
    /// mount point; after the ` - ` separator come the file-system type and the super-block
    /// options, which name a v1 hierarchy's controllers. The first mount of each wins, as
    /// the kernel shows the same hierarchy again wherever it is bind-mounted.
    pub fn parse(mountinfo: &str) -> Mounts {
        let mut mounts = Mounts::default();
        for line in mountinfo.lines() {
            let Some((left, right)) = line.split_once(" - ") else {
                continue;
            };
            let Some(point) = left.split(' ').nth(4) else {
                continue;
            };
            let point = PathBuf::from(unescape(point));
            let mut right = right.split(' ');
            let fstype = right.next().unwrap_or("");
            let options = right.nth(1).unwrap_or("");
            match fstype {
                "cgroup2" if mounts.v2.is_none() => mounts.v2 = Some(point),
                "cgroup" => {
                    for option in options.split(',') {
                        let slot = match option {
                            "pids" => &mut mounts.v1_pids,
                            "freezer" => &mut mounts.v1_freezer,
                            _ => continue,
                        };
                        if slot.is_none() {
                            *slot = Some(point.clone());
                        }
                    }
                }
                _ => {}
            }
        }
        mounts
    }

    /// Whether the pids controller is available on the v2 hierarchy (listed in its root's
    /// `cgroup.controllers`; a controller bound to a v1 hierarchy is not).
    pub fn v2_has_pids(&self) -> bool {
        self.v2
            .as_deref()
            .is_some_and(|root| has_controller(root, "pids"))
    }
}

/// Whether `dir`'s `cgroup.controllers` lists `controller`.
pub(crate) fn has_controller(dir: &Path, controller: &str) -> bool {
    std::fs::read_to_string(dir.join("cgroup.controllers"))
        .is_ok_and(|list| list.split_whitespace().any(|c| c == controller))
}

/// Undoes mountinfo's octal escapes (`\040` for a space, `\011`, `\012`, `\134`).
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|d| bytes[i] == b'\\' && d.iter().all(|c| (b'0'..=b'7').contains(c)));
        match octal {
            Some(d) => {
                let value = d.iter().fold(0u32, |v, c| v * 8 + u32::from(c - b'0'));
                out.push(value as u8);
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HYBRID: &str = "\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";

    #[test]
    fn a_hybrid_machine_has_v1_pids_and_freezer_and_a_unified_mount() {
        let m = Mounts::parse(HYBRID);
        assert_eq!(m.v1_pids.as_deref(), Some(Path::new("/sys/fs/cgroup/pids")));
        assert_eq!(
            m.v1_freezer.as_deref(),
            Some(Path::new("/sys/fs/cgroup/freezer"))
        );
        assert_eq!(m.v2.as_deref(), Some(Path::new("/sys/fs/cgroup/unified")));
    }

    #[test]
    fn a_v2_only_machine_and_comounted_controllers() {
        let text = "\
25 1 0:22 / /sys/fs/cgroup rw,nosuid shared:9 - cgroup2 cgroup2 rw,nsdelegate
30 1 0:30 / /mnt/my\\040groups rw - cgroup none rw,freezer,pids
";
        let m = Mounts::parse(text);
        assert_eq!(m.v2.as_deref(), Some(Path::new("/sys/fs/cgroup")));
        assert_eq!(m.v1_pids.as_deref(), Some(Path::new("/mnt/my groups")));
        assert_eq!(m.v1_freezer, m.v1_pids);
    }

    #[test]
    fn garbage_lines_are_skipped() {
        let m = Mounts::parse("\n - \nno separator\n1 2 3 - cgroup2\n");
        assert_eq!(m, Mounts::default());
    }

    #[test]
    fn this_machine_is_read() {
        // Whatever the machine has, reading it works and finds absolute paths.
        let m = Mounts::read().unwrap();
        for p in [&m.v2, &m.v1_pids, &m.v1_freezer].into_iter().flatten() {
            assert!(p.is_absolute(), "{}", p.display());
        }
    }
}
