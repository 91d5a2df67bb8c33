//! The longest `#!` + interpreter path (no argument) the kernel honours: scripts whose first
//! line is `#!` followed by the
//! measuring program's path, lengthened with extra leading slashes (`#!////bin/true`), are
//! exec'd until the kernel answers `ENOEXEC`. The kernel reads only the first
//! `BINPRM_BUF_SIZE` bytes of a file (256 since Linux 5.1), and refuses a line whose
//! interpreter path does not end inside them. (A line with an argument past the buffer still
//! runs, the argument cut short: the limit is on the path.)

use super::Error;
use super::attempt::{self, accepted};
use super::search::largest_accepted;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Lines longer than this are not tried (`PATH_MAX`).
const UPPER: u64 = 4096;

/// The longest line honoured, in bytes from `#!` to the end of the interpreter path (the
/// newline not counted); `Err` with the reason when scripts cannot be run here.
pub(crate) fn measure(
    program: &Path,
    tick: &mut dyn FnMut(),
) -> Result<Result<u64, String>, Error> {
    if !program.is_absolute() {
        return Ok(Err(format!(
            "{} is not an absolute path",
            program.display()
        )));
    }
    let dir = tempfile::Builder::new()
        .prefix("forklab-shebang-")
        .tempdir()
        .map_err(|e| Error::TempDir(e.to_string()))?;
    let flags = rustix::fs::statvfs(dir.path()).map_err(|e| Error::TempDir(e.to_string()))?;
    if flags.f_flag.contains(rustix::fs::StatVfsMountFlags::NOEXEC) {
        return Ok(Err(format!(
            "{} is on a noexec mount",
            dir.path().display()
        )));
    }
    let shortest = 2 + program.as_os_str().len() as u64;
    let found = largest_accepted(shortest, UPPER, |len| {
        tick();
        let script = write_script(dir.path(), program, len, shortest)?;
        accepted(
            &mut attempt::command(&script, None),
            libc::ENOEXEC,
            "the #! limit",
        )
    })?;
    Ok(found.ok_or_else(|| format!("even #!{} was refused", program.display())))
}

/// A fresh executable file whose first line is `len` bytes long (a new name each time, so
/// that no descriptor open for writing could make exec fail with `ETXTBSY`).
fn write_script(
    dir: &Path,
    program: &Path,
    len: u64,
    shortest: u64,
) -> Result<std::path::PathBuf, Error> {
    use std::os::unix::ffi::OsStrExt;
    let mut line = b"#!".to_vec();
    line.resize((len - shortest) as usize + 2, b'/');
    line.extend_from_slice(program.as_os_str().as_bytes());
    line.extend_from_slice(b"\nexit 0\n");
    let path = dir.join(format!("script-{len}"));
    let io = |e: std::io::Error| Error::TempDir(e.to_string());
    std::fs::write(&path, &line).map_err(io)?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).map_err(io)?;
    Ok(path)
}
