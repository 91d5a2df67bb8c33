//! The cgroup memory limits read from fixture directories: no root, no cgroup needed.

use super::*;
use std::fs;

const MIB: u64 = 1 << 20;
/// What cgroup v1 shows for "no limit" with 4 KiB pages.
const V1_NO_LIMIT: &str = "9223372036854771712";

/// Writes a cgroup directory's memory files: `files` are (name, contents).
fn cgroup_dir(dir: &Path, files: &[(&str, String)]) {
    fs::create_dir_all(dir).unwrap();
    for (name, contents) in files {
        fs::write(dir.join(name), contents).unwrap();
    }
}

fn v1(dir: &Path, limit: &str, usage: u64, inactive_file: u64) {
    cgroup_dir(
        dir,
        &[
            ("memory.limit_in_bytes", format!("{limit}\n")),
            ("memory.usage_in_bytes", format!("{usage}\n")),
            (
                "memory.stat",
                format!("cache 0\ninactive_file 1\ntotal_inactive_file {inactive_file}\n"),
            ),
        ],
    );
}

fn v2(dir: &Path, max: &str, current: u64, inactive_file: u64) {
    cgroup_dir(
        dir,
        &[
            ("memory.max", format!("{max}\n")),
            ("memory.current", format!("{current}\n")),
            (
                "memory.stat",
                format!("anon 0\ninactive_file {inactive_file}\nactive_file 0\n"),
            ),
        ],
    );
}

/// A mountinfo line mounting `fstype` with `options` at `point`, showing `root`.
fn mountinfo_line(root: &str, point: &Path, fstype: &str, options: &str) -> String {
    format!(
        "35 31 0:32 {root} {} rw,relatime shared:9 - {fstype} {fstype} rw,{options}\n",
        point.display()
    )
}

#[test]
fn the_memory_lines_of_proc_self_cgroup() {
    let text = "9:name=systemd:/\n5:cpu,memory:/a/b\n4:pids:/p\n0::/user.slice/x\n";
    assert_eq!(
        memory_cgroups(text),
        [
            (Version::V1, "/a/b".to_string()),
            (Version::V2, "/user.slice/x".to_string())
        ]
    );
    assert_eq!(memory_cgroups("4:memory:/\n"), [(Version::V1, "/".into())]);
    assert!(memory_cgroups("3:memoryx:/a\n8:pids:/\n").is_empty());
}

#[test]
fn the_memory_mounts_of_mountinfo() {
    let text = "\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:7 master:1 - cgroup2 cgroup2 rw
50 31 0:32 /docker/abc /mnt/with\\040space rw - cgroup cgroup rw,cpu,memory
";
    let mounts = memory_mounts(text);
    let found: Vec<(Version, &str, &Path)> = mounts
        .iter()
        .map(|m| (m.version, m.root.as_str(), m.point.as_path()))
        .collect();
    assert_eq!(
        found,
        [
            (Version::V1, "/", Path::new("/sys/fs/cgroup/memory")),
            (Version::V2, "/", Path::new("/sys/fs/cgroup/unified")),
            (Version::V1, "/docker/abc", Path::new("/mnt/with space")),
        ]
    );
}

#[test]
fn the_hierarchy_runs_from_the_cgroup_up_to_the_mount() {
    let mount = Mount {
        version: Version::V1,
        root: "/".into(),
        point: "/m".into(),
    };
    let names = |mount: &Mount, cgroup| -> Vec<String> {
        hierarchy(mount, cgroup)
            .into_iter()
            .map(|(name, dir)| format!("{name}={}", dir.display()))
            .collect()
    };
    assert_eq!(names(&mount, "/a/b"), ["/a/b=/m/a/b", "/a=/m/a", "/=/m/"]);
    assert_eq!(names(&mount, "/"), ["/=/m/"]);
    // A mounted subtree shows only itself and what is below it.
    let subtree = Mount {
        root: "/docker/abc".into(),
        ..mount
    };
    assert_eq!(
        names(&subtree, "/docker/abc/sub"),
        ["/docker/abc/sub=/m/sub", "/docker/abc=/m/"]
    );
    assert!(names(&subtree, "/docker/abcd").is_empty());
    assert!(names(&subtree, "/other").is_empty());
}

#[test]
fn v1_limits_bind_from_any_ancestor() {
    let tmp = tempfile::tempdir().unwrap();
    let point = tmp.path().join("memory");
    v1(&point, V1_NO_LIMIT, 900 * MIB, 0);
    v1(
        &point.join("a"),
        &(512 * MIB).to_string(),
        300 * MIB,
        100 * MIB,
    );
    v1(&point.join("a/b"), V1_NO_LIMIT, 250 * MIB, 0);
    let mountinfo = mountinfo_line("/", &point, "cgroup", "memory");
    let limit = tightest("4:memory:/a/b\n0::/\n", &mountinfo).unwrap();
    assert_eq!(
        limit,
        CgroupLimit {
            cgroup: "/a".into(),
            version: Version::V1,
            limit: 512 * MIB,
            in_use: 200 * MIB,
        }
    );
    assert_eq!(limit.room(), 312 * MIB);
    // A tighter limit below wins.
    v1(&point.join("a/b"), &(256 * MIB).to_string(), 250 * MIB, 0);
    let limit = tightest("4:memory:/a/b\n", &mountinfo).unwrap();
    assert_eq!((limit.cgroup.as_str(), limit.room()), ("/a/b", 6 * MIB));
}

#[test]
fn v2_max_is_no_limit_and_a_number_is_one() {
    let tmp = tempfile::tempdir().unwrap();
    let point = tmp.path().join("unified");
    fs::create_dir_all(&point).unwrap(); // the root has no memory.max
    v2(
        &point.join("a"),
        &(1024 * MIB).to_string(),
        700 * MIB,
        200 * MIB,
    );
    v2(&point.join("a/b"), "max", 500 * MIB, 0);
    let mountinfo = mountinfo_line("/", &point, "cgroup2", "nsdelegate");
    let limit = tightest("0::/a/b\n", &mountinfo).unwrap();
    assert_eq!(
        (limit.cgroup.as_str(), limit.version, limit.room()),
        ("/a", Version::V2, 524 * MIB)
    );
    assert_eq!(limit.version.limit_file(), "memory.max");
    v2(&point.join("a"), "max", 700 * MIB, 0);
    assert_eq!(tightest("0::/a/b\n", &mountinfo), None);
}

#[test]
fn both_hierarchies_and_over_the_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let (memory, unified) = (tmp.path().join("memory"), tmp.path().join("unified"));
    v1(&memory.join("x"), &(100 * MIB).to_string(), 120 * MIB, 0);
    v2(&unified.join("y"), &(2048 * MIB).to_string(), 0, 0);
    let mountinfo = mountinfo_line("/", &memory, "cgroup", "memory")
        + &mountinfo_line("/", &unified, "cgroup2", "nsdelegate");
    let limit = tightest("4:memory:/x\n0::/y\n", &mountinfo).unwrap();
    assert_eq!((limit.cgroup.as_str(), limit.room()), ("/x", 0));
    assert_eq!(limit.version.limit_file(), "memory.limit_in_bytes");
}

#[test]
fn no_limit_without_a_mount_a_controller_or_readable_files() {
    let tmp = tempfile::tempdir().unwrap();
    let point = tmp.path().join("unified");
    fs::create_dir_all(point.join("a")).unwrap(); // no memory controller: no memory.max
    let mountinfo = mountinfo_line("/", &point, "cgroup2", "nsdelegate");
    assert_eq!(tightest("0::/a\n", &mountinfo), None);
    assert_eq!(tightest("0::/a\n", ""), None);
    assert_eq!(tightest("", &mountinfo), None);
    cgroup_dir(&point.join("a"), &[("memory.max", "lots\n".into())]);
    assert_eq!(tightest("0::/a\n", &mountinfo), None);
}

#[test]
fn a_subtree_mounted_first_does_not_hide_an_ancestors_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let whole = tmp.path().join("memory");
    v1(&whole, V1_NO_LIMIT, 0, 0);
    v1(&whole.join("a"), &(512 * MIB).to_string(), 500 * MIB, 0);
    v1(&whole.join("a/b"), V1_NO_LIMIT, 100 * MIB, 0);
    // The same group `/a/b` bind-mounted on its own, listed before the whole hierarchy.
    let subtree = tmp.path().join("just-b");
    v1(&subtree, V1_NO_LIMIT, 100 * MIB, 0);
    let mountinfo = mountinfo_line("/a/b", &subtree, "cgroup", "memory")
        + &mountinfo_line("/", &whole, "cgroup", "memory");
    let limit = tightest("4:memory:/a/b\n", &mountinfo).unwrap();
    assert_eq!((limit.cgroup.as_str(), limit.room()), ("/a", 12 * MIB));
}
