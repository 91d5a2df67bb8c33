//! Serving one accepted client, the same in every model but `async`: `TCP_NODELAY` (an echo
//! is a reply, and Nagle's algorithm would hold its tail back for the client's delayed ACK),
//! the conversation, the tally, one debug line.

use super::echo::{self, Stop};
use super::tally::Tally;
use std::net::TcpStream;
use std::time::Duration;

/// Serves `conn` to the end, then closes it.
pub(crate) fn serve(conn: TcpStream, tally: &Tally, idle: Duration, stop: Option<Stop<'_>>) {
    let _ = conn.set_nodelay(true);
    let peer = conn.peer_addr().ok();
    tally.begin();
    let (bytes, ended) = echo::converse(&conn, idle, stop);
    tally.end(bytes, ended.as_ref());
    match ended {
        None => tracing::debug!(?peer, bytes, "client done"),
        Some(why) => tracing::debug!(?peer, bytes, %why, "client dropped"),
    }
}
