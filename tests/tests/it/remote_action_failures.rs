//! Actions that cannot happen, against the in-process SSH server (it runs commands with
//! the local `sh`): each gets a one-line reason naming what is wrong, and nothing else
//! changes.

use std::time::Duration;

use navi_core::{Action, SessionSource};
use navi_source_ssh::test_support::RemoteBuilder;
use navi_source_ssh::SshSource;
use navi_tests::ssh_server::{ClientKey, ServerOptions, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_one_line_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let key = ClientKey::generate(dir.path(), "id_ed25519");
    let mut server = TestServer::start(ServerOptions::accepting(&key)).await;
    let known_hosts = dir.path().join("known_hosts");
    server.write_known_hosts(&known_hosts);
    let remote = RemoteBuilder::new("dev", "127.0.0.1")
        .port(server.port())
        .user("navi")
        .keys([key.path.clone()])
        .known_hosts(&known_hosts)
        .build();
    let source = SshSource::new(remote);
    let act = |name: &'static str, action: Action| {
        let source = &source;
        async move {
            tokio::time::timeout(Duration::from_secs(30), source.act(name, &action))
                .await
                .expect("bounded")
        }
    };
    // A name tmux would not keep: refused before anything is sent, labelled as what it
    // is (not "invalid configuration").
    let e = act(
        "a.b",
        Action::New {
            dir: "~".into(),
            command: vec![],
            create_dir: false,
        },
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), "other", "{e}");
    assert!(e.to_string().contains("tmux turns `.` into `_`"), "{e}");
    let e = act("x", Action::Rename { to: "a:b".into() })
        .await
        .unwrap_err();
    assert!(e.to_string().contains("tmux turns `:` into `_`"), "{e}");
    // A name that is a path or a tmux target, for every action.
    for bad in ["../x", "a/b", "api-2.", "p:s", ".hidden"] {
        for action in [
            Action::Kill,
            Action::Dismiss,
            Action::Preview,
            Action::Mark {
                ops: vec![navi_core::MarkOp::Bookmark(true)],
            },
        ] {
            let e = act(bad, action).await.unwrap_err();
            assert!(
                e.to_string().contains("is not a tmux session name"),
                "{bad}: {e}"
            );
        }
    }
    // A directory that does not exist there.
    let e = act(
        "navi-test-new",
        Action::New {
            dir: "~/no/such/dir".into(),
            command: vec![],
            create_dir: false,
        },
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("no such directory"), "{e}");
    assert_eq!(e.kind(), "other", "{e}");
    assert!(!e.to_string().contains('\n'), "one line: {e}");
    // A session that is not there (ended in between): whether the machine's tmux server
    // answers without it or there is none, the error names the session and the remote,
    // and is not a configuration error.
    for action in [Action::Kill, Action::Send { text: "y".into() }] {
        let e = act("navi-test-ended-7f3a", action).await.unwrap_err();
        let m = e.to_string();
        assert!(
            m.contains("navi-test-ended-7f3a") && m.contains("on dev"),
            "{e}"
        );
        assert_ne!(e.kind(), "config", "{e}");
        assert!(!m.contains('\n'), "one line: {e}");
    }
    let e = act(
        "navi-test-ended-7f3a",
        Action::Send {
            text: "a\nb".into(),
        },
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("one line"), "{e}");
    assert_eq!(server.accepted(), 1, "every attempt on the one connection");
    drop(source);
    server.stop().await;

    // An unreachable remote: the reason says so, for an action as for a poll.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let down = SshSource::new(
        RemoteBuilder::new("down", "127.0.0.1")
            .port(port)
            .keys([key.path.clone()])
            .known_hosts(&known_hosts)
            .build(),
    );
    let e = down.act("x", &Action::Kill).await.unwrap_err();
    assert_eq!(e.kind(), "refused", "{e}");
}
