//! SSH tests against the in-process russh server (`navi_tests::ssh_server`).
//!
//! The first group checks the harness itself with a bare russh client; the rest drive
//! `navi_source_ssh::SshSource` (pooling, reconnect, hung remote, host keys, jump host,
//! broken and hostile files, auth errors, the conformance suite).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use navi_core::testing::{run_conformance, ConformanceFixture};
use navi_core::{
    Aggregator, DynSessionSource, SessionSource, SourceError, SourceOptions, SourceState,
};
use navi_source_ssh::test_support::RemoteBuilder;
use navi_source_ssh::{JumpHost, Remote, SshSource};
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
        // A process another test forks in this same test binary holds every open
        // descriptor (this listener too) until its exec: a connection may be queued for
        // that moment. Nothing listens once it has passed.
        let mut refused = false;
        for _ in 0..250 {
            if tokio::net::TcpStream::connect(server.addr()).await.is_err() {
                refused = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(refused, "nothing listens after stop");

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

// ---------------------------------------------------------------------------------------
// SshSource against the in-process server.

/// A status file as the hooks write it.
fn status_json(name: &str, status: &str) -> Vec<u8> {
    format!(
        r#"{{"tmux_session":"{name}","status":"{status}","message":"","cwd":"/tmp","timestamp":1764032280}}"#
    )
    .into_bytes()
}

/// A remote on 127.0.0.1:`port` with one key file and its own known_hosts.
fn remote(name: &str, port: u16, key: &Path, known_hosts: &Path, sessions_dir: &str) -> Remote {
    RemoteBuilder::new(name, "127.0.0.1")
        .port(port)
        .user("navi")
        .keys([key])
        .known_hosts(known_hosts)
        .sessions_dir(sessions_dir)
        .poll_interval(Duration::from_secs(1))
        // These tests are about the poll machinery (loop, exec fallback, caps): each
        // poll reads the remote. Push mode is tested against a real sshd (push_real).
        .polling()
        .build()
}

/// A client key, a server that accepts it, and a known_hosts that trusts the server.
struct Setup {
    dir: tempfile::TempDir,
    key: ClientKey,
    server: TestServer,
    known_hosts: PathBuf,
}

impl Setup {
    async fn new() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let key = ClientKey::generate(dir.path(), "id_ed25519");
        let server = TestServer::start(ServerOptions::accepting(&key)).await;
        let known_hosts = dir.path().join("known_hosts");
        server.write_known_hosts(&known_hosts);
        Setup {
            dir,
            key,
            server,
            known_hosts,
        }
    }

    fn remote(&self, name: &str) -> Remote {
        remote(
            name,
            self.server.port(),
            &self.key.path,
            &self.known_hosts,
            "~/.claude-sessions",
        )
    }
}

fn names<S: std::borrow::Borrow<navi_core::SessionInfo>>(sessions: &[S]) -> Vec<String> {
    let mut v: Vec<String> = (sessions.iter())
        .map(|s| s.borrow().tmux_session.clone())
        .collect();
    v.sort();
    v
}

fn expect_err(result: Result<Vec<navi_core::SessionInfo>, SourceError>, what: &str) -> SourceError {
    match result {
        Ok(s) => panic!("{what}: the poll succeeded with {:?}", names(&s)),
        Err(e) => e,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pooling_twenty_polls_use_one_connection() {
    let mut s = Setup::new().await;
    s.server
        .write_session("api.json", &status_json("api", "working"));
    s.server
        .write_session("web.json", &status_json("web", "waiting"));
    let source = SshSource::new(s.remote("dev"));
    bounded("20 polls", async {
        for i in 0..20 {
            let sessions = source
                .poll()
                .await
                .unwrap_or_else(|e| panic!("poll {i}: {e}"));
            assert_eq!(names(&sessions), ["api", "web"], "poll {i}");
        }
    })
    .await;
    assert_eq!(s.server.accepted(), 1, "one TCP connection for 20 polls");
    assert_eq!(
        s.server.authenticated(),
        1,
        "one authentication for 20 polls"
    );
    assert_eq!(
        s.server.execs(),
        1,
        "the polls share one long-lived channel, not an exec each"
    );
    assert_eq!(source.connections_opened(), 1);
    drop(source);
    s.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_host_key_is_refused_before_authenticating() {
    let mut s = Setup::new().await;
    s.server
        .write_session("api.json", &status_json("api", "working"));
    // known_hosts holds another key for the same [127.0.0.1]:PORT.
    let impostor = navi_tests::ssh_server::random_key();
    let line = navi_tests::ssh_server::known_hosts_entry(s.server.port(), impostor.public_key());
    std::fs::write(&s.known_hosts, format!("{line}\n")).unwrap();
    let source = SshSource::new(s.remote("dev"));
    let err = expect_err(bounded("changed key", source.poll()).await, "changed key");
    assert_eq!(err.kind(), "host-key", "{err}");
    assert!(
        err.to_string().to_lowercase().contains("changed"),
        "the message says the key changed: {err}"
    );
    assert_eq!(
        s.server.authenticated(),
        0,
        "no credentials offered to an impostor"
    );
    drop(source);
    s.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_host_is_refused_with_fingerprint_and_trust_hint() {
    let mut s = Setup::new().await;
    std::fs::write(&s.known_hosts, "").unwrap();
    let fingerprint = s
        .server
        .host_public_key()
        .fingerprint(russh::keys::HashAlg::Sha256)
        .to_string();
    let source = SshSource::new(s.remote("dev"));
    let err = expect_err(bounded("unknown host", source.poll()).await, "unknown host");
    assert_eq!(err.kind(), "host-key", "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains(&fingerprint),
        "message has {fingerprint}: {msg}"
    );
    assert!(
        msg.contains("navi remotes trust"),
        "message says what to do: {msg}"
    );
    assert_eq!(s.server.authenticated(), 0);

    // A known_hosts file that does not exist at all is the same case.
    let mut missing = s.remote("dev");
    missing.known_hosts = s.dir.path().join("no-such-known_hosts");
    let source = SshSource::new(missing);
    let err = expect_err(
        bounded("no known_hosts", source.poll()).await,
        "no known_hosts",
    );
    assert_eq!(err.kind(), "host-key", "{err}");
    assert!(err.to_string().contains(&fingerprint), "{err}");
    drop(source);
    s.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_key_is_an_auth_error() {
    let mut s = Setup::new().await;
    let other = ClientKey::generate(s.dir.path(), "id_other");
    let mut r = s.remote("dev");
    r.keys = vec![other.path.clone()];
    let source = SshSource::new(r);
    let err = expect_err(bounded("rejected key", source.poll()).await, "rejected key");
    assert_eq!(err.kind(), "auth", "{err}");
    assert_eq!(s.server.authenticated(), 0);
    assert_eq!(s.server.execs(), 0);
    drop(source);
    s.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_key_file_is_an_auth_error_naming_the_path() {
    let mut s = Setup::new().await;
    let missing = s.dir.path().join("no_such_key");
    let mut r = s.remote("dev");
    r.keys = vec![missing.clone()];
    let source = SshSource::new(r);
    let err = expect_err(bounded("missing key", source.poll()).await, "missing key");
    assert_eq!(err.kind(), "auth", "{err}");
    assert!(
        err.to_string().contains(missing.to_str().unwrap()),
        "the message names {}: {err}",
        missing.display()
    );
    drop(source);
    s.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_file_in_the_middle_costs_only_itself() {
    let mut s = Setup::new().await;
    s.server
        .write_session("a.json", &status_json("a", "working"));
    s.server
        .write_session("b.json", b"\x00\x01{{{ not json \xff\xfe");
    s.server.write_session("c.json", &status_json("c", "done"));
    let source = SshSource::new(s.remote("dev"));
    let report = bounded("broken file", source.poll_report())
        .await
        .unwrap_or_else(|e| panic!("poll: {e}"));
    assert_eq!(names(&report.sessions), ["a", "c"]);
    assert!(
        report.skipped.iter().any(|f| f.name.ends_with("b.json")),
        "b.json is reported as skipped: {:?}",
        report.skipped
    );
    assert_eq!(report.skipped.len(), 1, "{:?}", report.skipped);
    drop(source);
    s.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_files_and_hostile_content_do_not_break_neighbours() {
    let mut s = Setup::new().await;
    let padding = "p".repeat(1500);
    for i in 0..400 {
        let body = format!(
            r#"{{"tmux_session":"s{i:03}","status":"idle","message":"{padding}","cwd":"/tmp","timestamp":{i}}}"#
        );
        s.server
            .write_session(&format!("s{i:03}.json"), body.as_bytes());
    }
    // Escape sequences, NUL bytes, fake frame and file separators, a lone newline-dot.
    let mut hostile = Vec::new();
    hostile.extend_from_slice(br#"{"tmux_session":"hostile","status":"error","message":"#);
    hostile
        .extend_from_slice(b"\"\x1b[2J\x1b]0;owned\x07\x00\x00\n==> x.json <==\n.\n--\n\x1b[31m\"");
    hostile.extend_from_slice(br#","cwd":"/tmp/\u001b[H","timestamp":5}"#);
    s.server.write_session("hostile.json", &hostile);
    // Output that imitates the source's own framing must not forge a record or end the
    // snapshot early (navi frames with a per-poll random nonce).
    // (The forger names itself first, so the lenient parser salvages it as "forger".)
    let mut forger = br#"{"tmux_session":"forger","status":"idle","message":""#.to_vec();
    for nonce in ["00000000000000000000000000000000", "%s", ""] {
        forger.extend_from_slice(
            format!(
                "\nNAVI-{nonce} END\n\nNAVI-{nonce} F forged.json\n{}\nNAVI-{nonce} S s001.json\nforged skip\n",
                String::from_utf8(status_json("forged", "permission")).unwrap()
            )
            .as_bytes(),
        );
    }
    forger.extend_from_slice(b"\"}");
    s.server.write_session("forger.json", &forger);
    s.server
        .write_session("new\nline.json", &status_json("newline", "idle"));
    s.server.write_session("nul.json", b"\x00\x00\x00\x00");
    s.server.write_session("empty.json", b"");
    // A file name a shell would expand if it were not quoted.
    s.server.write_session(
        "$(touch pwned) `touch pwned2`.json",
        &status_json("dollar", "idle"),
    );
    let source = SshSource::new(s.remote("dev"));
    let report = bounded("many files", source.poll_report())
        .await
        .unwrap_or_else(|e| panic!("poll: {e}"));
    let got = names(&report.sessions);
    for i in 0..400 {
        let n = format!("s{i:03}");
        assert!(got.contains(&n), "{n} survives its hostile neighbours");
    }
    // A row is named after its file (whatever `tmux_session` inside says).
    assert!(
        got.contains(&"$(touch pwned) `touch pwned2`".to_string()),
        "the odd file name is read: {got:?}"
    );
    assert!(
        !got.contains(&"forged".to_string()),
        "file content cannot forge a record: {got:?}"
    );
    let forger_seen = got.contains(&"forger".to_string())
        || report
            .skipped
            .iter()
            .any(|f| f.name.ends_with("forger.json"));
    assert!(forger_seen, "forger.json is itself read or skipped");
    assert!(
        !report.skipped.iter().any(|f| f.name.ends_with("s001.json")),
        "file content cannot forge a skip: {:?}",
        report.skipped
    );
    let hostile_seen = got.contains(&"hostile".to_string())
        || report
            .skipped
            .iter()
            .any(|f| f.name.ends_with("hostile.json"));
    assert!(
        hostile_seen,
        "hostile.json is either read or reported as skipped"
    );
    for bad in ["nul.json", "empty.json"] {
        assert!(
            report.skipped.iter().any(|f| f.name.ends_with(bad)),
            "{bad} is reported as skipped: {:?}",
            report.skipped
        );
    }
    let full = report
        .sessions
        .iter()
        .find(|x| x.tmux_session == "s123")
        .map(|x| x.message.len());
    assert_eq!(full, Some(1500), "a 1.5 KB message arrives whole");
    assert!(
        !s.server.home().join("pwned").exists(),
        "file names never reach a shell unquoted"
    );
    assert!(!s.server.sessions_dir().join("pwned").exists());
    assert!(!s.server.home().join("pwned2").exists());
    drop(source);
    s.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_dir_with_spaces_and_tilde() {
    let mut s = Setup::new().await;
    let dir = s.server.home().join("my sessions");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("x.json"), status_json("x", "permission")).unwrap();
    let mut r = s.remote("dev");
    r.sessions_dir = "~/my sessions".into();
    let source = SshSource::new(r);
    let sessions = bounded("spaced dir", source.poll()).await.unwrap();
    assert_eq!(names(&sessions), ["x"]);

    // A directory that does not exist is an empty remote, not a failure.
    let mut r = s.remote("dev");
    r.sessions_dir = "~/nowhere".into();
    let source = SshSource::new(r);
    let report = bounded("missing dir", source.poll_report()).await.unwrap();
    assert!(report.sessions.is_empty());
    assert_eq!(
        report.note.map(|n| n.to_string()).as_deref(),
        Some("~/nowhere does not exist on dev (`navi remotes setup dev` creates it)"),
        "the note names the remote and what creates the directory"
    );
    drop(source);
    s.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jump_host_forwards_to_the_target_over_one_connection_each() {
    let dir = tempfile::tempdir().unwrap();
    let key = ClientKey::generate(dir.path(), "id_ed25519");
    let mut bastion = TestServer::start(ServerOptions::accepting(&key)).await;
    let mut target = TestServer::start(ServerOptions::accepting(&key)).await;
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
    let mut r = remote(
        "staging",
        target.port(),
        &key.path,
        &known_hosts,
        "~/.claude-sessions",
    );
    r.jump = Some(JumpHost {
        host: "127.0.0.1".into(),
        port: bastion.port(),
        user: "jumper".into(),
        keys: Vec::new(),
    });
    let source = SshSource::new(r);
    bounded("jump polls", async {
        for i in 0..5 {
            let sessions = source
                .poll()
                .await
                .unwrap_or_else(|e| panic!("poll {i} through the jump host: {e}"));
            assert_eq!(
                names(&sessions),
                ["deep"],
                "the target's sessions, not the bastion's"
            );
        }
    })
    .await;
    assert_eq!(bastion.accepted(), 1, "one connection to the bastion");
    assert_eq!(bastion.direct_tcpip(), 1, "one tunnel through it");
    assert_eq!(bastion.execs(), 0, "nothing runs on the bastion");
    assert_eq!(target.accepted(), 1, "one connection to the target");
    assert_eq!(source.connections_opened(), 1);
    drop(source);
    target.stop().await;
    bastion.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hung_remote_costs_only_its_own_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let key = ClientKey::generate(dir.path(), "id_ed25519");
    let mut healthy = TestServer::start(ServerOptions::accepting(&key)).await;
    healthy.write_session("api.json", &status_json("api", "working"));
    healthy.write_session("web.json", &status_json("web", "idle"));
    let mut silent = TestServer::start(ServerOptions::silent()).await;
    let known_hosts = dir.path().join("known_hosts");
    std::fs::write(
        &known_hosts,
        format!(
            "{}\n{}\n",
            healthy.known_hosts_line(),
            silent.known_hosts_line()
        ),
    )
    .unwrap();
    let hung_timeout = Duration::from_millis(1500);
    let mut hung_remote = remote(
        "hung",
        silent.port(),
        &key.path,
        &known_hosts,
        "~/.claude-sessions",
    );
    hung_remote.timeout = hung_timeout;
    let good_remote = remote(
        "good",
        healthy.port(),
        &key.path,
        &known_hosts,
        "~/.claude-sessions",
    );
    let good_timeout = good_remote.timeout;

    let mut agg = Aggregator::new();
    agg.add_source(
        Arc::new(SshSource::new(hung_remote)),
        SourceOptions {
            timeout: hung_timeout,
            interval: Duration::from_millis(200),
        },
    );
    agg.add_source(
        Arc::new(SshSource::new(good_remote)),
        SourceOptions {
            timeout: good_timeout,
            interval: Duration::from_millis(200),
        },
    );
    let snap = tokio::time::timeout(good_timeout + Duration::from_secs(10), agg.poll_once())
        .await
        .expect("poll_once returns within the largest timeout");
    let hung = &snap.sources[0];
    assert_eq!(hung.name.as_deref(), Some("hung"));
    assert_eq!(hung.state, SourceState::Unavailable);
    assert_eq!(
        hung.reason.as_ref().map(SourceError::kind),
        Some("timeout"),
        "{:?}",
        hung.reason
    );
    let good = &snap.sources[1];
    assert_eq!(good.state, SourceState::Connected, "{:?}", good.reason);
    assert_eq!(good.sessions, 2);
    let good_sessions: Vec<&str> = snap
        .sessions
        .iter()
        .filter(|x| x.remote.as_deref() == Some("good"))
        .map(|x| x.tmux_session.as_str())
        .collect();
    assert_eq!(good_sessions.len(), 2, "{good_sessions:?}");
    assert!(silent.accepted() >= 1, "the hung remote was dialled");

    // The same in continuous mode: the healthy remote is shown while the other hangs.
    let handle = agg.spawn();
    let mut rx = handle.subscribe();
    let settled = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            {
                let snap = rx.borrow_and_update().clone();
                let good = &snap.sources[1];
                let hung = &snap.sources[0];
                if good.state == SourceState::Connected
                    && good.consecutive_failures == 0
                    && good.sessions == 2
                    && hung.state == SourceState::Unavailable
                    && hung.consecutive_failures >= 2
                {
                    return snap;
                }
            }
            if rx.changed().await.is_err() {
                panic!("the aggregator stopped");
            }
        }
    })
    .await
    .expect("the healthy remote stays connected while the hung one keeps timing out");
    assert_eq!(
        settled.sources[0].reason.as_ref().map(SourceError::kind),
        Some("timeout")
    );
    drop(handle);
    silent.stop().await;
    healthy.stop().await;
}

/// The conformance suite over SSH: each fixture is a fresh server whose
/// `~/.claude-sessions` holds exactly the given files.
struct SshFixture {
    dir: tempfile::TempDir,
    key: ClientKey,
    servers: std::sync::Mutex<Vec<TestServer>>,
}

#[async_trait]
impl ConformanceFixture for SshFixture {
    async fn source_with(&self, files: &[(String, Vec<u8>)]) -> DynSessionSource {
        let server = TestServer::start(ServerOptions::accepting(&self.key)).await;
        for (name, bytes) in files {
            server.write_session(name, bytes);
        }
        let known_hosts = self
            .dir
            .path()
            .join(format!("known_hosts-{}", server.port()));
        server.write_known_hosts(&known_hosts);
        // Push mode, as users run it: the suite also checks that a written file wakes
        // `wait_change` (a polling source never wakes it, by contract).
        let r = RemoteBuilder::new("conformance", "127.0.0.1")
            .port(server.port())
            .user("navi")
            .keys([&self.key.path])
            .known_hosts(&known_hosts)
            .sessions_dir("~/.claude-sessions")
            .poll_interval(Duration::from_secs(1))
            .build();
        self.servers.lock().unwrap().push(server);
        Arc::new(SshSource::new(r))
    }

    async fn write(&self, name: &str, bytes: &[u8]) -> bool {
        let servers = self.servers.lock().unwrap();
        let Some(server) = servers.last() else {
            return false;
        };
        server.write_session(name, bytes);
        true
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssh_source_passes_the_conformance_suite() {
    let dir = tempfile::tempdir().unwrap();
    let key = ClientKey::generate(dir.path(), "id_ed25519");
    let fixture = SshFixture {
        dir,
        key,
        servers: std::sync::Mutex::new(Vec::new()),
    };
    bounded("conformance", run_conformance(&fixture)).await;
    let servers = std::mem::take(&mut *fixture.servers.lock().unwrap());
    assert!(!servers.is_empty());
    for mut server in servers {
        assert!(
            server.accepted() <= 1,
            "each fixture source used one connection"
        );
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnects_after_the_server_comes_back_on_the_same_port() {
    let mut s = Setup::new().await;
    s.server
        .write_session("api.json", &status_json("api", "working"));
    let mut r = s.remote("dev");
    r.timeout = Duration::from_secs(3);
    let source = Arc::new(SshSource::new(r));
    let options = SourceOptions {
        timeout: Duration::from_secs(3),
        interval: Duration::from_millis(100),
    };
    let mut agg = Aggregator::new().with_source(source.clone(), options);
    let snap = bounded("first poll", agg.poll_once()).await;
    assert_eq!(
        snap.sources[0].state,
        SourceState::Connected,
        "{:?}",
        snap.sources[0].reason
    );
    assert_eq!(snap.sessions.len(), 1);

    s.server.stop().await;
    let snap = bounded("poll while down", agg.poll_once()).await;
    let health = &snap.sources[0];
    assert_eq!(health.state, SourceState::Unavailable);
    let reason = health
        .reason
        .clone()
        .expect("an unavailable remote says why");
    assert!(
        ["disconnected", "refused", "timeout"].contains(&reason.kind()),
        "a dead server is reported as lost, refused or timed out: {reason}"
    );
    assert!(!reason.to_string().is_empty());
    assert_eq!(snap.sessions.len(), 1, "the last-known session is kept");
    assert!(snap.sessions[0].stale, "and marked stale");

    s.server.restart().await;
    // The source may back off before dialling again: poll until it is back (bounded).
    let back = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let snap = agg.poll_once().await;
            if snap.sources[0].state == SourceState::Connected {
                return snap;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    })
    .await
    .expect("the same SshSource reconnects once the server is back");
    assert_eq!(back.sessions.len(), 1);
    assert!(!back.sessions[0].stale, "fresh data again");
    assert_eq!(
        s.server.accepted(),
        2,
        "one connection before, one after the restart"
    );
    assert_eq!(source.connections_opened(), 2);
    drop(agg);
    drop(source);
    s.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_past_the_poll_cap_cost_only_themselves_and_the_connection_stays() {
    let mut s = Setup::new().await;
    // 18 files just under the 1 MiB per-file cap: over the 16 MiB per-poll cap together,
    // beside 3 normal sessions.
    let big = format!(
        r#"{{"tmux_session":"big","status":"idle","message":"{}"}}"#,
        "x".repeat(1_000_000)
    );
    for i in 0..18 {
        s.server
            .write_session(&format!("big{i:02}.json"), big.as_bytes());
    }
    for name in ["alpha", "mid", "zulu"] {
        s.server
            .write_session(&format!("{name}.json"), &status_json(name, "working"));
    }
    let source = SshSource::new(s.remote("dev"));
    let report = bounded("over the cap", source.poll_report())
        .await
        .unwrap_or_else(|e| panic!("the poll keeps what fits: {e}"));
    let got = names(&report.sessions);
    for name in ["alpha", "mid", "zulu"] {
        assert!(got.contains(&name.to_string()), "{name} kept: {got:?}");
    }
    let bigs = got.iter().filter(|n| n.starts_with("big")).count();
    assert!(bigs >= 14, "the big files that fit arrive: {bigs}");
    assert_eq!(bigs + report.skipped.len(), 18, "every file accounted for");
    assert!(
        report.skipped.iter().all(|k| k.reason.contains("cap")),
        "{:?}",
        report.skipped
    );

    for i in 0..18 {
        std::fs::remove_file(s.server.sessions_dir().join(format!("big{i:02}.json"))).unwrap();
    }
    for name in ["alpha", "mid", "zulu"] {
        std::fs::remove_file(s.server.sessions_dir().join(format!("{name}.json"))).unwrap();
    }
    s.server
        .write_session("small.json", &status_json("small", "done"));
    let sessions = bounded("after the cap", source.poll())
        .await
        .unwrap_or_else(|e| panic!("the next poll works again: {e}"));
    assert_eq!(names(&sessions), ["small"]);
    assert_eq!(
        s.server.accepted(),
        1,
        "the connection survived the oversize poll"
    );
    drop(source);
    s.server.stop().await;
}

/// Two dashboards (two sources, two connections) on one in-process server: a tag set
/// through one is in the other's next poll, and tags added by both at once all land.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn marks_written_through_one_source_are_read_by_the_other() {
    use navi_core::{Action, MarkOp};
    let setup = Setup::new().await;
    setup
        .server
        .write_session("api.json", &status_json("api", "working"));
    let (a, b) = (
        SshSource::new(setup.remote("a")),
        SshSource::new(setup.remote("b")),
    );
    let tag = |t: String| Action::Mark {
        ops: vec![MarkOp::AddTag(t)],
    };
    a.act("api", &tag("one".into())).await.unwrap();
    let seen = b.poll().await.unwrap();
    assert_eq!(seen[0].marks.tags, ["one"]);
    tokio::join!(
        async {
            for i in 0..4 {
                a.act("api", &tag(format!("a{i}"))).await.unwrap();
            }
        },
        async {
            for i in 0..4 {
                b.act("api", &tag(format!("b{i}"))).await.unwrap();
            }
        }
    );
    let tags = a.poll().await.unwrap()[0].marks.tags.clone();
    assert_eq!(
        tags,
        ["a0", "a1", "a2", "a3", "b0", "b1", "b2", "b3", "one"]
    );
    let listed: Vec<_> = std::fs::read_dir(setup.server.sessions_dir())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
        .collect();
    assert_eq!(listed.len(), 1, "the hooks' glob sees no new file");
}
