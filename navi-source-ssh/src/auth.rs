//! Key authentication, never a prompt: each key file in order, then the ssh-agent
//! (`IdentityAgent`, else `SSH_AUTH_SOCK`). RSA keys sign with rsa-sha2-512/256 (never
//! ssh-rsa/SHA-1). An encrypted key is skipped (the agent may hold it), not a
//! passphrase prompt. With `IdentitiesOnly` the agent may only sign with the keys of
//! the configured key files (found from the file, or its `.pub` beside it).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use navi_core::{Detail, SourceError};
use russh::client::Handle;
use russh::keys::agent::client::AgentClient;
use russh::keys::agent::AgentIdentity;
use russh::keys::{
    load_public_key, load_secret_key, HashAlg, PrivateKey, PrivateKeyWithHashAlg, PublicKey,
};

use crate::hostkey::HostKeyVerifier;
use crate::target::Target;

/// Who is logging in where.
pub(crate) struct Login<'a> {
    /// The login name.
    pub user: &'a str,
    /// The remote or its jump host (messages name both the place and the remote).
    pub target: &'a Target,
}

/// Why one key did not log in.
enum KeyOutcome {
    Missing(PathBuf),
    Encrypted(PathBuf),
    Unreadable(PathBuf, String),
    Rejected(PathBuf),
}

/// Authenticates `handle` as `login.user`: key files first, then the agent (with
/// `identities_only`, only its keys that are the key files' keys).
pub(crate) async fn authenticate(
    handle: &mut Handle<HostKeyVerifier>,
    login: &Login<'_>,
    keys: &[PathBuf],
    agent_sock: Option<PathBuf>,
    identities_only: bool,
) -> Result<(), SourceError> {
    let mut outcomes = Vec::new();
    // The public keys of the key files (for `IdentitiesOnly`).
    let mut configured: Vec<PublicKey> = Vec::new();
    for path in keys {
        let key = match load_key(path).await {
            Ok(k) => k,
            Err(outcome) => {
                if let KeyOutcome::Encrypted(p) | KeyOutcome::Unreadable(p, _) = &outcome {
                    configured.extend(public_key_beside(p).await);
                }
                outcomes.push(outcome);
                continue;
            }
        };
        configured.push(key.public_key().clone());
        let hash = rsa_hash(handle, &key).await;
        let res = handle
            .authenticate_publickey(login.user, PrivateKeyWithHashAlg::new(Arc::new(key), hash))
            .await
            .map_err(|e| auth_transport_error(e, login))?;
        if res.success() {
            return Ok(());
        }
        outcomes.push(KeyOutcome::Rejected(path.clone()));
    }

    let only = identities_only.then_some(configured.as_slice());
    let agent_note = match agent_sock {
        None => AgentNote::NotSet,
        Some(sock) => match try_agent(handle, login, &sock, only).await? {
            AgentResult::Success => return Ok(()),
            AgentResult::Note(n) => n,
        },
    };
    Err(SourceError::Auth(failure_message(
        login,
        &outcomes,
        &agent_note,
    )))
}

/// The public key in `<path>.pub`, if there is one.
async fn public_key_beside(path: &Path) -> Option<PublicKey> {
    let mut public = path.as_os_str().to_owned();
    public.push(".pub");
    tokio::task::spawn_blocking(move || load_public_key(PathBuf::from(public)).ok())
        .await
        .ok()
        .flatten()
}

async fn load_key(path: &Path) -> Result<PrivateKey, KeyOutcome> {
    let p = path.to_path_buf();
    let res = tokio::task::spawn_blocking(move || load_secret_key(&p, None))
        .await
        .map_err(|e| KeyOutcome::Unreadable(path.to_path_buf(), e.to_string()))?;
    match res {
        Ok(k) => Ok(k),
        Err(russh::keys::Error::KeyIsEncrypted) => Err(KeyOutcome::Encrypted(path.to_path_buf())),
        Err(russh::keys::Error::IO(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(KeyOutcome::Missing(path.to_path_buf()))
        }
        Err(e) => Err(KeyOutcome::Unreadable(path.to_path_buf(), e.to_string())),
    }
}

/// rsa-sha2-512/256 as the server prefers, SHA-256 when it does not say; `None` (no
/// hash choice) for non-RSA keys. Never ssh-rsa (SHA-1): OpenSSH ≥ 8.8 rejects it.
async fn rsa_hash(handle: &Handle<HostKeyVerifier>, key: &PrivateKey) -> Option<HashAlg> {
    if !key.algorithm().is_rsa() {
        return None;
    }
    match handle.best_supported_rsa_hash().await {
        Ok(Some(Some(h))) => Some(h),
        _ => Some(HashAlg::Sha256),
    }
}

enum AgentNote {
    NotSet,
    Unusable(String),
    NoKeys(PathBuf),
    /// `IdentitiesOnly`: the agent holds none of the key files' keys.
    NoneConfigured(PathBuf),
    Rejected(PathBuf, usize),
}

enum AgentResult {
    Success,
    Note(AgentNote),
}

async fn try_agent(
    handle: &mut Handle<HostKeyVerifier>,
    login: &Login<'_>,
    sock: &Path,
    only: Option<&[PublicKey]>,
) -> Result<AgentResult, SourceError> {
    let mut agent = match AgentClient::connect_uds(sock).await {
        Ok(a) => a,
        Err(e) => {
            return Ok(AgentResult::Note(AgentNote::Unusable(format!(
                "cannot reach the ssh-agent at {} ({e})",
                sock.display()
            ))))
        }
    };
    let ids = match agent.request_identities().await {
        Ok(ids) => ids,
        Err(e) => {
            return Ok(AgentResult::Note(AgentNote::Unusable(format!(
                "the ssh-agent at {} did not list its keys ({e})",
                sock.display()
            ))))
        }
    };
    let mut tried = 0;
    let held = ids.len();
    for id in ids {
        if matches!(id, AgentIdentity::Certificate { .. }) {
            continue;
        }
        let public = id.public_key().into_owned();
        if let Some(only) = only {
            if !only.iter().any(|k| k.key_data() == public.key_data()) {
                continue;
            }
        }
        let hash = if public.algorithm().is_rsa() {
            match handle.best_supported_rsa_hash().await {
                Ok(Some(Some(h))) => Some(h),
                _ => Some(HashAlg::Sha256),
            }
        } else {
            None
        };
        tried += 1;
        match handle
            .authenticate_publickey_with(login.user, public, hash, &mut agent)
            .await
        {
            Ok(r) if r.success() => return Ok(AgentResult::Success),
            Ok(_) => {}
            // The agent would not sign with this key (e.g. confirmation refused).
            Err(russh::AgentAuthError::Key(_)) => {}
            Err(russh::AgentAuthError::Send(_)) => {
                return Err(SourceError::Disconnected(
                    login
                        .target
                        .detail("the connection closed during authentication"),
                ))
            }
        }
    }
    Ok(AgentResult::Note(
        if tried == 0 && only.is_some() && held > 0 {
            AgentNote::NoneConfigured(sock.to_path_buf())
        } else if tried == 0 {
            AgentNote::NoKeys(sock.to_path_buf())
        } else {
            AgentNote::Rejected(sock.to_path_buf(), tried)
        },
    ))
}

fn auth_transport_error(e: russh::Error, login: &Login<'_>) -> SourceError {
    crate::error::russh_error(
        e,
        login.target,
        &format!("authenticating as {}", login.user),
        std::time::Duration::ZERO,
    )
}

fn failure_message(login: &Login<'_>, outcomes: &[KeyOutcome], agent: &AgentNote) -> Detail {
    let mut parts: Vec<String> = Vec::new();
    let agent_offered = matches!(agent, AgentNote::Rejected(..));
    for o in outcomes {
        parts.push(match o {
            KeyOutcome::Missing(p) => format!(
                "key file {} not found (remote {}, field `key`)",
                p.display(),
                login.target.remote
            ),
            KeyOutcome::Encrypted(p) if agent_offered => format!(
                "key file {} is passphrase-protected and the ssh-agent's keys were rejected: \
                 run `ssh-add {}`",
                p.display(),
                p.display()
            ),
            KeyOutcome::Encrypted(p) => format!(
                "key file {} is passphrase-protected and no ssh-agent offered a key: run `ssh-add {}`",
                p.display(),
                p.display()
            ),
            KeyOutcome::Unreadable(p, e) => {
                format!("cannot use key file {} ({e})", p.display())
            }
            KeyOutcome::Rejected(p) => format!(
                "server rejected key {} for user {}",
                p.display(),
                login.user
            ),
        });
    }
    match agent {
        AgentNote::NotSet => {
            if outcomes.is_empty() {
                parts.push(format!(
                    "no key to offer for user {}: set `key` for remote {} in remotes.yaml, or \
                     start an ssh-agent (SSH_AUTH_SOCK is not set)",
                    login.user, login.target.remote
                ));
            }
        }
        AgentNote::Unusable(m) => parts.push(m.clone()),
        AgentNote::NoKeys(sock) => {
            if outcomes.is_empty() {
                parts.push(format!(
                    "no key to offer for user {}: no `key` is configured for remote {} and the \
                     ssh-agent at {} holds no keys (ssh-add one)",
                    login.user,
                    login.target.remote,
                    sock.display()
                ));
            }
        }
        AgentNote::NoneConfigured(sock) => parts.push(format!(
            "IdentitiesOnly: the ssh-agent at {} holds none of the configured keys",
            sock.display()
        )),
        AgentNote::Rejected(sock, n) => parts.push(format!(
            "server rejected the {n} key{} of the ssh-agent at {} for user {}",
            if *n == 1 { "" } else { "s" },
            sock.display(),
            login.user
        )),
    }
    login.target.detail(parts.join("; "))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// An ed25519 key encrypted with the passphrase `pw` (made for this test).
    const ENCRYPTED: &str = "-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAACmFlczI1Ni1jdHIAAAAGYmNyeXB0AAAAGAAAABDIkSbbFV
afGtkXFvhDrVMdAAAAEAAAAAEAAAAzAAAAC3NzaC1lZDI1NTE5AAAAIMtT89jb4ZN7nr3X
RSm5H7X2h9ELzwZtih+2hVv3Zv7TAAAAkPl1y/GYMs4bw85vqNqbUYLFYt5CYE/b7K1+Co
xwdPkB5I3JJWpcSg9FCjMzPLu3jMxgxs248Z3kugGzJemr5fmMU+F30xLMaAOlcnidIduK
eH61Rk3yLnkhU0Bf+FDPcr7jaePRKN4UzCdR5HyAI56rQrG/yLouIscVjkYYNR25z99n9h
LKStonIl/jOlpVhw==
-----END OPENSSH PRIVATE KEY-----
";

    fn dev() -> Target {
        Target {
            remote: "dev".into(),
            place: "sean@dev.example.com".into(),
        }
    }

    fn login(target: &Target) -> Login<'_> {
        Login {
            user: "sean",
            target,
        }
    }

    #[tokio::test]
    async fn key_files_are_classified_without_prompting() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing");
        assert!(matches!(load_key(&missing).await, Err(KeyOutcome::Missing(p)) if p == missing));
        let enc = dir.path().join("enc");
        std::fs::write(&enc, ENCRYPTED).unwrap();
        assert!(matches!(load_key(&enc).await, Err(KeyOutcome::Encrypted(p)) if p == enc));
        let junk = dir.path().join("junk");
        std::fs::write(&junk, "not a key").unwrap();
        assert!(matches!(load_key(&junk).await, Err(KeyOutcome::Unreadable(p, _)) if p == junk));
    }

    #[test]
    fn failure_messages_say_what_to_do() {
        let dev = dev();
        let l = login(&dev);
        let m = failure_message(
            &l,
            &[KeyOutcome::Missing("/x/y".into())],
            &AgentNote::NotSet,
        )
        .to_string();
        assert!(
            m.contains("key file /x/y not found (remote dev, field `key`)"),
            "{m}"
        );
        let m = failure_message(
            &l,
            &[KeyOutcome::Encrypted("/x/y".into())],
            &AgentNote::NotSet,
        )
        .to_string();
        assert!(
            m.contains(
                "/x/y is passphrase-protected and no ssh-agent offered a key: run `ssh-add /x/y`"
            ),
            "{m}"
        );
        let m = failure_message(
            &l,
            &[KeyOutcome::Rejected("/x/y".into())],
            &AgentNote::NotSet,
        )
        .to_string();
        assert!(m.contains("server rejected key /x/y for user sean"), "{m}");
        let m = failure_message(&l, &[], &AgentNote::NotSet).to_string();
        assert!(m.contains("no key to offer for user sean"), "{m}");
        assert!(m.contains("SSH_AUTH_SOCK"), "{m}");
        let m = failure_message(&l, &[], &AgentNote::NoKeys("/run/agent".into())).to_string();
        assert!(m.contains("holds no keys"), "{m}");
        let m = failure_message(
            &l,
            &[KeyOutcome::Encrypted("/x/y".into())],
            &AgentNote::Rejected("/run/agent".into(), 2),
        )
        .to_string();
        assert!(m.contains("run `ssh-add /x/y`"), "{m}");
        assert!(m.contains("rejected the 2 keys of the ssh-agent"), "{m}");
        assert!(m.starts_with("remote dev"), "names the place: {m}");
    }
}
