//! Reading a child's stdout and stderr together: `poll(2)` on both pipes, non-blocking
//! reads, until both reach end-of-file. One thread, no helper thread per call (this is what
//! std's `read2` does), and no deadlock when the child fills one pipe while the other is
//! being read.

use super::cvt_retry;
use std::io::{self, PipeReader, Read};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

/// Reads both pipes to their ends: `(stdout, stderr)`.
pub(crate) fn read2(mut out: PipeReader, mut err: PipeReader) -> io::Result<(Vec<u8>, Vec<u8>)> {
    set_nonblocking(out.as_fd())?;
    set_nonblocking(err.as_fd())?;
    let (mut out_buf, mut err_buf) = (Vec::new(), Vec::new());
    let (mut out_open, mut err_open) = (true, true);
    while out_open || err_open {
        let mut fds = [pollfd(out.as_fd(), out_open), pollfd(err.as_fd(), err_open)];
        // SAFETY: two valid pollfds for the duration of the call; a negative fd is ignored.
        cvt_retry(|| unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) })?;
        if fds[0].revents != 0 {
            out_open = drain(&mut out, &mut out_buf)?;
        }
        if fds[1].revents != 0 {
            err_open = drain(&mut err, &mut err_buf)?;
        }
    }
    Ok((out_buf, err_buf))
}

fn pollfd(fd: BorrowedFd<'_>, open: bool) -> libc::pollfd {
    libc::pollfd {
        fd: if open { fd.as_raw_fd() } else { -1 },
        events: libc::POLLIN,
        revents: 0,
    }
}

/// Reads what is there; `Ok(false)` at end-of-file.
fn drain(pipe: &mut PipeReader, buf: &mut Vec<u8>) -> io::Result<bool> {
    match pipe.read_to_end(buf) {
        Ok(_) => Ok(false),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(true),
        Err(e) => Err(e),
    }
}

fn set_nonblocking(fd: BorrowedFd<'_>) -> io::Result<()> {
    // SAFETY: fcntl on a valid descriptor; reading then setting its status flags.
    let flags = super::cvt(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) })?;
    // SAFETY: as above.
    super::cvt(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK) })?;
    Ok(())
}
