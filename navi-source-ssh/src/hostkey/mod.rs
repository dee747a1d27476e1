//! Host keys: verification against known_hosts, `navi remotes trust` (scan + trust),
//! and the russh client handler that enforces them.
//!
//! There is no option to skip verification. An unknown key refuses the connection with
//! its type and `SHA256:` fingerprint and the command that trusts it; a changed key
//! refuses it loudly (possible man-in-the-middle) naming the known_hosts file and line.
//! Host certificates are refused (navi has no `@cert-authority` support).

use std::borrow::Cow;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use russh::client;
use russh::keys::known_hosts::known_host_keys_path;
use russh::keys::{
    check_known_hosts_path, parse_public_key_base64, Algorithm, HashAlg, PublicKey,
    PublicKeyBase64, PublicKeyOrCertificate,
};

use crate::config::{host_port, JumpHost, Remote};
use crate::error::SshError;

/// The host key a remote presents, for `navi remotes trust NAME`.
#[derive(Debug, Clone)]
pub struct ScannedHostKey {
    /// `SHA256:...` as OpenSSH prints it.
    pub fingerprint: String,
    /// Key algorithm (`ssh-ed25519`, ...).
    pub algorithm: String,
    /// The known_hosts line that trusts it (`host` or `[host]:port`, key).
    pub known_hosts_line: String,
    /// The file the line belongs in.
    pub known_hosts: PathBuf,
}

impl ScannedHostKey {
    pub(crate) fn new(host: &str, port: u16, key: &PublicKey, known_hosts: &Path) -> Self {
        ScannedHostKey {
            fingerprint: fingerprint(key),
            algorithm: key.algorithm().as_str().to_string(),
            known_hosts_line: format!(
                "{} {} {}",
                host_port(host, port),
                key.algorithm().as_str(),
                key.public_key_base64()
            ),
            known_hosts: known_hosts.to_path_buf(),
        }
    }
}

/// `SHA256:...`.
pub(crate) fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// Whose key is checked, for messages: the remote itself or its bastion.
#[derive(Debug, Clone)]
pub(crate) struct HostCheck {
    pub host: String,
    pub port: u16,
    pub known_hosts: PathBuf,
    /// The remote's name (for `navi remotes trust NAME`).
    pub remote: String,
    /// True for the jump host of `remote`.
    pub is_jump: bool,
}

impl HostCheck {
    /// The check of the remote's own host key.
    pub(crate) fn of_remote(r: &Remote) -> HostCheck {
        HostCheck {
            host: r.host.clone(),
            port: r.port,
            known_hosts: r.known_hosts.clone(),
            remote: r.name.clone(),
            is_jump: false,
        }
    }

    /// The check of the host key of `r`'s jump host `j` (in `r`'s known_hosts).
    pub(crate) fn of_jump(r: &Remote, j: &JumpHost) -> HostCheck {
        HostCheck {
            host: j.host.clone(),
            port: j.port,
            known_hosts: r.known_hosts.clone(),
            remote: r.name.clone(),
            is_jump: true,
        }
    }

    fn who(&self) -> String {
        if self.is_jump {
            format!(
                "jump host {} (of remote {})",
                host_port(&self.host, self.port),
                self.remote
            )
        } else {
            format!(
                "{} (remote {})",
                host_port(&self.host, self.port),
                self.remote
            )
        }
    }

    fn certificate_refused(&self) -> SshError {
        SshError::HostKey(format!(
            "{} presented a host certificate; navi verifies plain host keys from \
             known_hosts only (no @cert-authority support)",
            self.who()
        ))
    }

    /// Verifies a plain host key against known_hosts.
    pub(crate) fn verify_key(&self, key: &PublicKey) -> Result<(), SshError> {
        match check_known_hosts_path(&self.host, self.port, key, &self.known_hosts) {
            Ok(true) => Ok(()),
            Ok(false) => Err(SshError::UnknownHostKey(self.unknown_message(key))),
            Err(russh::keys::Error::KeyChanged { line }) => {
                Err(SshError::HostKey(self.changed_message(key, line)))
            }
            Err(e) => Err(SshError::HostKey(format!(
                "cannot check the host key of {} against {}: {e}",
                self.who(),
                self.known_hosts.display()
            ))),
        }
    }

    fn unknown_message(&self, key: &PublicKey) -> String {
        let others: Vec<String> = known_host_keys_path(&self.host, self.port, &self.known_hosts)
            .unwrap_or_default()
            .iter()
            .map(|(_, k)| k.algorithm().as_str().to_string())
            .collect();
        let also = if others.is_empty() {
            String::new()
        } else {
            format!(" (the file only has a {} key for it)", others.join(", "))
        };
        format!(
            "{} is not a known host: it offered the {} key {}, which is not in {}{also}. \
             If that fingerprint is right, run `navi remotes trust {}`",
            self.who(),
            key.algorithm().as_str(),
            fingerprint(key),
            self.known_hosts.display(),
            self.remote
        )
    }

    fn changed_message(&self, key: &PublicKey, line: usize) -> String {
        let line = physical_line(&self.known_hosts, line);
        let hp = host_port(&self.host, self.port);
        format!(
            "WARNING: THE HOST KEY OF {} HAS CHANGED. Someone could be intercepting the \
             connection (man-in-the-middle), or the host was reinstalled. The server now \
             offers the {} key {}, but {} line {line} holds a different key for it. navi \
             refuses to connect. If the change is expected, remove the old key with \
             `ssh-keygen -R '{hp}' -f {}` and run `navi remotes trust {}`",
            self.who(),
            key.algorithm().as_str(),
            fingerprint(key),
            self.known_hosts.display(),
            self.known_hosts.display(),
            self.remote
        )
    }

    /// The host key algorithms to offer, those known_hosts has for this host first, so
    /// the server presents the key the user trusted (as OpenSSH does).
    pub(crate) fn preferred(&self) -> russh::Preferred {
        let known: Vec<Algorithm> = known_host_keys_path(&self.host, self.port, &self.known_hosts)
            .unwrap_or_default()
            .iter()
            .map(|(_, k)| k.algorithm())
            .collect();
        let mut pref = russh::Preferred::default();
        if known.is_empty() {
            return pref;
        }
        let matches = |a: &Algorithm| {
            known
                .iter()
                .any(|k| k == a || (k.clone().is_rsa() && a.clone().is_rsa()))
        };
        let mut order: Vec<Algorithm> = pref.key.iter().filter(|a| matches(a)).cloned().collect();
        order.extend(pref.key.iter().filter(|a| !matches(a)).cloned());
        pref.key = Cow::Owned(order);
        pref
    }
}

/// russh counts only non-comment lines; find the line an editor shows.
fn physical_line(path: &Path, counted: usize) -> usize {
    let Ok(text) = std::fs::read_to_string(path) else {
        return counted;
    };
    let mut n = 0;
    for (i, line) in text.lines().enumerate() {
        if line.starts_with('#') {
            continue;
        }
        n += 1;
        if n == counted {
            return i + 1;
        }
    }
    counted
}

/// What the handler does with the server's key.
#[derive(Debug, Clone)]
pub(crate) enum KeyPolicy {
    /// Verify against known_hosts; refuse on mismatch.
    Verify(HostCheck),
    /// Record the key and abort (for `navi remotes trust`).
    Scan,
}

/// The russh client handler: verifies (or records) the server's host key, and flags
/// the connection dead when the session ends.
pub(crate) struct HostKeyVerifier {
    policy: KeyPolicy,
    /// The key the server presented (set in both modes).
    seen: Arc<Mutex<Option<PublicKey>>>,
    /// Set once the session ends (error, keepalive timeout, server disconnect).
    dead: Arc<AtomicBool>,
}

impl HostKeyVerifier {
    pub(crate) fn new(policy: KeyPolicy, dead: Arc<AtomicBool>) -> Self {
        HostKeyVerifier {
            policy,
            seen: Arc::new(Mutex::new(None)),
            dead,
        }
    }

    /// Where the presented key is recorded.
    pub(crate) fn seen(&self) -> Arc<Mutex<Option<PublicKey>>> {
        self.seen.clone()
    }
}

impl client::Handler for HostKeyVerifier {
    type Error = SshError;

    async fn check_server_key(&mut self, key: &PublicKeyOrCertificate) -> Result<bool, SshError> {
        if let PublicKeyOrCertificate::PublicKey { key: k, .. } = key {
            match self.seen.lock() {
                Ok(mut g) => *g = Some(k.clone()),
                Err(p) => *p.into_inner() = Some(k.clone()),
            }
        }
        match &self.policy {
            KeyPolicy::Scan => Ok(false),
            KeyPolicy::Verify(check) => {
                let key = match key {
                    PublicKeyOrCertificate::PublicKey { key, .. } => key.clone(),
                    PublicKeyOrCertificate::Certificate(_) => {
                        return Err(check.certificate_refused())
                    }
                };
                let check = check.clone();
                // known_hosts is a local file: read it off the async threads.
                let verdict = tokio::task::spawn_blocking(move || check.verify_key(&key))
                    .await
                    .map_err(|e| SshError::HostKey(format!("host key check failed: {e}")))?;
                verdict.map(|()| true)
            }
        }
    }

    async fn disconnected(
        &mut self,
        reason: client::DisconnectReason<SshError>,
    ) -> Result<(), SshError> {
        self.dead.store(true, Ordering::SeqCst);
        match reason {
            client::DisconnectReason::ReceivedDisconnect(_) => Ok(()),
            client::DisconnectReason::Error(e) => Err(e),
        }
    }
}

/// Appends the scanned key to its known_hosts file (creating it, mode 0600).
///
/// Trusting a key that is already there does nothing. When the file holds a different
/// key of the same type for the host, nothing is written and the error says how to
/// remove the old one first.
pub fn trust_host_key(key: &ScannedHostKey) -> std::io::Result<()> {
    let invalid = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidInput, m.to_string());
    let mut parts = key.known_hosts_line.split(' ');
    let (Some(pattern), Some(_algo), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(invalid("the known_hosts line must be `host type key`"));
    };
    let public = parse_public_key_base64(b64)
        .map_err(|e| invalid(&format!("the known_hosts line has an invalid key: {e}")))?;
    let (host, port) = split_host_pattern(pattern)
        .ok_or_else(|| invalid("the known_hosts line must start with `host` or `[host]:port`"))?;
    match check_known_hosts_path(&host, port, &public, &key.known_hosts) {
        Ok(true) => return Ok(()),
        Ok(false) => {}
        Err(russh::keys::Error::KeyChanged { line }) => {
            return Err(std::io::Error::other(format!(
                "{} line {} holds a different {} key for {pattern}; if the change is expected, \
                 remove it first with `ssh-keygen -R '{pattern}' -f {}`",
                key.known_hosts.display(),
                physical_line(&key.known_hosts, line),
                key.algorithm,
                key.known_hosts.display()
            )))
        }
        Err(e) => {
            return Err(std::io::Error::other(format!(
                "cannot read {}: {e}",
                key.known_hosts.display()
            )))
        }
    }
    append_line(&key.known_hosts, &key.known_hosts_line)
}

fn split_host_pattern(p: &str) -> Option<(String, u16)> {
    if let Some(inner) = p.strip_prefix('[') {
        let (h, port) = inner.split_once("]:")?;
        Some((h.to_string(), port.parse().ok()?))
    } else if p.is_empty() {
        None
    } else {
        Some((p.to_string(), 22))
    }
}

fn append_line(path: &Path, line: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        if !parent.exists() {
            let mut b = std::fs::DirBuilder::new();
            b.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
            b.create(parent)?;
        }
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true).append(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut file = opts.open(path)?;
    let mut needs_newline = false;
    if file.seek(SeekFrom::End(-1)).is_ok() {
        let mut last = [0u8; 1];
        file.read_exact(&mut last)?;
        needs_newline = last[0] != b'\n';
    }
    let mut out = String::new();
    if needs_newline {
        out.push('\n');
    }
    out.push_str(line);
    out.push('\n');
    file.write_all(out.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests;
