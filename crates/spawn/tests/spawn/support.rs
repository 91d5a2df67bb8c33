//! Helpers shared by the behaviour tests.

pub use forklab_spawn::Strategy;
use forklab_spawn::{Command, Output, Stdio};
use std::path::PathBuf;

/// Expands `fn name(strategy: Strategy) { body }` into a module with one test per strategy.
#[macro_export]
macro_rules! strategies {
    ($(fn $name:ident($s:ident: Strategy) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            fn check($s: forklab_spawn::Strategy) $body
            #[test] fn auto() { check(forklab_spawn::Strategy::Auto) }
            #[test] fn fork_exec() { check(forklab_spawn::Strategy::ForkExec) }
            #[test] fn vfork_exec() { check(forklab_spawn::Strategy::VforkExec) }
            #[test] fn posix_spawn() { check(forklab_spawn::Strategy::PosixSpawn) }
            #[test] fn clone3() { check(forklab_spawn::Strategy::Clone3) }
        }
    )*};
}

/// Runs `cmd` with `strategy`, capturing output, and checks it exited 0.
pub fn output(cmd: &mut Command, strategy: Strategy) -> Output {
    let out = cmd
        .strategy(strategy)
        .output()
        .unwrap_or_else(|e| panic!("{strategy}: {e}"));
    assert!(
        out.status.success(),
        "{strategy}: {} stderr={}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The stdout of `sh -c SCRIPT` as a string.
pub fn sh(script: &str, strategy: Strategy, edit: impl FnOnce(&mut Command)) -> String {
    let mut cmd = Command::new("/bin/sh");
    cmd.arg("-c").arg(script).stdout(Stdio::piped());
    edit(&mut cmd);
    String::from_utf8(output(&mut cmd, strategy).stdout).unwrap()
}

/// A line of `/proc/self/status` of a child, e.g. `SigBlk`.
pub fn status_field(field: &str, strategy: Strategy, edit: impl FnOnce(&mut Command)) -> String {
    let text = sh("cat /proc/self/status", strategy, edit);
    let prefix = format!("{field}:");
    let line = text
        .lines()
        .find(|l| l.starts_with(&prefix))
        .expect("field present");
    line[prefix.len()..].trim().to_string()
}

/// Says that a test checked nothing, and why, where `cargo test` shows it: libtest captures
/// what `print!`/`eprint!` write, but not writes to the stderr handle itself. libtest names
/// each test's thread after the test (here with the strategy).
pub fn skip(why: &str) {
    use std::io::Write;
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
}

/// The error of a spawn that must fail.
pub fn spawn_error(cmd: &mut Command, strategy: Strategy) -> forklab_spawn::SpawnError {
    cmd.strategy(strategy).spawn().expect_err("spawn must fail")
}

/// Checks that `strategy` refused `cmd` before creating anything, saying that `posix_spawn`
/// (or the strategy) cannot do `what`.
pub fn assert_refused(cmd: &mut Command, strategy: Strategy, what: &str) {
    let err = spawn_error(cmd, strategy);
    assert_eq!(
        err.kind(),
        std::io::ErrorKind::Unsupported,
        "{strategy}: {err:#}"
    );
    assert!(format!("{err:#}").contains(what), "{strategy}: {err:#}");
}

/// Whether the tests run as root.
pub fn is_root() -> bool {
    forklab_spawn::Identity::current().euid == 0
}

/// A fresh temporary directory, removed when dropped.
pub fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// Writes a file with `mode`. A child shell does the writing: if this process held the file
/// open for writing, any concurrent test's fork would copy that descriptor, and exec'ing the
/// file while the copy lives fails with `ETXTBSY`.
pub fn write_executable(dir: &std::path::Path, name: &str, text: &str, mode: u32) -> PathBuf {
    let path = dir.join(name);
    let status = Command::new("/bin/sh")
        .args(["-c", "printf '%s' \"$1\" > \"$0\" && chmod \"$2\" \"$0\""])
        .arg(&path)
        .arg(text)
        .arg(format!("{mode:o}"))
        .status()
        .unwrap();
    assert!(status.success());
    path
}
