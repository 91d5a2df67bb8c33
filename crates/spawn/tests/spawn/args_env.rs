//! Arguments, environment, working directory, process group and session, rlimits,
//! credentials, cgroups.

use crate::strategies;
use crate::support::*;
use forklab_spawn::{Command, Resource, Rlimit, Stdio};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

strategies! {
    fn args_pass_every_byte_but_nul(strategy: Strategy) {
        let args: [&[u8]; 6] = [b"", b"two words", b"\xff\xfe not utf-8", b"-n", b"line\nbreak", b"%s \\0 $HOME"];
        let mut cmd = Command::new("printf");
        cmd.arg("%s\\0").args(args.iter().map(|a| OsStr::from_bytes(a))).stdout(Stdio::piped());
        let out = output(&mut cmd, strategy).stdout;
        let expected: Vec<u8> = args.iter().flat_map(|a| a.iter().copied().chain([0])).collect();
        assert_eq!(out, expected);
    }

    fn arg0_is_the_program_unless_set(strategy: Strategy) {
        assert_eq!(sh("echo $0", strategy, |_| {}), "/bin/sh\n");
        let out = sh("echo $0", strategy, |c| { c.arg("named"); });
        assert_eq!(out, "named\n");
        let mut cmd = Command::new("/bin/sh");
        cmd.arg0("renamed").arg("-c").arg("cat /proc/$$/cmdline").stdout(Stdio::piped());
        let cmdline = output(&mut cmd, strategy).stdout;
        assert!(cmdline.starts_with(b"renamed\0-c\0"), "{cmdline:?}");
    }

    fn environment_set_remove_clear(strategy: Strategy) {
        let env = |edit: &dyn Fn(&mut Command)| {
            let mut cmd = Command::new("/usr/bin/env");
            cmd.arg("-0").stdout(Stdio::piped());
            edit(&mut cmd);
            let out = output(&mut cmd, strategy).stdout;
            out.split(|&b| b == 0).filter(|v| !v.is_empty()).map(|v| v.to_vec()).collect::<Vec<_>>()
        };
        let inherited = env(&|_| {});
        assert!(inherited.iter().any(|v| v.starts_with(b"PATH=")));
        let set = env(&|c| { c.env("FORKLAB_X", "1 2").env_remove("PATH"); });
        assert!(set.contains(&b"FORKLAB_X=1 2".to_vec()));
        assert!(!set.iter().any(|v| v.starts_with(b"PATH=")));
        let cleared = env(&|c| { c.env_clear().env("ONLY", "\u{e9}"); });
        assert_eq!(cleared, vec!["ONLY=\u{e9}".as_bytes().to_vec()]);
    }

    fn working_directory(strategy: Strategy) {
        let dir = temp_dir();
        let real = dir.path().canonicalize().unwrap();
        let out = sh("pwd -P", strategy, |c| { c.current_dir(dir.path()); });
        assert_eq!(out.trim_end(), real.to_str().unwrap());
    }

    fn process_group_and_session(strategy: Strategy) {
        let fields = |edit: &dyn Fn(&mut Command)| {
            let stat = sh("cat /proc/self/stat", strategy, |c| edit(c));
            let after = &stat[stat.rfind(')').unwrap() + 2..];
            let f: Vec<i32> = after.split(' ').skip(2).take(2).map(|x| x.parse().unwrap()).collect();
            (f[0], f[1])
        };
        let (pgid, sid) = fields(&|_| {});
        let (own_pgid, _) = fields(&|c| { c.process_group(0); });
        assert_ne!(own_pgid, pgid, "process_group(0) makes a new group");
        let (new_pgid, new_sid) = fields(&|c| { c.new_session(true); });
        assert_eq!(new_pgid, new_sid, "a session leader leads its group");
        assert_ne!(new_sid, sid);
    }
}

strategies! {
    fn resource_limits(strategy: Strategy) {
        let mut cmd = Command::new("/bin/sh");
        cmd.args(["-c", "ulimit -n; ulimit -H -n"])
            .rlimit(Resource::Nofile, Rlimit { soft: Some(64), hard: Some(100) })
            .stdout(Stdio::piped());
        if strategy == Strategy::PosixSpawn {
            return assert_refused(&mut cmd, strategy, "posix_spawn cannot set resource limits");
        }
        assert_eq!(String::from_utf8(output(&mut cmd, strategy).stdout).unwrap(), "64\n100\n");
    }

    fn user_and_groups_as_root(strategy: Strategy) {
        if strategy == Strategy::PosixSpawn {
            let mut cmd = Command::new("/bin/true");
            cmd.uid(65534);
            return assert_refused(&mut cmd, strategy, "posix_spawn cannot change user or group IDs");
        }
        if !is_root() {
            return skip("changing uid and gid needs root");
        }
        let out = sh("id -u; id -g; id -G", strategy, |c| { c.uid(65534).gid(65534); });
        assert_eq!(out, "65534\n65534\n65534\n", "supplementary groups of root are dropped");
        let out = sh("id -G", strategy, |c| { c.uid(65534).gid(65534).groups(&[65534, 4]); });
        assert_eq!(out, "65534 4\n");
    }

    fn cgroup_v1_placement_as_root(strategy: Strategy) {
        let root = std::path::Path::new("/sys/fs/cgroup/pids");
        if strategy == Strategy::PosixSpawn {
            return refused_cgroup(root);
        }
        if let Some(why) = cgroup_cannot(root) {
            return skip(&why);
        }
        let name = format!("forklab-test-{}-{strategy}", std::process::id());
        let dir = CgroupDir::create(&root.join(&name));
        let out = sh("cat /proc/self/cgroup", strategy, |c| { c.cgroup(&dir.0); });
        assert!(out.lines().any(|l| l.contains(":pids:") && l.ends_with(&format!("/{name}"))), "{out}");
        // v1 mounts each controller on its own: a child can join a group in each.
        let freezer = std::path::Path::new("/sys/fs/cgroup/freezer");
        if let Some(why) = cgroup_cannot(freezer) {
            return skip(&why);
        }
        let frozen = CgroupDir::create(&freezer.join(&name));
        let out = sh("cat /proc/self/cgroup", strategy, |c| { c.cgroup(&dir.0).cgroup(&frozen.0); });
        for controller in [":pids:", ":freezer:"] {
            let joined = |l: &&str| l.contains(controller) && l.ends_with(&format!("/{name}"));
            assert!(out.lines().any(|l| joined(&l)), "{controller} {out}");
        }
    }

    fn cgroup_v2_placement_as_root(strategy: Strategy) {
        let Some(root) = cgroup2_mount() else {
            return skip("no cgroup v2 hierarchy is mounted");
        };
        if strategy == Strategy::PosixSpawn {
            return refused_cgroup(&root);
        }
        if let Some(why) = cgroup_cannot(&root) {
            return skip(&why);
        }
        let name = format!("forklab-test2-{}-{strategy}", std::process::id());
        let dir = CgroupDir::create(&root.join(&name));
        let out = sh("cat /proc/self/cgroup", strategy, |c| { c.cgroup(&dir.0); });
        assert!(out.lines().any(|l| l.starts_with("0::") && l.ends_with(&format!("/{name}"))), "{out}");
        // One v2 group at most; a v1 group beside it is joined too.
        let other = CgroupDir::create(&root.join(format!("{name}-other")));
        let err = spawn_error(Command::new("/bin/true").cgroup(&dir.0).cgroup(&other.0), strategy);
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{err:#}");
        let v1 = std::path::Path::new("/sys/fs/cgroup/pids");
        if cgroup_cannot(v1).is_none() {
            let pids = CgroupDir::create(&v1.join(&name));
            let out = sh("cat /proc/self/cgroup", strategy, |c| { c.cgroup(&pids.0).cgroup(&dir.0); });
            for controller in ["0::", ":pids:"] {
                let joined = |l: &&str| l.contains(controller) && l.ends_with(&format!("/{name}"));
                assert!(out.lines().any(|l| joined(&l)), "{controller} {out}");
            }
        }
        // A "domain invalid" group (a plain sibling of a threaded one) may hold no process,
        // however the child gets there: refused as a cgroup failure, with the kernel's errno.
        let parent = CgroupDir::create(&root.join(format!("{name}-mixed")));
        let invalid = CgroupDir::create(&parent.0.join("domain"));
        let threaded = CgroupDir::create(&parent.0.join("threaded"));
        std::fs::write(threaded.0.join("cgroup.type"), "threaded").unwrap();
        let err = spawn_error(Command::new("/bin/true").cgroup(&invalid.0), strategy);
        let expected = (forklab_spawn::Step::Cgroup, Some(libc::EOPNOTSUPP));
        assert_eq!((err.step(), err.raw_os_error()), expected, "{err:#}");
    }
}

/// Why a cgroup test cannot run here, if it cannot.
fn cgroup_cannot(root: &std::path::Path) -> Option<String> {
    if !is_root() {
        return Some("creating a cgroup needs root".into());
    }
    (!root.join("cgroup.procs").exists())
        .then(|| format!("no cgroup hierarchy at {}", root.display()))
}

/// posix_spawn cannot place a child in a cgroup: refused before anything is created.
fn refused_cgroup(root: &std::path::Path) {
    let mut cmd = Command::new("/bin/true");
    cmd.cgroup(root);
    assert_refused(
        &mut cmd,
        Strategy::PosixSpawn,
        "posix_spawn cannot place the child in a cgroup",
    );
}

/// Where cgroup v2 is mounted, from `/proc/self/mountinfo`.
fn cgroup2_mount() -> Option<std::path::PathBuf> {
    let info = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    info.lines().find_map(|line| {
        let (left, right) = line.split_once(" - ")?;
        (right.split(' ').next() == Some("cgroup2"))
            .then(|| left.split(' ').nth(4).map(Into::into))?
    })
}

/// A cgroup directory removed on drop (after its processes have exited).
struct CgroupDir(std::path::PathBuf);

impl CgroupDir {
    fn create(path: &std::path::Path) -> CgroupDir {
        std::fs::create_dir(path).unwrap();
        CgroupDir(path.to_path_buf())
    }
}

impl Drop for CgroupDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.0);
    }
}
