//! Push mode against a real OpenSSH sshd on 127.0.0.1: a remote change arrives without
//! a poll asking for it, over one session channel, and a loop that falls silent is a
//! timeout, as a poll that got no answer was.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use navi_core::{PollMode, SessionSource};
use navi_source_ssh::test_support::RemoteBuilder;
use navi_source_ssh::{Remote, SshSource};
use navi_tests::sshd::{self, Sshd};

fn status_json(name: &str, status: &str) -> Vec<u8> {
    format!(
        r#"{{"tmux_session":"{name}","status":"{status}","message":"","cwd":"/tmp","timestamp":1764032280}}"#
    )
    .into_bytes()
}

/// Writes a status file as the hooks do: a hidden temp file renamed into place.
fn write_status(server: &Sshd, name: &str, status: &str) {
    let dir = server.sessions_dir();
    let tmp = dir.join(format!(".tmp.{name}"));
    std::fs::write(&tmp, status_json(name, status)).unwrap();
    std::fs::rename(&tmp, dir.join(format!("{name}.json"))).unwrap();
}

fn remote(server: &Sshd, key: &Path, known_hosts: &Path, timeout: Duration) -> Remote {
    RemoteBuilder::new("box", "127.0.0.1")
        .port(server.port())
        .user(sshd::current_user())
        .keys([key])
        .known_hosts(known_hosts)
        .sessions_dir(server.sessions_dir().to_str().unwrap())
        .timeout(timeout)
        .build()
}

fn started(timeout: Duration) -> Option<(tempfile::TempDir, Sshd, Arc<SshSource>)> {
    if !sshd::sshd_or_skip() {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("id_ed25519");
    let public = sshd::keygen(&key, "");
    let server = Sshd::start(&[&public]);
    let known_hosts = dir.path().join("known_hosts");
    std::fs::write(&known_hosts, format!("{}\n", server.known_hosts_line())).unwrap();
    let source = Arc::new(SshSource::new(remote(&server, &key, &known_hosts, timeout)));
    Some((dir, server, source))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

async fn names(source: &SshSource) -> Vec<(String, String)> {
    let report = source.poll_report().await.unwrap();
    let mut v: Vec<_> = report
        .sessions
        .iter()
        .map(|s| (s.tmux_session.clone(), s.status.as_str().to_string()))
        .collect();
    v.sort();
    v
}

#[test]
fn real_sshd_push_brings_changes_without_polling_over_one_channel() {
    let Some((_dir, server, source)) = started(Duration::from_secs(20)) else {
        return;
    };
    write_status(&server, "api", "working");
    runtime().block_on(async {
        tokio::time::timeout(Duration::from_secs(90), async {
            let first = source
                .poll_report()
                .await
                .unwrap_or_else(|e| panic!("{e}\nsshd log:\n{}", server.log()));
            let mode = first.mode.clone();
            assert!(matches!(mode, Some(PollMode::Push(_))), "{mode:?}");
            assert_eq!(names(&source).await, [("api".into(), "working".into())]);

            // A change wakes the source by itself; the poll after it shows it.
            let waiting = tokio::spawn({
                let source = source.clone();
                async move { source.wait_change().await }
            });
            write_status(&server, "api", "permission");
            write_status(&server, "build", "working");
            tokio::time::timeout(Duration::from_secs(10), waiting)
                .await
                .expect("the push loop announced the change")
                .unwrap();
            // Both files may come in one batch or two: wait for the second if needed.
            let want = vec![
                ("api".to_string(), "permission".to_string()),
                ("build".to_string(), "working".to_string()),
            ];
            let mut got = names(&source).await;
            for _ in 0..20 {
                if got == want {
                    break;
                }
                let _ = tokio::time::timeout(Duration::from_secs(1), source.wait_change()).await;
                got = names(&source).await;
            }
            assert_eq!(got, want);

            std::fs::remove_file(server.sessions_dir().join("api.json")).unwrap();
            tokio::time::timeout(Duration::from_secs(10), source.wait_change())
                .await
                .expect("a removal is announced too");
            // The wake may be one stored by the batch before: wait for the removal's own.
            let want = vec![("build".to_string(), "working".to_string())];
            let mut got = names(&source).await;
            for _ in 0..20 {
                if got == want {
                    break;
                }
                let _ = tokio::time::timeout(Duration::from_secs(1), source.wait_change()).await;
                got = names(&source).await;
            }
            assert_eq!(got, want);
        })
        .await
        .expect("bounded");
    });
    let sessions = server
        .log()
        .lines()
        .filter(|l| l.contains("Starting session"))
        .count();
    assert_eq!(sessions, 1, "one channel for all of it:\n{}", server.log());
    assert_eq!(server.accepted_publickey(), 1);
}

#[test]
fn real_sshd_a_silent_push_loop_is_a_timeout() {
    let timeout = Duration::from_secs(2);
    let Some((_dir, server, source)) = started(timeout) else {
        return;
    };
    write_status(&server, "api", "working");
    let rt = runtime();
    rt.block_on(async {
        let first = source.poll_report().await.unwrap();
        assert!(matches!(first.mode, Some(PollMode::Push(_))));
    });
    // Freeze the loop (not sshd: the connection itself stays up and answers).
    let frozen: Vec<u32> = server
        .session_processes()
        .into_iter()
        .filter(|(_, comm)| !comm.starts_with("sshd"))
        .map(|(pid, _)| pid)
        .collect();
    assert!(!frozen.is_empty(), "{:?}", server.session_processes());
    let signal = |sig: &str| {
        std::process::Command::new("kill")
            .arg(sig)
            .args(frozen.iter().map(u32::to_string))
            .status()
            .unwrap();
    };
    signal("-STOP");
    let result = rt.block_on(async {
        // The heartbeat (every 5 s) goes unanswered for `timeout`: the source wakes and
        // its poll is a timeout.
        tokio::time::timeout(Duration::from_secs(30), source.wait_change())
            .await
            .expect("the silent loop is noticed");
        source.poll_report().await
    });
    signal("-CONT");
    let err = result.expect_err("a silent remote is not connected");
    assert_eq!(err.kind(), "timeout", "{err}");
    assert!(err.to_string().contains("heartbeat"), "{err}");
}
