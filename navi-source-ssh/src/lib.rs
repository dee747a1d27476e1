//! `SshSource`: Claude Code sessions of a remote machine, over one pooled russh connection.
//!
//! Each remote in `~/.config/navi/remotes.yaml` becomes one [`SshSource`]. A poll reads
//! the remote's status directory (`~/.claude-sessions` by default) and decodes every
//! `*.json` with the same lenient parser the local source uses; a broken or oversize
//! file costs only itself.
//!
//! # Why one connection and one long-lived channel
//!
//! A fresh `ssh host cat ...` costs ~290 ms (TCP, key exchange, authentication, session
//! setup). A pooled connection (what OpenSSH's ControlMaster does) removes the handshake
//! but every exec channel still pays sshd's ~85 ms session setup. So each remote keeps one
//! connection (see [`pool`](crate#the-connection-pool)) and on it ONE long-lived channel
//! running a tiny POSIX `sh` loop.
//!
//! By default that loop *pushes* (`pool::push`, `remote::push_script`): it finds
//! changes itself (inotifywait events where the remote has it, else scans made of shell
//! builtins on a ticker) and sends only them, plus a heartbeat every 5 s and a `cksum`
//! digest every minute that heals a missed change; navi holds the remote's files, so a
//! poll reads them without touching the network and [`SessionSource::wait_change`]
//! wakes the aggregator when something arrived. Where the push loop cannot run (or with
//! `push: false`), a poll writes a nonce line and the loop answers with a framed
//! snapshot of the directory: one round trip; per-poll exec is the last fallback.
//!
//! # Liveness
//!
//! Every snapshot (the push loop's and a poll's) also asks tmux: the default server
//! (plain `tmux`, as the remote's non-interactive environment reaches it) and each server
//! a status file records in `tmux.socket` (`tmux -S`), one record per server saying what
//! it listed or why it could not answer (see `remote`). Core's one rule
//! ([`navi_core::statusdir::liveness`]) decides each row from its own server: a server
//! that could not be asked (no tmux on `PATH`, no server, a failing tmux, another
//! server than the one the session runs in) makes the row unknown with the reason,
//! never ended. A session renamed in tmux takes its status file and marks along (see
//! `follow`); `Dismiss` removes only an ended row's file, checked again on its server
//! right before (see `dismiss`); [`SshSource::server_of`] tells the actions which
//! server a session is on.
//!
//! # The connection pool
//!
//! * one russh connection per host, reused by every poll: a bastion several remotes
//!   share, or a remote that is also another's bastion (`ProxyJump a,b` chains too), is
//!   logged into once per process;
//! * never a second connection while one is alive or being established;
//! * dead connections are re-established with exponential backoff (1 s → 60 s, jitter);
//! * keepalives every `ServerAliveInterval` (15 s), `ServerAliveCountMax` (3) missed =
//!   dead; connecting is bounded by `ConnectTimeout`; a poll (connecting included) ends
//!   at the deadline it is given (`SessionSource::poll_within`, from the aggregator's
//!   bounded poll), or after the remote's `timeout` for a direct call.
//!
//! # Security
//!
//! * Keys only: the configured key files (ed25519, ecdsa, rsa with rsa-sha2-256/512,
//!   never SHA-1), then the ssh-agent at `SSH_AUTH_SOCK`. Never a prompt: an encrypted
//!   key without an agent is an error that says `ssh-add`.
//! * Host keys are always verified against the remote's known_hosts (hashed and
//!   `[host]:port` entries work). Unknown keys are refused with their fingerprint and
//!   `navi remotes trust NAME` ([`scan_host_key`] + [`trust_host_key`]); a changed key is
//!   refused loudly. There is no option to turn this off.
//! * Remote output is untrusted: capped per file (1 MiB) and per poll (16 MiB), framed
//!   by a per-poll random nonce, and paths reach the remote shell only quoted.
//! * Actions (`SessionSource::act`) take the session as a validated
//!   [`navi_core::SessionName`] (a path or a tmux target is refused before anything is
//!   sent), address the session's own tmux server, get every path from
//!   `navi_core::statusdir::layout` as an operand, and frame their output with a nonce of
//!   their own, so a login shell's greeting never reaches a status file, a marks file or
//!   a preview.
//!
//! # Example
//!
//! ```no_run
//! use navi_core::SessionSource;
//! use navi_source_ssh::{load_remotes, SshSource};
//!
//! # async fn demo() {
//! let loaded = load_remotes(std::path::Path::new("/home/me/.config/navi/remotes.yaml"));
//! for e in &loaded.errors {
//!     eprintln!("{e}");
//! }
//! for remote in loaded.remotes {
//!     let source = SshSource::new(remote);
//!     match source.poll_report().await {
//!         Ok(r) => println!("{}: {} sessions", source.remote().name, r.sessions.len()),
//!         Err(e) => println!("{}: unavailable ({})", source.remote().name, e),
//!     }
//! }
//! # }
//! ```

mod acknowledge;
mod act;
mod actions;
mod attach;
mod auth;
mod budget;
mod config;
mod dismiss;
mod error;
mod follow;
mod framed;
mod gone;
mod hostkey;
mod install;
mod marks;
mod pool;
mod remote;
pub mod setup;
mod shell;
mod target;

#[cfg(test)]
mod scripts_tests;

#[cfg(any(test, feature = "testing"))]
pub mod test_support;

use std::collections::HashMap;
use std::sync::Mutex as StdMutex;

use async_trait::async_trait;
use navi_core::statusdir::liveness::TmuxServer;
use navi_core::{
    limits, Action, ActionOutput, AttachCommand, AttachContext, Capabilities, Deadline, PaneChange,
    PollNote, PollReport, SessionInfo, SessionName, SessionSource, SourceError, SourceOptions,
};

pub use attach::attach_argv;
pub use config::{
    load_remotes, load_remotes_from_str, ConfigError, Env, IdentityAgent, JumpHost, LoadedRemotes,
    Remote, SshOptions,
};
pub use hostkey::{trust_host_key, HostKeyStatus, KnownHostsLocation, ScannedHostKey};
pub use install::{install_command, sha256_hex, Installed};
pub use pool::RemoteOutput;
pub use shell::{set_home_path, CommandLine, RemoteCommand, RemoteCommandError};

/// The SSH source of one remote. Cheap to clone? No: share it as `Arc<SshSource>`.
pub struct SshSource {
    remote: Remote,
    pool: pool::Pool,
    /// Each session's tmux server as the last report recorded it (the status file's
    /// `tmux.socket`), for the actions: see [`SshSource::server_of`].
    servers: StdMutex<HashMap<String, TmuxServer>>,
    /// Recorded tmux server pids found gone from the remote (see `gone`): asked once.
    gone_pids: StdMutex<std::collections::BTreeSet<i64>>,
}

impl std::fmt::Debug for SshSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SshSource")
            .field("remote", &self.remote.name)
            .field("destination", &self.remote.destination())
            .field("connected", &self.pool.is_connected())
            .field("connections_opened", &self.pool.connections_opened())
            .finish()
    }
}

impl SshSource {
    /// A source for `remote`. Nothing connects until the first poll.
    pub fn new(remote: Remote) -> Self {
        SshSource {
            pool: pool::Pool::new(remote.clone()),
            remote,
            servers: StdMutex::new(HashMap::new()),
            gone_pids: StdMutex::new(std::collections::BTreeSet::new()),
        }
    }

    /// How the aggregator polls this remote: its `timeout` bounds a poll, its
    /// `poll_interval` paces them (the push loop's changes ask for a poll sooner).
    pub fn options(&self) -> SourceOptions {
        SourceOptions::new(self.remote.timeout, self.remote.poll_interval)
    }

    /// The tmux server `name` runs in, as its status file records it: the one every
    /// action on it must address (`tmux -S SOCKET`; [`TmuxServer::Default`] is plain
    /// `tmux`). Read from the last report; a name that report did not have costs one
    /// fresh snapshot (the push loop scans first), and a name that has no status file
    /// even then is on the default server (where `new` creates sessions). `Err` only
    /// when that snapshot fails: an action must not guess the server.
    pub async fn server_of(&self, name: &str) -> Result<TmuxServer, SourceError> {
        if let Some(server) = self.recorded_server(name) {
            return Ok(server);
        }
        self.pool.settle().await;
        let report = self.pool.poll(Deadline::after(self.remote.timeout)).await?;
        self.remember_servers(&report);
        Ok(self.recorded_server(name).unwrap_or(TmuxServer::Default))
    }

    fn recorded_server(&self, name: &str) -> Option<TmuxServer> {
        self.servers.lock().ok()?.get(name).cloned()
    }

    /// Fills the report's `gone_pids`: the recorded servers that did not answer, whose
    /// pid no longer runs on the remote (one framed command, only while such rows exist;
    /// a pid found gone is not asked again).
    async fn check_gone_servers(&self, report: &mut PollReport) {
        let Some(view) = report.tmux.as_ref() else {
            return;
        };
        let wanted = view.pids_to_check(&report.sessions);
        if wanted.is_empty() {
            return;
        }
        let known: std::collections::BTreeSet<i64> = match self.gone_pids.lock() {
            Ok(g) => g.clone(),
            Err(_) => return,
        };
        let ask: std::collections::BTreeSet<i64> = wanted.difference(&known).copied().collect();
        let mut gone: std::collections::BTreeSet<i64> =
            wanted.intersection(&known).copied().collect();
        if !ask.is_empty() {
            let found = gone::gone_pids(
                &self.pool,
                &self.remote.sessions_dir,
                &ask,
                self.remote.timeout,
            )
            .await;
            if let Ok(mut g) = self.gone_pids.lock() {
                g.extend(found.iter().copied());
            }
            gone.extend(found);
        }
        if let Some(view) = report.tmux.as_mut() {
            view.gone_pids = gone;
        }
    }

    /// Keeps each row's server from `report` (the last report wins whole: a session
    /// that went is forgotten).
    fn remember_servers(&self, report: &PollReport) {
        let Ok(mut m) = self.servers.lock() else {
            return;
        };
        // Most polls name the servers the last one did: nothing to copy then.
        let same = m.len() == report.sessions.len()
            && (report.sessions.iter()).all(|s| m.get(&s.tmux_session) == Some(&TmuxServer::of(s)));
        if !same {
            *m = (report.sessions.iter())
                .map(|s| (s.tmux_session.clone(), TmuxServer::of(s)))
                .collect();
        }
    }

    /// The remote's resolved settings.
    pub fn remote(&self) -> &Remote {
        &self.remote
    }

    /// SSH connections to the target this source opened so far; pooling keeps this at 1
    /// (0 when it uses a connection another remote opened to the same host).
    pub fn connections_opened(&self) -> u64 {
        self.pool.connections_opened()
    }

    /// Runs `command` on the remote over the pooled connection (connecting if needed),
    /// `stdin` written to it, within `timeout`; more than `max_stdout` bytes of output is
    /// an error. The command line is built by [`RemoteCommand`], so it means the same
    /// under every login shell.
    pub async fn run(
        &self,
        command: &RemoteCommand,
        stdin: &[u8],
        timeout: std::time::Duration,
        max_stdout: usize,
    ) -> Result<RemoteOutput, SourceError> {
        self.pool.run(command, stdin, timeout, max_stdout).await
    }

    /// Whether the pooled connection is up right now.
    pub fn is_connected(&self) -> bool {
        self.pool.is_connected()
    }

    /// Runs `action` on `session` of tmux server `server` there (every tmux call of the
    /// action addresses that server), over the pooled connection; what
    /// [`SessionSource::act`] does with the server the session's status file names.
    pub async fn act_on(
        &self,
        server: &TmuxServer,
        session: &str,
        action: &Action,
    ) -> Result<ActionOutput, SourceError> {
        self.act_on_by(server, session, action, Deadline::after(limits::ACTION))
            .await
    }

    async fn act_on_by(
        &self,
        server: &TmuxServer,
        session: &str,
        action: &Action,
        deadline: Deadline,
    ) -> Result<ActionOutput, SourceError> {
        let r = &self.remote;
        let on = actions::On {
            pool: &self.pool,
            remote: &r.name,
            sessions_dir: &r.sessions_dir,
            server,
            deadline,
        };
        // Boxed: the actions' futures are large (one per kind), kept off the caller's stack.
        let out = Box::pin(act::act(&on, session, action)).await;
        // The push loop shows the action's effect (a new or ended tmux session) before
        // the next poll.
        self.pool.settle().await;
        out
    }
}

#[async_trait]
impl SessionSource for SshSource {
    fn label(&self) -> Option<&str> {
        Some(&self.remote.name)
    }

    async fn poll(&self) -> Result<Vec<SessionInfo>, SourceError> {
        self.poll_report().await.map(PollReport::into_sessions)
    }

    /// One snapshot of the remote's status directory over the pooled connection;
    /// `latency` is the measured round trip of the poll itself. Each row's liveness is
    /// decided from what its own tmux server said (core's one rule), and the files a
    /// rename made in tmux left behind follow the session to its new name (see
    /// `follow`; a failure there is logged, never the poll's).
    async fn poll_report(&self) -> Result<PollReport, SourceError> {
        self.poll_within(Deadline::after(self.remote.timeout)).await
    }

    /// [`poll_report`](SessionSource::poll_report), each step giving up at `deadline` with
    /// its own error ("waiting for the poll's answer from dev").
    async fn poll_within(&self, deadline: Deadline) -> Result<PollReport, SourceError> {
        let mut report = self.pool.poll(deadline).await?;
        self.check_gone_servers(&mut report).await;
        let follows = report.decide_liveness();
        if !follows.is_empty() {
            let r = &self.remote;
            follow::follow_renames(
                &self.pool,
                &r.name,
                &r.sessions_dir,
                r.timeout,
                &mut report,
                &follows,
            )
            .await;
        }
        self.remember_servers(&report);
        if let Some(PollNote::MissingDir { remote, .. }) = &mut report.note {
            *remote = Some(self.remote.name.clone());
        }
        Ok(report)
    }

    fn attach(&self, s: &SessionInfo, _ctx: &AttachContext) -> Result<AttachCommand, SourceError> {
        let socket = s.tmux.as_ref().and_then(|t| t.socket.as_deref());
        attach_argv(&self.remote, &s.tmux_session, socket)
    }

    /// Ends the reconnect backoff: the next poll connects at once (after a manual
    /// refresh, or after the user trusted the host key).
    fn retry_now(&self) {
        self.pool.retry_now();
    }

    /// Resolves when the remote's push loop sent a change (or stopped).
    async fn wait_change(&self) {
        self.pool.wait_change().await;
    }

    /// Through the connection's pane follow loop: a read-only tmux control client on the
    /// remote, filtered there, one short line per change of the session's active pane
    /// (see `pool/follow_pane.rs`). `Unsupported` when the remote's tmux has no control
    /// mode with client flags (before 3.2), the name is refused, or the remote cannot be
    /// reached.
    async fn wait_pane_change(&self, session: &str) -> PaneChange {
        let Ok(name) = SessionName::existing(session) else {
            return PaneChange::Unsupported;
        };
        let Ok(server) = self.server_of(session).await else {
            return PaneChange::Unsupported;
        };
        self.pool.wait_pane_change(&server, &name).await
    }

    fn supports(&self) -> Capabilities {
        Capabilities::ALL
    }

    /// Over the pooled connection, one login-shell-neutral command per step.
    async fn act(&self, session: &str, action: &Action) -> Result<ActionOutput, SourceError> {
        self.act_within(session, action, Deadline::after(limits::ACTION))
            .await
    }

    /// Every remote step of the action waits until `deadline` at most.
    async fn act_within(
        &self,
        session: &str,
        action: &Action,
        deadline: Deadline,
    ) -> Result<ActionOutput, SourceError> {
        // The session's own server (its file's `tmux.socket`); `new` goes where a plain
        // `tmux` reaches.
        let server = match action {
            Action::New { .. } => TmuxServer::Default,
            _ => self.server_of(session).await?,
        };
        self.act_on_by(&server, session, action, deadline).await
    }
}

/// Connects to the remote (through its jump host) far enough to read its host key;
/// does not authenticate to the remote and writes nothing.
///
/// With a jump host, the bastion must be trusted (and logged into) first: while its key
/// is unknown, this returns the bastion's key; trust it, then scan again for the
/// target's.
pub async fn scan_host_key(remote: &Remote) -> Result<ScannedHostKey, SourceError> {
    let reading = format!("reading the host key of remote {}", remote.name);
    Deadline::after(remote.timeout)
        .bound(pool::scan(remote), &reading)
        .await
}
