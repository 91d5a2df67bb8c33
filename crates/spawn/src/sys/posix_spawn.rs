//! glibc's `posix_spawn(3)`: file actions for the descriptor moves and the
//! working directory (`posix_spawn_file_actions_addchdir_np`, glibc 2.29), attributes for the
//! process group, session, signal defaults and mask. glibc implements it with a
//! `CLONE_VM|CLONE_VFORK` clone of its own; what it cannot do (credentials, rlimits, cgroups)
//! the caller must not ask of it.
//!
//! A pidfd made with the child comes from glibc's `pidfd_spawn` (glibc 2.39),
//! looked up at run time so that the library still loads with an older glibc, which then
//! simply cannot do it ([`has_pidfd_spawn`]).

use super::child::FdMove;
use libc::{c_char, c_int, c_void, pid_t, posix_spawn_file_actions_t, posix_spawnattr_t, sigset_t};
use std::io;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::sync::OnceLock;

/// What a `posix_spawn` call is asked to do.
pub(crate) struct SpawnRequest<'a> {
    /// The program: a path (glibc's `posix_spawnp` search is not used, see
    /// `Prepared::resolved_program`).
    pub path: *const c_char,
    pub argv: *const *const c_char,
    pub envp: *const *const c_char,
    pub fds: &'a [FdMove],
    /// Nul-terminated or null.
    pub cwd: *const c_char,
    pub setsid: bool,
    pub pgroup: Option<libc::pid_t>,
    /// Signals to reset to `SIG_DFL` (`POSIX_SPAWN_SETSIGDEF`).
    pub sigdefault: sigset_t,
    pub mask: Option<sigset_t>,
}

struct Actions(posix_spawn_file_actions_t);

impl Drop for Actions {
    fn drop(&mut self) {
        // SAFETY: initialised in `spawn` before this value was created.
        unsafe { libc::posix_spawn_file_actions_destroy(&mut self.0) };
    }
}

struct Attr(posix_spawnattr_t);

impl Drop for Attr {
    fn drop(&mut self) {
        // SAFETY: initialised in `spawn` before this value was created.
        unsafe { libc::posix_spawnattr_destroy(&mut self.0) };
    }
}

fn check(ret: libc::c_int) -> io::Result<()> {
    if ret == 0 {
        Ok(())
    } else {
        Err(io::Error::from_raw_os_error(ret))
    }
}

/// Spawns; the error is the one glibc reports (from the child's failed exec, too). With
/// `want_pidfd`, through `pidfd_spawn`, which must exist ([`has_pidfd_spawn`]).
pub(crate) fn spawn(
    req: &SpawnRequest<'_>,
    want_pidfd: bool,
) -> io::Result<(libc::pid_t, Option<OwnedFd>)> {
    let actions = file_actions(req)?;
    let attr = attributes(req)?;
    let (call, getpid): (SpawnFn, _) = if want_pidfd {
        let functions = pidfd_functions().ok_or(io::ErrorKind::Unsupported)?;
        (functions.spawn, Some(functions.getpid))
    } else {
        (libc::posix_spawn, None)
    };
    // The pid, or with pidfd_spawn the pidfd.
    let mut made: c_int = -1;
    // SAFETY: every pointer is valid and nul-terminated as the parent prepared; the actions
    // and attributes are initialised; `made` is a valid int for glibc to fill.
    let ret = unsafe {
        call(
            &mut made,
            req.path,
            &actions.0,
            &attr.0,
            req.argv.cast(),
            req.envp.cast(),
        )
    };
    check(ret)?;
    match getpid {
        None => Ok((made, None)),
        // SAFETY: on success pidfd_spawn stored a new descriptor that nothing else owns.
        Some(getpid) => pid_of(unsafe { OwnedFd::from_raw_fd(made) }, getpid),
    }
}

/// `posix_spawn` and `pidfd_spawn` alike: `int f(int *out, const char *path, file actions,
/// attributes, argv, envp)`.
type SpawnFn = unsafe extern "C" fn(
    *mut c_int,
    *const c_char,
    *const posix_spawn_file_actions_t,
    *const posix_spawnattr_t,
    *const *mut c_char,
    *const *mut c_char,
) -> c_int;

/// `pid_t pidfd_getpid(int pidfd)`.
type PidfdGetpid = unsafe extern "C" fn(c_int) -> pid_t;

/// glibc's `pidfd_spawn` and `pidfd_getpid`, if this glibc has them.
struct PidfdFunctions {
    spawn: SpawnFn,
    getpid: PidfdGetpid,
}

fn pidfd_functions() -> Option<&'static PidfdFunctions> {
    static FUNCTIONS: OnceLock<Option<PidfdFunctions>> = OnceLock::new();
    FUNCTIONS
        .get_or_init(|| {
            let (spawn, getpid) = (symbol(c"pidfd_spawn")?, symbol(c"pidfd_getpid")?);
            // SAFETY: glibc 2.39 exports these names with exactly the prototypes above.
            unsafe {
                Some(PidfdFunctions {
                    spawn: std::mem::transmute::<*mut c_void, SpawnFn>(spawn),
                    getpid: std::mem::transmute::<*mut c_void, PidfdGetpid>(getpid),
                })
            }
        })
        .as_ref()
}

fn symbol(name: &std::ffi::CStr) -> Option<*mut c_void> {
    // SAFETY: looking up a nul-terminated name in the already loaded objects.
    let address = unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) };
    (!address.is_null()).then_some(address)
}

/// Whether this glibc can return a pidfd made with the child (`pidfd_spawn`, glibc 2.39).
pub(crate) fn has_pidfd_spawn() -> bool {
    pidfd_functions().is_some()
}

/// The child's pid from its pidfd; a child that cannot be named so is ended and reaped
/// through the pidfd, and the error returned.
fn pid_of(pidfd: OwnedFd, getpid: PidfdGetpid) -> io::Result<(libc::pid_t, Option<OwnedFd>)> {
    // SAFETY: a valid pidfd; the call only reads it.
    match super::cvt(unsafe { getpid(pidfd.as_raw_fd()) }) {
        Ok(pid) => Ok((pid, Some(pidfd))),
        Err(e) => {
            let _ = super::wait::pidfd_send_signal(pidfd.as_fd(), libc::SIGKILL);
            let _ = super::wait::wait_pidfd(pidfd.as_fd(), false);
            Err(e)
        }
    }
}

fn file_actions(req: &SpawnRequest<'_>) -> io::Result<Actions> {
    // SAFETY: zeroed storage is initialised by posix_spawn_file_actions_init right away.
    let mut actions = Actions(unsafe { std::mem::zeroed() });
    // SAFETY: initialising the storage above.
    check(unsafe { libc::posix_spawn_file_actions_init(&mut actions.0) })?;
    for m in req.fds {
        // SAFETY: initialised actions; glibc >= 2.29 clears FD_CLOEXEC when src == dst.
        check(unsafe { libc::posix_spawn_file_actions_adddup2(&mut actions.0, m.src, m.dst) })?;
    }
    if !req.cwd.is_null() {
        // SAFETY: initialised actions and a nul-terminated path that outlives the spawn.
        check(unsafe { libc::posix_spawn_file_actions_addchdir_np(&mut actions.0, req.cwd) })?;
    }
    Ok(actions)
}

fn attributes(req: &SpawnRequest<'_>) -> io::Result<Attr> {
    // SAFETY: zeroed storage is initialised by posix_spawnattr_init right away.
    let mut attr = Attr(unsafe { std::mem::zeroed() });
    // SAFETY: initialising the storage above.
    check(unsafe { libc::posix_spawnattr_init(&mut attr.0) })?;
    let mut flags = libc::POSIX_SPAWN_SETSIGDEF;
    // SAFETY: initialised attributes and a valid set (copied by glibc).
    check(unsafe { libc::posix_spawnattr_setsigdefault(&mut attr.0, &req.sigdefault) })?;
    if let Some(mask) = &req.mask {
        flags |= libc::POSIX_SPAWN_SETSIGMASK;
        // SAFETY: as above.
        check(unsafe { libc::posix_spawnattr_setsigmask(&mut attr.0, mask) })?;
    }
    if let Some(pgroup) = req.pgroup {
        flags |= libc::POSIX_SPAWN_SETPGROUP;
        // SAFETY: initialised attributes.
        check(unsafe { libc::posix_spawnattr_setpgroup(&mut attr.0, pgroup) })?;
    }
    if req.setsid {
        flags |= libc::POSIX_SPAWN_SETSID as libc::c_int;
    }
    // SAFETY: initialised attributes; the flags are ones glibc knows.
    check(unsafe { libc::posix_spawnattr_setflags(&mut attr.0, flags as libc::c_short) })?;
    Ok(attr)
}
