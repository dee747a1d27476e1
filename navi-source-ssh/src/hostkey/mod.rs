//! Host keys: verification against known_hosts, `navi remotes trust` (scan + trust),
//! and the russh client handler that enforces them.
//!
//! The known_hosts files are read as OpenSSH reads them ([`known_hosts`]): plain,
//! hashed and `[host]:port` names, `*`/`?` wildcards and `!` negation, comma lists,
//! `@cert-authority` and `@revoked` lines, spaces or tabs, several files.
//!
//! There is no option to skip verification. An unknown key refuses the connection with
//! its type and `SHA256:` fingerprint and the command that trusts it; a changed key
//! refuses it loudly (possible man-in-the-middle) naming the known_hosts file and line;
//! a revoked key is refused even when another line lists it. A host certificate is
//! accepted when a `@cert-authority` line for the host lists its CA and it is valid for
//! the host now; otherwise its plain key is checked like any other (as OpenSSH does).

mod certificate;
mod known_hosts;

use std::borrow::Cow;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use russh::client;
use russh::keys::{
    Algorithm, Certificate, HashAlg, PublicKey, PublicKeyBase64, PublicKeyOrCertificate,
};

use crate::config::{host_port, JumpHost, Remote};
use crate::error::SshError;

use known_hosts::{lookup_name, CertVerdict, KnownHosts};
pub use known_hosts::{HostKeyStatus, KnownHostsLocation};

/// The host key a remote (or its jump host) presents, for `navi remotes trust NAME`,
/// with where it stands in the user's known_hosts files.
#[derive(Debug, Clone)]
pub struct ScannedHostKey {
    /// The host that presented it (the remote's, or its jump host's).
    pub host: String,
    /// Its sshd port.
    pub port: u16,
    /// The key.
    pub key: PublicKey,
    /// The known_hosts line that trusts it (`host` or `[host]:port`, type, key).
    pub known_hosts_line: String,
    /// The file [`trust_host_key`] appends the line to (the first user known_hosts).
    pub known_hosts: PathBuf,
    /// Every file the status was read from (the user's, then the global ones).
    pub read_from: Vec<PathBuf>,
    /// The key's status in those files.
    pub status: HostKeyStatus,
    /// True when this is the key of the remote's jump host, which must be trusted
    /// before the remote's own key can be read through it.
    pub is_jump_host: bool,
    /// Which jump host (its index in [`Remote::jump_hosts`](crate::Remote::jump_hosts))
    /// presented it, when one did: a prompt names that hop, not the first.
    pub jump_hop: Option<usize>,
}

impl ScannedHostKey {
    /// The key of `host`:`port`, checked against `files` (the first is where trust
    /// writes). A file that cannot be read is an error naming it.
    pub(crate) fn new(
        host: &str,
        port: u16,
        key: &PublicKey,
        files: &[PathBuf],
        jump_hop: Option<usize>,
    ) -> Result<Self, String> {
        let status = KnownHosts::read(files)?.check_key(host, port, key);
        Ok(ScannedHostKey {
            host: host.to_string(),
            port,
            key: key.clone(),
            known_hosts_line: format!(
                "{} {} {}",
                host_port(host, port),
                key.algorithm().as_str(),
                key.public_key_base64()
            ),
            known_hosts: files.first().cloned().unwrap_or_default(),
            read_from: files.to_vec(),
            status,
            is_jump_host: jump_hop.is_some(),
            jump_hop,
        })
    }

    /// `SHA256:...` as OpenSSH prints it.
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.key)
    }

    /// The key type (`ssh-ed25519`, ...).
    pub fn algorithm(&self) -> String {
        self.key.algorithm().as_str().to_string()
    }

    /// How known_hosts names the host: `host`, or `[host]:port` off port 22.
    pub fn host_pattern(&self) -> String {
        host_port(&self.host, self.port)
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
    /// The known_hosts files to read, in order; the first is the one `trust` writes.
    pub known_hosts: Vec<PathBuf>,
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
            known_hosts: r.known_hosts_files(),
            remote: r.name.clone(),
            is_jump: false,
        }
    }

    /// The check of the host key of `r`'s jump host `j` (in `r`'s known_hosts).
    pub(crate) fn of_jump(r: &Remote, j: &JumpHost) -> HostCheck {
        HostCheck {
            host: j.host.clone(),
            port: j.port,
            known_hosts: r.known_hosts_files(),
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

    /// The files, for messages: `a`, or `a, b and c`.
    fn files(&self) -> String {
        let names: Vec<String> = self
            .known_hosts
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        match names.split_last() {
            None => "(no known_hosts file)".into(),
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        }
    }

    fn read(&self) -> Result<KnownHosts, SshError> {
        KnownHosts::read(&self.known_hosts).map_err(|m| {
            SshError::HostKey(format!("cannot check the host key of {}: {m}", self.who()))
        })
    }

    /// Verifies a plain host key against the known_hosts files.
    pub(crate) fn verify_key(&self, key: &PublicKey) -> Result<(), SshError> {
        let kh = self.read()?;
        self.verdict(&kh, key, None)
    }

    /// Verifies a host certificate: accepted when a `@cert-authority` line for the host
    /// lists its CA and it is valid for the host now; otherwise (as OpenSSH) its plain
    /// key is checked like any other, and a refusal says why the certificate was not
    /// enough.
    pub(crate) fn verify_certificate(&self, cert: &Certificate) -> Result<(), SshError> {
        let kh = self.read()?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let key = PublicKey::new(cert.public_key().clone(), "");
        match kh.check_certificate(&self.host, self.port, cert, now) {
            CertVerdict::Accepted(_) => Ok(()),
            CertVerdict::Revoked(at, what) => {
                let (alg, fp) = if what == "CA" {
                    let ca = PublicKey::new(cert.signature_key().clone(), "");
                    (ca.algorithm().as_str().to_string(), fingerprint(&ca))
                } else {
                    (key.algorithm().as_str().to_string(), fingerprint(&key))
                };
                Err(SshError::HostKey(format!(
                    "{} presented a host certificate whose {what} key ({alg} {fp}) is \
                     REVOKED: {at} marks it @revoked. A revoked key is never accepted \
                     (it may have been stolen); navi refuses to connect. Ask the host's \
                     administrator how the host is to be verified now",
                    self.who()
                )))
            }
            CertVerdict::NotAccepted(reason) => self.verdict(&kh, &key, Some(&reason)),
        }
    }

    /// The verdict on a plain key; `cert` is why the certificate it came in was not
    /// accepted (if it came in one).
    fn verdict(
        &self,
        kh: &KnownHosts,
        key: &PublicKey,
        cert: Option<&str>,
    ) -> Result<(), SshError> {
        let cert_note = cert
            .map(|r| format!(" It presented a host certificate that navi could not accept: {r}."))
            .unwrap_or_default();
        match kh.check_key(&self.host, self.port, key) {
            HostKeyStatus::Known(_) => Ok(()),
            HostKeyStatus::Unknown => Err(SshError::UnknownHostKey(format!(
                "{}{cert_note}",
                self.unknown_message(kh, key)
            ))),
            HostKeyStatus::Changed { at, algorithm } => Err(SshError::HostKey(format!(
                "{}{cert_note}",
                self.changed_message(key, &at, &algorithm)
            ))),
            HostKeyStatus::Revoked(at) => Err(SshError::HostKey(format!(
                "{}{cert_note}",
                self.revoked_message(key, &at)
            ))),
        }
    }

    fn unknown_message(&self, kh: &KnownHosts, key: &PublicKey) -> String {
        let mut notes = String::new();
        for bad in kh.invalid_for(&self.host, self.port).iter().take(3) {
            notes.push_str(&format!(" (ignored: {}: {})", bad.at, bad.reason));
        }
        format!(
            "{} is not a known host: it offered the {} key {}, which is not in {}{notes}. \
             If that fingerprint is right, run `navi remotes trust {}`",
            self.who(),
            key.algorithm().as_str(),
            fingerprint(key),
            self.files(),
            self.remote
        )
    }

    fn changed_message(&self, key: &PublicKey, at: &KnownHostsLocation, algorithm: &str) -> String {
        let hp = host_port(&self.host, self.port);
        format!(
            "WARNING: THE HOST KEY OF {} HAS CHANGED. Someone could be intercepting the \
             connection (man-in-the-middle), or the host was reinstalled. The server now \
             offers the {} key {}, but {at} holds a different key ({algorithm}) for it. \
             navi refuses to connect. If the change is expected, remove the old key with \
             `ssh-keygen -R '{hp}' -f {}` (or edit that line) and run `navi remotes trust {}`",
            self.who(),
            key.algorithm().as_str(),
            fingerprint(key),
            at.file.display(),
            self.remote
        )
    }

    fn revoked_message(&self, key: &PublicKey, at: &KnownHostsLocation) -> String {
        format!(
            "{} offered the {} key {}, which is REVOKED: {at} marks it @revoked. A revoked \
             key is never accepted, even where another line lists it (it may have been \
             stolen); navi refuses to connect. Ask the host's administrator for its new key, \
             then run `navi remotes trust {}`",
            self.who(),
            key.algorithm().as_str(),
            fingerprint(key),
            self.remote
        )
    }

    /// The host key algorithms to offer, those known_hosts has for this host first, so
    /// the server presents the key the user trusted (as OpenSSH does); and, when a
    /// `@cert-authority` line names the host, the certificate algorithms ahead of them.
    pub(crate) fn preferred(&self) -> russh::Preferred {
        let mut pref = russh::Preferred::default();
        let Ok(kh) = KnownHosts::read(&self.known_hosts) else {
            return pref;
        };
        let name = lookup_name(&self.host, self.port);
        let known: Vec<Algorithm> = kh.host_keys(&name).map(|e| e.key.algorithm()).collect();
        if !known.is_empty() {
            let matches = |a: &Algorithm| {
                known
                    .iter()
                    .any(|k| k == a || (k.clone().is_rsa() && a.clone().is_rsa()))
            };
            let mut order: Vec<Algorithm> =
                pref.key.iter().filter(|a| matches(a)).cloned().collect();
            order.extend(pref.key.iter().filter(|a| !matches(a)).cloned());
            pref.key = Cow::Owned(order);
        }
        if kh.has_authority(&self.host, self.port) {
            pref.host_key_certificates = Cow::Owned(pref.key.to_vec());
        }
        pref
    }
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
        let plain = key.public_key();
        match self.seen.lock() {
            Ok(mut g) => *g = Some(plain.clone()),
            Err(p) => *p.into_inner() = Some(plain.clone()),
        }
        match &self.policy {
            KeyPolicy::Scan => Ok(false),
            KeyPolicy::Verify(check) => {
                let check = check.clone();
                let cert = key.certificate().cloned();
                // known_hosts is a local file: read it off the async threads.
                let verdict = tokio::task::spawn_blocking(move || match cert {
                    Some(cert) => check.verify_certificate(&cert),
                    None => check.verify_key(&plain),
                })
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

/// Appends the scanned key's line to its known_hosts file (creating it, mode 0600).
///
/// The files are read again first: a key they already list is not written twice, and
/// nothing is written when they list another key for the host (changed) or revoke this
/// one; the error then names the file and line and what to do.
pub fn trust_host_key(key: &ScannedHostKey) -> std::io::Result<()> {
    let status = KnownHosts::read(&key.read_from)
        .map_err(std::io::Error::other)?
        .check_key(&key.host, key.port, &key.key);
    let pattern = key.host_pattern();
    match status {
        HostKeyStatus::Known(_) => Ok(()),
        HostKeyStatus::Changed { at, algorithm } => Err(std::io::Error::other(format!(
            "{at} holds a different key ({algorithm}) for {pattern}; if the change is \
             expected, remove it first with `ssh-keygen -R '{pattern}' -f {}` (or edit that \
             line)",
            at.file.display()
        ))),
        HostKeyStatus::Revoked(at) => Err(std::io::Error::other(format!(
            "{at} marks this {} key ({}) as @revoked; a revoked key is never trusted",
            key.algorithm(),
            key.fingerprint()
        ))),
        HostKeyStatus::Unknown => {
            if key.known_hosts.as_os_str().is_empty() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "no known_hosts file to write to",
                ));
            }
            append_line(&key.known_hosts, &key.known_hosts_line)
        }
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

/// A field quoted in a message: at most 60 characters.
fn shorten(s: &str) -> String {
    let mut out: String = s.chars().take(60).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests;
