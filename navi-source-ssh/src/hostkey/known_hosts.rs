//! known_hosts files read the way OpenSSH reads them.
//!
//! A line is `[@marker] patterns keytype base64 [comment]`, its fields separated by
//! spaces or tabs; blank lines and `#` comments are skipped. The marker is
//! `@cert-authority` (the key is a CA whose host certificates are trusted for the
//! patterns) or `@revoked` (the key must never be accepted). The patterns are either a
//! comma-separated list (`*` and `?` wildcards, `!` negation: a negated match excludes
//! the whole line; `[host]:port` for a port other than 22) or one hashed name
//! `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`. Host names compare
//! case-insensitively (OpenSSH lowercases both sides).
//!
//! A line that cannot be parsed never grants trust; it is kept as [`Invalid`] so a
//! refusal can name it (`FILE line N: why`).
//!
//! One deliberate difference from OpenSSH: OpenSSH honours a `@revoked` line only for
//! the hosts its patterns match; here a revoked key is refused for every host (a stolen
//! key can impersonate any host that uses it). This only ever refuses more.

use std::fmt;

use super::certificate::validate_host_certificate;
use super::shorten;
use std::path::{Path, PathBuf};

use hmac::{Hmac, KeyInit, Mac};
use russh::keys::ssh_encoding::base64::{Base64, Encoding};
use russh::keys::ssh_key::public::KeyData;
use russh::keys::{parse_public_key_base64, Certificate, HashAlg, PublicKey};
use sha1::Sha1;

/// Length of the SHA-1 salt and digest of a hashed host name.
const SHA1_LEN: usize = 20;

/// A line of a known_hosts file: the file and its 1-based line number, as an editor
/// shows it (comments and blank lines count).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownHostsLocation {
    /// The known_hosts file.
    pub file: PathBuf,
    /// 1-based line number in it.
    pub line: usize,
}

impl fmt::Display for KnownHostsLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} line {}", self.file.display(), self.line)
    }
}

/// What a line says about its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Marker {
    /// A host key of the matching hosts.
    HostKey,
    /// `@cert-authority`: host certificates this CA signed are trusted for the hosts.
    CertAuthority,
    /// `@revoked`: the key is never accepted.
    Revoked,
}

/// The host field of a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Hosts {
    /// Comma-separated patterns, lowercased.
    Patterns(Vec<String>),
    /// `|1|salt|hash`.
    Hashed { salt: Vec<u8>, hash: Vec<u8> },
}

impl Hosts {
    /// Whether `name` (lowercase `host` or `[host]:port`) is one of these hosts.
    pub(crate) fn matches(&self, name: &str) -> bool {
        match self {
            Hosts::Patterns(list) => match_list(list, name),
            Hosts::Hashed { salt, hash } => {
                let Ok(mut mac) = <Hmac<Sha1> as KeyInit>::new_from_slice(salt) else {
                    return false;
                };
                mac.update(name.as_bytes());
                mac.verify_slice(hash).is_ok()
            }
        }
    }
}

/// One usable line.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub at: KnownHostsLocation,
    pub marker: Marker,
    pub hosts: Hosts,
    pub key: PublicKey,
}

/// A line that could not be used, and why. `hosts` is set when its host field parsed
/// (so a refusal can tell whether the line was meant for the host).
#[derive(Debug, Clone)]
pub(crate) struct Invalid {
    pub at: KnownHostsLocation,
    pub hosts: Option<Hosts>,
    pub reason: String,
}

/// What one line of text is.
#[derive(Debug)]
pub(crate) enum Line {
    /// Blank or a comment.
    Skip,
    /// A usable line: marker, hosts, key.
    Entry(Marker, Hosts, PublicKey),
    /// Not usable: its hosts when they parsed, and why.
    Invalid(Option<Hosts>, String),
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// The next field of `s` (after leading blanks) and the rest after the blanks that end it.
fn field(s: &str) -> (&str, &str) {
    let s = s.trim_start_matches(is_blank);
    match s.find(is_blank) {
        Some(i) => {
            let (f, rest) = s.split_at(i);
            (f, rest.trim_start_matches(is_blank))
        }
        None => (s, ""),
    }
}

/// Parses one line of a known_hosts file (without its newline).
pub(crate) fn parse_line(raw: &str) -> Line {
    let line = raw.strip_suffix('\r').unwrap_or(raw);
    let trimmed = line.trim_start_matches(is_blank);
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return Line::Skip;
    }
    let (mut first, mut rest) = field(trimmed);
    let marker = if first.starts_with('@') {
        let marker = match first {
            "@cert-authority" => Marker::CertAuthority,
            "@revoked" => Marker::Revoked,
            other => {
                return Line::Invalid(
                    None,
                    format!(
                        "unknown marker `{}` (only @cert-authority and @revoked exist)",
                        shorten(other)
                    ),
                )
            }
        };
        (first, rest) = field(rest);
        marker
    } else {
        Marker::HostKey
    };
    if first.is_empty() {
        return Line::Invalid(None, "no host names after the marker".into());
    }
    let hosts = match parse_hosts(first) {
        Ok(h) => h,
        Err(reason) => return Line::Invalid(None, reason),
    };
    let (kind, rest) = field(rest);
    if kind.is_empty() {
        return Line::Invalid(Some(hosts), "no key after the host names".into());
    }
    let (blob, _comment) = field(rest);
    if blob.is_empty() {
        return Line::Invalid(
            Some(hosts),
            format!("key type `{}` without the key itself", shorten(kind)),
        );
    }
    if kind.ends_with("-cert-v01@openssh.com") {
        return Line::Invalid(
            Some(hosts),
            "a certificate cannot be listed, only a key (or its CA, with @cert-authority)".into(),
        );
    }
    let key = match parse_public_key_base64(blob) {
        Ok(k) => k,
        Err(e) => {
            return Line::Invalid(
                Some(hosts),
                format!("the {} key does not decode ({e})", shorten(kind)),
            )
        }
    };
    if key.algorithm().as_str() != kind {
        return Line::Invalid(
            Some(hosts),
            format!(
                "the line says `{}` but the key is {}",
                shorten(kind),
                key.algorithm().as_str()
            ),
        );
    }
    Line::Entry(marker, hosts, key)
}

fn parse_hosts(field: &str) -> Result<Hosts, String> {
    let Some(hashed) = field.strip_prefix('|') else {
        return Ok(Hosts::Patterns(
            field.split(',').map(|p| p.to_ascii_lowercase()).collect(),
        ));
    };
    let Some(hashed) = hashed.strip_prefix("1|") else {
        return Err("a hashed host name must start with |1| (HMAC-SHA1)".into());
    };
    let Some((salt, hash)) = hashed.split_once('|') else {
        return Err("a hashed host name needs |1|salt|hash".into());
    };
    let decode = |what: &str, b64: &str| match Base64::decode_vec(b64) {
        Ok(v) if v.len() == SHA1_LEN => Ok(v),
        Ok(v) => Err(format!(
            "the hashed host name's {what} has {} bytes, not {SHA1_LEN}",
            v.len()
        )),
        Err(_) => Err(format!("the hashed host name's {what} is not base64")),
    };
    Ok(Hosts::Hashed {
        salt: decode("salt", salt)?,
        hash: decode("hash", hash)?,
    })
}

/// Whether `name` matches the pattern list: some pattern matches and no negated
/// (`!`) one does.
pub(crate) fn match_list(patterns: &[String], name: &str) -> bool {
    let mut positive = false;
    for p in patterns {
        match p.strip_prefix('!') {
            Some(negated) => {
                if glob(negated.as_bytes(), name.as_bytes()) {
                    return false;
                }
            }
            None => positive = positive || glob(p.as_bytes(), name.as_bytes()),
        }
    }
    positive
}

/// `*` (any run, also empty) and `?` (one byte) over the whole of `s`; linear in
/// practice (backtracks only to the last `*`).
pub(crate) fn glob(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, si));
                pi += 1;
            }
            Some(&c) if c == b'?' || Some(&c) == s.get(si) => {
                pi += 1;
                si += 1;
            }
            _ => match star {
                Some((sp, ss)) => {
                    pi = sp + 1;
                    si = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return false,
            },
        }
    }
    p.iter().skip(pi).all(|&c| c == b'*')
}

/// The name a host has in known_hosts: `host` for port 22, else `[host]:port`,
/// lowercased.
pub(crate) fn lookup_name(host: &str, port: u16) -> String {
    let host = host.to_ascii_lowercase();
    if port == 22 {
        host
    } else {
        format!("[{host}]:{port}")
    }
}

/// Where a plain host key stands in the known_hosts files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKeyStatus {
    /// A line lists this key for the host.
    Known(KnownHostsLocation),
    /// The host is listed, but with another key (the first such line); the key may have
    /// been replaced, or someone is in the middle.
    Changed {
        /// The first line that lists another key for the host.
        at: KnownHostsLocation,
        /// That line's key type (`ssh-ed25519`, ...).
        algorithm: String,
    },
    /// A `@revoked` line lists this key: it is never accepted.
    Revoked(KnownHostsLocation),
    /// No line lists the host.
    Unknown,
}

/// What a host certificate is worth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CertVerdict {
    /// Signed by the CA of this `@cert-authority` line, and valid for the host now.
    Accepted(KnownHostsLocation),
    /// The certificate's key (`"key"`) or its CA (`"CA"`) is `@revoked` at this line.
    Revoked(KnownHostsLocation, &'static str),
    /// Not acceptable as a certificate, for this reason (the plain key inside may still
    /// be known, as OpenSSH then checks).
    NotAccepted(String),
}

/// Every line of a set of known_hosts files, in order.
#[derive(Debug, Clone, Default)]
pub(crate) struct KnownHosts {
    entries: Vec<Entry>,
    invalid: Vec<Invalid>,
}

impl KnownHosts {
    /// Reads `files` in order. A missing file is empty; one that exists but cannot be
    /// read is an error naming it (it could hold a `@revoked` line).
    pub(crate) fn read(files: &[PathBuf]) -> Result<KnownHosts, String> {
        let mut kh = KnownHosts::default();
        for file in files {
            match std::fs::read(file) {
                Ok(bytes) => kh.add(file, &String::from_utf8_lossy(&bytes)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(format!(
                        "cannot read {}: {e} (navi reads every known_hosts file: one it \
                         cannot read could hold a @revoked key)",
                        file.display()
                    ))
                }
            }
        }
        Ok(kh)
    }

    /// Adds the lines of `text`, the contents of `file`.
    pub(crate) fn add(&mut self, file: &Path, text: &str) {
        for (i, raw) in text.split('\n').enumerate() {
            let at = || KnownHostsLocation {
                file: file.to_path_buf(),
                line: i + 1,
            };
            match parse_line(raw) {
                Line::Skip => {}
                Line::Entry(marker, hosts, key) => self.entries.push(Entry {
                    at: at(),
                    marker,
                    hosts,
                    key,
                }),
                Line::Invalid(hosts, reason) => self.invalid.push(Invalid {
                    at: at(),
                    hosts,
                    reason,
                }),
            }
        }
    }

    /// The usable lines.
    #[cfg(test)]
    pub(crate) fn entries(&self) -> &[Entry] {
        &self.entries
    }

    fn for_name<'a>(&'a self, name: &'a str, marker: Marker) -> impl Iterator<Item = &'a Entry> {
        self.entries
            .iter()
            .filter(move |e| e.marker == marker && e.hosts.matches(name))
    }

    /// The host-key lines for `host`:`port`.
    pub(crate) fn host_keys<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Entry> {
        self.for_name(name, Marker::HostKey)
    }

    /// Whether a `@cert-authority` line names `host`:`port`.
    pub(crate) fn has_authority(&self, host: &str, port: u16) -> bool {
        let name = lookup_name(host, port);
        let found = self.for_name(&name, Marker::CertAuthority).next().is_some();
        found
    }

    /// The unusable lines that name `host`:`port` (or whose hosts could not be read).
    pub(crate) fn invalid_for(&self, host: &str, port: u16) -> Vec<&Invalid> {
        let name = lookup_name(host, port);
        self.invalid
            .iter()
            .filter(|i| i.hosts.as_ref().is_none_or(|h| h.matches(&name)))
            .collect()
    }

    /// The `@revoked` line of `key`, whatever its hosts (see the module docs).
    fn revoked(&self, key: &KeyData) -> Option<&Entry> {
        self.entries
            .iter()
            .find(|e| e.marker == Marker::Revoked && e.key.key_data() == key)
    }

    /// Where `key`, presented by `host`:`port`, stands.
    pub(crate) fn check_key(&self, host: &str, port: u16, key: &PublicKey) -> HostKeyStatus {
        if let Some(e) = self.revoked(key.key_data()) {
            return HostKeyStatus::Revoked(e.at.clone());
        }
        let name = lookup_name(host, port);
        let mut other = None;
        for e in self.host_keys(&name) {
            if e.key.key_data() == key.key_data() {
                return HostKeyStatus::Known(e.at.clone());
            }
            other.get_or_insert(e);
        }
        match other {
            Some(e) => HostKeyStatus::Changed {
                at: e.at.clone(),
                algorithm: e.key.algorithm().as_str().to_string(),
            },
            None => HostKeyStatus::Unknown,
        }
    }

    /// Whether `cert`, presented by `host`:`port` at unix time `now`, is a valid host
    /// certificate of a CA that a `@cert-authority` line trusts for the host.
    pub(crate) fn check_certificate(
        &self,
        host: &str,
        port: u16,
        cert: &Certificate,
        now: u64,
    ) -> CertVerdict {
        if let Some(e) = self.revoked(cert.public_key()) {
            return CertVerdict::Revoked(e.at.clone(), "key");
        }
        if let Some(e) = self.revoked(cert.signature_key()) {
            return CertVerdict::Revoked(e.at.clone(), "CA");
        }
        let name = lookup_name(host, port);
        let ca_fp = cert.signature_key().fingerprint(HashAlg::Sha256);
        let Some(ca) = self
            .for_name(&name, Marker::CertAuthority)
            .find(|e| e.key.key_data() == cert.signature_key())
        else {
            return CertVerdict::NotAccepted(format!(
                "no @cert-authority line for {name} lists its CA ({} {ca_fp})",
                cert.signature_key().algorithm().as_str()
            ));
        };
        match validate_host_certificate(cert, &host.to_ascii_lowercase(), now) {
            Ok(()) => CertVerdict::Accepted(ca.at.clone()),
            Err(reason) => {
                CertVerdict::NotAccepted(format!("{reason} (its CA is trusted at {})", ca.at))
            }
        }
    }
}

#[cfg(test)]
#[path = "known_hosts_tests.rs"]
mod tests;
