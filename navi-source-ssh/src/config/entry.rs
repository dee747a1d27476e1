//! One entry of remotes.yaml: its fields read and validated ([`RawEntry`]), then
//! resolved into a [`Remote`]. An invalid entry is one [`EntryError`]; an unknown field
//! is a warning and the entry still loads.

use std::time::Duration;

use serde_yaml::{Mapping, Value};

use super::ssh_config::{
    host_view, resolve_entry_jumps, resolve_host, resolve_keys, resolve_known_hosts,
    resolve_options, resolve_port, resolve_user, unsupported_options, JumpContext, Notes,
};
use super::ssh_file::SshFile;
use super::values::{
    check_host_alias, check_user, describe, parse_duration_value, parse_jump_list,
    parse_port_value, plain, text, JumpSpec,
};
use super::{Env, Remote, DEFAULT_SESSIONS_DIR};
use navi_core::limits;

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
    "push",
];

/// An entry-level error before it gets its file.
pub(super) struct EntryError {
    pub(super) remote: String,
    pub(super) field: String,
    pub(super) message: String,
    /// The file the problem is in when it is not remotes.yaml (a `~/.ssh/config`
    /// option).
    pub(super) file: Option<std::path::PathBuf>,
}

impl EntryError {
    /// The error as it is reported: in remotes.yaml at `path` (or its own file).
    pub(super) fn in_file(self, path: &std::path::Path) -> super::ConfigError {
        super::ConfigError {
            file: self.file.unwrap_or_else(|| path.to_path_buf()),
            remote: self.remote,
            field: self.field,
            message: self.message,
        }
    }
}

/// The label an entry's errors use: its name when it has a usable one, else `#N`.
struct Label(String);

impl Label {
    fn of(map: &Mapping, index: usize) -> Label {
        match map.get("name") {
            Some(Value::String(s)) if !s.trim().is_empty() => Label(s.clone()),
            _ => Label(format!("#{index}")),
        }
    }

    fn error(&self, field: &str, message: impl Into<String>) -> EntryError {
        EntryError {
            remote: self.0.clone(),
            field: field.to_string(),
            message: message.into(),
            file: None,
        }
    }
}

/// The YAML fields of one entry, validated but not yet resolved.
#[derive(Default)]
struct RawEntry {
    name: Option<String>,
    host: Option<String>,
    user: Option<String>,
    key: Option<String>,
    sessions_dir: Option<String>,
    jump_host: Option<Vec<JumpSpec>>,
    jump_user: Option<String>,
    port: Option<u16>,
    timeout: Option<Duration>,
    poll_interval: Option<Duration>,
    known_hosts: Option<String>,
    push: Option<bool>,
}

/// Entry number `index` (1-based) as a [`Remote`]; unknown fields add to `warnings`.
pub(super) fn parse_entry(
    entry: &Value,
    index: usize,
    env: &Env,
    ssh: Option<&SshFile>,
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
                file: None,
            })
        }
    };
    let label = Label::of(map, index);
    let raw = read_fields(map, &label, warnings)?;
    resolve(raw, &label, env, ssh, warnings)
}

/// Every field of the entry, each validated on its own.
fn read_fields(
    map: &Mapping,
    label: &Label,
    warnings: &mut Vec<EntryError>,
) -> Result<RawEntry, EntryError> {
    let mut raw = RawEntry::default();
    for (k, v) in map {
        let Value::String(field) = k else {
            return Err(label.error(
                &plain(k),
                format!("field names must be text, found {}", describe(k)),
            ));
        };
        let known = raw.set(field, v).map_err(|m| label.error(field, m))?;
        if !known {
            // The Go navi ignored keys it did not know, so a file written for it may
            // carry some: warn (naming the key, with a likely fix) and keep the remote.
            warnings.push(label.error(field, unknown_field(field)));
        }
    }
    Ok(raw)
}

impl RawEntry {
    /// Sets `field` from `v`; `Ok(false)` when navi does not know the field.
    fn set(&mut self, field: &str, v: &Value) -> Result<bool, String> {
        match field {
            "name" => self.name = Some(name_value(v)?),
            "host" => self.host = Some(host_value(v)?),
            "user" => self.user = Some(user_value(v)?),
            "jump_user" => self.jump_user = Some(user_value(v)?),
            "key" => self.key = Some(path_value(v, "a private key")?),
            "known_hosts" => self.known_hosts = Some(path_value(v, "a known_hosts file")?),
            "sessions_dir" => self.sessions_dir = Some(sessions_dir_value(v)?),
            "jump_host" => self.jump_host = Some(parse_jump_list(&text(v)?)?),
            "port" => self.port = Some(parse_port_value(v)?),
            "timeout" => self.timeout = Some(parse_duration_value(v)?),
            "poll_interval" => self.poll_interval = Some(parse_duration_value(v)?),
            "push" => {
                self.push = Some(v.as_bool().ok_or_else(|| {
                    "must be true (the remote sends its changes, the default) or false (navi polls every poll_interval)".to_string()
                })?)
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

fn name_value(v: &Value) -> Result<String, String> {
    let s = text(v)?;
    if s.trim().is_empty() {
        return Err("is empty; give the remote a name".into());
    }
    if s.chars().any(char::is_control) {
        return Err("contains control characters".into());
    }
    Ok(s)
}

fn host_value(v: &Value) -> Result<String, String> {
    let s = text(v)?;
    check_host_alias(&s)?;
    Ok(s)
}

fn user_value(v: &Value) -> Result<String, String> {
    let s = text(v)?;
    check_user(&s)?;
    Ok(s)
}

/// A local file's path (`key`, `known_hosts`); `what` names the file in the error.
fn path_value(v: &Value, what: &str) -> Result<String, String> {
    let s = text(v)?;
    if s.trim().is_empty() {
        return Err(format!("is empty; give the path of {what}"));
    }
    Ok(s)
}

fn sessions_dir_value(v: &Value) -> Result<String, String> {
    let s = text(v)?;
    if s.is_empty() {
        return Err(format!("is empty (the default is {DEFAULT_SESSIONS_DIR})"));
    }
    if s.chars().any(char::is_control) {
        return Err("contains control characters (a newline?)".into());
    }
    Ok(s)
}

fn unknown_field(field: &str) -> String {
    let hint = match suggest(field) {
        Some(s) => format!("; did you mean `{s}`?"),
        None => format!("; known fields: {}", KNOWN_FIELDS.join(", ")),
    };
    format!("unknown field `{field}` is ignored{hint}")
}

/// The entry's settings: YAML, then `~/.ssh/config`, then navi's defaults.
fn resolve(
    raw: RawEntry,
    label: &Label,
    env: &Env,
    ssh: Option<&SshFile>,
    warnings: &mut Vec<EntryError>,
) -> Result<Remote, EntryError> {
    let name = raw
        .name
        .ok_or_else(|| label.error("name", "is missing; every remote needs a `name`"))?;
    let alias = raw.host.ok_or_else(|| {
        label.error(
            "host",
            "is missing; give the host name, address or ~/.ssh/config alias",
        )
    })?;
    let view = host_view(ssh, &alias);
    let view = view.as_ref();
    let host = resolve_host(&alias, view).map_err(|m| label.error("host", m))?;
    let port = resolve_port(raw.port, view).map_err(|m| label.error("port", m))?;
    let user = resolve_user(raw.user, view, env).map_err(|m| label.error("user", m))?;
    let keys = resolve_keys(raw.key, view, env);
    let mut notes = Notes::default();
    let options = resolve_options(view, env, &mut notes);
    unsupported_options(view, None, &mut notes);
    let cx = JumpContext {
        jump_user: raw.jump_user.as_deref(),
        remote_user: &user,
        alias: &alias,
        ssh,
        env,
    };
    let hops = resolve_entry_jumps(raw.jump_host, &cx, view, &mut notes)
        .map_err(|(field, m)| label.error(field, m))?;
    let (known_hosts, other_known_hosts) = resolve_known_hosts(raw.known_hosts, view, env);
    warnings.extend(notes.warnings.into_iter().map(|w| EntryError {
        file: Some(w.file),
        ..label.error(&w.field, w.message)
    }));
    let mut hops = hops.into_iter();
    let first = hops.next();
    let (further_jumps, more_options): (Vec<_>, Vec<_>) = hops.map(|h| (h.jump, h.options)).unzip();
    let jump_options = first
        .as_ref()
        .map(|h| h.options.clone())
        .into_iter()
        .chain(more_options)
        .collect();
    Ok(Remote {
        name,
        host,
        host_alias: alias,
        port,
        user,
        keys,
        jump: first.map(|h| h.jump),
        further_jumps,
        jump_options,
        options,
        known_hosts,
        other_known_hosts,
        sessions_dir: raw
            .sessions_dir
            .unwrap_or_else(|| DEFAULT_SESSIONS_DIR.to_string()),
        timeout: raw.timeout.unwrap_or(limits::REMOTE_TIMEOUT),
        poll_interval: raw.poll_interval.unwrap_or(limits::REMOTE_POLL_INTERVAL),
        push: raw.push.unwrap_or(true),
    })
}

/// The known field closest to a typo: same letters ignoring `_`/`-`/case, or within
/// two edits.
fn suggest(field: &str) -> Option<&'static str> {
    navi_core::text::closest(field, KNOWN_FIELDS)
}
