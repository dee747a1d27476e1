//! `navi remotes [--json]` (the remotes health view) and `navi remotes trust NAME`.

use std::io::{BufRead, Write};

use anyhow::{bail, Context as _};
use navi_core::text::sanitize;
use navi_core::{format_duration, SourceHealth, SourceState};
use navi_source_ssh::Remote;
use serde_json::{json, Value};

use crate::format::{ago, pad, unix_now, unix_seconds};
use crate::json;
use crate::sources::SourceSet;

const EXAMPLE: &str = "\
remotes:
  - name: dev-server
    host: dev.example.com
    user: sean
    key: ~/.ssh/id_ed25519
  - name: staging
    host: staging.example.com
    user: deploy
    key: ~/.ssh/deploy_key
    jump_host: bastion.example.com";

/// `user@host:port`, with ` via jump` when there is a jump host.
pub fn address(r: &Remote) -> String {
    let mut s = format!("{}@{}:{}", r.user, r.host, r.port);
    if let Some(j) = &r.jump {
        s.push_str(&format!(" via {}@{}:{}", j.user, j.host, j.port));
    }
    s
}

/// Polls every remote of `set` once and prints their health.
pub async fn health(
    set: &SourceSet,
    json_output: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<()> {
    let snapshot = set.poll_once().await;
    let remote_of = |h: &SourceHealth| {
        set.remotes
            .iter()
            .find(|r| Some(r.name.as_str()) == h.name.as_deref())
    };
    let file = set.remotes_file.as_ref().map(|f| f.display().to_string());

    if json_output {
        let remotes: Vec<Value> = snapshot
            .sources
            .iter()
            .map(|h| {
                let mut v = json::source(h);
                if let (Value::Object(m), Some(r)) = (&mut v, remote_of(h)) {
                    m.insert("host".into(), json!(r.host));
                    m.insert("port".into(), json!(r.port));
                    m.insert("user".into(), json!(r.user));
                    m.insert(
                        "jump".into(),
                        json!(r
                            .jump
                            .as_ref()
                            .map(|j| format!("{}@{}:{}", j.user, j.host, j.port))),
                    );
                    m.insert("sessions_dir".into(), json!(r.sessions_dir));
                }
                v
            })
            .collect();
        let doc = json!({
            "file": file,
            "remotes": remotes,
            "errors": set.config_errors,
        });
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        writeln!(out)?;
        return Ok(());
    }

    for e in &set.config_errors {
        writeln!(err, "navi: config: {}", sanitize(e))?;
    }
    if snapshot.sources.is_empty() {
        let file = file.as_deref().unwrap_or("~/.config/navi/remotes.yaml");
        if set.config_errors.is_empty() {
            writeln!(
                out,
                "No remotes configured in {file}. Add them like this:\n\n{EXAMPLE}\n\n\
                 Optional keys: port, jump_user, sessions_dir (default ~/.claude-sessions), \
                 timeout, poll_interval."
            )?;
        } else {
            writeln!(out, "No usable remotes in {file} (see the errors above).")?;
        }
        return Ok(());
    }
    let now = unix_now();
    let widths = [
        snapshot
            .sources
            .iter()
            .map(|h| crate::format::width(&sanitize(h.display_name())))
            .max()
            .unwrap_or(0)
            .clamp(6, 24),
        13,
        8,
        10,
        8,
    ];
    let header = ["REMOTE", "STATE", "LATENCY", "LAST OK", "SESSIONS"];
    let mut line = String::new();
    for (h, w) in header.iter().zip(widths) {
        line.push_str(&pad(h, w));
        line.push_str("  ");
    }
    writeln!(out, "{line}ADDRESS")?;
    for h in &snapshot.sources {
        let symbol = match h.state {
            SourceState::Connected => "●",
            SourceState::Connecting => "◌",
            SourceState::Unavailable => "✖",
        };
        let last_ok = match h.last_ok {
            Some(t) => ago(std::time::Duration::from_secs(
                u64::try_from(now.saturating_sub(unix_seconds(t)).max(0)).unwrap_or(0),
            )),
            None => "never".into(),
        };
        let cells = [
            sanitize(h.display_name()).into_owned(),
            format!("{symbol} {}", h.state.as_str()),
            h.latency.map(format_duration).unwrap_or_else(|| "-".into()),
            last_ok,
            h.sessions.to_string(),
        ];
        let mut line = String::new();
        for (c, w) in cells.iter().zip(widths) {
            line.push_str(&pad(c, w));
            line.push_str("  ");
        }
        line.push_str(&remote_of(h).map(address).unwrap_or_else(|| "-".into()));
        writeln!(out, "{}", sanitize(&line))?;
        if let Some(reason) = &h.reason {
            writeln!(
                out,
                "    {}: {}",
                reason.kind(),
                sanitize(&reason.to_string())
            )?;
        }
        for f in &h.skipped {
            writeln!(
                out,
                "    skipped {}: {}",
                sanitize(&f.name),
                sanitize(&f.reason)
            )?;
        }
    }
    Ok(())
}

/// Scans the host key of the remote `name`, shows it, and adds it to known_hosts when
/// the user answers yes on `input` (or `yes` is set).
pub async fn trust(
    set: &SourceSet,
    name: &str,
    yes: bool,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    if set.demo {
        bail!("`navi remotes trust` talks to real remotes; it does nothing in --demo");
    }
    let file = set
        .remotes_file
        .as_ref()
        .map(|f| f.display().to_string())
        .unwrap_or_else(|| "remotes.yaml".into());
    let Some(remote) = set.remotes.iter().find(|r| r.name == name) else {
        let names: Vec<&str> = set.remotes.iter().map(|r| r.name.as_str()).collect();
        let mut msg = format!("no remote named `{name}` in {file}");
        if names.is_empty() {
            msg.push_str(" (it configures no usable remote)");
        } else {
            msg.push_str(&format!(" (configured: {})", names.join(", ")));
        }
        if let Some(e) = set.config_errors.iter().find(|e| e.contains(name)) {
            msg.push_str(&format!("; config error: {e}"));
        }
        bail!(msg);
    };
    let key = tokio::time::timeout(remote.timeout, navi_source_ssh::scan_host_key(remote))
        .await
        .map_err(|_| {
            anyhow::anyhow!(
                "{}: no host key within {}; is {} reachable?",
                remote.name,
                format_duration(remote.timeout),
                address(remote)
            )
        })?
        .with_context(|| format!("cannot read the host key of {}", remote.name))?;
    let pattern = key_pattern(&key);
    let jump = remote
        .jump
        .as_ref()
        .filter(|j| pattern == host_pattern(&j.host, j.port));
    writeln!(out, "Remote:      {}", remote.name)?;
    match jump {
        Some(j) => writeln!(
            out,
            "Host:        {}@{}:{} (the jump host {} is reached through)",
            j.user, j.host, j.port, remote.name
        )?,
        None => writeln!(out, "Host:        {}", address(remote))?,
    }
    writeln!(out, "Algorithm:   {}", sanitize(&key.algorithm))?;
    writeln!(out, "Fingerprint: {}", sanitize(&key.fingerprint))?;
    let known_hosts = key.known_hosts.display().to_string();
    match known_entry(&key) {
        Known::Same => {
            writeln!(
                out,
                "Already trusted: {known_hosts} holds this key for {}.",
                sanitize(pattern)
            )?;
            return Ok(());
        }
        Known::Changed(line) => bail!(
            "{known_hosts} line {line} holds a different {} key for {pattern}: the host key \
             has CHANGED (a reinstalled host, or someone in the middle). If the change is \
             expected, remove the old key with `ssh-keygen -R '{pattern}' -f {known_hosts}` \
             and run this again; nothing was written",
            sanitize(&key.algorithm),
            pattern = sanitize(pattern)
        ),
        Known::No => {}
    }
    if jump.is_some() {
        writeln!(
            out,
            "The jump host's key is checked first; once it is trusted, run `navi remotes \
             trust {0}` again for {0}'s own key.",
            remote.name
        )?;
    }
    if !yes {
        write!(out, "Trust this key and add it to {known_hosts}? [y/N] ")?;
        out.flush()?;
        let mut answer = String::new();
        input
            .read_line(&mut answer)
            .context("cannot read the answer")?;
        let answer = answer.trim().to_ascii_lowercase();
        if answer != "y" && answer != "yes" {
            writeln!(out)?;
            bail!("not trusted: nothing was written to {known_hosts}");
        }
    }
    navi_source_ssh::trust_host_key(&key)
        .with_context(|| format!("cannot add the key to {known_hosts}"))?;
    writeln!(out, "Added {} to {known_hosts}.", sanitize(pattern))?;
    Ok(())
}

/// The host part of the key's known_hosts line: `host` or `[host]:port`.
fn key_pattern(key: &navi_source_ssh::ScannedHostKey) -> &str {
    key.known_hosts_line
        .split_whitespace()
        .next()
        .unwrap_or_default()
}

/// How known_hosts names `host` on `port` (OpenSSH's form).
fn host_pattern(host: &str, port: u16) -> String {
    if port == 22 {
        host.to_string()
    } else {
        format!("[{host}]:{port}")
    }
}

/// What a plain (unhashed) known_hosts line says about a scanned key.
#[derive(Debug, PartialEq, Eq)]
enum Known {
    /// A line holds this very key for this host.
    Same,
    /// Line N (1-based) holds another key of the same algorithm for this host.
    Changed(usize),
    /// No plain line for this host and algorithm.
    No,
}

/// Looks the key up in its known_hosts file. Hashed entries are not matched here:
/// `trust_host_key` itself never writes a key twice and refuses a changed one; this only
/// answers before the user is asked a pointless question.
fn known_entry(key: &navi_source_ssh::ScannedHostKey) -> Known {
    let mut wanted = key.known_hosts_line.split_whitespace();
    let (Some(pattern), Some(algorithm), Some(blob)) =
        (wanted.next(), wanted.next(), wanted.next())
    else {
        return Known::No;
    };
    let Ok(text) = std::fs::read_to_string(&key.known_hosts) else {
        return Known::No;
    };
    let mut changed = None;
    for (i, line) in text.lines().enumerate() {
        let mut f = line.split_whitespace();
        let (Some(hosts), Some(a), Some(b)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        if a != algorithm || !hosts.split(',').any(|h| h == pattern) {
            continue;
        }
        if b == blob {
            return Known::Same;
        }
        changed.get_or_insert(i + 1);
    }
    changed.map_or(Known::No, Known::Changed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use navi_core::testing::{session, MockSource};
    use navi_core::SourceError;
    use std::sync::Arc;
    use std::time::Duration;

    #[tokio::test]
    async fn health_lists_every_remote_with_state_and_reason() {
        let set = SourceSet {
            sources: vec![
                (
                    Arc::new(MockSource::ok(
                        Some("dev"),
                        vec![session("a", "working", 1)],
                        Duration::from_millis(5),
                    )) as _,
                    navi_core::testing::OPTIONS,
                ),
                (
                    Arc::new(MockSource::failing(
                        Some("staging"),
                        SourceError::Auth("no key accepted for deploy@staging".into()),
                        Duration::ZERO,
                    )) as _,
                    navi_core::testing::OPTIONS,
                ),
            ],
            config_errors: vec!["r.yaml: remote \"#3\": field `host`: missing".into()],
            ..SourceSet::default()
        };
        let (mut out, mut err) = (Vec::new(), Vec::new());
        health(&set, false, &mut out, &mut err).await.unwrap();
        let out = String::from_utf8(out).unwrap();
        let err = String::from_utf8(err).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[0].starts_with("REMOTE"), "{out}");
        assert!(
            lines[1].starts_with("dev") && lines[1].contains("● connected"),
            "{out}"
        );
        assert!(
            lines[1].contains("just now") || lines[1].contains("s ago"),
            "{out}"
        );
        assert!(
            lines[2].starts_with("staging") && lines[2].contains("✖ unavailable"),
            "{out}"
        );
        assert!(lines[2].contains("never"), "{out}");
        assert!(
            lines[3].contains("auth: authentication failed: no key accepted"),
            "{out}"
        );
        assert!(err.contains("field `host`"), "{err}");

        let (mut out, mut err) = (Vec::new(), Vec::new());
        health(&set, true, &mut out, &mut err).await.unwrap();
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["remotes"][0]["name"], "dev");
        assert_eq!(v["remotes"][0]["sessions"], 1);
        assert_eq!(v["remotes"][1]["reason_kind"], "auth");
        assert_eq!(
            v["errors"][0],
            "r.yaml: remote \"#3\": field `host`: missing"
        );
    }

    #[tokio::test]
    async fn no_remotes_shows_an_example() {
        let set = SourceSet::default();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        health(&set, false, &mut out, &mut err).await.unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(
            out.contains("No remotes configured") && out.contains("jump_host"),
            "{out}"
        );
    }

    #[test]
    fn a_key_already_in_known_hosts_is_recognised() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("known_hosts");
        let key = navi_source_ssh::ScannedHostKey {
            fingerprint: "SHA256:x".into(),
            algorithm: "ssh-ed25519".into(),
            known_hosts_line: "[127.0.0.1]:2222 ssh-ed25519 AAAAkey".into(),
            known_hosts: file.clone(),
        };
        assert_eq!(key_pattern(&key), "[127.0.0.1]:2222");
        assert_eq!(host_pattern("127.0.0.1", 2222), "[127.0.0.1]:2222");
        assert_eq!(host_pattern("dev", 22), "dev");
        assert_eq!(known_entry(&key), Known::No, "no file yet");
        std::fs::write(&file, "[127.0.0.1]:2223 ssh-ed25519 AAAAkey\n").unwrap();
        assert_eq!(known_entry(&key), Known::No, "another port");
        std::fs::write(
            &file,
            "# c\n[127.0.0.1]:2222 ssh-rsa AAAArsa\n[127.0.0.1]:2222 ssh-ed25519 AAAAother\n",
        )
        .unwrap();
        assert_eq!(known_entry(&key), Known::Changed(3), "another key");
        std::fs::write(
            &file,
            "# comment\nbox,[127.0.0.1]:2222 ssh-ed25519 AAAAkey comment\n",
        )
        .unwrap();
        assert_eq!(known_entry(&key), Known::Same);
    }

    #[tokio::test]
    async fn trust_of_an_unknown_remote_names_the_choices() {
        let set = SourceSet {
            remotes_file: Some("/x/remotes.yaml".into()),
            ..SourceSet::default()
        };
        let mut input: &[u8] = b"y\n";
        let mut out = Vec::new();
        let e = trust(&set, "nope", false, &mut input, &mut out)
            .await
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("no remote named `nope` in /x/remotes.yaml"),
            "{e}"
        );
    }
}
