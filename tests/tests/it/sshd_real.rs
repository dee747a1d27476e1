//! Interoperability tests against a real OpenSSH sshd on 127.0.0.1 (`navi_tests::sshd`).
//! Skipped (with a message) when `/usr/sbin/sshd` is missing, unless `NAVI_REQUIRE_SSHD=1`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use navi_tests::sshd::{self, Sshd};

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
