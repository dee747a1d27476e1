//! Interoperability tests against a real OpenSSH sshd on 127.0.0.1 (`navi_tests::sshd`).
//! Skipped (with a message) when `/usr/sbin/sshd` is missing, unless `NAVI_REQUIRE_SSHD=1`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use navi_core::{Aggregator, SessionInfo, SessionSource, SourceState};
use navi_source_ssh::test_support::RemoteBuilder;
use navi_source_ssh::{JumpHost, Remote, SshSource};
use navi_tests::ssh_server::{known_hosts_entry, random_key};
use navi_tests::sshd::{self, Sshd};

#[test]
fn gate_skips_without_sshd_unless_required() {
    let missing = Path::new("/nonexistent/sbin/sshd");
    assert!(!sshd::gate(missing, None), "no sshd, not required: skip");
    assert!(!sshd::gate(missing, Some("0")), "only \"1\" requires it");
    assert!(sshd::gate(Path::new("/bin/sh"), Some("1")), "present: run");
}

#[test]
#[should_panic(expected = "NAVI_REQUIRE_SSHD=1 but /nonexistent/sbin/sshd does not exist")]
fn gate_fails_without_sshd_when_required() {
    sshd::gate(Path::new("/nonexistent/sbin/sshd"), Some("1"));
}

#[test]
fn harness_sshd_serves_the_system_ssh_client() {
    if !sshd::sshd_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("id_ed25519");
    let public = sshd::keygen(&key, "");
    let server = Sshd::start(&[&public]);
    let known_hosts = dir.path().join("known_hosts");
    std::fs::write(&known_hosts, format!("{}\n", server.known_hosts_line())).unwrap();
    let out = Command::new("ssh")
        .arg("-i")
        .arg(&key)
        .args([
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "IdentitiesOnly=yes",
        ])
        .arg("-o")
        .arg(format!("UserKnownHostsFile={}", known_hosts.display()))
        .args(["-p", &server.port().to_string()])
        .arg(format!("{}@127.0.0.1", sshd::current_user()))
        .arg("echo ok")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ssh failed: {}\nsshd log:\n{}",
        String::from_utf8_lossy(&out.stderr),
        server.log()
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "ok\n");
    assert_eq!(server.accepted_publickey(), 1, "log:\n{}", server.log());
}

// ---------------------------------------------------------------------------------------
// SshSource against real OpenSSH.

/// A status file as the hooks write it.
fn status_json(name: &str, status: &str) -> Vec<u8> {
    format!(
        r#"{{"tmux_session":"{name}","status":"{status}","message":"","cwd":"/tmp","timestamp":1764032280}}"#
    )
    .into_bytes()
}

fn names(sessions: &[SessionInfo]) -> Vec<String> {
    let mut v: Vec<String> = sessions.iter().map(|s| s.tmux_session.clone()).collect();
    v.sort();
    v
}

/// A remote for `server`, logging in as the current user with one key file.
fn remote(name: &str, server: &Sshd, key: &Path, known_hosts: &Path) -> Remote {
    RemoteBuilder::new(name, "127.0.0.1")
        .port(server.port())
        .user(sshd::current_user())
        .keys([key])
        .known_hosts(known_hosts)
        .sessions_dir(server.sessions_dir().to_str().unwrap())
        .timeout(Duration::from_secs(20))
        .poll_interval(Duration::from_secs(1))
        .build()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Runs `f` on a fresh runtime under an outer bound.
fn block_on_bounded<F: std::future::Future>(what: &str, f: F) -> F::Output {
    runtime().block_on(async {
        tokio::time::timeout(Duration::from_secs(90), f)
            .await
            .unwrap_or_else(|_| panic!("{what}: did not finish within 90s"))
    })
}

#[test]
fn real_sshd_pooled_polls_log_one_login() {
    if !sshd::sshd_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("id_ed25519");
    let public = sshd::keygen(&key, "");
    let server = Sshd::start(&[&public]);
    server.write_session("api.json", &status_json("api", "working"));
    server.write_session("build.json", &status_json("build", "permission"));
    let known_hosts = dir.path().join("known_hosts");
    std::fs::write(&known_hosts, format!("{}\n", server.known_hosts_line())).unwrap();
    let source = Arc::new(SshSource::new(remote("box", &server, &key, &known_hosts)));

    block_on_bounded("real sshd polls", async {
        let mut agg = Aggregator::new().with_source(source.clone(), navi_core::testing::OPTIONS);
        let snap = agg.poll_once().await;
        let health = &snap.sources[0];
        assert_eq!(
            health.state,
            SourceState::Connected,
            "{:?}\nsshd log:\n{}",
            health.reason,
            server.log()
        );
        let labelled: Vec<(Option<&str>, &str)> = snap
            .sessions
            .iter()
            .map(|s| (s.remote.as_deref(), s.tmux_session.as_str()))
            .collect();
        assert_eq!(labelled.len(), 2, "{labelled:?}");
        assert!(labelled.contains(&(Some("box"), "api")), "{labelled:?}");
        assert!(labelled.contains(&(Some("box"), "build")), "{labelled:?}");
        for i in 1..5 {
            let sessions = source
                .poll()
                .await
                .unwrap_or_else(|e| panic!("poll {i}: {e}\nsshd log:\n{}", server.log()));
            assert_eq!(names(&sessions), ["api", "build"], "poll {i}");
        }
    });
    assert_eq!(
        server.accepted_publickey(),
        1,
        "5 polls, one login; sshd log:\n{}",
        server.log()
    );
    assert_eq!(source.connections_opened(), 1);
}

#[test]
fn real_sshd_through_a_second_sshd_as_jump_host() {
    if !sshd::sshd_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("id_ed25519");
    let public = sshd::keygen(&key, "");
    let bastion = Sshd::start(&[&public]);
    let target = Sshd::start(&[&public]);
    target.write_session("deep.json", &status_json("deep", "waiting"));
    bastion.write_session("wrong.json", &status_json("wrong", "idle"));
    let known_hosts = dir.path().join("known_hosts");
    std::fs::write(
        &known_hosts,
        format!(
            "{}\n{}\n",
            bastion.known_hosts_line(),
            target.known_hosts_line()
        ),
    )
    .unwrap();
    let mut r = remote("staging", &target, &key, &known_hosts);
    r.jump = Some(JumpHost {
        host: "127.0.0.1".into(),
        port: bastion.port(),
        user: sshd::current_user(),
        keys: Vec::new(),
    });
    let source = SshSource::new(r);
    block_on_bounded("jump polls", async {
        for i in 0..3 {
            let sessions = source.poll().await.unwrap_or_else(|e| {
                panic!(
                    "poll {i}: {e}\nbastion log:\n{}\ntarget log:\n{}",
                    bastion.log(),
                    target.log()
                )
            });
            assert_eq!(names(&sessions), ["deep"], "the target's sessions");
        }
    });
    assert_eq!(bastion.accepted_publickey(), 1, "{}", bastion.log());
    assert_eq!(target.accepted_publickey(), 1, "{}", target.log());
    assert!(
        target.log().contains("from 127.0.0.1"),
        "the target was reached over loopback: {}",
        target.log()
    );
    assert_eq!(source.connections_opened(), 1);
}

#[test]
fn real_sshd_known_hosts_plain_and_hashed() {
    if !sshd::sshd_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("id_ed25519");
    let public = sshd::keygen(&key, "");
    let server = Sshd::start(&[&public]);
    server.write_session("api.json", &status_json("api", "idle"));

    let plain = dir.path().join("known_hosts");
    // Another host's entry first: the right line is found among others.
    let elsewhere = known_hosts_entry(1, random_key().public_key());
    std::fs::write(
        &plain,
        format!("{elsewhere}\n{}\n", server.known_hosts_line()),
    )
    .unwrap();
    let hashed = dir.path().join("known_hosts_hashed");
    std::fs::write(&hashed, format!("{}\n", server.known_hosts_line())).unwrap();
    sshd::hash_known_hosts(&hashed);
    let text = std::fs::read_to_string(&hashed).unwrap();
    assert!(
        text.starts_with("|1|"),
        "ssh-keygen -H hashed the entry: {text}"
    );
    assert!(
        !text.contains("127.0.0.1"),
        "no clear host name left: {text}"
    );

    block_on_bounded("known_hosts", async {
        for (what, path) in [("plain", &plain), ("hashed", &hashed)] {
            let source = SshSource::new(remote("box", &server, &key, path));
            let sessions = source
                .poll()
                .await
                .unwrap_or_else(|e| panic!("{what} known_hosts: {e}"));
            assert_eq!(names(&sessions), ["api"], "{what}");
        }
    });
}

#[test]
fn real_sshd_encrypted_key_without_agent_is_a_clear_auth_error() {
    if !sshd::sshd_or_skip() {
        return;
    }
    if std::env::var_os("SSH_AUTH_SOCK").is_some_and(|v| !v.is_empty()) {
        // navi would ask the agent: this case is only about having none.
        eprintln!(
            "skipping: SSH_AUTH_SOCK is set, the encrypted-key-without-agent case needs no agent"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("id_encrypted");
    let public = sshd::keygen(&key, "secret");
    let server = Sshd::start(&[&public]);
    let known_hosts = dir.path().join("known_hosts");
    std::fs::write(&known_hosts, format!("{}\n", server.known_hosts_line())).unwrap();
    let source = SshSource::new(remote("box", &server, &key, &known_hosts));
    let result = block_on_bounded("encrypted key", source.poll());
    let err = match result {
        Ok(s) => panic!(
            "an encrypted key without an agent cannot log in, got {:?}",
            names(&s)
        ),
        Err(e) => e,
    };
    assert_eq!(err.kind(), "auth", "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("passphrase") || msg.contains("ssh-add"),
        "the message says the key needs its passphrase via ssh-add: {msg}"
    );
    assert_eq!(server.accepted_publickey(), 0, "{}", server.log());
}

/// `host:` is a `~/.ssh/config` alias whose `ProxyJump` names another alias with its own
/// `IdentityFile`: the bastion only accepts that key, the target only the remote's.
/// `ssh target` logs into the bastion with the bastion's key; so must navi.
#[test]
fn real_sshd_proxy_jump_alias_logs_into_the_bastion_with_its_own_identity_file() {
    if !sshd::sshd_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    std::fs::create_dir(home.join(".ssh")).unwrap();
    let target_key = home.join(".ssh/target_key");
    let bastion_key = home.join(".ssh/bastion_key");
    let bastion = Sshd::start(&[&sshd::keygen(&bastion_key, "")]);
    let target = Sshd::start(&[&sshd::keygen(&target_key, "")]);
    target.write_session("deep.json", &status_json("deep", "waiting"));
    std::fs::write(
        home.join(".ssh/kh"),
        format!(
            "{}\n{}\n",
            bastion.known_hosts_line(),
            target.known_hosts_line()
        ),
    )
    .unwrap();
    let user = sshd::current_user();
    let config = home.join(".ssh/config");
    std::fs::write(
        &config,
        format!(
            "Host gate\n  HostName 127.0.0.1\n  Port {}\n  User {user}\n  IdentityFile ~/.ssh/bastion_key\n\n\
             Host deep\n  HostName 127.0.0.1\n  Port {}\n  User {user}\n  IdentityFile ~/.ssh/target_key\n  \
             ProxyJump gate\n  UserKnownHostsFile ~/.ssh/kh\n",
            bastion.port(),
            target.port()
        ),
    )
    .unwrap();
    let yaml = format!(
        "remotes:\n  - name: deep\n    host: deep\n    sessions_dir: {}\n",
        target.sessions_dir().display()
    );
    let env = navi_source_ssh::Env {
        home: Some(home.to_path_buf()),
        ssh_config: Some(config),
        user: Some(user),
    };
    let loaded = navi_source_ssh::load_remotes_from_str(&home.join("remotes.yaml"), &yaml, &env);
    assert_eq!(loaded.errors, vec![]);
    let r = loaded.remotes.into_iter().next().unwrap();
    let jump = r.jump.clone().unwrap();
    assert_eq!(jump.port, bastion.port());
    assert_eq!(jump.keys, vec![bastion_key.clone()]);
    assert_eq!(r.keys, vec![target_key]);
    let argv = navi_source_ssh::attach_argv(&r, "deep", None)
        .unwrap()
        .argv
        .join(" ");
    assert!(
        argv.contains(&format!("ProxyCommand=ssh -i '{}'", bastion_key.display())),
        "attach offers the bastion its own key first: {argv}"
    );

    let source = SshSource::new(r);
    block_on_bounded("poll through the alias's ProxyJump", async {
        let sessions = source.poll().await.unwrap_or_else(|e| {
            panic!(
                "{e}\nbastion log:\n{}\ntarget log:\n{}",
                bastion.log(),
                target.log()
            )
        });
        assert_eq!(names(&sessions), ["deep"]);
    });
    assert_eq!(bastion.accepted_publickey(), 1, "{}", bastion.log());
    assert_eq!(target.accepted_publickey(), 1, "{}", target.log());
}

// ---------------------------------------------------------------------------------------
// known_hosts as OpenSSH reads it: wildcards, @revoked, @cert-authority host certificates.

/// Whether the system `ssh` accepts `server` with `known_hosts` (strict checking, no
/// global file): the reference navi must agree with.
fn openssh_accepts(server: &Sshd, key: &Path, known_hosts: &Path) -> bool {
    Command::new("ssh")
        .arg("-i")
        .arg(key)
        .args([
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "GlobalKnownHostsFile=/dev/null",
        ])
        .arg("-o")
        .arg(format!("UserKnownHostsFile={}", known_hosts.display()))
        .args(["-p", &server.port().to_string()])
        .arg(format!("{}@127.0.0.1", sshd::current_user()))
        .arg("true")
        .output()
        .unwrap()
        .status
        .success()
}

/// `type AAAA…` of a public key line (no comment).
fn key_fields(public: &str) -> String {
    public
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn real_sshd_wildcard_and_negated_known_hosts_entries() {
    if !sshd::sshd_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("id_ed25519");
    let public = sshd::keygen(&key, "");
    let server = Sshd::start(&[&public]);
    server.write_session("api.json", &status_json("api", "idle"));
    let host_key = key_fields(server.host_public_key());
    let port = server.port();

    let wildcard = dir.path().join("known_hosts_wildcard");
    // Tab-separated, after a comment and a blank line.
    std::fs::write(
        &wildcard,
        format!(
            "# lab\n\n[127.0.0.?]:{port}\t{}\n",
            host_key.replacen(' ', "\t", 1)
        ),
    )
    .unwrap();
    let negated = dir.path().join("known_hosts_negated");
    std::fs::write(
        &negated,
        format!("[127.0.0.*]:{port},![127.0.0.1]:{port} {host_key}\n"),
    )
    .unwrap();
    assert!(openssh_accepts(&server, &key, &wildcard), "ssh: wildcard");
    assert!(!openssh_accepts(&server, &key, &negated), "ssh: negated");

    block_on_bounded("wildcard known_hosts", async {
        let r = remote("box", &server, &key, &wildcard);
        let scanned = navi_source_ssh::scan_host_key(&r).await.unwrap();
        assert_eq!(
            scanned.status,
            navi_source_ssh::HostKeyStatus::Known(navi_source_ssh::KnownHostsLocation {
                file: wildcard.clone(),
                line: 3
            })
        );
        let sessions = SshSource::new(r)
            .poll()
            .await
            .unwrap_or_else(|e| panic!("wildcard entry: {e}\n{}", server.log()));
        assert_eq!(names(&sessions), ["api"]);

        let r = remote("box", &server, &key, &negated);
        let scanned = navi_source_ssh::scan_host_key(&r).await.unwrap();
        assert_eq!(scanned.status, navi_source_ssh::HostKeyStatus::Unknown);
        let err = SshSource::new(r).poll().await.unwrap_err();
        assert_eq!(err.kind(), "host-key", "{err}");
        assert!(err.to_string().contains("not a known host"), "{err}");
    });
    assert_eq!(
        server.accepted_publickey(),
        2,
        "ssh once, navi once: {}",
        server.log()
    );
}

#[test]
fn real_sshd_revoked_key_is_refused_even_when_listed() {
    if !sshd::sshd_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("id_ed25519");
    let public = sshd::keygen(&key, "");
    let server = Sshd::start(&[&public]);
    let known_hosts = dir.path().join("known_hosts");
    std::fs::write(
        &known_hosts,
        format!(
            "{}\n@revoked * {}\n",
            server.known_hosts_line(),
            key_fields(server.host_public_key())
        ),
    )
    .unwrap();
    assert!(
        !openssh_accepts(&server, &key, &known_hosts),
        "ssh refuses it too"
    );
    block_on_bounded("revoked key", async {
        let r = remote("box", &server, &key, &known_hosts);
        let err = SshSource::new(r.clone()).poll().await.unwrap_err();
        assert_eq!(err.kind(), "host-key", "{err}");
        let msg = err.to_string();
        assert!(msg.contains("revoked"), "{msg}");
        assert!(
            msg.contains(&format!("{} line 2", known_hosts.display())),
            "{msg}"
        );
        let scanned = navi_source_ssh::scan_host_key(&r).await.unwrap();
        assert!(
            matches!(scanned.status, navi_source_ssh::HostKeyStatus::Revoked(_)),
            "{:?}",
            scanned.status
        );
        assert!(navi_source_ssh::trust_host_key(&scanned).is_err());
    });
    assert_eq!(server.accepted_publickey(), 0, "{}", server.log());
}

#[test]
fn real_sshd_host_certificate_is_accepted_with_a_cert_authority_line() {
    if !sshd::sshd_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("id_ed25519");
    let public = sshd::keygen(&key, "");
    let ca = dir.path().join("host_ca");
    let ca_public = key_fields(&sshd::keygen(&ca, ""));
    let server = Sshd::start_with_host_certificate(&[&public], &ca, "127.0.0.1");
    let wrong_name = Sshd::start_with_host_certificate(&[&public], &ca, "other.example.com");
    server.write_session("api.json", &status_json("api", "working"));
    let port = server.port();

    // Only the CA is known: no line for the host key itself.
    let trusted = dir.path().join("known_hosts");
    std::fs::write(
        &trusted,
        format!(
            "@cert-authority [127.0.0.1]:{port},[127.0.0.1]:{} {ca_public}\n",
            wrong_name.port()
        ),
    )
    .unwrap();
    assert!(
        openssh_accepts(&server, &key, &trusted),
        "ssh: CA-signed host"
    );
    assert!(
        !openssh_accepts(&wrong_name, &key, &trusted),
        "ssh: not for 127.0.0.1"
    );
    // The CA revoked.
    let revoked = dir.path().join("known_hosts_revoked");
    std::fs::write(
        &revoked,
        format!("@cert-authority * {ca_public}\n@revoked * {ca_public}\n"),
    )
    .unwrap();
    assert!(!openssh_accepts(&server, &key, &revoked), "ssh: revoked CA");

    block_on_bounded("host certificate", async {
        let sessions = SshSource::new(remote("box", &server, &key, &trusted))
            .poll()
            .await
            .unwrap_or_else(|e| panic!("CA-signed host: {e}\n{}", server.log()));
        assert_eq!(names(&sessions), ["api"]);

        let err = SshSource::new(remote("box", &wrong_name, &key, &trusted))
            .poll()
            .await
            .unwrap_err();
        assert_eq!(err.kind(), "host-key", "{err}");
        assert!(
            err.to_string().contains("not issued for 127.0.0.1"),
            "{err}"
        );

        let err = SshSource::new(remote("box", &server, &key, &revoked))
            .poll()
            .await
            .unwrap_err();
        assert_eq!(err.kind(), "host-key", "{err}");
        assert!(err.to_string().contains("REVOKED"), "{err}");
    });
    assert_eq!(
        server.accepted_publickey(),
        2,
        "ssh once, navi once: {}",
        server.log()
    );
    assert_eq!(wrong_name.accepted_publickey(), 0, "{}", wrong_name.log());
}
