#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Host keys: known_hosts matching (plain and hashed), the unknown and changed-key
//! messages, preferred key types, and trust.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;

const K1: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIO4wGCuWamr9J+H1rTjgqCbWxny7eku4EjRznS0sd8VN";
const K2: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIPyaV8t7LrxHFYyJOCiPmByUb4qTe/1vQzYr1CTG68fA";
const K3_ECDSA: &str = "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBGAfmotMYKH+RasEsSV1OlC/ZtAwmXbw3HgQhPc/SgAgkSFOsX/mhMRGnJKYi+YvbiEqli56YdNICd41TQPcvFY=";
/// K1 for `[10.1.2.3]:2222` and for `dev.example.com`, hashed by `ssh-keygen -H`.
const HASHED: &str = "|1|Z9HilMlEggi2XAJn7R4Dtow/dOA=|YYycWHKuPP1VpKULC5u4I6M6W5o= ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO4wGCuWamr9J+H1rTjgqCbWxny7eku4EjRznS0sd8VN\n|1|c3nXpGeKgaJ6hvF9XKtzF0VmZ+I=|vt7eDotBON9cqwTVRzf7x3U3WFU= ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO4wGCuWamr9J+H1rTjgqCbWxny7eku4EjRznS0sd8VN\n";

fn key(b64: &str) -> russh::keys::PublicKey {
    russh::keys::parse_public_key_base64(b64).unwrap()
}

fn check(known_hosts: &Path, host: &str, port: u16) -> crate::hostkey::HostCheck {
    crate::hostkey::HostCheck {
        host: host.into(),
        port,
        known_hosts: vec![known_hosts.to_path_buf()],
        remote: "dev".into(),
        is_jump: false,
    }
}

#[test]
fn known_host_matches_plain_and_hashed_entries() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain");
    std::fs::write(
        &plain,
        format!("[10.1.2.3]:2222 ssh-ed25519 {K1}\nh.example.com ssh-ed25519 {K1}\n"),
    )
    .unwrap();
    assert!(check(&plain, "10.1.2.3", 2222).verify_key(&key(K1)).is_ok());
    assert!(check(&plain, "h.example.com", 22)
        .verify_key(&key(K1))
        .is_ok());
    let hashed = dir.path().join("hashed");
    std::fs::write(&hashed, HASHED).unwrap();
    assert!(check(&hashed, "10.1.2.3", 2222)
        .verify_key(&key(K1))
        .is_ok());
    assert!(check(&hashed, "dev.example.com", 22)
        .verify_key(&key(K1))
        .is_ok());
    // The port is part of the entry.
    assert!(check(&hashed, "10.1.2.3", 22).verify_key(&key(K1)).is_err());
}

#[test]
fn unknown_host_names_key_fingerprint_and_the_trust_command() {
    let dir = tempfile::tempdir().unwrap();
    let kh = dir.path().join("known_hosts");
    let err = check(&kh, "10.1.2.3", 2222)
        .verify_key(&key(K1))
        .unwrap_err();
    let SourceErrorish(kind, msg) = into_source(err);
    assert_eq!(kind, "host-key");
    let fp = crate::hostkey::fingerprint(&key(K1));
    assert!(fp.starts_with("SHA256:"), "{fp}");
    for part in [
        "[10.1.2.3]:2222",
        "ssh-ed25519",
        fp.as_str(),
        "navi remotes trust dev",
        "not a known host",
    ] {
        assert!(msg.contains(part), "{part:?} missing in: {msg}");
    }
    // Only another key type is known: as OpenSSH, the key CHANGED (it names the line).
    std::fs::write(
        &kh,
        format!("[10.1.2.3]:2222 ecdsa-sha2-nistp256 {K3_ECDSA}\n"),
    )
    .unwrap();
    let SourceErrorish(_, msg) = into_source(
        check(&kh, "10.1.2.3", 2222)
            .verify_key(&key(K1))
            .unwrap_err(),
    );
    assert!(msg.contains("CHANGED"), "{msg}");
    assert!(msg.contains(&format!("{} line 1", kh.display())), "{msg}");
    assert!(msg.contains("(ecdsa-sha2-nistp256)"), "{msg}");
    // A broken line for the host is named (file and line) in the refusal.
    std::fs::write(&kh, "# c\n[10.1.2.3]:2222 ssh-ed25519 AAAA-broken\n").unwrap();
    let SourceErrorish(_, msg) = into_source(
        check(&kh, "10.1.2.3", 2222)
            .verify_key(&key(K1))
            .unwrap_err(),
    );
    assert!(msg.contains("not a known host"), "{msg}");
    assert!(
        msg.contains(&format!(
            "ignored: {} line 2: the ssh-ed25519 key does not decode",
            kh.display()
        )),
        "{msg}"
    );
}

#[test]
fn changed_host_key_is_loud_and_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let kh = dir.path().join("known_hosts");
    std::fs::write(
        &kh,
        format!("# comment\n# another\nother.example.com ssh-ed25519 {K1}\n[10.1.2.3]:2222 ssh-ed25519 {K2}\n"),
    )
    .unwrap();
    let SourceErrorish(kind, msg) = into_source(
        check(&kh, "10.1.2.3", 2222)
            .verify_key(&key(K1))
            .unwrap_err(),
    );
    assert_eq!(kind, "host-key");
    for part in [
        "CHANGED",
        "man-in-the-middle",
        &format!("{} line 4", kh.display()),
        "ssh-keygen -R '[10.1.2.3]:2222'",
        "navi remotes trust dev",
    ] {
        assert!(msg.contains(part), "{part:?} missing in: {msg}");
    }
}

#[test]
fn preferred_host_key_types_put_the_known_one_first() {
    let dir = tempfile::tempdir().unwrap();
    let kh = dir.path().join("known_hosts");
    std::fs::write(&kh, format!("h ecdsa-sha2-nistp256 {K3_ECDSA}\n")).unwrap();
    let pref = check(&kh, "h", 22).preferred();
    assert_eq!(pref.key[0].as_str(), "ecdsa-sha2-nistp256");
    let none = check(&dir.path().join("missing"), "h", 22).preferred();
    assert_eq!(none.key, russh::Preferred::default().key);
}

struct SourceErrorish(&'static str, String);

fn into_source(e: crate::error::SshError) -> SourceErrorish {
    let target = crate::target::Target {
        remote: "dev".into(),
        place: "test".into(),
    };
    let s = e.into_source(&target, "", Duration::from_secs(1));
    SourceErrorish(s.kind(), s.to_string())
}

#[test]
fn revoked_key_is_refused_with_the_reason_even_when_listed() {
    let dir = tempfile::tempdir().unwrap();
    let kh = dir.path().join("known_hosts");
    std::fs::write(
        &kh,
        format!("[10.1.2.3]:2222 ssh-ed25519 {K1}\n@revoked * ssh-ed25519 {K1}\n"),
    )
    .unwrap();
    let SourceErrorish(kind, msg) = into_source(
        check(&kh, "10.1.2.3", 2222)
            .verify_key(&key(K1))
            .unwrap_err(),
    );
    assert_eq!(kind, "host-key");
    let fp = crate::hostkey::fingerprint(&key(K1));
    for part in [
        "REVOKED",
        "revoked",
        fp.as_str(),
        &format!("{} line 2", kh.display()),
    ] {
        assert!(msg.contains(part), "{part:?} missing in: {msg}");
    }
}

#[test]
fn several_files_and_an_unreadable_one() {
    let dir = tempfile::tempdir().unwrap();
    let user = dir.path().join("known_hosts");
    let global = dir.path().join("ssh_known_hosts");
    std::fs::write(&global, format!("*.example.com ssh-ed25519 {K1}\n")).unwrap();
    let mut c = check(&user, "a.example.com", 22);
    c.known_hosts.push(global.clone());
    assert!(c.verify_key(&key(K1)).is_ok(), "the global file's wildcard");
    // Unknown: the message names every file.
    let SourceErrorish(_, msg) = into_source(c.verify_key(&key(K2)).unwrap_err());
    assert!(msg.contains("CHANGED"), "{msg}");
    c.host = "b.other.org".into();
    let SourceErrorish(_, msg) = into_source(c.verify_key(&key(K2)).unwrap_err());
    assert!(
        msg.contains(&format!("{} or {}", user.display(), global.display())),
        "{msg}"
    );
    // A directory where a file should be: refused, naming it.
    c.known_hosts.push(dir.path().to_path_buf());
    let SourceErrorish(kind, msg) = into_source(c.verify_key(&key(K1)).unwrap_err());
    assert_eq!(kind, "host-key");
    assert!(
        msg.contains(&format!("cannot read {}", dir.path().display())),
        "{msg}"
    );
}

#[test]
fn preferred_offers_certificates_only_with_a_ca_line_for_the_host() {
    let dir = tempfile::tempdir().unwrap();
    let kh = dir.path().join("known_hosts");
    std::fs::write(
        &kh,
        format!("@cert-authority *.example.com ssh-ed25519 {K1}\n"),
    )
    .unwrap();
    let pref = check(&kh, "a.example.com", 22).preferred();
    assert_eq!(pref.host_key_certificates.len(), pref.key.len());
    let pref = check(&kh, "a.other.org", 22).preferred();
    assert!(pref.host_key_certificates.is_empty());
}

fn scan(host: &str, port: u16, b64: &str, files: &[&Path]) -> ScannedHostKey {
    let files: Vec<PathBuf> = files.iter().map(|p| p.to_path_buf()).collect();
    ScannedHostKey::new(host, port, &key(b64), &files, None).unwrap()
}

#[test]
fn scanned_keys_carry_their_status() {
    let dir = tempfile::tempdir().unwrap();
    let kh = dir.path().join("known_hosts");
    let s = scan("10.1.2.3", 2222, K1, &[&kh]);
    assert_eq!(s.status, HostKeyStatus::Unknown);
    assert_eq!(s.algorithm(), "ssh-ed25519");
    assert_eq!(s.host_pattern(), "[10.1.2.3]:2222");
    assert!(s.fingerprint().starts_with("SHA256:"));
    assert_eq!(s.known_hosts, kh);
    std::fs::write(&kh, format!("# c\n[10.1.2.?]:2222 ssh-ed25519 {K1}\n")).unwrap();
    assert_eq!(
        scan("10.1.2.3", 2222, K1, &[&kh]).status,
        HostKeyStatus::Known(KnownHostsLocation {
            file: kh.clone(),
            line: 2
        })
    );
    assert!(matches!(
        scan("10.1.2.3", 2222, K2, &[&kh]).status,
        HostKeyStatus::Changed { .. }
    ));
    std::fs::write(&kh, format!("@revoked * ssh-ed25519 {K1}\n")).unwrap();
    assert!(matches!(
        scan("10.1.2.3", 2222, K1, &[&kh]).status,
        HostKeyStatus::Revoked(_)
    ));
}

#[test]
fn trust_creates_the_file_once_and_refuses_a_conflicting_key() {
    let dir = tempfile::tempdir().unwrap();
    let kh = dir.path().join("new/.ssh/known_hosts");
    let scanned = scan("10.1.2.3", 2222, K1, &[&kh]);
    assert_eq!(
        scanned.known_hosts_line,
        format!("[10.1.2.3]:2222 ssh-ed25519 {K1}")
    );
    trust_host_key(&scanned).unwrap();
    trust_host_key(&scanned).unwrap();
    let text = std::fs::read_to_string(&kh).unwrap();
    assert_eq!(
        text,
        format!("[10.1.2.3]:2222 ssh-ed25519 {K1}\n"),
        "trusted once"
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&kh).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(check(&kh, "10.1.2.3", 2222).verify_key(&key(K1)).is_ok());

    let other = scan("10.1.2.3", 2222, K2, &[&kh]);
    let err = trust_host_key(&other).unwrap_err();
    assert!(err.to_string().contains("ssh-keygen -R"), "{err}");
    assert!(
        err.to_string()
            .contains(&format!("{} line 1", kh.display())),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(&kh).unwrap(),
        text,
        "nothing written"
    );

    // A revoked key is never written.
    let revoked = dir.path().join("revoked");
    std::fs::write(&revoked, format!("@revoked * ssh-ed25519 {K2}\n")).unwrap();
    let err = trust_host_key(&scan("h", 22, K2, &[&kh, &revoked])).unwrap_err();
    assert!(err.to_string().contains("revoked"), "{err}");

    // A file without a final newline gets one before the new line.
    let kh2 = dir.path().join("kh2");
    std::fs::write(&kh2, format!("h ssh-ed25519 {K2}")).unwrap();
    trust_host_key(&scan("g", 22, K1, &[&kh2])).unwrap();
    assert_eq!(
        std::fs::read_to_string(&kh2).unwrap(),
        format!("h ssh-ed25519 {K2}\ng ssh-ed25519 {K1}\n")
    );
}
