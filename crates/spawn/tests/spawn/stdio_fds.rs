//! Standard streams, pipes, extra descriptors, and descriptor hygiene.

use crate::strategies;
use crate::support::*;
use forklab_spawn::raw::is_cloexec;
use forklab_spawn::{Command, Stdio};
use std::io::{Read, Write};
use std::os::fd::AsRawFd;

strategies! {
    fn piped_stdin_stdout_stderr(strategy: Strategy) {
        let mut child = Command::new("/bin/sh")
            .args(["-c", "cat; echo oops >&2"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .strategy(strategy)
            .spawn()
            .unwrap();
        child.stdin.as_mut().unwrap().write_all(b"through the pipe").unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        assert_eq!(out.stdout, b"through the pipe");
        assert_eq!(out.stderr, b"oops\n");
    }

    fn null_and_files(strategy: Strategy) {
        let dir = temp_dir();
        let path = dir.path().join("out");
        let file = std::fs::File::create(&path).unwrap();
        let status = Command::new("/bin/sh")
            .args(["-c", "cat; echo to-file"])
            .stdin(Stdio::null())
            .stdout(file)
            .strategy(strategy)
            .status()
            .unwrap();
        assert!(status.success());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "to-file\n");
    }

    fn extra_descriptors_at_chosen_numbers(strategy: Strategy) {
        let (r5, w5) = std::io::pipe().unwrap();
        let (r7, w7) = std::io::pipe().unwrap();
        let w7 = numbered_above(w7, 7);
        let (rc, wc) = std::io::pipe().unwrap();
        // A clash: w7's own number is the number another descriptor must get.
        let clash = w7.as_raw_fd();
        let script = format!("echo five >&5; echo seven >&7; echo clash >&{clash}");
        let status = Command::new("/bin/bash")
            .args(["-c", &script])
            .fd(w5, 5)
            .fd(w7, 7)
            .fd(wc, clash)
            .strategy(strategy)
            .status()
            .unwrap();
        assert!(status.success(), "{status}");
        assert_eq!(read_all(r5), "five\n");
        assert_eq!(read_all(r7), "seven\n", "fd 7 got the right pipe despite the clash");
        assert_eq!(read_all(rc), "clash\n");
    }

    fn descriptors_we_open_are_close_on_exec(strategy: Strategy) {
        let child = Command::new("/bin/sh")
            .args(["-c", "cat >/dev/null; ls -l /proc/$$/fd"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .strategy(strategy)
            .spawn()
            .unwrap();
        let ours = [
            child.stdin.as_ref().unwrap().as_raw_fd(),
            child.stdout.as_ref().unwrap().as_raw_fd(),
            child.stderr.as_ref().unwrap().as_raw_fd(),
        ];
        for fd in ours.iter().copied().chain(child.pidfd().map(|p| p.as_raw_fd())) {
            assert_eq!(is_cloexec(fd), Some(true), "parent fd {fd}");
        }
        let inodes: Vec<String> = ours.iter().map(|fd| link(&format!("/proc/self/fd/{fd}"))).collect();
        let out = child.wait_with_output().unwrap();
        let listing = String::from_utf8(out.stdout).unwrap();
        for line in listing.lines().filter(|l| l.contains(" -> ")) {
            let (left, target) = line.split_once(" -> ").unwrap();
            let fd: i32 = left.rsplit(' ').next().unwrap().parse().unwrap();
            if inodes.iter().any(|i| *i == target) {
                assert!(fd <= 2, "pipe {target} leaked into the child as fd {fd}:\n{listing}");
            }
        }
    }

    fn an_extra_descriptor_on_a_set_standard_stream_is_refused(strategy: Strategy) {
        let (_r, w) = std::io::pipe().unwrap();
        let err = Command::new("/bin/true")
            .fd(w, 1)
            .stdout(Stdio::piped())
            .strategy(strategy)
            .spawn()
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{err:#}");
        assert!(
            format!("{err:#}").contains("descriptor 1 is both one of the child's standard streams and an extra descriptor"),
            "{err:#}"
        );
    }

    fn a_later_descriptor_for_the_same_number_replaces_the_earlier(strategy: Strategy) {
        let (r_old, w_old) = std::io::pipe().unwrap();
        let (r_new, w_new) = std::io::pipe().unwrap();
        let status = Command::new("/bin/sh")
            .args(["-c", "echo to-five >&5"])
            .fd(w_old, 5)
            .fd(w_new, 5)
            .strategy(strategy)
            .status()
            .unwrap();
        assert!(status.success());
        assert_eq!(read_all(r_new), "to-five\n");
        assert_eq!(read_all(r_old), "", "the replaced descriptor was closed, never passed");
    }

    fn the_highest_descriptor_the_limit_allows_works(strategy: Strategy) {
        let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile).current;
        let Some(limit) = limit.filter(|&l| l <= 1 << 20) else {
            return skip("the open-files limit is unlimited or huge");
        };
        let top = i32::try_from(limit - 1).unwrap();
        let (r, w) = std::io::pipe().unwrap();
        let script = format!("echo top >&{top}");
        let status = Command::new("/bin/bash")
            .args(["-c", &script])
            .fd(w, top)
            .strategy(strategy)
            .status()
            .unwrap();
        assert!(status.success(), "{status}");
        assert_eq!(read_all(r), "top\n");
        let (_r, w) = std::io::pipe().unwrap();
        let err = Command::new("/bin/true").fd(w, top + 1).strategy(strategy).spawn().unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{err:#}");
        assert!(
            format!("{err:#}").contains(&format!("descriptor number {} is not below the open-files limit ({limit})", top + 1)),
            "{err:#}"
        );
    }

    fn a_given_standard_stream_is_kept_close_on_exec(strategy: Strategy) {
        let (_r, w) = std::io::pipe().unwrap();
        let inheritable = rustix::io::dup(&w).unwrap(); // dup(2): not close-on-exec
        let raw = inheritable.as_raw_fd();
        let mut holder = Command::new("/bin/true");
        holder.stdout(inheritable);
        assert_eq!(is_cloexec(raw), Some(true), "the command keeps it close-on-exec");
        let pipe = link(&format!("/proc/self/fd/{raw}"));
        let out = sh(&format!("readlink /proc/$$/fd/{raw}; true"), strategy, |_| {});
        assert_ne!(out.trim(), pipe, "another child inherited it");
    }

    fn removing_a_key_that_cannot_exist_is_no_error(strategy: Strategy) {
        let status = Command::new("/bin/true")
            .env_remove("")
            .env_remove("A=B")
            .strategy(strategy)
            .status()
            .unwrap();
        assert!(status.success());
    }
}

/// A copy of `fd` numbered above `min` (holding lower copies until one lands there).
fn numbered_above(fd: std::io::PipeWriter, min: i32) -> std::io::PipeWriter {
    let mut held = vec![];
    let mut fd = fd;
    while fd.as_raw_fd() <= min {
        let copy = fd.try_clone().unwrap();
        held.push(fd);
        fd = copy;
    }
    fd
}

fn read_all(mut pipe: std::io::PipeReader) -> String {
    let mut text = String::new();
    pipe.read_to_string(&mut text).unwrap();
    text
}

fn link(path: &str) -> String {
    std::fs::read_link(path)
        .unwrap()
        .to_string_lossy()
        .into_owned()
}
