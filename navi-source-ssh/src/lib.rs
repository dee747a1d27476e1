//! `SshSource`: Claude Code sessions of a remote machine, over one pooled russh connection.
//!
//! SKELETON — the public surface below is the contract the app and the tests program
//! against. Bodies are being written; signatures may gain items but not lose them.

#![allow(missing_docs)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use async_trait::async_trait;
use navi_core::{AttachCommand, AttachContext, SessionInfo, SessionSource, SourceError};

/// `~/.config/navi/remotes.yaml` under `$HOME`, if a home is known.
pub fn default_remotes_path() -> Option<PathBuf> {
    std::env::home_dir().map(|h| h.join(".config/navi/remotes.yaml"))
}

/// One problem in remotes.yaml: names the file, the remote (when known) and the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: remote {remote:?}: field `{field}`: {message}")]
pub struct ConfigError {
    pub file: PathBuf,
    /// The entry's `name`, or `#N` (1-based index) when it has none.
    pub remote: String,
    /// The offending key (`host`, `port`, `jump_host`, ... or `remotes` for the file).
    pub field: String,
    pub message: String,
}

/// A remote with every setting resolved (YAML, then `~/.ssh/config`, then defaults).
#[derive(Debug, Clone, PartialEq)]
pub struct Remote {
    pub name: String,
    /// Host to connect to (after `~/.ssh/config` `HostName`).
    pub host: String,
    /// The `host` as written in remotes.yaml (may be an ssh_config alias).
    pub host_alias: String,
    pub port: u16,
    pub user: String,
    /// Key files to try, in order (YAML `key`, else ssh_config `IdentityFile`s).
    pub keys: Vec<PathBuf>,
    pub jump: Option<JumpHost>,
    pub known_hosts: PathBuf,
    /// As written (`~` is expanded by the remote's shell).
    pub sessions_dir: String,
    pub timeout: Duration,
    pub poll_interval: Duration,
}

/// A bastion: `[user@]host[:port]`; user and key default to the remote's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JumpHost {
    pub host: String,
    pub port: u16,
    pub user: String,
}

/// What [`load_remotes`] found: the valid remotes and one error per invalid entry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadedRemotes {
    pub remotes: Vec<Remote>,
    pub errors: Vec<ConfigError>,
}

/// Reads remotes.yaml. A missing file is no remotes and no error.
pub fn load_remotes(path: &Path) -> LoadedRemotes {
    let _ = path;
    todo!("navi-source-ssh: load_remotes")
}

/// The SSH source of one remote. Cheap to clone? No: share it as `Arc<SshSource>`.
#[derive(Debug)]
pub struct SshSource {
    remote: Remote,
}

impl SshSource {
    pub fn new(remote: Remote) -> Self {
        SshSource { remote }
    }

    pub fn remote(&self) -> &Remote {
        &self.remote
    }

    /// SSH connections (to the target) opened so far; pooling keeps this at 1.
    pub fn connections_opened(&self) -> u64 {
        todo!()
    }
}

#[async_trait]
impl SessionSource for SshSource {
    fn label(&self) -> Option<&str> {
        Some(&self.remote.name)
    }

    async fn poll(&self) -> Result<Vec<SessionInfo>, SourceError> {
        todo!()
    }

    fn attach(&self, s: &SessionInfo, ctx: &AttachContext) -> Result<AttachCommand, SourceError> {
        let _ = (s, ctx);
        todo!()
    }
}

/// The host key a remote presents, for `navi remotes trust NAME`.
#[derive(Debug, Clone)]
pub struct ScannedHostKey {
    /// `SHA256:...` as OpenSSH prints it.
    pub fingerprint: String,
    /// Key algorithm (`ssh-ed25519`, ...).
    pub algorithm: String,
    /// The known_hosts line that trusts it (`host` or `[host]:port`, key).
    pub known_hosts_line: String,
    /// The file the line belongs in.
    pub known_hosts: PathBuf,
}

/// Connects to the remote (through its jump host) far enough to read its host key;
/// does not authenticate and writes nothing.
pub async fn scan_host_key(remote: &Remote) -> Result<ScannedHostKey, SourceError> {
    let _ = remote;
    todo!()
}

/// Appends the scanned key to its known_hosts file (creating it, mode 0600).
pub fn trust_host_key(key: &ScannedHostKey) -> std::io::Result<()> {
    let _ = key;
    todo!()
}
