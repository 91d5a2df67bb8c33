//! Clients for the server under test: well-behaved ones that check the echo byte for byte,
//! and the faulty ones a server must survive. Every read and write has a timeout.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long any single read or write of a test client may block.
pub const IO_TIMEOUT: Duration = Duration::from_secs(15);

/// A connection with read and write timeouts.
pub fn connect(addr: SocketAddr) -> TcpStream {
    let conn = TcpStream::connect_timeout(&addr, IO_TIMEOUT).unwrap();
    conn.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    conn.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    conn
}

/// `len` bytes that differ from connection to connection (`seed`) and along the stream.
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Sends `data` (from a second thread, so that neither side's buffers fill), half-closes,
/// reads to the end; returns what came back.
pub fn round_trip(conn: TcpStream, data: Vec<u8>) -> Vec<u8> {
    let mut writer = conn.try_clone().unwrap();
    let sending = std::thread::spawn(move || {
        writer.write_all(&data).unwrap();
        writer.shutdown(Shutdown::Write).unwrap();
    });
    let mut back = Vec::new();
    (&conn).read_to_end(&mut back).unwrap();
    sending.join().unwrap();
    back
}

/// Asserts that `len` bytes come back exactly as sent.
pub fn assert_echoes(addr: SocketAddr, len: usize, seed: u64) {
    let data = pattern(len, seed);
    let back = round_trip(connect(addr), data.clone());
    assert_eq!(back.len(), data.len(), "echo of {len} bytes: length");
    assert!(back == data, "echo of {len} bytes: content differs");
}

/// Several clients at once, one per size; each echo checked.
pub fn assert_echoes_concurrently(addr: SocketAddr, sizes: &[usize]) {
    let clients: Vec<JoinHandle<()>> = sizes
        .iter()
        .enumerate()
        .map(|(i, &len)| std::thread::spawn(move || assert_echoes(addr, len, i as u64 + 1)))
        .collect();
    for client in clients {
        client.join().unwrap();
    }
}

/// Sends `data` and reads exactly as much back.
pub fn exchange(conn: &TcpStream, data: &[u8]) {
    let mut conn = conn;
    conn.write_all(data).unwrap();
    let mut back = vec![0; data.len()];
    conn.read_exact(&mut back).unwrap();
    assert!(back == data, "echo differs");
}

/// A client that sends and sends and never reads; stopped by shutting its socket down.
pub struct Flood {
    conn: TcpStream,
    writer: Option<JoinHandle<()>>,
}

impl Flood {
    pub fn start(addr: SocketAddr) -> Flood {
        let conn = connect(addr);
        let mut writer = conn.try_clone().unwrap();
        writer.set_write_timeout(None).unwrap();
        let chunk = pattern(1 << 20, 99);
        let writer = std::thread::spawn(move || while writer.write_all(&chunk).is_ok() {});
        Flood {
            conn,
            writer: Some(writer),
        }
    }
}

impl Drop for Flood {
    fn drop(&mut self) {
        let _ = self.conn.shutdown(Shutdown::Both);
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

/// A client that sends and reads back without pause, so the server never has to wait for
/// it; stopped by shutting its socket down.
pub struct Stream {
    conn: TcpStream,
    threads: Vec<JoinHandle<()>>,
}

impl Stream {
    pub fn start(addr: SocketAddr) -> Stream {
        let conn = connect(addr);
        let (mut writer, mut reader) = (conn.try_clone().unwrap(), conn.try_clone().unwrap());
        writer.set_write_timeout(None).unwrap();
        reader.set_read_timeout(None).unwrap();
        let chunk = pattern(64 << 10, 7);
        let threads = vec![
            std::thread::spawn(move || while writer.write_all(&chunk).is_ok() {}),
            std::thread::spawn(move || {
                let mut buf = vec![0; 64 << 10];
                while matches!(reader.read(&mut buf), Ok(n) if n > 0) {}
            }),
        ];
        Stream { conn, threads }
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        let _ = self.conn.shutdown(Shutdown::Both);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// Connects, sends 256 KiB, takes one byte of the echo, and resets the connection
/// (`SO_LINGER` 0): the server sees `ECONNRESET` mid-stream.
pub fn reset_mid_stream(addr: SocketAddr) {
    let mut conn = connect(addr);
    conn.write_all(&pattern(256 * 1024, 7)).unwrap();
    let mut byte = [0u8];
    conn.read_exact(&mut byte).unwrap();
    rustix::net::sockopt::set_socket_linger(&conn, Some(Duration::ZERO)).unwrap();
}

/// Whether the server has closed `conn` (end of file or reset), as opposed to leaving it
/// open with nothing to read.
pub fn closed_by_server(conn: &TcpStream) -> bool {
    conn.set_nonblocking(true).unwrap();
    let mut byte = [0u8];
    let closed = match (&*conn).read(&mut byte) {
        Ok(0) => true,
        Ok(_) => panic!("the server sent a byte nobody sent it"),
        Err(e) if e.kind() == ErrorKind::WouldBlock => false,
        Err(_) => true,
    };
    conn.set_nonblocking(false).unwrap();
    closed
}

/// Whether `conn` has `len` bytes to read now (the server answered).
pub fn answered(conn: &TcpStream, len: usize) -> bool {
    let mut buf = vec![0; len];
    conn.set_nonblocking(true).unwrap();
    let peeked = conn.peek(&mut buf);
    conn.set_nonblocking(false).unwrap();
    matches!(peeked, Ok(n) if n == len)
}
