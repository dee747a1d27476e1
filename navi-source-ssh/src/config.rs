//! `remotes.yaml`: reading, validating and resolving remotes against `~/.ssh/config`.
//!
//! Every entry is validated on its own: an invalid entry yields exactly one
//! [`ConfigError`] (file, remote, field, what to do) and is skipped, the valid entries
//! still load. Resolution order for each setting is: the YAML entry, then the matching
//! `~/.ssh/config` block (when `host` is an alias), then navi's defaults.

use std::collections::HashSet;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use navi_core::text::expand_home;
use std::time::Duration;

use serde_yaml::Value;
use ssh2_config::{HostParams, ParseRule, SshConfig};

/// Where the status files live on a remote unless `sessions_dir` says otherwise.
pub const DEFAULT_SESSIONS_DIR: &str = "~/.claude-sessions";
/// Connect and poll timeout unless `timeout` says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Time between polls unless `poll_interval` says otherwise.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(2);
/// remotes.yaml larger than this is refused (real files are a few hundred bytes).
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;
/// The `remote` of errors about the file as a whole.
const FILE_LEVEL: &str = "(file)";

/// The keys an entry may have.
const KNOWN_FIELDS: &[&str] = &[
    "name",
    "host",
    "user",
    "key",
    "sessions_dir",
    "jump_host",
    "jump_user",
    "port",
    "timeout",
    "poll_interval",
    "known_hosts",
];

/// `~/.config/navi/remotes.yaml` under `$HOME`, if a home is known.
pub fn default_remotes_path() -> Option<PathBuf> {
    std::env::home_dir().map(|h| h.join(".config/navi/remotes.yaml"))
}

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
    /// The bastion to connect through, if any.
    pub jump: Option<JumpHost>,
    /// The known_hosts file host keys are verified against (and `trust` writes to).
    pub known_hosts: PathBuf,
    /// As written (`~` is expanded by the remote's shell).
    pub sessions_dir: String,
    /// Bound on connecting and on each poll.
    pub timeout: Duration,
    /// Time between polls.
    pub poll_interval: Duration,
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
            known_hosts: default_known_hosts(env.home.as_deref()),
            sessions_dir: DEFAULT_SESSIONS_DIR.to_string(),
            timeout: DEFAULT_TIMEOUT,
            poll_interval: DEFAULT_POLL_INTERVAL,
        }
    }

    /// `user@host:port` (for messages).
    pub fn destination(&self) -> String {
        format!("{}@{}", self.user, host_port(&self.host, self.port))
    }
}

/// A bastion: `[user@]host[:port]`; user and key default to the remote's (a
/// `~/.ssh/config` alias for it adds its own `IdentityFile`s first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JumpHost {
    /// Host name or address of the bastion.
    pub host: String,
    /// Its sshd port.
    pub port: u16,
    /// Login user on the bastion.
    pub user: String,
    /// The bastion's own key files (its `~/.ssh/config` `IdentityFile`), tried before
    /// the remote's keys, as `ssh -J` does; usually empty.
    pub keys: Vec<PathBuf>,
}

impl JumpHost {
    /// The key files to offer the bastion: its own, then the remote's.
    pub fn keys_with(&self, remote_keys: &[PathBuf]) -> Vec<PathBuf> {
        let mut all = self.keys.clone();
        for k in remote_keys {
            if !all.contains(k) {
                all.push(k.clone());
            }
        }
        all
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

/// The parts of the process environment configuration depends on; injectable for tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Env {
    /// The local home directory: `~` in local paths (key, known_hosts) expands to it.
    pub home: Option<PathBuf>,
    /// The OpenSSH client config to resolve host aliases with (`None`: don't).
    pub ssh_config: Option<PathBuf>,
    /// The default login user (`$USER`, else `$LOGNAME`, else the account of this
    /// process's uid in `/etc/passwd`, as OpenSSH does).
    pub user: Option<String>,
}

impl Env {
    /// The real environment: `$HOME`, `$HOME/.ssh/config`, `$USER`/`$LOGNAME` (or the
    /// passwd entry of the current uid when neither is set, e.g. under cron or su).
    pub fn from_process() -> Env {
        let home = std::env::home_dir();
        let user = ["USER", "LOGNAME"]
            .iter()
            .filter_map(|v| std::env::var(v).ok())
            .find(|u| !u.is_empty())
            .or_else(current_account);
        Env {
            ssh_config: home.as_ref().map(|h| h.join(".ssh/config")),
            home,
            user,
        }
    }
}

/// The login name of this process's uid (from `/proc/self` and `/etc/passwd`).
fn current_account() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").ok()?.uid();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    account_for_uid(&passwd, uid)
}

/// The name of the first `/etc/passwd` entry with this uid.
fn account_for_uid(passwd: &str, uid: u32) -> Option<String> {
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let entry_uid: u32 = fields.nth(1)?.parse().ok()?;
        (entry_uid == uid && !name.is_empty()).then(|| name.to_string())
    })
}

/// Reads remotes.yaml. A missing file is no remotes and no error.
pub fn load_remotes(path: &Path) -> LoadedRemotes {
    load_remotes_with(path, &Env::from_process())
}

/// [`load_remotes`] with an explicit environment (home, ssh_config location, user).
pub fn load_remotes_with(path: &Path, env: &Env) -> LoadedRemotes {
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
    let file_error = |message: String| file_error(path, message);
    let doc: Value = match serde_yaml::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            out.errors.push(file_error(format!(
                "not valid YAML ({e}); expected `remotes:` followed by a list of entries"
            )));
            return out;
        }
    };
    let entries = match doc {
        // An empty file (or only comments): nothing configured yet.
        Value::Null => return out,
        Value::Mapping(map) => match map.get("remotes") {
            Some(Value::Sequence(seq)) => seq.clone(),
            Some(Value::Null) => return out,
            Some(other) => {
                out.errors.push(file_error(format!(
                    "`remotes` must be a list of entries (`- name: ...`), found {}",
                    describe(other)
                )));
                return out;
            }
            None => {
                out.errors.push(file_error(
                    "no `remotes:` list at the top level; write `remotes:` followed by \
                     entries such as `- name: dev` / `host: dev.example.com`"
                        .to_string(),
                ));
                return out;
            }
        },
        other => {
            out.errors.push(file_error(format!(
                "the top level must be a mapping with a `remotes:` list, found {}",
                describe(&other)
            )));
            return out;
        }
    };

    let ssh = load_ssh_config(env, &mut out.errors);
    let mut names: HashSet<String> = HashSet::new();
    for (i, entry) in entries.iter().enumerate() {
        let mut warnings = Vec::new();
        let parsed = parse_entry(entry, i + 1, env, ssh.as_ref(), &mut warnings);
        out.errors.extend(warnings.into_iter().map(|w| ConfigError {
            file: path.to_path_buf(),
            remote: w.remote,
            field: w.field,
            message: w.message,
        }));
        match parsed {
            Ok(remote) => {
                if !names.insert(remote.name.clone()) {
                    out.errors.push(ConfigError {
                        file: path.to_path_buf(),
                        remote: remote.name.clone(),
                        field: "name".to_string(),
                        message: format!(
                            "duplicate name `{}` (entry #{}); every remote needs its own name",
                            remote.name,
                            i + 1
                        ),
                    });
                    continue;
                }
                out.remotes.push(remote);
            }
            Err(e) => out.errors.push(ConfigError {
                file: path.to_path_buf(),
                remote: e.remote,
                field: e.field,
                message: e.message,
            }),
        }
    }
    out
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

fn load_ssh_config(env: &Env, errors: &mut Vec<ConfigError>) -> Option<SshConfig> {
    let path = env.ssh_config.as_ref()?;
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            errors.push(ssh_config_error(path, format!("cannot read it: {e}")));
            return None;
        }
    };
    let mut cfg = SshConfig::default();
    if let Some(home) = &env.home {
        cfg = cfg.home_dir(home);
    }
    let rules = ParseRule::ALLOW_UNKNOWN_FIELDS | ParseRule::ALLOW_UNSUPPORTED_FIELDS;
    match cfg.parse(&mut BufReader::new(file), rules) {
        Ok(cfg) => Some(cfg),
        Err(e) => {
            errors.push(ssh_config_error(
                path,
                format!("cannot parse it ({e}); host aliases are not resolved"),
            ));
            None
        }
    }
}

fn ssh_config_error(path: &Path, message: String) -> ConfigError {
    ConfigError {
        file: path.to_path_buf(),
        remote: FILE_LEVEL.to_string(),
        field: "ssh_config".to_string(),
        message,
    }
}

/// An entry-level error before it gets its file.
struct EntryError {
    remote: String,
    field: String,
    message: String,
}

/// The YAML fields of one entry, validated but not yet resolved.
#[derive(Default)]
struct RawEntry {
    name: Option<String>,
    host: Option<String>,
    user: Option<String>,
    key: Option<String>,
    sessions_dir: Option<String>,
    jump_host: Option<JumpSpec>,
    jump_user: Option<String>,
    port: Option<u16>,
    timeout: Option<Duration>,
    poll_interval: Option<Duration>,
    known_hosts: Option<String>,
}

fn parse_entry(
    entry: &Value,
    index: usize,
    env: &Env,
    ssh: Option<&SshConfig>,
    warnings: &mut Vec<EntryError>,
) -> Result<Remote, EntryError> {
    let map = match entry {
        Value::Mapping(m) => m,
        other => {
            return Err(EntryError {
                remote: format!("#{index}"),
                field: "remotes".to_string(),
                message: format!(
                    "each entry must be a mapping such as `- name: dev` / `host: dev.example.com`, \
                     found {}",
                    describe(other)
                ),
            })
        }
    };
    // The label errors use: the entry's name when it has a usable one.
    let label = match map.get("name") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        _ => format!("#{index}"),
    };
    let err = |field: &str, message: String| EntryError {
        remote: label.clone(),
        field: field.to_string(),
        message,
    };

    let mut raw = RawEntry::default();
    for (k, v) in map {
        let Value::String(key) = k else {
            return Err(err(
                &plain(k),
                format!("field names must be text, found {}", describe(k)),
            ));
        };
        let field = key.as_str();
        let bad = |message: String| err(field, message);
        match field {
            "name" => {
                let s = text(v).map_err(bad)?;
                if s.trim().is_empty() {
                    return Err(err(field, "is empty; give the remote a name".into()));
                }
                if s.chars().any(char::is_control) {
                    return Err(err(field, "contains control characters".into()));
                }
                raw.name = Some(s);
            }
            "host" => {
                let s = text(v).map_err(bad)?;
                check_host_alias(&s).map_err(bad)?;
                raw.host = Some(s);
            }
            "user" => {
                let s = text(v).map_err(bad)?;
                check_user(&s).map_err(bad)?;
                raw.user = Some(s);
            }
            "key" => {
                let s = text(v).map_err(bad)?;
                if s.trim().is_empty() {
                    return Err(err(
                        field,
                        "is empty; give the path of a private key".into(),
                    ));
                }
                raw.key = Some(s);
            }
            "known_hosts" => {
                let s = text(v).map_err(bad)?;
                if s.trim().is_empty() {
                    return Err(err(
                        field,
                        "is empty; give the path of a known_hosts file".into(),
                    ));
                }
                raw.known_hosts = Some(s);
            }
            "sessions_dir" => {
                let s = text(v).map_err(bad)?;
                if s.is_empty() {
                    return Err(err(
                        field,
                        format!("is empty (the default is {DEFAULT_SESSIONS_DIR})"),
                    ));
                }
                if s.chars().any(char::is_control) {
                    return Err(err(
                        field,
                        "contains control characters (a newline?)".into(),
                    ));
                }
                raw.sessions_dir = Some(s);
            }
            "jump_host" => {
                let s = text(v).map_err(bad)?;
                raw.jump_host = Some(parse_jump_spec(&s).map_err(bad)?);
            }
            "jump_user" => {
                let s = text(v).map_err(bad)?;
                check_user(&s).map_err(bad)?;
                raw.jump_user = Some(s);
            }
            "port" => raw.port = Some(parse_port_value(v).map_err(bad)?),
            "timeout" => raw.timeout = Some(parse_duration_value(v).map_err(bad)?),
            "poll_interval" => raw.poll_interval = Some(parse_duration_value(v).map_err(bad)?),
            // The Go navi ignored keys it did not know, so a file written for it may
            // carry some: warn (naming the key, with a likely fix) and keep the remote.
            other => {
                let hint = match suggest(other) {
                    Some(s) => format!("; did you mean `{s}`?"),
                    None => format!("; known fields: {}", KNOWN_FIELDS.join(", ")),
                };
                warnings.push(err(
                    other,
                    format!("unknown field `{other}` is ignored{hint}"),
                ));
            }
        }
    }

    let name = raw
        .name
        .ok_or_else(|| err("name", "is missing; every remote needs a `name`".into()))?;
    let alias = raw.host.ok_or_else(|| {
        err(
            "host",
            "is missing; give the host name, address or ~/.ssh/config alias".into(),
        )
    })?;

    let params = ssh.map(|c| c.query(&alias));
    let params = params.as_ref();
    let host = params
        .and_then(|p| p.host_name.as_deref())
        .map(|h| expand_host_tokens(h, &alias))
        .unwrap_or_else(|| alias.clone());
    check_host(&host).map_err(|m| {
        err(
            "host",
            format!("resolves (via ~/.ssh/config HostName) to `{host}`, which {m}"),
        )
    })?;
    let port = raw.port.or(params.and_then(|p| p.port)).unwrap_or(22);
    if port == 0 {
        return Err(err("port", "~/.ssh/config gives port 0; set `port`".into()));
    }
    let user = match raw
        .user
        .or_else(|| params.and_then(|p| p.user.clone()))
        .or_else(|| env.user.clone())
    {
        Some(u) => u,
        None => {
            return Err(err(
                "user",
                "is missing and $USER is not set; set `user`".into(),
            ))
        }
    };
    check_user(&user).map_err(|m| err("user", m))?;
    let keys = match raw.key {
        Some(k) => vec![expand_home(Path::new(&k), env.home.as_deref())],
        None => match params.and_then(|p| p.identity_file.clone()) {
            Some(files) if !files.is_empty() => files,
            _ => default_keys(env.home.as_deref()),
        },
    };
    // A YAML `jump_host` logs in as the remote's user unless it says otherwise; a
    // ProxyJump taken from ~/.ssh/config also takes that file's `User` for the bastion,
    // as ssh would.
    let (jump, jump_from_ssh_config) = match raw.jump_host {
        Some(spec) => (Some(spec), false),
        None => match params
            .and_then(|p| p.proxy_jump.as_ref())
            .and_then(|j| j.first())
        {
            Some(first) if !first.eq_ignore_ascii_case("none") => (
                Some(parse_jump_spec(first).map_err(|m| {
                    err(
                        "jump_host",
                        format!("~/.ssh/config ProxyJump `{first}`: {m}"),
                    )
                })?),
                true,
            ),
            _ => (None, false),
        },
    };
    let jump = match jump {
        Some(spec) => Some(
            resolve_jump(
                spec,
                raw.jump_user.as_deref(),
                &user,
                ssh,
                jump_from_ssh_config,
            )
            .map_err(|m| err("jump_host", m))?,
        ),
        None => {
            if raw.jump_user.is_some() {
                return Err(err(
                    "jump_user",
                    "is set but there is no `jump_host`".into(),
                ));
            }
            None
        }
    };
    let known_hosts = match raw.known_hosts {
        Some(p) => expand_home(Path::new(&p), env.home.as_deref()),
        None => match params.and_then(user_known_hosts_file) {
            Some(p) => expand_home(Path::new(&p), env.home.as_deref()),
            None => default_known_hosts(env.home.as_deref()),
        },
    };
    Ok(Remote {
        name,
        host,
        host_alias: alias,
        port,
        user,
        keys,
        jump,
        known_hosts,
        sessions_dir: raw
            .sessions_dir
            .unwrap_or_else(|| DEFAULT_SESSIONS_DIR.to_string()),
        timeout: raw.timeout.unwrap_or(DEFAULT_TIMEOUT),
        poll_interval: raw.poll_interval.unwrap_or(DEFAULT_POLL_INTERVAL),
    })
}

/// A `[user@]host[:port]` as written; resolution fills in the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JumpSpec {
    /// `user@` part, if given.
    pub user: Option<String>,
    /// Host (or alias), without brackets.
    pub host: String,
    /// `:port` part, if given.
    pub port: Option<u16>,
}

/// Parses `[user@]host[:port]` (also `ssh://...`, `[v6addr]:port`).
pub fn parse_jump_spec(s: &str) -> Result<JumpSpec, String> {
    let t = s.trim();
    let t = t.strip_prefix("ssh://").unwrap_or(t);
    if t.is_empty() {
        return Err("is empty; write `[user@]host[:port]`".into());
    }
    if t.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "`{s}` contains whitespace; write one `[user@]host[:port]`"
        ));
    }
    if t.contains(',') {
        return Err(format!(
            "`{s}` lists several hops; navi supports one jump host (the first hop)"
        ));
    }
    let (user, rest) = match t.split_once('@') {
        Some((u, rest)) => {
            if u.is_empty() {
                return Err(format!("`{s}` has an empty user before `@`"));
            }
            if rest.contains('@') {
                return Err(format!("`{s}` has more than one `@`"));
            }
            check_user(u)?;
            (Some(u.to_string()), rest)
        }
        None => (None, t),
    };
    let (host, port) = if let Some(inner) = rest.strip_prefix('[') {
        let Some((h, after)) = inner.split_once(']') else {
            return Err(format!("`{s}` has `[` without `]`"));
        };
        match after {
            "" => (h, None),
            p => match p.strip_prefix(':') {
                Some(p) => (h, Some(p)),
                None => return Err(format!("`{s}`: expected `:port` after `]`")),
            },
        }
    } else {
        match rest.matches(':').count() {
            0 => (rest, None),
            1 => match rest.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (rest, None),
            },
            // A bare IPv6 address: no port.
            _ => (rest, None),
        }
    };
    if host.is_empty() {
        return Err(format!("`{s}` has no host"));
    }
    check_host(host).map_err(|m| format!("`{s}`: host `{host}` {m}"))?;
    let port = match port {
        Some(p) => Some(parse_port_str(p).map_err(|m| format!("`{s}`: port {m}"))?),
        None => None,
    };
    Ok(JumpSpec {
        user,
        host: host.to_string(),
        port,
    })
}

fn resolve_jump(
    spec: JumpSpec,
    jump_user: Option<&str>,
    remote_user: &str,
    ssh: Option<&SshConfig>,
    ssh_config_user: bool,
) -> Result<JumpHost, String> {
    let params = ssh.map(|c| c.query(&spec.host));
    let params = params.as_ref();
    let host = params
        .and_then(|p| p.host_name.as_deref())
        .map(|h| expand_host_tokens(h, &spec.host))
        .unwrap_or_else(|| spec.host.clone());
    check_host(&host).map_err(|m| format!("jump host resolves to `{host}`, which {m}"))?;
    let port = spec.port.or(params.and_then(|p| p.port)).unwrap_or(22);
    let user = spec
        .user
        .or_else(|| jump_user.map(str::to_owned))
        .or_else(|| {
            params
                .filter(|_| ssh_config_user)
                .and_then(|p| p.user.clone())
        })
        .unwrap_or_else(|| remote_user.to_string());
    check_user(&user)?;
    let keys = params
        .and_then(|p| p.identity_file.clone())
        .unwrap_or_default();
    Ok(JumpHost {
        host,
        port,
        user,
        keys,
    })
}

fn user_known_hosts_file(p: &HostParams) -> Option<String> {
    p.unsupported_fields
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("userknownhostsfile"))
        .and_then(|(_, v)| v.first().cloned())
        .filter(|f| !f.eq_ignore_ascii_case("none"))
}

/// `%h` in a HostName is the alias; `%%` is `%`.
fn expand_host_tokens(h: &str, alias: &str) -> String {
    if !h.contains('%') {
        return h.to_string();
    }
    h.replace("%%", "\u{0}")
        .replace("%h", alias)
        .replace('\u{0}', "%")
}

/// Parses a duration: seconds as a number (`5`, `0.5`) or text (`"500ms"`, `"5s"`,
/// `"2m"`, `"1h"`, `"3"`). Must be more than zero and at most a day.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let (num, unit) = match t.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(i) => (&t[..i], t[i..].trim()),
        None => (t, "s"),
    };
    let scale = match unit {
        "ms" => 0.001,
        "s" | "sec" | "secs" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        _ => {
            return Err(format!(
                "`{s}` is not a duration; write seconds (`5`) or e.g. `500ms`, `5s`, `2m`"
            ))
        }
    };
    let value: f64 = num.parse().map_err(|_| {
        format!("`{s}` is not a duration; write seconds (`5`) or e.g. `500ms`, `5s`, `2m`")
    })?;
    seconds(value * scale).map_err(|m| format!("`{s}` {m}"))
}

fn seconds(secs: f64) -> Result<Duration, String> {
    if !secs.is_finite() || secs <= 0.0 {
        return Err("must be more than zero".into());
    }
    if secs > 86_400.0 {
        return Err("is over a day".into());
    }
    Ok(Duration::from_secs_f64(secs))
}

fn parse_duration_value(v: &Value) -> Result<Duration, String> {
    match v {
        Value::Number(n) => match n.as_f64() {
            Some(f) => seconds(f).map_err(|m| format!("{n} {m}")),
            None => Err(format!("{n} is not a number of seconds")),
        },
        Value::String(s) => parse_duration(s),
        other => Err(format!(
            "expected seconds or a duration such as \"500ms\" or \"5s\", found {}",
            describe(other)
        )),
    }
}

fn parse_port_value(v: &Value) -> Result<u16, String> {
    match v {
        Value::Number(n) => match n.as_u64() {
            Some(p) => port_in_range(p),
            None => Err(format!("{n} is not a port (1-65535)")),
        },
        Value::String(s) => parse_port_str(s),
        other => Err(format!(
            "expected a port number (1-65535), found {}",
            describe(other)
        )),
    }
}

fn parse_port_str(s: &str) -> Result<u16, String> {
    match s.trim().parse::<u64>() {
        Ok(p) => port_in_range(p),
        Err(_) => Err(format!("`{s}` is not a number (1-65535)")),
    }
}

fn port_in_range(p: u64) -> Result<u16, String> {
    match u16::try_from(p) {
        Ok(0) => Err("0 is not a port (1-65535)".into()),
        Ok(p) => Ok(p),
        Err(_) => Err(format!("{p} is over 65535")),
    }
}

/// An alias as written in `host`: ssh_config resolves it, so only rule out what can
/// never be a destination.
fn check_host_alias(s: &str) -> Result<(), String> {
    if s.trim().is_empty() {
        return Err("is empty; give the host name, address or ~/.ssh/config alias".into());
    }
    if s.contains('@') {
        return Err(format!(
            "`{s}` contains `@`; put the user in `user` and the host alone in `host`"
        ));
    }
    check_host(s).map_err(|m| format!("`{s}` {m}"))
}

/// A host name or address that is safe on a command line: letters, digits, `.-_:%`,
/// not starting with `-` (it would read as an option to ssh).
pub(crate) fn check_host(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("is empty".into());
    }
    if s.starts_with('-') {
        return Err("starts with `-`".into());
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '%')))
    {
        return Err(format!(
            "contains `{}`; a host is a name or an address (letters, digits, `.`, `-`, `_`, `:`)",
            c.escape_default()
        ));
    }
    Ok(())
}

/// A login name: one word, not an option, no `@`.
pub(crate) fn check_user(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("is empty".into());
    }
    if s.starts_with('-') {
        return Err(format!("`{s}` starts with `-`"));
    }
    if s.chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '@')
    {
        return Err(format!(
            "`{}` contains whitespace, a control character or `@`",
            s.escape_default()
        ));
    }
    Ok(())
}

/// `~/.ssh/id_ed25519`, `id_ecdsa`, `id_rsa`: those that exist.
pub(crate) fn default_keys(home: Option<&Path>) -> Vec<PathBuf> {
    let Some(home) = home else {
        return Vec::new();
    };
    ["id_ed25519", "id_ecdsa", "id_rsa"]
        .iter()
        .map(|k| home.join(".ssh").join(k))
        .filter(|p| p.is_file())
        .collect()
}

fn default_known_hosts(home: Option<&Path>) -> PathBuf {
    match home {
        Some(h) => h.join(".ssh/known_hosts"),
        None => PathBuf::from("~/.ssh/known_hosts"),
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

fn text(v: &Value) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Null => Err("is empty".into()),
        other => Err(format!(
            "expected text, found {} (quote it?)",
            describe(other)
        )),
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "nothing".into(),
        Value::Bool(b) => format!("a boolean ({b})"),
        Value::Number(n) => format!("a number ({n})"),
        Value::String(_) => "text".into(),
        Value::Sequence(_) => "a list".into(),
        Value::Mapping(_) => "a mapping".into(),
        Value::Tagged(t) => format!("a tagged value ({})", t.tag),
    }
}

/// A key that is not text, printed for an error's `field`.
fn plain(v: &Value) -> String {
    match v {
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => describe(v),
    }
}

/// The known field closest to a typo: same letters ignoring `_`/`-`/case, or within
/// two edits.
fn suggest(field: &str) -> Option<&'static str> {
    let norm = |s: &str| -> String {
        s.chars()
            .filter(|c| *c != '_' && *c != '-')
            .flat_map(char::to_lowercase)
            .collect()
    };
    let f = norm(field);
    if let Some(k) = KNOWN_FIELDS.iter().find(|k| norm(k) == f) {
        return Some(k);
    }
    KNOWN_FIELDS
        .iter()
        .map(|k| (edit_distance(&norm(k), &f), *k))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = Vec::with_capacity(b.len() + 1);
        cur.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            let del = prev[j + 1] + 1;
            let ins = cur[j] + 1;
            cur.push(sub.min(del).min(ins));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod account_tests {
    use super::account_for_uid;

    #[test]
    fn passwd_lookup() {
        let passwd =
            "root:x:0:0:root:/root:/bin/bash\n\nbroken\nsean:x:1000:1000::/home/sean:/bin/sh\n";
        assert_eq!(account_for_uid(passwd, 0).as_deref(), Some("root"));
        assert_eq!(account_for_uid(passwd, 1000).as_deref(), Some("sean"));
        assert_eq!(account_for_uid(passwd, 7), None);
    }
}
