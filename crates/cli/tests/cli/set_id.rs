//! A set-user-ID or set-group-ID copy of forklab refuses to run (the article's execve_cat
//! hole): real and effective IDs differ, exit 2, and the message says why.

use crate::support::*;

const NOBODY: u32 = 65534;

fn run(path: &std::path::Path) -> Option<(Option<i32>, String)> {
    let out = std::process::Command::new(path)
        .args(["cat", "/etc/hostname"])
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    Some((out.status.code(), stderr))
}

#[test]
fn refuses_to_run_set_user_id_or_set_group_id() {
    if !is_root() {
        skip("making a set-user-ID copy owned by another user needs root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let setuid = forklab_copy(dir.path(), NOBODY, 0, 0o4755);
    let (code, stderr) = run(&setuid).unwrap();
    if code == Some(0) {
        skip(format_args!(
            "{} is mounted nosuid, the bit had no effect",
            dir.path().display()
        ));
        return;
    }
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.starts_with("forklab: error: refusing to run set-user-ID or set-group-ID (real uid 0 gid 0, effective uid 65534 gid 0)"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1);

    let setgid_dir = tempfile::tempdir().unwrap();
    let setgid = forklab_copy(setgid_dir.path(), 0, NOBODY, 0o2755);
    let (code, stderr) = run(&setgid).unwrap();
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("effective uid 0 gid 65534"), "{stderr}");
}
