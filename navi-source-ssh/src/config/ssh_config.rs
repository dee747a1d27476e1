//! Resolving an entry against `~/.ssh/config`: its `Host` block gives `HostName`,
//! `Port`, `User`, `IdentityFile`, `ProxyJump` and `UserKnownHostsFile` where the YAML
//! entry leaves them out; navi's defaults fill in the rest.

use std::io::BufReader;
use std::path::{Path, PathBuf};

use navi_core::text::expand_home;
use ssh2_config::{HostParams, ParseRule, SshConfig};

use super::environment::{
    default_global_known_hosts, default_keys, default_known_hosts, default_user_known_hosts,
};
use super::values::{check_host, check_user, parse_jump_spec, JumpSpec};
use super::{ConfigError, Env, JumpHost, FILE_LEVEL};

pub(super) fn load_ssh_config(env: &Env, errors: &mut Vec<ConfigError>) -> Option<SshConfig> {
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

/// The `~/.ssh/config` block of `alias`, when a config was read.
pub(super) fn host_params(ssh: Option<&SshConfig>, alias: &str) -> Option<HostParams> {
    ssh.map(|c| c.query(alias))
}

/// The host to connect to: the block's `HostName` (`%h` expanded), else the alias.
pub(super) fn resolve_host(alias: &str, params: Option<&HostParams>) -> Result<String, String> {
    let host = params
        .and_then(|p| p.host_name.as_deref())
        .map(|h| expand_host_tokens(h, alias))
        .unwrap_or_else(|| alias.to_string());
    check_host(&host)
        .map_err(|m| format!("resolves (via ~/.ssh/config HostName) to `{host}`, which {m}"))?;
    Ok(host)
}

/// The YAML `port`, else the block's `Port`, else 22.
pub(super) fn resolve_port(yaml: Option<u16>, params: Option<&HostParams>) -> Result<u16, String> {
    match yaml.or(params.and_then(|p| p.port)).unwrap_or(22) {
        0 => Err("~/.ssh/config gives port 0; set `port`".into()),
        port => Ok(port),
    }
}

/// The YAML `user`, else the block's `User`, else the local default user.
pub(super) fn resolve_user(
    yaml: Option<String>,
    params: Option<&HostParams>,
    env: &Env,
) -> Result<String, String> {
    let user = yaml
        .or_else(|| params.and_then(|p| p.user.clone()))
        .or_else(|| env.user.clone())
        .ok_or_else(|| "is missing and $USER is not set; set `user`".to_string())?;
    check_user(&user)?;
    Ok(user)
}

/// The YAML `key`, else the block's `IdentityFile`s, else the standard key files.
pub(super) fn resolve_keys(
    yaml: Option<String>,
    params: Option<&HostParams>,
    env: &Env,
) -> Vec<PathBuf> {
    match yaml {
        Some(k) => vec![expand_home(Path::new(&k), env.home.as_deref())],
        None => match params.and_then(|p| p.identity_file.clone()) {
            Some(files) if !files.is_empty() => files,
            _ => default_keys(env.home.as_deref()),
        },
    }
}

/// The known_hosts files: the YAML `known_hosts`, else the block's
/// `UserKnownHostsFile`s, else OpenSSH's default user files; then the block's
/// `GlobalKnownHostsFile`s, else OpenSSH's default global files. Returns the first
/// (the file `trust` writes) and the others.
pub(super) fn resolve_known_hosts(
    yaml: Option<String>,
    params: Option<&HostParams>,
    env: &Env,
) -> (PathBuf, Vec<PathBuf>) {
    let home = env.home.as_deref();
    let expand = |p: &String| expand_home(Path::new(p), home);
    // `GlobalKnownHostsFile none` reads no global file.
    let globals = match params.and_then(|p| file_list(p, "globalknownhostsfile")) {
        Some(files) => files.iter().map(expand).collect(),
        None => default_global_known_hosts(),
    };
    let user = match yaml {
        Some(p) => vec![expand(&p)],
        // `UserKnownHostsFile none` still leaves navi the default file to trust into.
        None => match params.and_then(|p| file_list(p, "userknownhostsfile")) {
            Some(files) if !files.is_empty() => files.iter().map(expand).collect(),
            _ => default_user_known_hosts(home),
        },
    };
    let mut files = user.into_iter().chain(globals);
    let first = files.next().unwrap_or_else(|| default_known_hosts(home));
    (first, files.collect())
}

/// The bastion of an entry: its YAML `jump_host`, else the first hop of the block's
/// `ProxyJump`. An error names its field (`jump_host` or `jump_user`).
///
/// A YAML `jump_host` logs in as the remote's user unless it says otherwise; a
/// ProxyJump taken from ~/.ssh/config also takes that file's `User` for the bastion, as
/// ssh would.
pub(super) fn resolve_entry_jump(
    yaml: Option<JumpSpec>,
    jump_user: Option<&str>,
    remote_user: &str,
    params: Option<&HostParams>,
    ssh: Option<&SshConfig>,
) -> Result<Option<JumpHost>, (&'static str, String)> {
    let (spec, from_ssh_config) = match yaml {
        Some(spec) => (spec, false),
        None => match proxy_jump(params).map_err(|m| ("jump_host", m))? {
            Some(spec) => (spec, true),
            None if jump_user.is_some() => {
                return Err(("jump_user", "is set but there is no `jump_host`".into()))
            }
            None => return Ok(None),
        },
    };
    resolve_jump(spec, jump_user, remote_user, ssh, from_ssh_config)
        .map(Some)
        .map_err(|m| ("jump_host", m))
}

/// The first hop of the block's `ProxyJump` (`none` is no jump host).
fn proxy_jump(params: Option<&HostParams>) -> Result<Option<JumpSpec>, String> {
    match params
        .and_then(|p| p.proxy_jump.as_ref())
        .and_then(|j| j.first())
    {
        Some(first) if !first.eq_ignore_ascii_case("none") => parse_jump_spec(first)
            .map(Some)
            .map_err(|m| format!("~/.ssh/config ProxyJump `{first}`: {m}")),
        _ => Ok(None),
    }
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

/// The files of a `UserKnownHostsFile` / `GlobalKnownHostsFile` line (`name`
/// lowercase); `none` (or an empty list) is no file from the config.
fn file_list(p: &HostParams, name: &str) -> Option<Vec<String>> {
    p.unsupported_fields
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| {
            v.iter()
                .filter(|f| !f.eq_ignore_ascii_case("none"))
                .cloned()
                .collect()
        })
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
