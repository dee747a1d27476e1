//! `navi remotes [--json]` (the remotes health view) and `navi remotes trust NAME`.

mod health;

use std::io::{BufRead, Write};

use anyhow::{bail, Context as _};
use navi_core::text::sanitize;
use navi_source_ssh::{HostKeyStatus, JumpHost, Remote, ScannedHostKey};

pub use health::{health, EXAMPLE};

use crate::sources::SourceSet;

/// `user@host:port`, with ` via hop1, hop2` naming every jump host in the order they
/// are reached.
pub fn address(r: &Remote) -> String {
    let mut s = format!("{}@{}:{}", r.user, r.host, r.port);
    let hops: Vec<String> = r
        .jump_hosts()
        .into_iter()
        .map(|(j, _)| jump_address(j))
        .collect();
    if !hops.is_empty() {
        s.push_str(&format!(" via {}", hops.join(", ")));
    }
    s
}

/// The jump host as `user@host:port`.
pub fn jump_address(j: &JumpHost) -> String {
    format!("{}@{}:{}", j.user, j.host, j.port)
}

/// Scans the host key of the remote `name`, shows it with its status in the remote's
/// known_hosts files, and adds it when it is unknown and the user answers yes on `input`
/// (or `yes` is set). The ssh crate reads known_hosts and bounds the scan; this only
/// prints and acts on the typed status.
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
    let key = navi_source_ssh::scan_host_key(remote)
        .await
        .with_context(|| {
            format!(
                "cannot read the host key of {} ({})",
                remote.name,
                address(remote)
            )
        })?;
    act_on_scanned(remote, &key, yes, input, out)
}

/// The host that presented `key`, as `user@host:port`: the remote itself (with the hops
/// it is reached through), or the jump host that presented it, whichever hop that is.
fn key_host(remote: &Remote, key: &ScannedHostKey) -> String {
    let hops = remote.jump_hosts();
    let Some(i) = key.jump_hop.or(key.is_jump_host.then_some(0)) else {
        return address(remote);
    };
    // The hop's own record names its user; its host and port must be the key's.
    match hops
        .get(i)
        .filter(|(j, _)| j.host == key.host && j.port == key.port)
    {
        Some((j, _)) => {
            let before: Vec<String> = hops[..i].iter().map(|(h, _)| jump_address(h)).collect();
            let through = if before.is_empty() {
                String::new()
            } else {
                format!(", reached via {}", before.join(", "))
            };
            format!(
                "{} (jump host {} of {} to {}{through})",
                jump_address(j),
                i + 1,
                hops.len(),
                remote.name
            )
        }
        // Not a hop of this remote's: name the key's own host and port.
        None => format!("{}:{} (a jump host of {})", key.host, key.port, remote.name),
    }
}

/// Prints the scanned key and acts on its status: nothing to do (known), refuse
/// (changed, revoked), or ask and append (unknown).
fn act_on_scanned(
    remote: &Remote,
    key: &ScannedHostKey,
    yes: bool,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let pattern = sanitize(&key.host_pattern()).into_owned();
    writeln!(out, "Remote:      {}", remote.name)?;
    writeln!(out, "Host:        {}", key_host(remote, key))?;
    writeln!(out, "Algorithm:   {}", sanitize(&key.algorithm()))?;
    writeln!(out, "Fingerprint: {}", sanitize(&key.fingerprint()))?;
    let known_hosts = key.known_hosts.display().to_string();
    match &key.status {
        HostKeyStatus::Known(at) => {
            writeln!(
                out,
                "Already trusted: {} holds this key for {pattern}.",
                sanitize(&at.to_string())
            )?;
            return Ok(());
        }
        HostKeyStatus::Changed { at, algorithm } => bail!(
            "{} holds a different key ({}) for {pattern}: the host key has CHANGED (a \
             reinstalled host, or someone in the middle). If the change is expected, remove \
             the old key with `ssh-keygen -R '{pattern}' -f {}` (or edit that line) and run \
             this again; nothing was written",
            sanitize(&at.to_string()),
            sanitize(algorithm),
            sanitize(&at.file.display().to_string()),
        ),
        HostKeyStatus::Revoked(at) => bail!(
            "{} marks this key as @revoked: it is never trusted (it may have been stolen). \
             Ask the host's administrator for its new key; nothing was written",
            sanitize(&at.to_string())
        ),
        HostKeyStatus::Unknown => {}
    }
    if key.is_jump_host {
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
    navi_source_ssh::trust_host_key(key)
        .with_context(|| format!("cannot add the key to {known_hosts}"))?;
    writeln!(out, "Added {pattern} to {known_hosts}.")?;
    Ok(())
}

/// `navi remotes [--json]`, `navi remotes setup NAME`, `navi remotes trust NAME`.
pub async fn command(
    set: SourceSet,
    json: bool,
    action: Option<&crate::cli::RemotesAction>,
) -> anyhow::Result<()> {
    use crate::cli::RemotesAction;
    use std::io;
    match action {
        None => {
            let checks = crate::paths::setup_checks()
                .map(|p| super::setup::load_checks(&p))
                .unwrap_or_default();
            health(
                &set,
                json,
                &checks,
                &mut io::stdout().lock(),
                &mut io::stderr(),
            )
            .await
        }
        Some(RemotesAction::Setup { name }) => {
            let exe = std::env::current_exe()
                .and_then(|p| p.canonicalize())
                .context("cannot find the path of this navi binary")?;
            let checks = crate::paths::setup_checks();
            let out = &mut io::stdout().lock();
            super::setup::run(&set, name, &exe, checks.as_deref(), out).await
        }
        Some(RemotesAction::Trust { name, yes }) => {
            let (input, out) = (&mut io::stdin().lock(), &mut io::stdout().lock());
            trust(&set, name, *yes, input, out).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scanned key of `remote` with `status`, written to `dir/known_hosts`.
    fn scanned(dir: &std::path::Path, status: HostKeyStatus, jump: bool) -> ScannedHostKey {
        let key = navi_tests::ssh_server::random_key().public_key().clone();
        let file = dir.join("known_hosts");
        ScannedHostKey {
            host: "127.0.0.1".into(),
            port: 2222,
            known_hosts_line: navi_tests::ssh_server::known_hosts_entry(2222, &key),
            key,
            known_hosts: file.clone(),
            read_from: vec![file],
            status,
            is_jump_host: jump,
            jump_hop: jump.then_some(0),
        }
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

    fn at(dir: &std::path::Path, line: usize) -> navi_source_ssh::KnownHostsLocation {
        navi_source_ssh::KnownHostsLocation {
            file: dir.join("known_hosts"),
            line,
        }
    }

    fn remote() -> Remote {
        let mut r = Remote::new("box", "127.0.0.1");
        r.port = 2222;
        r.user = "me".into();
        r
    }

    fn act(key: &ScannedHostKey, yes: bool, answer: &str) -> (anyhow::Result<()>, String) {
        let mut input = answer.as_bytes();
        let mut out = Vec::new();
        let res = act_on_scanned(&remote(), key, yes, &mut input, &mut out);
        (res, String::from_utf8(out).unwrap())
    }

    #[test]
    fn trust_prints_and_acts_on_the_scanned_status() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let file = d.join("known_hosts");

        // Known: says where, asks nothing, writes nothing.
        let key = scanned(d, HostKeyStatus::Known(at(d, 2)), false);
        let (res, out) = act(&key, false, "");
        res.unwrap();
        assert!(
            out.contains(&format!("Fingerprint: {}", key.fingerprint())),
            "{out}"
        );
        assert!(
            out.contains(&format!(
                "Already trusted: {} line 2 holds this key for [127.0.0.1]:2222",
                file.display()
            )),
            "{out}"
        );
        assert!(!file.exists());

        // Changed: refused, naming the file and line and the ssh-keygen -R command.
        let changed = HostKeyStatus::Changed {
            at: at(d, 7),
            algorithm: "ecdsa-sha2-nistp256".into(),
        };
        let (res, _) = act(&scanned(d, changed, false), true, "");
        let e = res.unwrap_err().to_string();
        for part in [
            &format!("{} line 7", file.display()),
            "CHANGED",
            "ecdsa-sha2-nistp256",
            "ssh-keygen -R '[127.0.0.1]:2222'",
        ] {
            assert!(e.contains(part), "{part:?} missing in {e}");
        }
        assert!(!file.exists());

        // Revoked: refused even with --yes.
        let (res, _) = act(
            &scanned(d, HostKeyStatus::Revoked(at(d, 3)), false),
            true,
            "",
        );
        let e = res.unwrap_err().to_string();
        assert!(e.contains("revoked") && e.contains("line 3"), "{e}");
        assert!(!file.exists());

        // Unknown: asks; "n" writes nothing, "y" appends the line.
        let key = scanned(d, HostKeyStatus::Unknown, false);
        let (res, out) = act(&key, false, "n\n");
        assert!(res.unwrap_err().to_string().contains("not trusted"));
        assert!(out.contains("[y/N]"), "{out}");
        assert!(!file.exists());
        let (res, out) = act(&key, false, "y\n");
        res.unwrap();
        assert!(out.contains("Added [127.0.0.1]:2222"), "{out}");
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            format!("{}\n", key.known_hosts_line)
        );
    }

    #[test]
    fn trust_of_a_jump_host_key_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = remote();
        r.jump = Some(navi_source_ssh::JumpHost {
            host: "127.0.0.1".into(),
            port: 2222,
            user: "gate".into(),
            keys: Vec::new(),
        });
        r.port = 2300;
        let key = scanned(dir.path(), HostKeyStatus::Unknown, true);
        let mut input: &[u8] = b"";
        let mut out = Vec::new();
        act_on_scanned(&r, &key, true, &mut input, &mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(
            out.contains("Host:        gate@127.0.0.1:2222 (jump host 1 of 1 to box)"),
            "{out}"
        );
        assert!(out.contains("run `navi remotes trust box` again"), "{out}");
    }

    /// `ProxyJump outer,inner` with inner untrusted: the prompt names inner (its user,
    /// host and port, and the hop before it), never outer.
    #[test]
    fn trust_of_the_second_hop_names_the_second_hop() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = remote();
        let hop = |user: &str, port| navi_source_ssh::JumpHost {
            host: "127.0.0.1".into(),
            port,
            user: user.into(),
            keys: Vec::new(),
        };
        r.jump = Some(hop("outer", 2201));
        r.further_jumps = vec![hop("inner", 2222)];
        r.port = 2300;
        let mut key = scanned(dir.path(), HostKeyStatus::Unknown, true);
        key.jump_hop = Some(1);
        let mut input: &[u8] = b"n\n";
        let mut out = Vec::new();
        let res = act_on_scanned(&r, &key, false, &mut input, &mut out);
        assert!(res.is_err());
        let out = String::from_utf8(out).unwrap();
        assert!(
            out.contains(
                "Host:        inner@127.0.0.1:2222 (jump host 2 of 2 to box, reached via \
                 outer@127.0.0.1:2201)"
            ),
            "{out}"
        );
        assert!(out.contains(&key.fingerprint()), "{out}");
        // The health listing names every hop.
        assert_eq!(
            address(&r),
            format!(
                "{}@{}:2300 via outer@127.0.0.1:2201, inner@127.0.0.1:2222",
                r.user, r.host
            )
        );
    }
}
