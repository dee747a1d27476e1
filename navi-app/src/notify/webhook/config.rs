//! `notify.webhooks:` in config.yaml: where each webhook posts, in which shape, with
//! which headers; secrets (the URL, a header, a token) from the environment or a file.
//!
//! ```yaml
//! notify:
//!   webhooks:
//!     - url_env: NAVI_NTFY_URL          # or url: https://…, or url_file: ~/.config/navi/ntfy-url
//!       template: ntfy                  # json (default) | ntfy | slack | discord
//!       token_file: ~/.config/navi/ntfy-token   # Authorization: Bearer …  (or token_env)
//!     - url: https://example.com/hook
//!       headers: {X-Team: infra}        # plain values
//!       header_env: {X-Api-Key: HOOK_KEY}     # values from the environment
//!       header_file: {X-Other: ~/.hook-secret} # values from files (first line)
//! ```
//!
//! Secrets are read when config.yaml is read and kept in [`Secret`], whose `Debug` shows
//! nothing; an error names the field (`notify.webhooks[1].url_env`), never the value. A
//! webhook with a problem is left out; the others still post.

use std::path::{Path, PathBuf};

use serde_yaml::{Mapping, Value};

use crate::config::values::{describe, unknown_key};

/// The keys of one webhook, for "did you mean" hints.
pub const KEYS: &[&str] = &[
    "url",
    "url_env",
    "url_file",
    "template",
    "headers",
    "header_env",
    "header_file",
    "token_env",
    "token_file",
];

/// A value that must not be shown: in a log, an error or a `Debug` print.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value itself, for the request only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// The shape of what is posted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Template {
    /// navi's JSON: session, machine, status, message, text, ….
    #[default]
    Json,
    /// ntfy: the text as the body, Title / Tags / Priority headers.
    Ntfy,
    /// A Slack incoming webhook: `{"text": …}`.
    Slack,
    /// A Discord webhook: `{"content": …}`.
    Discord,
}

/// The templates by name.
const TEMPLATES: &[(&str, Template)] = &[
    ("json", Template::Json),
    ("ntfy", Template::Ntfy),
    ("slack", Template::Slack),
    ("discord", Template::Discord),
];

/// One webhook, its secrets read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// Where it posts.
    pub url: Secret,
    /// `scheme://host[:port]` of the URL: all a log line shows of it (a Slack or Discord
    /// URL's path is its secret, an ntfy topic is one, a query may hold a token).
    pub origin: String,
    /// In which shape.
    pub template: Template,
    /// Extra headers, names as given, values secret.
    pub headers: Vec<(String, Secret)>,
    /// `notify.webhooks[N]`, for logs and errors.
    pub field: String,
}

impl Webhook {
    /// `notify.webhooks[N] (https://host)`: how logs name it.
    pub fn label(&self) -> String {
        format!("{} ({})", self.field, self.origin)
    }
}

/// Where secrets come from: the environment (`None`: unset) and files.
pub struct SecretSources<'a> {
    /// Reads an environment variable.
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// config.yaml's directory: a relative file is read from there.
    pub base: &'a Path,
}

/// Problems as `(field, message)`.
pub type Problems = Vec<(String, String)>;

/// Reads `notify.webhooks`: a list of entries; each problem names its field.
pub fn parse(value: &Value, sources: &SecretSources<'_>) -> (Vec<Webhook>, Problems) {
    let items = match value {
        Value::Sequence(items) => items,
        Value::Null => return (Vec::new(), Vec::new()),
        other => {
            let message = format!(
                "expected a list of webhooks (each `- url: …`), found {}; ignored",
                describe(other)
            );
            return (Vec::new(), vec![("notify.webhooks".into(), message)]);
        }
    };
    let mut hooks = Vec::new();
    let mut problems = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let field = format!("notify.webhooks[{i}]");
        match entry(item, &field, sources) {
            Ok(hook) => hooks.push(hook),
            Err(p) => problems.extend(p),
        }
    }
    (hooks, problems)
}

/// One entry, or every problem it has (it is then left out).
fn entry(item: &Value, field: &str, sources: &SecretSources<'_>) -> Result<Webhook, Problems> {
    let Value::Mapping(map) = item else {
        let message = format!(
            "expected `url: …` and the other keys of a webhook, found {}; this webhook is off",
            describe(item)
        );
        return Err(vec![(field.to_string(), message)]);
    };
    let mut problems = Vec::new();
    let mut note = |key: &str, message: String| {
        problems.push((
            format!("{field}.{key}"),
            format!("{message}; this webhook is off"),
        ));
    };
    for key in map.keys() {
        match key.as_str() {
            Some(k) if KEYS.contains(&k) => {}
            Some(k) => note(&navi_core::text::sanitize(k), unknown_key(k, KEYS)),
            None => note("?", format!("a key that is not text ({key:?})")),
        }
    }
    let url = url(map, sources).map_err(|(k, m)| note(k, m)).ok();
    let template = template(map.get("template"))
        .map_err(|m| note("template", m))
        .ok();
    let headers = headers(map, sources).map_err(|(k, m)| note(&k, m)).ok();
    match (url, template, headers) {
        (Some((url, origin)), Some(template), Some(headers)) if problems.is_empty() => {
            Ok(Webhook {
                url,
                origin,
                template,
                headers,
                field: field.to_string(),
            })
        }
        _ => Err(problems),
    }
}

/// The URL from `url`, `url_env` or `url_file` (exactly one), and its origin.
fn url(
    map: &Mapping,
    sources: &SecretSources<'_>,
) -> Result<(Secret, String), (&'static str, String)> {
    let given: Vec<&'static str> = ["url", "url_env", "url_file"]
        .into_iter()
        .filter(|k| map.contains_key(*k))
        .collect();
    let key = match given.as_slice() {
        [one] => *one,
        [] => return Err(("url", "missing: give `url`, `url_env` or `url_file`".into())),
        _ => {
            return Err((
                given[1],
                format!("give one of {}, not several", given.join(", ")),
            ))
        }
    };
    let value = map.get(key).unwrap_or(&Value::Null);
    let url = secret(key, value, sources).map_err(|m| (key, m))?;
    let url = url.expose().trim().to_string();
    let origin = origin(&url).ok_or((
        key,
        "is not an http:// or https:// URL with a host (the value is not shown: it may be \
         secret)"
            .to_string(),
    ))?;
    if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err((key, "the URL holds spaces or control characters".into()));
    }
    Ok((Secret::new(url), origin))
}

/// `scheme://host[:port]` of an http(s) URL; `None` when it is not one.
pub fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    // Userinfo (`user:password@`) is never shown.
    let host = authority.rsplit('@').next().unwrap_or("");
    if host.is_empty() || host.starts_with(':') {
        return None;
    }
    Some(format!("{scheme}://{host}"))
}

/// A text value: plain (`url`, a header's value), from the environment (`*_env`: a
/// variable's name) or from a file (`*_file`: a path, `~` expanded, relative to
/// config.yaml's directory; its first line).
fn secret(key: &str, value: &Value, sources: &SecretSources<'_>) -> Result<Secret, String> {
    let Value::String(text) = value else {
        return Err(format!("expected text, found {}", describe(value)));
    };
    let text = text.trim();
    if key.ends_with("_env") {
        return match (sources.env)(text) {
            Some(v) if !v.trim().is_empty() => Ok(Secret::new(v.trim())),
            Some(_) => Err(format!("the environment variable {text} is empty")),
            None => Err(format!("the environment variable {text} is not set")),
        };
    }
    if key.ends_with("_file") {
        let path = file_path(text, sources.base);
        let read = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let first = read.lines().next().unwrap_or("").trim();
        return match first.is_empty() {
            true => Err(format!("{} is empty", path.display())),
            false => Ok(Secret::new(first)),
        };
    }
    Ok(Secret::new(text))
}

fn file_path(text: &str, base: &Path) -> PathBuf {
    let home = std::env::home_dir();
    let path = navi_core::text::expand_home(Path::new(text), home.as_deref());
    match path.is_relative() {
        true => base.join(path),
        false => path,
    }
}

fn template(value: Option<&Value>) -> Result<Template, String> {
    let Some(value) = value else {
        return Ok(Template::default());
    };
    let names: Vec<&str> = TEMPLATES.iter().map(|(n, _)| *n).collect();
    value
        .as_str()
        .and_then(|w| TEMPLATES.iter().find(|(n, _)| *n == w.trim()))
        .map(|(_, t)| *t)
        .ok_or_else(|| format!("{} is not one of {}", describe(value), names.join(", ")))
}

/// `headers`, `header_env`, `header_file`, `token_env`, `token_file`, in that order.
fn headers(
    map: &Mapping,
    sources: &SecretSources<'_>,
) -> Result<Vec<(String, Secret)>, (String, String)> {
    let mut out = Vec::new();
    for (key, value_key) in [
        ("headers", "plain"),
        ("header_env", "_env"),
        ("header_file", "_file"),
    ] {
        let Some(value) = map.get(key) else { continue };
        let Value::Mapping(entries) = value else {
            let message = format!("expected `Name: value` pairs, found {}", describe(value));
            return Err((key.into(), message));
        };
        for (name, value) in entries {
            let name = name.as_str().unwrap_or("").trim();
            if !is_header_name(name) {
                let message = format!(
                    "{} is not a header name (letters, digits and -)",
                    describe(&Value::String(name.into()))
                );
                return Err((key.into(), message));
            }
            let field = format!("{key}.{name}");
            let value = secret(value_key, value, sources).map_err(|m| (field.clone(), m))?;
            if value.expose().chars().any(char::is_control) {
                return Err((
                    field,
                    "the value holds a line break or a control character".into(),
                ));
            }
            out.push((name.to_string(), value));
        }
    }
    for key in ["token_env", "token_file"] {
        let Some(value) = map.get(key) else { continue };
        let token = secret(key, value, sources).map_err(|m| (key.to_string(), m))?;
        if token
            .expose()
            .chars()
            .any(|c| c.is_control() || c.is_whitespace())
        {
            return Err((
                key.into(),
                "the token holds spaces or control characters".into(),
            ));
        }
        let bearer = Secret::new(format!("Bearer {}", token.expose()));
        out.push(("Authorization".into(), bearer));
    }
    Ok(out)
}

/// An HTTP header name: a token (RFC 9110), as services name them.
fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_yaml(yaml: &str, base: &Path) -> (Vec<Webhook>, Problems) {
        let value: Value = serde_yaml::from_str(yaml).unwrap();
        let env = |k: &str| {
            (k == "HOOK_URL").then(|| "https://ntfy.example/topic?auth=s3cret".to_string())
        };
        parse(&value, &SecretSources { env: &env, base })
    }

    #[test]
    fn entries_read_every_source_of_secrets() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("token"), "tk_abc\n").unwrap();
        let (hooks, problems) = parse_yaml(
            "- url_env: HOOK_URL\n  template: ntfy\n  token_file: token\n\
             - url: https://hooks.slack.com/services/T/B/X\n  template: slack\n  \
               headers: {X-Team: infra}\n",
            dir.path(),
        );
        assert_eq!(problems, Vec::<(String, String)>::new());
        assert_eq!(hooks.len(), 2);
        assert_eq!(
            hooks[0].url.expose(),
            "https://ntfy.example/topic?auth=s3cret"
        );
        assert_eq!(hooks[0].origin, "https://ntfy.example");
        assert_eq!(hooks[0].template, Template::Ntfy);
        assert_eq!(hooks[0].headers[0].0, "Authorization");
        assert_eq!(hooks[0].headers[0].1.expose(), "Bearer tk_abc");
        assert_eq!(
            hooks[1].label(),
            "notify.webhooks[1] (https://hooks.slack.com)"
        );
        assert_eq!(
            hooks[1].headers,
            vec![("X-Team".into(), Secret::new("infra"))]
        );
        let shown = format!("{hooks:?}");
        assert!(
            !shown.contains("s3cret") && !shown.contains("tk_abc"),
            "{shown}"
        );
    }

    #[test]
    fn each_problem_names_its_field_and_no_secret() {
        let dir = tempfile::tempdir().unwrap();
        let (hooks, problems) = parse_yaml(
            "- url: https://ok.example/a\n\
             - url: https://x.example/a\n  template: teams\n\
             - url_env: NOT_SET_ANYWHERE\n\
             - url: ftp://user:pw@x.example/secret\n\
             - {url: https://x.example, headers: {\"Bad Name\": v}}\n\
             - {url: https://x.example, token_file: missing}\n\
             - {url: https://x.example, urll: x}\n\
             - {template: json}\n",
            dir.path(),
        );
        assert_eq!(hooks.len(), 1, "only the first is whole");
        let fields: Vec<&str> = problems.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "notify.webhooks[1].template",
                "notify.webhooks[2].url_env",
                "notify.webhooks[3].url",
                "notify.webhooks[4].headers",
                "notify.webhooks[5].token_file",
                "notify.webhooks[6].urll",
                "notify.webhooks[7].url",
            ]
        );
        assert!(problems[0]
            .1
            .contains("\"teams\" is not one of json, ntfy, slack, discord"));
        assert!(problems[1].1.contains("NOT_SET_ANYWHERE is not set"));
        assert!(!problems[2].1.contains("pw@") && !problems[2].1.contains("x.example"));
        assert!(problems
            .iter()
            .all(|(_, m)| m.ends_with("this webhook is off")));
    }

    #[test]
    fn the_origin_keeps_scheme_host_and_port_only() {
        assert_eq!(
            origin("https://u:p@h.example:8443/p/secret?token=x#f").as_deref(),
            Some("https://h.example:8443")
        );
        assert_eq!(
            origin("HTTP://127.0.0.1:9/x").as_deref(),
            Some("http://127.0.0.1:9")
        );
        assert_eq!(origin("ntfy.sh/topic"), None);
        assert_eq!(origin("https:///nohost"), None);
        assert_eq!(origin("file:///etc/passwd"), None);
    }
}
