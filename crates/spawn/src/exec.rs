//! The exec family: replace the current process with a program (same pid, no new process).
//!
//! C has six variants that differ in three ways: the program is a path (`execv`, `execve`,
//! `execl`, `execle`) or a name searched in `PATH` (`execvp`, `execlp`); the arguments come as
//! an array (`v`) or listed one by one (`l`); the environment is the current one or given
//! (`e`). In Rust an iterator covers both `l` and `v`, which leaves four functions here:
//!
//! | C                    | here                  |
//! |----------------------|-----------------------|
//! | `execv`, `execl`     | [`execv`]             |
//! | `execve`, `execle`   | [`execve`]            |
//! | `execvp`, `execlp`   | [`execvp`]            |
//! | `execvpe` (GNU)      | [`execvpe`]           |
//!
//! `argv` includes `argv[0]`. The `p` variants follow `execvp(3)`: they search the current
//! `PATH` (or `/bin:/usr/bin` when it is unset), skip directories where the file is missing,
//! report `EACCES` if some candidate was not executable, and run a file that the kernel
//! refuses with `ENOEXEC` (no `#!` line) with `/bin/sh`. Every function returns only on
//! failure, with the `errno` as `raw_os_error()` (use [`crate::Command::exec`] to learn which
//! step failed).
//! [`crate::Command::exec`] does the same with everything a `Command` can set.

use crate::Command;
use std::ffi::OsStr;
use std::io;

/// `execv(3)`: run `path` with `argv`, in the current environment.
pub fn execv<I, S>(path: impl AsRef<OsStr>, argv: I) -> io::Error
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    build(path.as_ref(), argv, false).exec().into()
}

/// `execve(2)`: run `path` with `argv` and exactly the environment `env`.
pub fn execve<I, S, E, K, V>(path: impl AsRef<OsStr>, argv: I, env: E) -> io::Error
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
    E: IntoIterator<Item = (K, V)>,
    K: AsRef<OsStr>,
    V: AsRef<OsStr>,
{
    build(path.as_ref(), argv, false)
        .env_clear()
        .envs(env)
        .exec()
        .into()
}

/// `execvp(3)`: find `file` in `PATH` and run it with `argv` in the current environment.
pub fn execvp<I, S>(file: impl AsRef<OsStr>, argv: I) -> io::Error
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    build(file.as_ref(), argv, true).exec().into()
}

/// `execvpe(3)`: find `file` in `PATH` and run it with `argv` and exactly the environment `env`.
pub fn execvpe<I, S, E, K, V>(file: impl AsRef<OsStr>, argv: I, env: E) -> io::Error
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
    E: IntoIterator<Item = (K, V)>,
    K: AsRef<OsStr>,
    V: AsRef<OsStr>,
{
    // The search uses the caller's PATH, as execvpe(3) does, not the one in `env`.
    let path = std::env::var_os("PATH");
    let mut cmd = build(file.as_ref(), argv, true);
    cmd.env_clear().envs(env);
    cmd.search_path_in = Some(path);
    cmd.exec().into()
}

fn build<I, S>(program: &OsStr, argv: I, search: bool) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut cmd = Command::new(program);
    cmd.search_path(search);
    let mut argv = argv.into_iter();
    match argv.next() {
        Some(arg0) => {
            cmd.arg0(arg0).args(argv);
        }
        None => {
            cmd.empty_argv();
        }
    }
    cmd
}
