//! Helpers for the crate's own tests.

/// Says that (part of) the running test checked nothing, and why, where `cargo test` shows
/// it (libtest captures `eprintln!`, not writes to the stderr handle itself).
pub(crate) fn skip(why: &str) {
    use std::io::Write;
    let thread = std::thread::current();
    let name = thread.name().unwrap_or("a test");
    let _ = writeln!(std::io::stderr(), "SKIPPED {name}: {why}");
}

/// `program ARGS…` run as `uid`, with that number as its only group.
pub(crate) fn as_user(uid: u32, program: &str, args: &[&str]) -> forklab_spawn::Child {
    forklab_spawn::Command::new(program)
        .args(args)
        .uid(uid)
        .gid(uid)
        .groups(&[uid])
        .spawn()
        .unwrap()
}
