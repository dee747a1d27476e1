#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The known_hosts reader and matcher: line syntax, patterns, hashed names, ports,
//! markers, several files, host certificates; and that no input makes it panic.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use russh::keys::ssh_key::certificate::{Builder, CertType};
use russh::keys::{Algorithm, Certificate, PrivateKey, PublicKey};

use super::*;

const K1: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIO4wGCuWamr9J+H1rTjgqCbWxny7eku4EjRznS0sd8VN";
const K2: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIPyaV8t7LrxHFYyJOCiPmByUb4qTe/1vQzYr1CTG68fA";
const K3_ECDSA: &str = "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBGAfmotMYKH+RasEsSV1OlC/ZtAwmXbw3HgQhPc/SgAgkSFOsX/mhMRGnJKYi+YvbiEqli56YdNICd41TQPcvFY=";
/// K1 for `[10.1.2.3]:2222` and for `dev.example.com`, hashed by `ssh-keygen -H`.
const HASHED: &str = "|1|Z9HilMlEggi2XAJn7R4Dtow/dOA=|YYycWHKuPP1VpKULC5u4I6M6W5o= ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO4wGCuWamr9J+H1rTjgqCbWxny7eku4EjRznS0sd8VN\n|1|c3nXpGeKgaJ6hvF9XKtzF0VmZ+I=|vt7eDotBON9cqwTVRzf7x3U3WFU= ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO4wGCuWamr9J+H1rTjgqCbWxny7eku4EjRznS0sd8VN\n";

fn key(b64: &str) -> PublicKey {
    russh::keys::parse_public_key_base64(b64).unwrap()
}

fn kh(text: &str) -> KnownHosts {
    let mut k = KnownHosts::default();
    k.add(Path::new("/kh"), text);
    k
}

fn status(text: &str, host: &str, port: u16, b64: &str) -> HostKeyStatus {
    kh(text).check_key(host, port, &key(b64))
}

fn known(line: usize) -> HostKeyStatus {
    HostKeyStatus::Known(KnownHostsLocation {
        file: PathBuf::from("/kh"),
        line,
    })
}

#[test]
fn plain_names_and_comma_lists() {
    let text = format!("# a comment\n\nh.example.com ssh-ed25519 {K1}\nfoo,Bar.Example.com ssh-ed25519 {K2} a comment\n");
    assert_eq!(status(&text, "h.example.com", 22, K1), known(3));
    assert_eq!(status(&text, "bar.example.com", 22, K2), known(4));
    assert_eq!(
        status(&text, "BAR.example.COM", 22, K2),
        known(4),
        "names compare case-insensitively"
    );
    assert_eq!(status(&text, "foo", 22, K2), known(4));
    assert_eq!(status(&text, "other", 22, K1), HostKeyStatus::Unknown);
    assert_eq!(
        status(&text, "h.example.co", 22, K1),
        HostKeyStatus::Unknown,
        "a whole-name match, not a prefix"
    );
}

#[test]
fn hashed_names_match_only_their_host_and_port() {
    assert_eq!(status(HASHED, "10.1.2.3", 2222, K1), known(1));
    assert_eq!(status(HASHED, "dev.example.com", 22, K1), known(2));
    assert_eq!(
        status(HASHED, "DEV.example.com", 22, K1),
        known(2),
        "the lowercased name is hashed"
    );
    assert_eq!(status(HASHED, "10.1.2.3", 22, K1), HostKeyStatus::Unknown);
    assert_eq!(
        status(HASHED, "dev.example.com", 2222, K1),
        HostKeyStatus::Unknown
    );
    // Another key for a hashed host: changed.
    assert!(matches!(
        status(HASHED, "dev.example.com", 22, K2),
        HostKeyStatus::Changed { .. }
    ));
}

#[test]
fn ports_are_part_of_the_name() {
    let text = format!("[h]:2222 ssh-ed25519 {K1}\nh ssh-ed25519 {K2}\n");
    assert_eq!(status(&text, "h", 2222, K1), known(1));
    assert_eq!(status(&text, "h", 22, K2), known(2));
    // A port-22 entry does not vouch for port 2222, nor a 2222 one for 22.
    let only22 = format!("h ssh-ed25519 {K1}\n");
    assert_eq!(status(&only22, "h", 2222, K1), HostKeyStatus::Unknown);
    let only2222 = format!("[h]:2222 ssh-ed25519 {K1}\n");
    assert_eq!(status(&only2222, "h", 22, K1), HostKeyStatus::Unknown);
    assert_eq!(status(&only2222, "h", 2223, K1), HostKeyStatus::Unknown);
    // `[h]:22` is not how port 22 is written: it never matches.
    let bracketed22 = format!("[h]:22 ssh-ed25519 {K1}\n");
    assert_eq!(status(&bracketed22, "h", 22, K1), HostKeyStatus::Unknown);
}

#[test]
fn wildcards() {
    let text = format!("*.example.com ssh-ed25519 {K1}\n10.0.0.? ssh-ed25519 {K1}\n[127.0.0.?]:2222 ssh-ed25519 {K1}\n");
    assert_eq!(status(&text, "a.example.com", 22, K1), known(1));
    assert_eq!(status(&text, "a.b.example.com", 22, K1), known(1));
    assert_eq!(
        status(&text, "example.com", 22, K1),
        HostKeyStatus::Unknown,
        "`*.` needs something before the dot"
    );
    assert_eq!(
        status(&text, "a.example.com", 2222, K1),
        HostKeyStatus::Unknown
    );
    assert_eq!(status(&text, "10.0.0.7", 22, K1), known(2));
    assert_eq!(
        status(&text, "10.0.0.17", 22, K1),
        HostKeyStatus::Unknown,
        "`?` is exactly one character"
    );
    assert_eq!(status(&text, "127.0.0.1", 2222, K1), known(3));
    assert_eq!(status(&text, "127.0.0.1", 2223, K1), HostKeyStatus::Unknown);
    assert_eq!(
        status(&format!("* ssh-ed25519 {K1}\n"), "x", 99, K1),
        known(1)
    );
}

#[test]
fn glob_edge_cases() {
    for (p, s, want) in [
        ("", "", true),
        ("", "a", false),
        ("*", "", true),
        ("**", "abc", true),
        ("a*c", "abbbc", true),
        ("a*c", "abbbd", false),
        ("a?c", "abc", true),
        ("a?c", "ac", false),
        ("*a*b", "xaxxb", true),
        ("*a*b", "xaxxbx", false),
        ("?*", "", false),
    ] {
        assert_eq!(glob(p.as_bytes(), s.as_bytes()), want, "{p:?} vs {s:?}");
    }
    // Long inputs stay fast (no exponential backtracking).
    let p = "*a".repeat(50);
    let s = "a".repeat(5000) + "b";
    assert!(!glob(p.as_bytes(), s.as_bytes()));
}

#[test]
fn a_negated_match_excludes_the_line() {
    let text = format!("*.example.com,!bad.example.com ssh-ed25519 {K1}\n");
    assert_eq!(status(&text, "good.example.com", 22, K1), known(1));
    assert_eq!(
        status(&text, "bad.example.com", 22, K1),
        HostKeyStatus::Unknown
    );
    // The negation wins wherever it stands in the list.
    let text = format!("!bad.example.com,*.example.com ssh-ed25519 {K1}\n");
    assert_eq!(
        status(&text, "bad.example.com", 22, K1),
        HostKeyStatus::Unknown
    );
    // A negation alone matches nothing.
    let text = format!("!bad.example.com ssh-ed25519 {K1}\n");
    assert_eq!(
        status(&text, "good.example.com", 22, K1),
        HostKeyStatus::Unknown
    );
    // A negated host's other lines still count.
    let text = format!("*,!bad ssh-ed25519 {K1}\nbad ssh-ed25519 {K2}\n");
    assert_eq!(status(&text, "bad", 22, K2), known(2));
    assert_eq!(
        status(&text, "bad", 22, K1),
        HostKeyStatus::Changed {
            at: KnownHostsLocation {
                file: "/kh".into(),
                line: 2
            },
            algorithm: "ssh-ed25519".into()
        }
    );
}

#[test]
fn tabs_and_runs_of_blanks_separate_fields() {
    let text = format!(
        "  \th\t\tssh-ed25519 \t{K1}\tcomment with  spaces\r\n@revoked\t*\tssh-ed25519\t{K2}\n"
    );
    assert_eq!(status(&text, "h", 22, K1), known(1));
    assert!(matches!(
        status(&text, "h", 22, K2),
        HostKeyStatus::Revoked(_)
    ));
}

#[test]
fn comments_blank_lines_and_line_numbers() {
    let text = format!("# c\n\n   \n\t# indented comment\nh ssh-ed25519 {K1}\n");
    assert_eq!(status(&text, "h", 22, K1), known(5));
    // A `#` inside a line is part of the comment field only after the key.
    let text = format!("h ssh-ed25519 {K1} #trailing\n");
    assert_eq!(status(&text, "h", 22, K1), known(1));
}

#[test]
fn changed_names_the_first_other_key_of_any_type() {
    let text =
        format!("x ssh-ed25519 {K1}\nh ecdsa-sha2-nistp256 {K3_ECDSA}\nh ssh-ed25519 {K2}\n");
    assert_eq!(
        status(&text, "h", 22, K1),
        HostKeyStatus::Changed {
            at: KnownHostsLocation {
                file: "/kh".into(),
                line: 2
            },
            algorithm: "ecdsa-sha2-nistp256".into()
        },
        "as OpenSSH: another key of any type for the host is a changed key"
    );
    // The matching key anywhere wins over other keys for the host.
    assert_eq!(status(&text, "h", 22, K2), known(3));
}

#[test]
fn revoked_beats_a_normal_line_in_any_order_and_any_file() {
    let before = format!("@revoked * ssh-ed25519 {K1}\nh ssh-ed25519 {K1}\n");
    let after = format!("h ssh-ed25519 {K1}\n@revoked h ssh-ed25519 {K1}\n");
    for text in [&before, &after] {
        assert!(
            matches!(status(text, "h", 22, K1), HostKeyStatus::Revoked(_)),
            "{text}"
        );
    }
    // Revoked for another host: still refused here (stricter than OpenSSH on purpose).
    let elsewhere = format!("@revoked other ssh-ed25519 {K1}\nh ssh-ed25519 {K1}\n");
    assert_eq!(
        status(&elsewhere, "h", 22, K1),
        HostKeyStatus::Revoked(KnownHostsLocation {
            file: "/kh".into(),
            line: 1
        })
    );
    // Another revoked key does not matter.
    let other = format!("@revoked * ssh-ed25519 {K2}\nh ssh-ed25519 {K1}\n");
    assert_eq!(status(&other, "h", 22, K1), known(2));
    // A @cert-authority line is not a host key.
    let ca = format!("@cert-authority h ssh-ed25519 {K1}\n");
    assert_eq!(status(&ca, "h", 22, K1), HostKeyStatus::Unknown);
}

#[test]
fn several_files_are_read_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    let missing = dir.path().join("missing");
    std::fs::write(&a, format!("x ssh-ed25519 {K2}\n")).unwrap();
    std::fs::write(&b, format!("# global\nh ssh-ed25519 {K1}\n")).unwrap();
    let files = vec![missing.clone(), a.clone(), b.clone()];
    let k = KnownHosts::read(&files).unwrap();
    assert_eq!(
        k.check_key("h", 22, &key(K1)),
        HostKeyStatus::Known(KnownHostsLocation {
            file: b.clone(),
            line: 2
        })
    );
    // A @revoked line in the first file beats the second file's entry.
    std::fs::write(&a, format!("@revoked * ssh-ed25519 {K1}\n")).unwrap();
    let k = KnownHosts::read(&files).unwrap();
    assert_eq!(
        k.check_key("h", 22, &key(K1)),
        HostKeyStatus::Revoked(KnownHostsLocation {
            file: a.clone(),
            line: 1
        })
    );
    // A file that exists but cannot be read is an error naming it.
    let err = KnownHosts::read(&[dir.path().to_path_buf()]).unwrap_err();
    assert!(err.contains(&dir.path().display().to_string()), "{err}");
}

#[test]
fn invalid_lines_never_match_and_are_reported_for_their_host() {
    let text = format!(
        "@bogus h ssh-ed25519 {K1}\n\
         h ssh-ed25519 not-base64!\n\
         h ssh-rsa {K1}\n\
         h ssh-ed25519\n\
         |1|bad|bad ssh-ed25519 {K1}\n\
         |2|Z9HilMlEggi2XAJn7R4Dtow/dOA=|YYycWHKuPP1VpKULC5u4I6M6W5o= ssh-ed25519 {K1}\n\
         h ssh-ed25519-cert-v01@openssh.com {K1}\n\
         other ssh-ed25519 nope\n\
         @revoked\n"
    );
    let k = kh(&text);
    assert!(k.entries().is_empty(), "{:?}", k.entries());
    assert_eq!(k.check_key("h", 22, &key(K1)), HostKeyStatus::Unknown);
    let lines: Vec<usize> = k.invalid_for("h", 22).iter().map(|i| i.at.line).collect();
    // Line 8 names another host: not reported for h.
    assert_eq!(lines, vec![1, 2, 3, 4, 5, 6, 7, 9]);
    let reasons: Vec<String> = k
        .invalid_for("h", 22)
        .iter()
        .map(|i| format!("{}: {}", i.at, i.reason))
        .collect();
    assert!(
        reasons[0].starts_with("/kh line 1: unknown marker `@bogus`"),
        "{reasons:?}"
    );
    assert!(
        reasons[2].contains("says `ssh-rsa` but the key is ssh-ed25519"),
        "{reasons:?}"
    );
    assert!(reasons[6].contains("certificate"), "{reasons:?}");
}

#[test]
fn lookup_names() {
    assert_eq!(lookup_name("Host.Example", 22), "host.example");
    assert_eq!(lookup_name("10.1.2.3", 2222), "[10.1.2.3]:2222");
}

// ---------------------------------------------------------------------------------------
// Host certificates.

const NOW: u64 = 1_800_000_000;

fn random(alg: Algorithm) -> PrivateKey {
    PrivateKey::random(&mut russh::keys::key::safe_rng(), alg).unwrap()
}

#[derive(Clone, Copy)]
struct Cert<'a> {
    host_key: &'a PrivateKey,
    ca: &'a PrivateKey,
    kind: CertType,
    principals: &'a [&'a str],
    valid: (u64, u64),
    critical: bool,
}

impl Cert<'_> {
    fn sign(&self) -> Certificate {
        let mut b = Builder::new(
            vec![7u8; 16],
            self.host_key.public_key().key_data().clone(),
            self.valid.0,
            self.valid.1,
        )
        .unwrap();
        b.cert_type(self.kind).unwrap();
        b.key_id("test").unwrap();
        if self.principals.is_empty() {
            b.all_principals_valid().unwrap();
        }
        for p in self.principals {
            b.valid_principal(*p).unwrap();
        }
        if self.critical {
            b.critical_option("force-command", "true").unwrap();
        }
        b.sign(self.ca).unwrap()
    }
}

fn ca_line(patterns: &str, ca: &PrivateKey) -> String {
    format!(
        "@cert-authority {patterns} {}\n",
        ca.public_key().to_openssh().unwrap()
    )
}

fn verdict(text: &str, host: &str, port: u16, cert: &Certificate) -> CertVerdict {
    kh(text).check_certificate(host, port, cert, NOW)
}

#[test]
fn a_certificate_from_a_listed_ca_is_accepted_for_its_hosts() {
    let (host_key, ca) = (random(Algorithm::Ed25519), random(Algorithm::Ed25519));
    let cert = Cert {
        host_key: &host_key,
        ca: &ca,
        kind: CertType::Host,
        principals: &["h.example.com"],
        valid: (NOW - 10, NOW + 10),
        critical: false,
    }
    .sign();
    let text = format!("# ca\n{}", ca_line("*.example.com", &ca));
    assert_eq!(
        verdict(&text, "h.example.com", 22, &cert),
        CertVerdict::Accepted(KnownHostsLocation {
            file: "/kh".into(),
            line: 2
        })
    );
    // The CA line's patterns name [host]:port off port 22.
    let ported = ca_line("[h.example.com]:2222", &ca);
    assert!(matches!(
        verdict(&ported, "h.example.com", 2222, &cert),
        CertVerdict::Accepted(_)
    ));
    assert!(matches!(
        verdict(&ported, "h.example.com", 22, &cert),
        CertVerdict::NotAccepted(_)
    ));
    // Not for other hosts, nor for a host the certificate does not name.
    let CertVerdict::NotAccepted(why) = verdict(&text, "h.other.org", 22, &cert) else {
        panic!("CA not trusted for h.other.org");
    };
    assert!(
        why.contains("no @cert-authority line for h.other.org"),
        "{why}"
    );
    let CertVerdict::NotAccepted(why) = verdict(&text, "g.example.com", 22, &cert) else {
        panic!("the certificate is not for g.example.com");
    };
    assert!(why.contains("not issued for g.example.com"), "{why}");
    // A plain host-key line for the CA's key is not a CA line.
    let plain = format!("h.example.com {}\n", ca.public_key().to_openssh().unwrap());
    assert!(matches!(
        verdict(&plain, "h.example.com", 22, &cert),
        CertVerdict::NotAccepted(_)
    ));
    // Another CA.
    let other_ca = random(Algorithm::Ed25519);
    let CertVerdict::NotAccepted(why) = verdict(
        &ca_line("*.example.com", &other_ca),
        "h.example.com",
        22,
        &cert,
    ) else {
        panic!("signed by another CA");
    };
    assert!(why.contains("lists its CA"), "{why}");
}

#[test]
fn a_certificate_with_no_principals_is_valid_for_the_ca_lines_hosts() {
    let (host_key, ca) = (random(Algorithm::Ed25519), random(Algorithm::Ed25519));
    let cert = Cert {
        host_key: &host_key,
        ca: &ca,
        kind: CertType::Host,
        principals: &[],
        valid: (NOW - 10, NOW + 10),
        critical: false,
    }
    .sign();
    let text = ca_line("h", &ca);
    assert!(matches!(
        verdict(&text, "h", 22, &cert),
        CertVerdict::Accepted(_)
    ));
    assert!(matches!(
        verdict(&text, "g", 22, &cert),
        CertVerdict::NotAccepted(_)
    ));
}

#[test]
fn invalid_certificates_are_not_accepted() {
    let (host_key, ca) = (random(Algorithm::Ed25519), random(Algorithm::Ed25519));
    let text = ca_line("h", &ca);
    let base = Cert {
        host_key: &host_key,
        ca: &ca,
        kind: CertType::Host,
        principals: &["h"],
        valid: (NOW - 10, NOW + 10),
        critical: false,
    };
    for (cert, why) in [
        (
            Cert {
                kind: CertType::User,
                ..base
            }
            .sign(),
            "user certificate",
        ),
        (
            Cert {
                valid: (NOW + 1, NOW + 10),
                ..base
            }
            .sign(),
            "not valid yet",
        ),
        (
            Cert {
                valid: (NOW - 10, NOW),
                ..base
            }
            .sign(),
            "expired",
        ),
        (
            Cert {
                critical: true,
                ..base
            }
            .sign(),
            "critical options",
        ),
    ] {
        let CertVerdict::NotAccepted(reason) = verdict(&text, "h", 22, &cert) else {
            panic!("{why}: accepted");
        };
        assert!(reason.contains(why), "{why}: {reason}");
    }
    // A forged signature: the certificate names the CA but another key signed it.
    let impostor = random(Algorithm::Ed25519);
    let by_impostor = Cert {
        ca: &impostor,
        ..base
    }
    .sign();
    let mut bytes = by_impostor.to_bytes().unwrap();
    let real_ca = ca.public_key().key_data().clone();
    let fake_ca = impostor.public_key().key_data().clone();
    // Swap the CA key bytes inside the encoding (same length for ed25519).
    let enc = |k: &russh::keys::ssh_key::public::KeyData| {
        russh::keys::PublicKey::new(k.clone(), "")
            .to_bytes()
            .unwrap()
    };
    let (real, fake) = (enc(&real_ca), enc(&fake_ca));
    let pos = bytes
        .windows(fake.len())
        .position(|w| w == fake.as_slice())
        .expect("the CA key is in the encoding");
    bytes[pos..pos + fake.len()].copy_from_slice(&real);
    let forged = Certificate::from_bytes(&bytes).unwrap();
    assert_eq!(forged.signature_key(), &real_ca);
    let CertVerdict::NotAccepted(reason) = verdict(&text, "h", 22, &forged) else {
        panic!("a forged certificate was accepted");
    };
    assert!(reason.contains("signature does not verify"), "{reason}");
}

#[test]
fn a_revoked_certificate_key_or_ca_is_refused() {
    let (host_key, ca) = (random(Algorithm::Ed25519), random(Algorithm::Ed25519));
    let cert = Cert {
        host_key: &host_key,
        ca: &ca,
        kind: CertType::Host,
        principals: &["h"],
        valid: (NOW - 10, NOW + 10),
        critical: false,
    }
    .sign();
    let revoke = |k: &PrivateKey| format!("@revoked * {}\n", k.public_key().to_openssh().unwrap());
    let text = format!("{}{}", ca_line("h", &ca), revoke(&host_key));
    assert_eq!(
        verdict(&text, "h", 22, &cert),
        CertVerdict::Revoked(
            KnownHostsLocation {
                file: "/kh".into(),
                line: 2
            },
            "key"
        )
    );
    let text = format!("{}{}", ca_line("h", &ca), revoke(&ca));
    assert!(matches!(
        verdict(&text, "h", 22, &cert),
        CertVerdict::Revoked(_, "CA")
    ));
}

// ---------------------------------------------------------------------------------------
// Never a panic.

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parsing_and_matching_never_panic(text in "\\PC{0,400}", host in "[a-z0-9.*?!\\[\\]:]{0,30}", port in any::<u16>()) {
        let k = kh(&text);
        let _ = k.check_key(&host, port, &key(K1));
        let _ = k.invalid_for(&host, port);
        let _ = k.has_authority(&host, port);
    }

    #[test]
    fn line_shaped_input_never_panics(
        marker in prop::option::of(prop_oneof![Just("@revoked"), Just("@cert-authority"), Just("@x")]),
        hosts in "[a-z0-9.*?!,\\[\\]:|=/+]{0,40}",
        sep in "[ \t]{1,3}",
        kind in prop_oneof![Just("ssh-ed25519".to_string()), Just("ssh-rsa".to_string()), "[a-z0-9-]{0,12}"],
        blob in prop_oneof![Just(K1.to_string()), Just(K3_ECDSA.to_string()), "[A-Za-z0-9+/=]{0,80}"],
        host in "[a-z0-9.]{0,20}",
        port in any::<u16>(),
    ) {
        let line = format!("{}{hosts}{sep}{kind}{sep}{blob}", marker.map(|m| format!("{m}{sep}")).unwrap_or_default());
        let _ = parse_line(&line);
        let k = kh(&line);
        let _ = k.check_key(&host, port, &key(K1));
    }

    #[test]
    fn glob_star_matches_everything_and_literals_match_themselves(s in "[a-z.]{0,30}") {
        prop_assert!(glob(b"*", s.as_bytes()));
        prop_assert!(glob(s.as_bytes(), s.as_bytes()));
    }
}
