//! A TCP proxy on 127.0.0.1 that can turn into a black hole: while black-holed it keeps
//! every socket open but forwards nothing in either direction (what a sleeping laptop
//! or a NAT that dropped its mapping looks like: no FIN, no RST, just silence).
//!
//! Start it inside a tokio runtime; it stops (closing every socket) when dropped.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// The proxy: listens on [`port`](BlackHoleProxy::port), forwards to `upstream`.
#[derive(Debug)]
pub struct BlackHoleProxy {
    port: u16,
    black_hole: Arc<AtomicBool>,
    accepted: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl BlackHoleProxy {
    /// Listens on a free port of 127.0.0.1 and forwards every connection to `upstream`.
    pub async fn start(upstream: SocketAddr) -> BlackHoleProxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local address").port();
        let black_hole = Arc::new(AtomicBool::new(false));
        let accepted = Arc::new(AtomicUsize::new(0));
        let (bh, count) = (black_hole.clone(), accepted.clone());
        let task = tokio::spawn(async move {
            let mut pipes = tokio::task::JoinSet::new();
            while let Ok((client, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                let Ok(server) = TcpStream::connect(upstream).await else {
                    continue;
                };
                let (cr, cw) = client.into_split();
                let (sr, sw) = server.into_split();
                pipes.spawn(pipe(cr, sw, bh.clone()));
                pipes.spawn(pipe(sr, cw, bh.clone()));
            }
        });
        BlackHoleProxy {
            port,
            black_hole,
            accepted,
            task,
        }
    }

    /// The port navi connects to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Black-hole (`true`) or forward (`false`) from now on. Bytes read while
    /// black-holed are dropped, so a connection that lived through it is broken for
    /// good (as after a real outage); new connections work once forwarding again.
    pub fn set_black_hole(&self, on: bool) {
        self.black_hole.store(on, Ordering::SeqCst);
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for BlackHoleProxy {
    fn drop(&mut self) {
        // Aborting the accept task drops the JoinSet, which aborts every pipe.
        self.task.abort();
    }
}

/// Copies `from` to `to`, dropping what arrives while `black_hole` is set.
async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    black_hole: Arc<AtomicBool>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if black_hole.load(Ordering::SeqCst) {
            continue;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    // Keep the write side open while black-holed: a black hole sends no FIN either.
    while black_hole.load(Ordering::SeqCst) {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let _ = to.shutdown().await;
}
