//! SSH tests against the in-process russh server (`navi_tests::ssh_server`).
//!
//! The first group checks the harness itself with a bare russh client; the rest drive
//! `navi_source_ssh::SshSource` (pooling, reconnect, hung remote, host keys, jump host,
//! broken and hostile files, auth errors, the conformance suite).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use navi_tests::ssh_server::{ClientKey, ServerOptions, TestServer};
use russh::client;
use russh::keys::{PrivateKeyWithHashAlg, PublicKey, PublicKeyOrCertificate};
use russh::ChannelMsg;

/// Every test's outer bound: nothing here may hang the suite.
const BOUND: Duration = Duration::from_secs(60);

async fn bounded<F: std::future::Future>(what: &str, f: F) -> F::Output {
    tokio::time::timeout(BOUND, f)
        .await
        .unwrap_or_else(|_| panic!("{what}: did not finish within {BOUND:?}"))
}

// ---------------------------------------------------------------------------------------
// The harness, checked with a bare russh client.

/// A client handler that trusts exactly one host key.
struct Pinned(PublicKey);

impl client::Handler for Pinned {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        Ok(match key {
            PublicKeyOrCertificate::PublicKey { key, .. } => key.key_data() == self.0.key_data(),
            PublicKeyOrCertificate::Certificate(_) => false,
        })
    }
}

async fn authenticate(h: &mut client::Handle<Pinned>, key: &ClientKey) -> bool {
    let private = russh::keys::load_secret_key(&key.path, None).unwrap();
    h.authenticate_publickey("navi", PrivateKeyWithHashAlg::new(Arc::new(private), None))
        .await
        .unwrap()
        .success()
}

async fn raw_connect(server: &TestServer, key: &ClientKey) -> client::Handle<Pinned> {
    let config = Arc::new(client::Config::default());
    let mut h = client::connect(
        config,
        server.addr(),
        Pinned(server.host_public_key().clone()),
    )
    .await
    .unwrap();
    assert!(
        authenticate(&mut h, key).await,
        "the server accepts its configured key"
    );
    h
}

struct Output {
    stdout: String,
    stderr: String,
    status: Option<u32>,
}

async fn drain(ch: &mut russh::Channel<client::Msg>) -> Output {
    let (mut out, mut err, mut status) = (Vec::new(), Vec::new(), None);
    while let Some(msg) = ch.wait().await {
        match msg {
            ChannelMsg::Data { data } => out.extend_from_slice(&data),
            ChannelMsg::ExtendedData { data, ext: 1 } => err.extend_from_slice(&data),
            ChannelMsg::ExitStatus { exit_status } => status = Some(exit_status),
            ChannelMsg::Close => break,
            _ => {}
        }
    }
    Output {
        stdout: String::from_utf8_lossy(&out).into_owned(),
        stderr: String::from_utf8_lossy(&err).into_owned(),
        status,
    }
}

async fn raw_exec<H: client::Handler>(h: &client::Handle<H>, cmd: &str) -> Output {
    let mut ch = h.channel_open_session().await.unwrap();
    ch.exec(true, cmd).await.unwrap();
    drain(&mut ch).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn harness_exec_runs_sh_in_the_temp_home() {
    let dir = tempfile::tempdir().unwrap();
    let key = ClientKey::generate(dir.path(), "id_ed25519");
    let mut server = TestServer::start(ServerOptions::accepting(&key)).await;
    server.write_session("a.json", b"{\"tmux_session\":\"a\"}");
    bounded("harness exec", async {
        let h = raw_connect(&server, &key).await;
        let out = raw_exec(&h, "cat ~/.claude-sessions/a.json; echo oops >&2; exit 3").await;
        assert_eq!(out.stdout, "{\"tmux_session\":\"a\"}");
        assert_eq!(out.stderr, "oops\n");
        assert_eq!(out.status, Some(3));
        let home = raw_exec(&h, "echo \"$HOME\"").await;
        assert_eq!(home.stdout.trim(), server.home().to_str().unwrap());
    })
    .await;
    assert_eq!(server.accepted(), 1);
    assert_eq!(server.execs(), 2);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn harness_forwards_stdin_incrementally() {
    let dir = tempfile::tempdir().unwrap();
    let key = ClientKey::generate(dir.path(), "id_ed25519");
    let mut server = TestServer::start(ServerOptions::accepting(&key)).await;
    bounded("harness stdin", async {
        let h = raw_connect(&server, &key).await;
        let mut ch = h.channel_open_session().await.unwrap();
        ch.exec(
            true,
            "while read -r line; do echo \"got $line\"; done; echo bye",
        )
        .await
        .unwrap();
        for word in ["one", "two"] {
            ch.data(format!("{word}\n").as_bytes()).await.unwrap();
            // The answer arrives while stdin is still open.
            let mut got = Vec::new();
            while !got.ends_with(b"\n") {
                match ch.wait().await {
                    Some(ChannelMsg::Data { data }) => got.extend_from_slice(&data),
                    Some(_) => {}
                    None => panic!("channel ended before answering {word}"),
                }
            }
            assert_eq!(String::from_utf8_lossy(&got), format!("got {word}\n"));
        }
        ch.eof().await.unwrap();
        let rest = drain(&mut ch).await;
        assert_eq!(rest.stdout, "bye\n");
        assert_eq!(rest.status, Some(0));
    })
    .await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn harness_rejects_other_keys() {
    let dir = tempfile::tempdir().unwrap();
    let key = ClientKey::generate(dir.path(), "id_ed25519");
    let other = ClientKey::generate(dir.path(), "id_other");
    let mut server = TestServer::start(ServerOptions::accepting(&key)).await;
    bounded("harness auth", async {
        let config = Arc::new(client::Config::default());
        let pinned = Pinned(server.host_public_key().clone());
        let mut h = client::connect(config, server.addr(), pinned)
            .await
            .unwrap();
        assert!(
            !authenticate(&mut h, &other).await,
            "an unknown key is rejected"
        );
        assert!(
            authenticate(&mut h, &key).await,
            "the configured key still works"
        );
    })
    .await;
    assert_eq!(server.authenticated(), 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn harness_stop_cuts_live_connections_and_restart_reuses_port_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let key = ClientKey::generate(dir.path(), "id_ed25519");
    let mut server = TestServer::start(ServerOptions::accepting(&key)).await;
    let port = server.port();
    bounded("harness stop/restart", async {
        let h = raw_connect(&server, &key).await;
        // A command that would run forever: stop must end it and the connection.
        let mut ch = h.channel_open_session().await.unwrap();
        ch.exec(true, "while :; do sleep 1; done").await.unwrap();
        server.stop().await;
        assert!(!server.is_running());
        // The channel ends without an exit status, and the session is gone.
        let out = drain(&mut ch).await;
        assert_eq!(out.status, None);
        let gone = tokio::time::timeout(Duration::from_secs(10), async {
            while !h.is_closed() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;
        assert!(gone.is_ok(), "the client notices the connection died");
        assert!(
            tokio::net::TcpStream::connect(server.addr()).await.is_err(),
            "nothing listens after stop"
        );

        server.restart().await;
        assert_eq!(server.port(), port);
        // Same host key: the pinned client connects again.
        let h2 = raw_connect(&server, &key).await;
        assert_eq!(raw_exec(&h2, "echo again").await.stdout, "again\n");
    })
    .await;
    assert_eq!(server.accepted(), 2);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn harness_direct_tcpip_reaches_a_second_server() {
    let dir = tempfile::tempdir().unwrap();
    let key = ClientKey::generate(dir.path(), "id_ed25519");
    let mut bastion = TestServer::start(ServerOptions::accepting(&key)).await;
    let mut target = TestServer::start(ServerOptions::accepting(&key)).await;
    target.write_session("t.json", b"from-target");
    bounded("harness jump", async {
        let b = raw_connect(&bastion, &key).await;
        let ch = b
            .channel_open_direct_tcpip("127.0.0.1", u32::from(target.port()), "127.0.0.1", 0)
            .await
            .unwrap();
        let config = Arc::new(client::Config::default());
        let pinned = Pinned(target.host_public_key().clone());
        let mut t = client::connect_stream(config, ch.into_stream(), pinned)
            .await
            .unwrap();
        assert!(authenticate(&mut t, &key).await);
        let out = raw_exec(&t, "cat ~/.claude-sessions/t.json").await;
        assert_eq!(out.stdout, "from-target");
    })
    .await;
    assert_eq!(bastion.direct_tcpip(), 1);
    assert_eq!(bastion.execs(), 0);
    assert_eq!(target.accepted(), 1);
    assert_eq!(target.execs(), 1);
    target.stop().await;
    bastion.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn harness_silent_server_accepts_and_never_speaks() {
    let mut server = TestServer::start(ServerOptions::silent()).await;
    bounded("harness silent", async {
        use tokio::io::AsyncReadExt;
        let mut tcp = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
        let mut buf = [0u8; 16];
        let read = tokio::time::timeout(Duration::from_millis(300), tcp.read(&mut buf)).await;
        assert!(
            read.is_err(),
            "no banner, no EOF: the read is still pending"
        );
    })
    .await;
    assert_eq!(server.accepted(), 1);
    server.stop().await;
}
