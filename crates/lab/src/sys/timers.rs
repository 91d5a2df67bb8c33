//! Timers: `alarm(2)`, the real-time interval timer (`setitimer(2)`), and POSIX timers
//! (`timer_create(2)`) with no notification. Readers are raw system calls.

use super::errno::cvt;
use serde::{Deserialize, Serialize};
use std::io;

/// `ITIMER_REAL` as `getitimer(2)` reports it, in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RealTimer {
    /// Time left until it fires; 0 when disarmed.
    pub value_ms: u64,
    /// Its reload interval; 0 for a one-shot timer such as `alarm(2)`.
    pub interval_ms: u64,
}

fn ms(tv: libc::timeval) -> u64 {
    (tv.tv_sec.max(0) as u64) * 1000 + (tv.tv_usec.max(0) as u64) / 1000
}

/// The real-time timer (raw `getitimer`), which `alarm(2)` also uses.
pub(crate) fn real_timer() -> Option<RealTimer> {
    let zero = libc::timeval {
        tv_sec: 0,
        tv_usec: 0,
    };
    let mut value = libc::itimerval {
        it_interval: zero,
        it_value: zero,
    };
    // SAFETY: writes one itimerval into `value`.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_getitimer,
            libc::ITIMER_REAL,
            &mut value as *mut libc::itimerval,
        )
    };
    (ret == 0).then_some(RealTimer {
        value_ms: ms(value.it_value),
        interval_ms: ms(value.it_interval),
    })
}

/// `alarm(seconds)`: arms the one-shot real-time timer.
pub(crate) fn alarm(seconds: u32) {
    // SAFETY: alarm(2) has no preconditions.
    unsafe { libc::alarm(seconds) };
}

/// Arms the real-time timer with a first expiry and a reload interval, in seconds.
pub(crate) fn set_real_timer(value_s: i64, interval_s: i64) -> io::Result<()> {
    let tv = |s: i64| libc::timeval {
        tv_sec: s as libc::time_t,
        tv_usec: 0,
    };
    let new = libc::itimerval {
        it_interval: tv(interval_s),
        it_value: tv(value_s),
    };
    // SAFETY: a valid itimerval; the old value is not wanted.
    cvt(unsafe { libc::setitimer(libc::ITIMER_REAL, &new, std::ptr::null_mut()) } as libc::c_long)?;
    Ok(())
}

/// Creates a `CLOCK_MONOTONIC` POSIX timer that notifies nobody (`SIGEV_NONE`), arms it to
/// expire in `seconds`, and returns the kernel's timer ID.
pub(crate) fn create_posix_timer(seconds: i64) -> io::Result<i32> {
    // SAFETY: sigevent is plain data; all-zero plus SIGEV_NONE is a valid request.
    let mut event: libc::sigevent = unsafe { std::mem::zeroed() };
    event.sigev_notify = libc::SIGEV_NONE;
    let mut id: libc::c_int = -1;
    // SAFETY: raw timer_create with a valid sigevent and a place for the kernel's int ID.
    cvt(unsafe {
        libc::syscall(
            libc::SYS_timer_create,
            libc::CLOCK_MONOTONIC,
            &mut event as *mut libc::sigevent,
            &mut id as *mut libc::c_int,
        )
    })?;
    let spec = libc::itimerspec {
        it_interval: libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        },
        it_value: libc::timespec {
            tv_sec: seconds as libc::time_t,
            tv_nsec: 0,
        },
    };
    let null = std::ptr::null_mut::<libc::itimerspec>();
    // SAFETY: arms the timer just created with a valid itimerspec.
    cvt(unsafe {
        libc::syscall(
            libc::SYS_timer_settime,
            id,
            0,
            &spec as *const libc::itimerspec,
            null,
        )
    })?;
    Ok(id)
}

/// Whether this process has an armed POSIX timer with kernel ID `id` (raw `timer_gettime`:
/// `EINVAL` means no such timer).
pub(crate) fn posix_timer_armed(id: i32) -> Option<bool> {
    // SAFETY: itimerspec is plain data.
    let mut spec: libc::itimerspec = unsafe { std::mem::zeroed() };
    // SAFETY: timer_gettime on any ID is harmless; it writes one itimerspec.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_timer_gettime,
            id,
            &mut spec as *mut libc::itimerspec,
        )
    };
    match ret {
        0 => Some(spec.it_value.tv_sec > 0 || spec.it_value.tv_nsec > 0),
        _ if super::errno::errno() == libc::EINVAL => Some(false),
        _ => None,
    }
}
