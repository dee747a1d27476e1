//! Session events instead of session polls: the tmux check of
//! [`LocalSource::with_tmux_check`](crate::LocalSource::with_tmux_check) learns of
//! sessions appearing, ending and being renamed from one read-only control client per
//! tmux server it asks (the default server and every socket a status file records).
//!
//! # Design
//!
//! * Nothing starts until the source is watched ([`arm`](TmuxEvents::arm), called by
//!   `wait_change`): a one-shot `navi list` polls once and starts no client.
//! * Each server's listing is kept. A poll reuses it while that server's client is
//!   attached, has said nothing since, and the listing is younger than
//!   [`TMUX_SAFETY_POLL`]; otherwise it lists the server again (one `tmux
//!   list-sessions`, as every poll did before). So a status file rewritten many times a
//!   second no longer costs a tmux process per poll.
//! * The client (`-f ignore-size,no-output`: no pane output reaches it) is attached to
//!   the first session of the listing, by id. `%sessions-changed`, `%session-renamed`,
//!   a later `%session-changed` and its end mark the listing old and wake `wait_change`,
//!   so the poll that follows lists again. When its session ends the client exits
//!   (`%exit`) and the next listing attaches a new one to another session; a server
//!   without sessions gets none.
//! * A client that ends without having attached (tmux before 3.2, no control mode), or
//!   does not attach within [`CONTROL_ATTACH`], means polls as before for that server;
//!   it is tried again after [`CONTROL_RETRY`].
//! * A server no row names any more is let go (its client killed) by the next poll.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use navi_core::limits::{CONTROL_ATTACH, CONTROL_RETRY, TMUX_SAFETY_POLL, WATCH_COALESCE};
use navi_core::statusdir::liveness::{ServerAnswer, TmuxServer};

use crate::actions::Tmux;
use crate::control::{Client, Line};
use crate::watch::Signal;

/// The session-event clients of one source (shared by its clones).
#[derive(Debug, Default)]
pub(crate) struct TmuxEvents {
    armed: AtomicBool,
    signal: Arc<Signal>,
    servers: Mutex<HashMap<TmuxServer, Server>>,
}

/// One server: its client, its last listing, and whether that is known to be old.
#[derive(Debug, Default)]
struct Server {
    client: Option<(Client, Instant)>,
    /// Set by the client's events (and its end); cleared before each listing.
    old: Arc<AtomicBool>,
    listing: Option<(ServerAnswer, Instant)>,
    failed_at: Option<Instant>,
}

impl TmuxEvents {
    /// From now on, servers get control clients (the source is being watched).
    pub(crate) fn arm(&self) {
        self.armed.store(true, Ordering::SeqCst);
    }

    /// Resolves after a session event (a burst counts once). Cancel-safe.
    pub(crate) async fn wait(&self) {
        self.signal.raised().await;
        tokio::time::sleep(WATCH_COALESCE).await;
        self.signal.clear();
    }

    /// What `server` says its sessions are: the kept listing while events say nothing
    /// changed, else a new one (blocking: runs tmux).
    pub(crate) fn answer(&self, tmux: &Tmux, server: &TmuxServer) -> ServerAnswer {
        if !self.armed.load(Ordering::SeqCst) {
            return tmux.ask(server);
        }
        let mut servers = self.servers.lock().unwrap_or_else(|e| e.into_inner());
        let entry = servers.entry(server.clone()).or_default();
        entry.reap();
        if let Some(kept) = entry.kept() {
            return kept;
        }
        entry.old.store(false, Ordering::SeqCst);
        let answer = tmux.ask(server);
        entry.listing = Some((answer.clone(), Instant::now()));
        entry.start_client(tmux.for_server(server), &answer, &self.signal);
        answer
    }

    /// Lets go of the servers no row names any more (their clients are killed).
    pub(crate) fn keep_only<'a>(&self, asked: impl IntoIterator<Item = &'a TmuxServer>) {
        let asked: std::collections::HashSet<&TmuxServer> = asked.into_iter().collect();
        let mut servers = self.servers.lock().unwrap_or_else(|e| e.into_inner());
        servers.retain(|server, _| asked.contains(server));
    }

    /// The servers with a running client (tests).
    #[cfg(test)]
    pub(crate) fn clients(&self) -> Vec<(TmuxServer, u32, bool)> {
        let servers = self.servers.lock().unwrap_or_else(|e| e.into_inner());
        servers
            .iter()
            .filter_map(|(s, e)| {
                let (c, _) = e.client.as_ref()?;
                Some((s.clone(), c.pid(), c.attached()))
            })
            .collect()
    }
}

impl Server {
    /// Lets go of a client that ended or never attached in time.
    fn reap(&mut self) {
        let Some((client, started)) = &self.client else {
            return;
        };
        let attached = client.attached();
        let stuck = !attached && started.elapsed() >= CONTROL_ATTACH;
        if client.ended() || stuck {
            if !attached {
                tracing::debug!("tmux control mode unavailable; listing sessions on every poll");
                self.failed_at = Some(Instant::now());
            }
            self.client = None;
            self.old.store(true, Ordering::SeqCst);
        }
    }

    /// The kept listing, when events vouch for it.
    fn kept(&self) -> Option<ServerAnswer> {
        let (client, _) = self.client.as_ref()?;
        let (listing, at) = self.listing.as_ref()?;
        let fresh = client.attached()
            && !client.ended()
            && !self.old.load(Ordering::SeqCst)
            && at.elapsed() < TMUX_SAFETY_POLL;
        fresh.then(|| listing.clone())
    }

    /// A client for a server that lists sessions and has none (unless one failed lately).
    fn start_client(&mut self, tmux: Tmux, answer: &ServerAnswer, signal: &Arc<Signal>) {
        if self.client.is_some() || self.failed_at.is_some_and(|t| t.elapsed() < CONTROL_RETRY) {
            return;
        }
        let ServerAnswer::Sessions { sessions, .. } = answer else {
            return;
        };
        let Some(first) = sessions.iter().find(|s| is_session_id(&s.id)) else {
            return;
        };
        let (old, signal) = (Arc::clone(&self.old), Arc::clone(signal));
        let mut attached = false;
        let on_line = move |line: Option<Line>, _: &crate::control::Commands| {
            let news = match line {
                // The first one is the attach itself (the listing was taken before it,
                // so the next poll lists once more); later ones: its session went.
                Some(Line::SessionChanged { .. }) if !attached => {
                    attached = true;
                    old.store(true, Ordering::SeqCst);
                    false
                }
                Some(Line::SessionChanged { .. }) => true,
                Some(Line::SessionsChanged | Line::SessionRenamed { .. } | Line::Exit) => true,
                None => attached,
                Some(_) => false,
            };
            if news {
                old.store(true, Ordering::SeqCst);
                signal.raise();
            }
        };
        match Client::spawn(&tmux.argv, &first.id, "ignore-size,no-output", on_line) {
            Ok(client) => self.client = Some((client, Instant::now())),
            Err(e) => {
                tracing::debug!(error = %e, "cannot start a tmux control client");
                self.failed_at = Some(Instant::now());
            }
        }
    }
}

/// `$` and digits: a session id tmux gave, safe as a `-t` target.
pub(crate) fn is_session_id(id: &str) -> bool {
    id.strip_prefix('$')
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}
