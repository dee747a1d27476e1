//! Single values of remotes.yaml: durations, ports, jump specs, host and user names,
//! and how a YAML value is described in an error.

use std::time::Duration;

use serde_yaml::Value;

/// A `[user@]host[:port]` as written; resolution fills in the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JumpSpec {
    /// `user@` part, if given.
    pub(crate) user: Option<String>,
    /// Host (or alias), without brackets.
    pub(crate) host: String,
    /// `:port` part, if given.
    pub(crate) port: Option<u16>,
}

/// Parses `hop[,hop...]` (`ProxyJump a,b`, YAML `jump_host: a,b`): the hops in the order
/// they are reached.
pub(crate) fn parse_jump_list(s: &str) -> Result<Vec<JumpSpec>, String> {
    if s.trim().is_empty() {
        return Err("is empty; write `[user@]host[:port]` (several: `a,b`)".into());
    }
    let hops: Vec<JumpSpec> = s
        .split(',')
        .map(|hop| {
            if hop.trim().is_empty() {
                Err(format!("`{s}` has an empty hop between commas"))
            } else {
                parse_jump_spec(hop)
            }
        })
        .collect::<Result<_, _>>()?;
    if hops.len() > super::MAX_JUMP_HOSTS {
        return Err(format!(
            "`{s}` has {} hops; navi follows at most {}",
            hops.len(),
            super::MAX_JUMP_HOSTS
        ));
    }
    Ok(hops)
}

/// Parses `[user@]host[:port]` (also `ssh://...`, `[v6addr]:port`).
pub(crate) fn parse_jump_spec(s: &str) -> Result<JumpSpec, String> {
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
            "`{s}` lists several hops where one `[user@]host[:port]` is expected"
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

/// Parses a duration: seconds as a number (`5`, `0.5`) or text (`"500ms"`, `"5s"`,
/// `"2m"`, `"1h"`, `"3"`). Must be more than zero and at most a day.
pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
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

pub(super) fn parse_duration_value(v: &Value) -> Result<Duration, String> {
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

pub(super) fn parse_port_value(v: &Value) -> Result<u16, String> {
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
pub(super) fn check_host_alias(s: &str) -> Result<(), String> {
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

pub(super) fn text(v: &Value) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Null => Err("is empty".into()),
        other => Err(format!(
            "expected text, found {} (quote it?)",
            describe(other)
        )),
    }
}

pub(super) fn describe(v: &Value) -> String {
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
pub(super) fn plain(v: &Value) -> String {
    match v {
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => describe(v),
    }
}
