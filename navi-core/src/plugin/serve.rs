//! [`serve`]: any [`SessionSource`] as a plugin on stdin/stdout.

use std::io::{BufRead, Read, Write};

use tokio::time::Instant;

use super::{answer, snapshot_line, Health, Hello, Request, MAX_LINE};
use crate::{limits, SessionInfo, SessionSource, SkippedFile};

/// Serves `source` as a navi plugin: says hello (its [`supports`](SessionSource::supports)
/// as the actions, attach always), then writes a full snapshot whenever its sessions (or
/// what it could not read: a poll's [`skipped`](crate::PollReport::skipped)) change (it is polled every [`limits::PLUGIN_POLL_INTERVAL`] and whenever
/// [`wait_change`](SessionSource::wait_change) wakes), a health line when its health
/// changes and at least every [`limits::PLUGIN_HEARTBEAT`], and answers navi's requests.
/// Returns when stdin closes (navi went away), so the plugin exits with navi.
///
/// ```no_run
/// # async fn f(my_source: navi_core::MemorySource) -> std::io::Result<()> {
/// navi_core::plugin::serve(my_source).await
/// # }
/// ```
pub async fn serve<S: SessionSource>(source: S) -> std::io::Result<()> {
    let mut out = std::io::stdout();
    write_line(&mut out, &Hello::new(source.supports(), true).to_line())?;
    let (tx, mut requests) = tokio::sync::mpsc::channel::<Vec<u8>>(16);
    std::thread::spawn(move || read_requests(tx));
    let mut sent: Option<(Vec<std::sync::Arc<SessionInfo>>, Vec<SkippedFile>)> = None;
    let mut health: Option<Health> = None;
    let mut said_at = Instant::now();
    loop {
        let now = match crate::bounded_poll(&source, limits::PLUGIN_TIMEOUT).await {
            Ok(report) => {
                let view = (report.sessions, report.skipped);
                if sent.as_ref() != Some(&view) {
                    write_line(&mut out, &snapshot_line(&view.0, &view.1))?;
                    said_at = Instant::now();
                    sent = Some(view);
                }
                Health::Ok
            }
            Err(e) => Health::Unavailable(e.to_string()),
        };
        if health.as_ref() != Some(&now) || said_at.elapsed() >= limits::PLUGIN_HEARTBEAT {
            write_line(&mut out, &now.to_line())?;
            said_at = Instant::now();
            health = Some(now);
        }
        tokio::select! {
            _ = source.wait_change() => {}
            _ = tokio::time::sleep(limits::PLUGIN_POLL_INTERVAL) => {}
            line = requests.recv() => {
                let Some(line) = line else { return Ok(()) };
                let line = match Request::parse(&line) {
                    Ok((id, request)) => {
                        let sessions = sent.as_ref().map(|v| v.0.as_slice()).unwrap_or_default();
                        answer(&source, sessions, id, request).await.to_line()
                    }
                    // A request without an id cannot be answered; navi's wait ends it.
                    Err(_) => continue,
                };
                write_line(&mut out, &line)?;
                said_at = Instant::now();
            }
        }
    }
}

fn write_line(out: &mut std::io::Stdout, line: &str) -> std::io::Result<()> {
    let mut out = out.lock();
    out.write_all(line.as_bytes())?;
    out.write_all(b"\n")?;
    out.flush()
}

/// Reads stdin's lines (each at most [`MAX_LINE`]; a longer one is dropped) until it
/// closes or the serving loop is gone.
fn read_requests(tx: tokio::sync::mpsc::Sender<Vec<u8>>) {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    loop {
        let mut line = Vec::new();
        let mut limited = Read::by_ref(&mut input).take(MAX_LINE as u64 + 1);
        match limited.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        if line.last() != Some(&b'\n') && line.len() > MAX_LINE {
            // Too long: skip to its end.
            let mut rest = Vec::new();
            if input.read_until(b'\n', &mut rest).unwrap_or(0) == 0 {
                return;
            }
            continue;
        }
        if tx.blocking_send(line).is_err() {
            return;
        }
    }
}
