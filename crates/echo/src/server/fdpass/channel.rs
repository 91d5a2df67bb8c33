//! The Unix socket between the `prefork-fdpass` parent and one child: the parent sends a
//! connected client as one byte carrying the descriptor (`SCM_RIGHTS`, UNP's
//! `write_fd`/`read_fd`), the child answers with one byte when it is done with it. Both
//! through `rustix`'s safe `sendmsg`/`recvmsg`; the received descriptor is close-on-exec
//! (`MSG_CMSG_CLOEXEC`) from the moment it exists here.

use rustix::net::{
    RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SendAncillaryBuffer,
    SendAncillaryMessage, SendFlags,
};
use std::io::{self, IoSlice, IoSliceMut};
use std::mem::MaybeUninit;
use std::net::TcpStream;
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;

/// Sends `conn` to the child at the other end (the parent keeps its own copy, to close).
pub(crate) fn send_client(channel: &UnixStream, conn: &TcpStream) -> io::Result<()> {
    let fds = [conn.as_fd()];
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    if !control.push(SendAncillaryMessage::ScmRights(&fds)) {
        return Err(io::Error::other("no room for the descriptor"));
    }
    let sent = rustix::net::sendmsg(
        channel,
        &[IoSlice::new(b"c")],
        &mut control,
        SendFlags::NOSIGNAL,
    )?;
    if sent != 1 {
        return Err(io::ErrorKind::WriteZero.into());
    }
    Ok(())
}

/// What the parent sent.
#[derive(Debug)]
pub(crate) enum Received {
    /// A client to serve.
    Client(TcpStream),
    /// A message whose descriptor did not arrive: the kernel drops it when the child has
    /// no descriptor left (`MSG_CTRUNC`, under `EMFILE`). The client is lost; the child is
    /// free again.
    Lost,
    /// The parent closed the channel: stop.
    Closed,
}

/// Waits for the next client.
pub(crate) fn receive_client(channel: &UnixStream) -> io::Result<Received> {
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let mut byte = [0u8; 1];
    let received = loop {
        match rustix::net::recvmsg(
            channel,
            &mut [IoSliceMut::new(&mut byte)],
            &mut control,
            RecvFlags::CMSG_CLOEXEC,
        ) {
            Err(rustix::io::Errno::INTR) => continue,
            result => break result?,
        }
    };
    if received.bytes == 0 {
        return Ok(Received::Closed);
    }
    let mut client = None;
    for message in control.drain() {
        if let RecvAncillaryMessage::ScmRights(fds) = message {
            // More than one descriptor is not ours to keep: the rest close here.
            for fd in fds {
                client.get_or_insert(TcpStream::from(fd));
            }
        }
    }
    Ok(client.map_or(Received::Lost, Received::Client))
}

/// Tells the parent the child is free again.
pub(crate) fn report_done(channel: &UnixStream) -> io::Result<()> {
    loop {
        match rustix::net::send(channel, b"d", SendFlags::NOSIGNAL) {
            Err(rustix::io::Errno::INTR) => continue,
            result => return result.map(drop).map_err(io::Error::from),
        }
    }
}

/// Reads the parent's end (non-blocking): how many children reported done, or `None` when
/// the child is gone (end of file, or an error).
pub(crate) fn take_reports(channel: &UnixStream) -> Option<usize> {
    let mut buf = [0u8; 16];
    let mut done = 0;
    loop {
        match rustix::io::read(channel, &mut buf) {
            Ok(0) => return None,
            Ok(n) => done += n,
            Err(rustix::io::Errno::INTR) => {}
            Err(rustix::io::Errno::AGAIN) => return Some(done),
            Err(_) => return None,
        }
    }
}
