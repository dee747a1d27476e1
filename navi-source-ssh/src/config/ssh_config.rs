//! Resolving an entry against `~/.ssh/config` ([`SshFile`]): the host's blocks give
//! `HostName`, `Port`, `User`, `IdentityFile`, `ProxyJump`, `UserKnownHostsFile`,
//! `GlobalKnownHostsFile` and the connection settings ([`SshOptions`]) where the YAML
//! entry leaves them out; navi's defaults fill in the rest. Options navi does not follow
//! that would make OpenSSH connect differently are reported once per remote.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use navi_core::text::expand_home;

use super::environment::{
    default_global_known_hosts, default_keys, default_known_hosts, default_user_known_hosts,
};
use super::keywords::{support, Support};
use super::ssh_file::{HostView, Origin, SshFile};
use super::values::{check_host, check_user, parse_jump_list, JumpSpec};
use super::{ConfigError, Env, IdentityAgent, JumpHost, SshOptions, FILE_LEVEL, MAX_JUMP_HOSTS};

/// The warnings of one remote, each option named once (across the remote and its jump
/// hosts).
#[derive(Debug, Default)]
pub(super) struct Notes {
    pub(super) warnings: Vec<SshWarning>,
    seen: HashSet<Origin>,
}

/// A warning about one remote that points into `~/.ssh/config` (or a file it includes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SshWarning {
    pub(super) file: PathBuf,
    /// The keyword as written.
    pub(super) field: String,
    pub(super) message: String,
}

/// The user's `~/.ssh/config` (with its `Include`s), when there is one; its own
/// problems become file-level errors.
pub(super) fn load_ssh_config(env: &Env, errors: &mut Vec<ConfigError>) -> Option<SshFile> {
    let path = env.ssh_config.as_ref()?;
    match SshFile::load(path, env.home.as_deref()) {
        Ok(Some((file, problems))) => {
            errors.extend(
                problems
                    .into_iter()
                    .map(|p| ssh_config_error(&p.file, p.message)),
            );
            Some(file)
        }
        Ok(None) => None,
        Err(m) => {
            errors.push(ssh_config_error(
                path,
                format!("{m}; host aliases are not resolved"),
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

/// The `~/.ssh/config` settings of `alias`, when a config was read.
pub(super) fn host_view(ssh: Option<&SshFile>, alias: &str) -> Option<HostView> {
    ssh.map(|c| c.query(alias))
}

/// The host to connect to: the block's `HostName` (`%h` expanded), else the alias.
pub(super) fn resolve_host(alias: &str, view: Option<&HostView>) -> Result<String, String> {
    let host = view
        .and_then(|v| v.params.host_name.as_deref())
        .map(|h| expand_host_tokens(h, alias))
        .unwrap_or_else(|| alias.to_string());
    check_host(&host)
        .map_err(|m| format!("resolves (via ~/.ssh/config HostName) to `{host}`, which {m}"))?;
    Ok(host)
}

/// The YAML `port`, else the block's `Port`, else 22.
pub(super) fn resolve_port(yaml: Option<u16>, view: Option<&HostView>) -> Result<u16, String> {
    match yaml.or(view.and_then(|v| v.params.port)).unwrap_or(22) {
        0 => Err("~/.ssh/config gives port 0; set `port`".into()),
        port => Ok(port),
    }
}

/// The YAML `user`, else the block's `User`, else the local default user.
pub(super) fn resolve_user(
    yaml: Option<String>,
    view: Option<&HostView>,
    env: &Env,
) -> Result<String, String> {
    let user = yaml
        .or_else(|| view.and_then(|v| v.params.user.clone()))
        .or_else(|| env.user.clone())
        .ok_or_else(|| "is missing and $USER is not set; set `user`".to_string())?;
    check_user(&user)?;
    Ok(user)
}

/// The YAML `key`, else the block's `IdentityFile`s, else the standard key files.
pub(super) fn resolve_keys(
    yaml: Option<String>,
    view: Option<&HostView>,
    env: &Env,
) -> Vec<PathBuf> {
    match yaml {
        Some(k) => vec![expand_home(Path::new(&k), env.home.as_deref())],
        None => match view.and_then(|v| v.params.identity_file.clone()) {
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
    view: Option<&HostView>,
    env: &Env,
) -> (PathBuf, Vec<PathBuf>) {
    let home = env.home.as_deref();
    let expand = |p: &String| expand_home(Path::new(p), home);
    // `GlobalKnownHostsFile none` reads no global file.
    let globals = match view.and_then(|v| file_list(v, "globalknownhostsfile")) {
        Some(files) => files.iter().map(expand).collect(),
        None => default_global_known_hosts(),
    };
    let user = match yaml {
        Some(p) => vec![expand(&p)],
        // `UserKnownHostsFile none` still leaves navi the default file to trust into.
        None => match view.and_then(|v| file_list(v, "userknownhostsfile")) {
            Some(files) if !files.is_empty() => files.iter().map(expand).collect(),
            _ => default_user_known_hosts(home),
        },
    };
    let mut files = user.into_iter().chain(globals);
    let first = files.next().unwrap_or_else(|| default_known_hosts(home));
    (first, files.collect())
}

/// The connection settings of a host: `IdentitiesOnly`, `IdentityAgent`,
/// `ConnectTimeout`, `ServerAliveInterval`, `ServerAliveCountMax`. A value navi cannot
/// read is a warning and the default is used.
pub(super) fn resolve_options(view: Option<&HostView>, env: &Env, notes: &mut Notes) -> SshOptions {
    let mut o = SshOptions::default();
    let Some(view) = view else {
        return o;
    };
    let mut bad = |opt: &super::ssh_file::RawOption, what: &str| {
        if !notes.seen.insert(opt.origin.clone()) {
            return;
        }
        notes.warnings.push(SshWarning {
            file: opt.origin.file.clone(),
            field: opt.keyword.clone(),
            message: format!(
                "line {}: `{} {}` {what}; navi uses its default",
                opt.origin.line,
                opt.keyword,
                opt.args.join(" ").escape_default()
            ),
        })
    };
    if let Some(opt) = view.option("identitiesonly") {
        match yes_no(&opt.args) {
            Some(v) => o.identities_only = v,
            None => bad(opt, "is not yes or no"),
        }
    }
    if let Some(opt) = view.option("identityagent") {
        match identity_agent(&opt.args, env) {
            Ok(a) => o.identity_agent = a,
            Err(m) => bad(opt, &m),
        }
    }
    // ssh2-config reads these as whole seconds; 0 is "no timeout" / "no keepalives".
    o.connect_timeout = view.params.connect_timeout.filter(|d| !d.is_zero());
    if let Some(d) = view.params.server_alive_interval {
        o.server_alive_interval = d;
    }
    if let Some(opt) = view.option("serveralivecountmax") {
        match opt.args.first().and_then(|a| a.parse::<u32>().ok()) {
            // russh cannot drop a connection at the first unanswered keepalive: 0 is 1.
            Some(n) => o.server_alive_count_max = n.max(1),
            None => bad(opt, "is not a number"),
        }
    }
    o
}

fn yes_no(args: &[String]) -> Option<bool> {
    match args.first()?.to_ascii_lowercase().as_str() {
        "yes" | "true" => Some(true),
        "no" | "false" => Some(false),
        _ => None,
    }
}

/// `IdentityAgent none | SSH_AUTH_SOCK | $VAR | ${VAR} | PATH` (`~`, `%d`, `%u`, `%%`).
fn identity_agent(args: &[String], env: &Env) -> Result<IdentityAgent, String> {
    let Some(v) = args.first() else {
        return Err("has no value".into());
    };
    if v.eq_ignore_ascii_case("none") {
        return Ok(IdentityAgent::None);
    }
    if v == "SSH_AUTH_SOCK" {
        return Ok(IdentityAgent::FromEnv);
    }
    if let Some(name) = v.strip_prefix('$') {
        let name = name
            .strip_prefix('{')
            .and_then(|n| n.strip_suffix('}'))
            .unwrap_or(name);
        if name == "SSH_AUTH_SOCK" {
            return Ok(IdentityAgent::FromEnv);
        }
        return match std::env::var_os(name).filter(|s| !s.is_empty()) {
            Some(path) => Ok(IdentityAgent::Socket(PathBuf::from(path))),
            None => Err(format!("names ${name}, which is not set")),
        };
    }
    let mut out = String::new();
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some('d') => match &env.home {
                Some(h) => out.push_str(&h.to_string_lossy()),
                None => return Err("uses %d but the home directory is not known".into()),
            },
            Some('u') => match &env.user {
                Some(u) => out.push_str(u),
                None => return Err("uses %u but the local user is not known".into()),
            },
            Some(t) => return Err(format!("uses the token %{t}, which navi does not expand")),
            None => return Err("ends with a lone %".into()),
        }
    }
    Ok(IdentityAgent::Socket(expand_home(
        Path::new(&out),
        env.home.as_deref(),
    )))
}

/// The options of `view` that would make OpenSSH connect differently from navi, each
/// once; `hop` names the jump host whose block it is.
pub(super) fn unsupported_options(view: Option<&HostView>, hop: Option<&str>, notes: &mut Notes) {
    let Some(view) = view else {
        return;
    };
    let ignore_unknown: Vec<String> = view
        .option("ignoreunknown")
        .map(|o| {
            o.args
                .iter()
                .flat_map(|a| a.split(','))
                .map(str::to_ascii_lowercase)
                .collect()
        })
        .unwrap_or_default();
    for opt in &view.options {
        let why = match support(&opt.keyword, &opt.args) {
            Support::Used | Support::Ignored => continue,
            Support::Unsupported(why) => why.to_string(),
            Support::Unknown => {
                let key = opt.key();
                if ignore_unknown
                    .iter()
                    .any(|p| ssh2_config::HostClause::new(p.clone(), false).intersects(&key))
                {
                    continue;
                }
                "it is not an ssh_config keyword navi knows".to_string()
            }
        };
        if !notes.seen.insert(opt.origin.clone()) {
            continue;
        }
        let whose = match hop {
            Some(h) => format!(" (in the settings of jump host {h})"),
            None => String::new(),
        };
        notes.warnings.push(SshWarning {
            file: opt.origin.file.clone(),
            field: opt.keyword.clone(),
            message: format!(
                "line {}{whose}: `{}` is not supported by navi and is ignored: {why}",
                opt.origin.line, opt.keyword
            ),
        });
    }
}

/// One jump host with its settings.
pub(super) struct ResolvedHop {
    pub(super) jump: JumpHost,
    pub(super) options: SshOptions,
}

/// What the jump hosts of one entry are resolved with.
pub(super) struct JumpContext<'a> {
    /// YAML `jump_user`.
    pub(super) jump_user: Option<&'a str>,
    /// The remote's user (a YAML `jump_host` logs in as it).
    pub(super) remote_user: &'a str,
    /// The remote's `host` as written (a ProxyJump back to it is a loop).
    pub(super) alias: &'a str,
    pub(super) ssh: Option<&'a SshFile>,
    pub(super) env: &'a Env,
}

/// The jump hosts of an entry: its YAML `jump_host` list, else the block's `ProxyJump`
/// (`none` is none), with the first hop's own `ProxyJump` followed (as OpenSSH does, to
/// [`MAX_JUMP_HOSTS`] hops). An error names its field (`jump_host` or `jump_user`).
///
/// A hop written in YAML logs in as `jump_user`, else the remote's user; a hop from
/// `~/.ssh/config` as its own `User`, else the local user (as ssh would). Every hop
/// takes its own `IdentityFile`s and connection settings from its own blocks.
pub(super) fn resolve_entry_jumps(
    yaml: Option<Vec<JumpSpec>>,
    cx: &JumpContext<'_>,
    view: Option<&HostView>,
    notes: &mut Notes,
) -> Result<Vec<ResolvedHop>, (&'static str, String)> {
    let (ssh, env, alias) = (cx.ssh, cx.env, cx.alias);
    let (specs, from_ssh_config) = match yaml {
        Some(specs) => (specs, false),
        None => match proxy_jump(view).map_err(|m| ("jump_host", m))? {
            // `Host *` / `ProxyJump gate` seen from `gate` itself: no jump.
            Some(specs) if specs.iter().all(|s| s.host == alias) => (Vec::new(), true),
            Some(specs) => (specs, true),
            None if cx.jump_user.is_some() => {
                return Err(("jump_user", "is set but there is no `jump_host`".into()))
            }
            None => return Ok(Vec::new()),
        },
    };
    if specs.is_empty() {
        return Ok(Vec::new());
    }
    let mut chain: Vec<(JumpSpec, bool)> =
        specs.into_iter().map(|s| (s, from_ssh_config)).collect();
    // The first hop is reached as OpenSSH would reach it on its own: through its own
    // ProxyJump, if its block has one.
    while let Some((first, _)) = chain.first() {
        let first_view = host_view(ssh, &first.host);
        let Some(before) = proxy_jump(first_view.as_ref()).map_err(|m| ("jump_host", m))? else {
            break;
        };
        // A ProxyJump to the host itself is skipped, as ssh does (`Host *` / `ProxyJump
        // gate` also matches `gate`).
        if before.iter().all(|b| b.host == first.host) {
            break;
        }
        for b in &before {
            if b.host == alias || chain.iter().any(|(s, _)| s.host == b.host) {
                return Err((
                    "jump_host",
                    format!(
                        "the ProxyJump of jump host `{}` leads back to `{}`: a loop of jump hosts",
                        first.host, b.host
                    ),
                ));
            }
        }
        chain.splice(0..0, before.into_iter().map(|s| (s, true)));
        if chain.len() > MAX_JUMP_HOSTS {
            break;
        }
    }
    if chain.len() > MAX_JUMP_HOSTS {
        return Err((
            "jump_host",
            format!("more than {MAX_JUMP_HOSTS} jump hosts in a row; navi stops there"),
        ));
    }
    let mut hops = Vec::new();
    for (spec, from_ssh) in chain {
        let hop_view = host_view(ssh, &spec.host);
        let name = spec.host.clone();
        let jump =
            resolve_jump(spec, cx, hop_view.as_ref(), from_ssh).map_err(|m| ("jump_host", m))?;
        let options = resolve_options(hop_view.as_ref(), env, notes);
        unsupported_options(hop_view.as_ref(), Some(&name), notes);
        hops.push(ResolvedHop { jump, options });
    }
    Ok(hops)
}

/// The block's `ProxyJump` hops (`None` for none or `ProxyJump none`).
fn proxy_jump(view: Option<&HostView>) -> Result<Option<Vec<JumpSpec>>, String> {
    let Some(list) = view.and_then(|v| v.params.proxy_jump.as_ref()) else {
        return Ok(None);
    };
    let text = list.join(",");
    if text.trim().eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    parse_jump_list(&text)
        .map(Some)
        .map_err(|m| format!("~/.ssh/config ProxyJump `{text}`: {m}"))
}

fn resolve_jump(
    spec: JumpSpec,
    cx: &JumpContext<'_>,
    view: Option<&HostView>,
    from_ssh_config: bool,
) -> Result<JumpHost, String> {
    let host = view
        .and_then(|v| v.params.host_name.as_deref())
        .map(|h| expand_host_tokens(h, &spec.host))
        .unwrap_or_else(|| spec.host.clone());
    check_host(&host).map_err(|m| format!("jump host resolves to `{host}`, which {m}"))?;
    let port = spec.port.or(view.and_then(|v| v.params.port)).unwrap_or(22);
    let config_user = view.and_then(|v| v.params.user.clone());
    let user = if from_ssh_config {
        spec.user
            .or(config_user)
            .or_else(|| cx.env.user.clone())
            .unwrap_or_else(|| cx.remote_user.to_string())
    } else {
        spec.user
            .or_else(|| cx.jump_user.map(str::to_owned))
            .unwrap_or_else(|| cx.remote_user.to_string())
    };
    check_user(&user)?;
    let keys = view
        .and_then(|v| v.params.identity_file.clone())
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
fn file_list(v: &HostView, name: &str) -> Option<Vec<String>> {
    v.option(name).map(|o| {
        o.args
            .iter()
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
