//! `navi remotes [--json]` (the remotes health view) and `navi remotes trust NAME`.

mod health;

use std::io::{BufRead, Write};

use anyhow::{bail, Context as _};
use navi_core::format_duration;
use navi_core::text::sanitize;
use navi_source_ssh::{JumpHost, Remote};

pub use health::{health, EXAMPLE};

use crate::sources::SourceSet;

/// `user@host:port`, with ` via jump` when there is a jump host.
pub fn address(r: &Remote) -> String {
    let mut s = format!("{}@{}:{}", r.user, r.host, r.port);
    if let Some(j) = &r.jump {
        s.push_str(&format!(" via {}", jump_address(j)));
    }
    s
}

/// The jump host as `user@host:port`.
pub fn jump_address(j: &JumpHost) -> String {
    format!("{}@{}:{}", j.user, j.host, j.port)
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
        if let Some(e) = set.errors_for_remote(name).next() {
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
