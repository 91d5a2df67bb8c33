//! A `PTHREAD_PROCESS_SHARED` mutex in a `MAP_SHARED` anonymous mapping: the lock the
//! `prefork-mutex` children take around `accept`, as UNP's `my_lock_wait` does with
//! `pthread_mutex_lock`. It is robust (`PTHREAD_MUTEX_ROBUST`): a child killed while holding
//! it does not leave the others waiting forever; the next one takes it over.

use std::io;
use std::ptr::NonNull;

/// A mutex that children forked after it was made share with their parent.
pub(crate) struct SharedMutex {
    mutex: NonNull<libc::pthread_mutex_t>,
}

/// The lock, held until dropped.
pub(crate) struct SharedMutexGuard<'a> {
    lock: &'a SharedMutex,
}

const LEN: usize = std::mem::size_of::<libc::pthread_mutex_t>();

impl SharedMutex {
    /// Maps a shared page and initialises a robust, process-shared mutex in it.
    pub(crate) fn new() -> io::Result<SharedMutex> {
        use rustix::mm::{MapFlags, ProtFlags, mmap_anonymous};
        // SAFETY: a new anonymous mapping at an address the kernel chooses.
        let ptr = unsafe {
            mmap_anonymous(
                std::ptr::null_mut(),
                LEN,
                ProtFlags::READ | ProtFlags::WRITE,
                MapFlags::SHARED,
            )
        }?;
        let mutex = NonNull::new(ptr.cast()).ok_or(io::ErrorKind::OutOfMemory)?;
        let shared = SharedMutex { mutex };
        shared.init()?;
        Ok(shared)
    }

    fn init(&self) -> io::Result<()> {
        let mut attr = std::mem::MaybeUninit::<libc::pthread_mutexattr_t>::uninit();
        // SAFETY: `attr` is initialised by pthread_mutexattr_init before any other use and
        // destroyed after; the mutex lives in writable memory of the right size and
        // alignment (a page), not yet used by anyone.
        unsafe {
            check(libc::pthread_mutexattr_init(attr.as_mut_ptr()))?;
            let attr = attr.as_mut_ptr();
            let result = check(libc::pthread_mutexattr_setpshared(
                attr,
                libc::PTHREAD_PROCESS_SHARED,
            ))
            .and_then(|()| {
                check(libc::pthread_mutexattr_setrobust(
                    attr,
                    libc::PTHREAD_MUTEX_ROBUST,
                ))
            })
            .and_then(|()| check(libc::pthread_mutex_init(self.mutex.as_ptr(), attr)));
            libc::pthread_mutexattr_destroy(attr);
            result
        }
    }

    /// `pthread_mutex_lock`. A previous owner that died holding it (`EOWNERDEAD`) is
    /// forgiven with `pthread_mutex_consistent`: the lock guards no data, only whose turn it
    /// is to accept.
    pub(crate) fn lock(&self) -> io::Result<SharedMutexGuard<'_>> {
        // SAFETY: the mutex was initialised in `new` and stays mapped while `self` lives.
        let rc = unsafe { libc::pthread_mutex_lock(self.mutex.as_ptr()) };
        match rc {
            0 => {}
            libc::EOWNERDEAD => {
                // SAFETY: we own the mutex now (EOWNERDEAD returns it locked).
                check(unsafe { libc::pthread_mutex_consistent(self.mutex.as_ptr()) })?;
            }
            rc => return Err(io::Error::from_raw_os_error(rc)),
        }
        Ok(SharedMutexGuard { lock: self })
    }
}

impl Drop for SharedMutexGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: this guard exists only while this thread holds the lock.
        unsafe { libc::pthread_mutex_unlock(self.lock.mutex.as_ptr()) };
    }
}

impl Drop for SharedMutex {
    fn drop(&mut self) {
        // Not pthread_mutex_destroy: other processes may still have the mutex mapped. Each
        // unmaps its own view.
        // SAFETY: the mapping made in `new`; no guard outlives `self`.
        let _ = unsafe { rustix::mm::munmap(self.mutex.as_ptr().cast(), LEN) };
    }
}

fn check(rc: i32) -> io::Result<()> {
    match rc {
        0 => Ok(()),
        rc => Err(io::Error::from_raw_os_error(rc)),
    }
}
