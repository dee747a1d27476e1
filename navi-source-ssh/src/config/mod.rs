//! `remotes.yaml`: reading, validating and resolving remotes against `~/.ssh/config`.
//!
//! Every entry is validated on its own: an invalid entry yields exactly one
//! [`ConfigError`] (file, remote, field, what to do) and is skipped, the valid entries
//! still load. Resolution order for each setting is: the YAML entry, then the matching
//! `~/.ssh/config` block (when `host` is an alias), then navi's defaults.
//!
//! * [`entry`]: one entry's fields, validated, then resolved into a [`Remote`];
//! * [`ssh_config`]: the `~/.ssh/config` lookups of that resolution;
//! * [`values`]: single values (durations, ports, `[user@]host[:port]`, host and user
//!   names);
//! * [`environment`]: what comes from the local machine (home, user, default keys).

mod entry;
mod environment;
mod keywords;
mod ssh_config;
mod ssh_file;
mod values;

#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use navi_core::limits;

use serde_yaml::Value;

pub use environment::Env;
use environment::{default_keys, default_known_hosts, default_other_known_hosts};
pub(crate) use values::{check_host, check_user};

use entry::parse_entry;
use ssh_config::load_ssh_config;
use values::describe;

/// Where the status files live on a remote unless `sessions_dir` says otherwise.
pub(crate) const DEFAULT_SESSIONS_DIR: &str = "~/.claude-sessions";
/// Unanswered keepalives before a connection counts as dead unless
/// `ServerAliveCountMax` says otherwise.
pub(crate) const DEFAULT_SERVER_ALIVE_COUNT_MAX: u32 = 3;
/// Jump hosts in one chain at most (a longer `ProxyJump` chain is a loop or a mistake).
pub(crate) const MAX_JUMP_HOSTS: usize = 8;
/// remotes.yaml larger than this is refused (real files are a few hundred bytes).
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;
/// The `remote` of errors about the file as a whole.
const FILE_LEVEL: &str = "(file)";

/// One problem in remotes.yaml: names the file, the remote (when known) and the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: remote {remote:?}: field `{field}`: {message}")]
pub struct ConfigError {
    /// The file the problem is in (remotes.yaml, or `~/.ssh/config` for its own errors).
    pub file: PathBuf,
    /// The entry's `name`, or `#N` (1-based index) when it has none.
    pub remote: String,
    /// The offending key (`host`, `port`, `jump_host`, ... or `remotes` for the file).
    pub field: String,
    /// What is wrong and, where possible, what to write instead.
    pub message: String,
}

/// A remote with every setting resolved (YAML, then `~/.ssh/config`, then defaults).
#[derive(Debug, Clone, PartialEq)]
pub struct Remote {
    /// The remote's name: shown in the UI, used by `navi remotes trust NAME`.
    pub name: String,
    /// Host to connect to (after `~/.ssh/config` `HostName`).
    pub host: String,
    /// The `host` as written in remotes.yaml (may be an ssh_config alias).
    pub host_alias: String,
    /// TCP port of sshd.
    pub port: u16,
    /// Login user on the remote.
    pub user: String,
    /// Key files to try, in order (YAML `key`, else ssh_config `IdentityFile`s).
    pub keys: Vec<PathBuf>,
    /// The bastion to connect through, if any: the first hop of a `ProxyJump a,b,...`
    /// chain (the one navi dials).
    pub jump: Option<JumpHost>,
    /// The further hops after `jump`, in order (`ProxyJump a,b,c`: `jump` is `a`, these
    /// are `b`, `c`); each is reached through the one before, and the remote through the
    /// last.
    pub further_jumps: Vec<JumpHost>,
    /// The `~/.ssh/config` connection settings of each hop, in the order `jump`,
    /// `further_jumps...`; a hop without an entry uses [`SshOptions::default`].
    pub jump_options: Vec<SshOptions>,
    /// The remote's own connection settings (`~/.ssh/config`, else defaults).
    pub options: SshOptions,
    /// The known_hosts file host keys are verified against (and `trust` writes to).
    pub known_hosts: PathBuf,
    /// Further known_hosts files read (never written) after `known_hosts`: the rest of
    /// `UserKnownHostsFile`, then `GlobalKnownHostsFile` (OpenSSH's defaults:
    /// `~/.ssh/known_hosts2`, `/etc/ssh/ssh_known_hosts`, `/etc/ssh/ssh_known_hosts2`).
    pub other_known_hosts: Vec<PathBuf>,
    /// As written (`~` is expanded by the remote's shell).
    pub sessions_dir: String,
    /// Bound on connecting and on each poll.
    pub timeout: Duration,
    /// Time between polls (with push: between reads of what the remote pushed, and
    /// between polls where the push loop cannot run).
    pub poll_interval: Duration,
    /// The remote sends its changes over a long-lived loop (`push: true`, the
    /// default); `false` polls a snapshot every `poll_interval`.
    pub push: bool,
}

impl Remote {
    /// A remote with navi's defaults: port 22, the current user, the standard key files
    /// that exist, `~/.ssh/known_hosts`, `~/.claude-sessions`, 10 s timeout, 2 s interval.
    pub fn new(name: impl Into<String>, host: impl Into<String>) -> Remote {
        let env = Env::from_process();
        let host = host.into();
        Remote {
            name: name.into(),
            host_alias: host.clone(),
            host,
            port: 22,
            user: env.user.clone().unwrap_or_default(),
            keys: default_keys(env.home.as_deref()),
            jump: None,
            further_jumps: Vec::new(),
            jump_options: Vec::new(),
            options: SshOptions::default(),
            known_hosts: default_known_hosts(env.home.as_deref()),
            other_known_hosts: default_other_known_hosts(env.home.as_deref()),
            sessions_dir: DEFAULT_SESSIONS_DIR.to_string(),
            timeout: limits::REMOTE_TIMEOUT,
            poll_interval: limits::REMOTE_POLL_INTERVAL,
            push: true,
        }
    }

    /// Every known_hosts file host keys are checked against, in order: `known_hosts`,
    /// then `other_known_hosts`.
    pub fn known_hosts_files(&self) -> Vec<PathBuf> {
        let mut files = vec![self.known_hosts.clone()];
        files.extend(self.other_known_hosts.iter().cloned());
        files
    }

    /// `user@host:port` (for messages).
    pub fn destination(&self) -> String {
        format!("{}@{}", self.user, host_port(&self.host, self.port))
    }

    /// Every jump host in the order they are reached (`jump`, then `further_jumps`),
    /// each with its connection settings.
    pub fn jump_hosts(&self) -> Vec<(&JumpHost, SshOptions)> {
        self.jump
            .iter()
            .chain(self.further_jumps.iter())
            .enumerate()
            .map(|(i, j)| (j, self.jump_options.get(i).cloned().unwrap_or_default()))
            .collect()
    }
}

/// How navi reaches and keeps one host: the `~/.ssh/config` settings of its login and
/// its connection (OpenSSH's defaults where the file says nothing, except keepalives,
/// which navi always sends unless told not to).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshOptions {
    /// `IdentitiesOnly yes`: offer only the configured key files (and the agent's keys
    /// that are those files' keys), not every key the agent holds.
    pub identities_only: bool,
    /// `IdentityAgent`: which ssh-agent to ask for keys.
    pub identity_agent: IdentityAgent,
    /// `ConnectTimeout`: bound on TCP connect plus the SSH handshake (the poll's own
    /// deadline bounds it too).
    pub connect_timeout: Option<Duration>,
    /// `ServerAliveInterval`: idle time before a keepalive is sent; zero sends none.
    pub server_alive_interval: Duration,
    /// `ServerAliveCountMax`: unanswered keepalives after which the connection is
    /// dead (at the next interval, as OpenSSH does).
    pub server_alive_count_max: u32,
}

impl Default for SshOptions {
    fn default() -> Self {
        SshOptions {
            identities_only: false,
            identity_agent: IdentityAgent::FromEnv,
            connect_timeout: None,
            server_alive_interval: limits::SERVER_ALIVE_INTERVAL,
            server_alive_count_max: DEFAULT_SERVER_ALIVE_COUNT_MAX,
        }
    }
}

/// Which ssh-agent navi asks for keys (`IdentityAgent`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum IdentityAgent {
    /// The agent at `$SSH_AUTH_SOCK` when navi connects (the default).
    #[default]
    FromEnv,
    /// The agent listening on this socket.
    Socket(PathBuf),
    /// `IdentityAgent none`: no agent.
    None,
}

impl IdentityAgent {
    /// The socket to ask, if any (reads `SSH_AUTH_SOCK` for [`IdentityAgent::FromEnv`]).
    pub fn socket(&self) -> Option<PathBuf> {
        match self {
            IdentityAgent::FromEnv => std::env::var_os("SSH_AUTH_SOCK")
                .filter(|s| !s.is_empty())
                .map(PathBuf::from),
            IdentityAgent::Socket(p) => Some(p.clone()),
            IdentityAgent::None => None,
        }
    }
}

/// A bastion: `[user@]host[:port]`. One written in remotes.yaml logs in with the
/// remote's user and keys unless said otherwise; one from `~/.ssh/config` `ProxyJump`
/// with its own `User` (else the local user, as OpenSSH) and its own `IdentityFile`s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JumpHost {
    /// Host name or address of the bastion.
    pub host: String,
    /// Its sshd port.
    pub port: u16,
    /// Login user on the bastion.
    pub user: String,
    /// The bastion's own key files (its `~/.ssh/config` `IdentityFile`s); when empty,
    /// the remote's keys are offered ([`keys_with`](JumpHost::keys_with)).
    pub keys: Vec<PathBuf>,
}

impl JumpHost {
    /// The key files to offer the bastion: its own (its `~/.ssh/config`
    /// `IdentityFile`s) when it has any, as OpenSSH offers a jump host its own
    /// identities; else the remote's (a `jump_host` written in remotes.yaml logs in
    /// like its remote).
    pub fn keys_with(&self, remote_keys: &[PathBuf]) -> Vec<PathBuf> {
        if self.keys.is_empty() {
            remote_keys.to_vec()
        } else {
            self.keys.clone()
        }
    }
}

/// What [`load_remotes`] found: the valid remotes and one error per invalid entry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadedRemotes {
    /// The valid remotes, in file order.
    pub remotes: Vec<Remote>,
    /// One error per invalid entry (and file-level problems).
    pub errors: Vec<ConfigError>,
}

/// Reads remotes.yaml. A missing file is no remotes and no error.
pub fn load_remotes(path: &Path) -> LoadedRemotes {
    load_remotes_with(path, &Env::from_process())
}

/// [`load_remotes`] with an explicit environment (home, ssh_config location, user).
pub(crate) fn load_remotes_with(path: &Path, env: &Env) -> LoadedRemotes {
    match read_capped(path) {
        Ok(Some(text)) => load_remotes_from_str(path, &text, env),
        Ok(None) => LoadedRemotes::default(),
        Err(message) => LoadedRemotes {
            remotes: Vec::new(),
            errors: vec![file_error(path, message)],
        },
    }
}

fn file_error(path: &Path, message: String) -> ConfigError {
    ConfigError {
        file: path.to_path_buf(),
        remote: FILE_LEVEL.to_string(),
        field: "remotes".to_string(),
        message,
    }
}

/// Parses remotes.yaml text as if read from `path` (errors name `path`).
pub fn load_remotes_from_str(path: &Path, text: &str, env: &Env) -> LoadedRemotes {
    let mut out = LoadedRemotes::default();
    match remote_entries(text) {
        Ok(Some(entries)) => load_entries(path, &entries, env, &mut out),
        // An empty file (or only comments, or an empty list): nothing configured yet.
        Ok(None) => {}
        Err(message) => out.errors.push(file_error(path, message)),
    }
    out
}

/// The entries of the top-level `remotes:` list; `None` when there is nothing yet.
fn remote_entries(text: &str) -> Result<Option<Vec<Value>>, String> {
    let doc: Value = serde_yaml::from_str(text).map_err(|e| {
        format!("not valid YAML ({e}); expected `remotes:` followed by a list of entries")
    })?;
    match doc {
        Value::Null => Ok(None),
        Value::Mapping(map) => match map.get("remotes") {
            Some(Value::Sequence(seq)) => Ok(Some(seq.clone())),
            Some(Value::Null) => Ok(None),
            Some(other) => Err(format!(
                "`remotes` must be a list of entries (`- name: ...`), found {}",
                describe(other)
            )),
            None => Err(
                "no `remotes:` list at the top level; write `remotes:` followed by \
                 entries such as `- name: dev` / `host: dev.example.com`"
                    .to_string(),
            ),
        },
        other => Err(format!(
            "the top level must be a mapping with a `remotes:` list, found {}",
            describe(&other)
        )),
    }
}

/// Every entry on its own: a valid one becomes a remote (unless its name is taken), an
/// invalid one one error.
fn load_entries(path: &Path, entries: &[Value], env: &Env, out: &mut LoadedRemotes) {
    let ssh = load_ssh_config(env, &mut out.errors);
    let mut names: HashSet<String> = HashSet::new();
    for (i, entry) in entries.iter().enumerate() {
        let mut warnings = Vec::new();
        let parsed = parse_entry(entry, i + 1, env, ssh.as_ref(), &mut warnings);
        out.errors
            .extend(warnings.into_iter().map(|w| w.in_file(path)));
        match parsed {
            Ok(remote) if names.insert(remote.name.clone()) => out.remotes.push(remote),
            Ok(remote) => out.errors.push(duplicate_name(path, &remote.name, i + 1)),
            Err(e) => out.errors.push(e.in_file(path)),
        }
    }
}

fn duplicate_name(path: &Path, name: &str, index: usize) -> ConfigError {
    ConfigError {
        file: path.to_path_buf(),
        remote: name.to_string(),
        field: "name".to_string(),
        message: format!(
            "duplicate name `{name}` (entry #{index}); every remote needs its own name"
        ),
    }
}

/// `Ok(None)` when the file does not exist.
fn read_capped(path: &Path) -> Result<Option<String>, String> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read the file: {e}")),
    };
    if meta.len() > MAX_CONFIG_BYTES {
        return Err(format!(
            "the file is {} bytes, over the {MAX_CONFIG_BYTES}-byte limit",
            meta.len()
        ));
    }
    match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| "the file is not UTF-8 text".to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read the file: {e}")),
    }
}

/// `host` for port 22, `[host]:port` otherwise (the known_hosts spelling).
pub(crate) fn host_port(host: &str, port: u16) -> String {
    if port == 22 {
        host.to_string()
    } else {
        format!("[{host}]:{port}")
    }
}
