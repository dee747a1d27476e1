//! The user's `~/.ssh` read as OpenSSH reads it, against real OpenSSH sshds on
//! 127.0.0.1: multi-hop `ProxyJump` (every hop its own key, host key and login), one
//! login per host however many remotes reach it, `IdentitiesOnly` and `IdentityAgent`
//! with a real ssh-agent, `ConnectTimeout`, and a connection whose peer vanishes
//! without a FIN (a black-holing proxy) detected by `ServerAliveInterval` keepalives.
//! Real-sshd tests skip (with a message) without `/usr/sbin/sshd`, unless
//! `NAVI_REQUIRE_SSHD=1`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use navi_core::{Aggregator, SessionInfo, SessionSource, SourceState};
use navi_source_ssh::{load_remotes_from_str, Env, LoadedRemotes, Remote, SshSource};
use navi_tests::blackhole::BlackHoleProxy;
use navi_tests::sshd::{self, Sshd};

fn status_json(name: &str) -> Vec<u8> {
    format!(
        r#"{{"tmux_session":"{name}","status":"idle","message":"","cwd":"/tmp","timestamp":1764032280}}"#
    )
    .into_bytes()
}

fn names<S: std::borrow::Borrow<SessionInfo>>(sessions: &[S]) -> Vec<String> {
    let mut v: Vec<String> = (sessions.iter())
        .map(|s| s.borrow().tmux_session.clone())
        .collect();
    v.sort();
    v
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn block_on_bounded<F: std::future::Future>(what: &str, f: F) -> F::Output {
    runtime().block_on(async {
        tokio::time::timeout(Duration::from_secs(60), f)
            .await
            .unwrap_or_else(|_| panic!("{what}: did not finish within 60s"))
    })
}

/// A scratch home with `.ssh/config` = `config` and `remotes.yaml` = `yaml`, loaded.
fn load(home: &Path, config: &str, yaml: &str) -> LoadedRemotes {
    std::fs::create_dir_all(home.join(".ssh")).unwrap();
    let path = home.join(".ssh/config");
    std::fs::write(&path, config).unwrap();
    let env = Env {
        home: Some(home.to_path_buf()),
        ssh_config: Some(path),
        user: Some(sshd::current_user()),
    };
    load_remotes_from_str(&home.join("remotes.yaml"), yaml, &env)
}

fn remote<'a>(loaded: &'a LoadedRemotes, name: &str) -> &'a Remote {
    loaded
        .remotes
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no remote {name}: {:?}", loaded.errors))
}

/// A `Host` block for an sshd on 127.0.0.1.
fn host_block(alias: &str, server: &Sshd, key: &Path, extra: &str) -> String {
    format!(
        "Host {alias}\n  HostName 127.0.0.1\n  Port {}\n  User {}\n  IdentityFile {}\n{extra}\n",
        server.port(),
        sshd::current_user(),
        key.display()
    )
}

/// `ProxyJump outer,inner`: navi logs into outer, reaches inner through it, the target
/// through inner, each hop with its own key (and each sshd only accepts that key), each
/// host key checked under its own port. The attach command (system ssh, one nested
/// ProxyCommand per hop) gets there too.
#[test]
fn real_sshd_multi_hop_proxy_jump_logs_into_every_hop_with_its_own_key() {
    if !sshd::sshd_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let ssh = home.join(".ssh");
    std::fs::create_dir_all(ssh.join("conf.d")).unwrap();
    let (outer_key, inner_key, target_key) =
        (ssh.join("outer"), ssh.join("inner"), ssh.join("target"));
    let outer = Sshd::start(&[&sshd::keygen(&outer_key, "")]);
    let inner = Sshd::start(&[&sshd::keygen(&inner_key, "")]);
    let target = Sshd::start(&[&sshd::keygen(&target_key, "")]);
    target.write_session("deep.json", &status_json("deep"));
    inner.write_session("wrong.json", &status_json("wrong"));
    let kh = ssh.join("known_hosts");
    std::fs::write(
        &kh,
        format!(
            "{}\n{}\n{}\n",
            outer.known_hosts_line(),
            inner.known_hosts_line(),
            target.known_hosts_line()
        ),
    )
    .unwrap();
    // The hops live in an included file (relative to ~/.ssh, a glob).
    std::fs::write(
        ssh.join("conf.d/hops.conf"),
        format!(
            "{}{}",
            host_block("outer", &outer, &outer_key, ""),
            host_block("inner", &inner, &inner_key, "")
        ),
    )
    .unwrap();
    let config = format!(
        "Include conf.d/*.conf\n{}Host *\n  UserKnownHostsFile {}\n  StrictHostKeyChecking yes\n  BatchMode yes\n  IdentitiesOnly yes\n",
        host_block("deep", &target, &target_key, "  ProxyJump outer,inner"),
        kh.display()
    );
    let yaml = format!(
        "remotes:\n  - name: deep\n    host: deep\n    sessions_dir: {}\n",
        target.sessions_dir().display()
    );
    let loaded = load(home, &config, &yaml);
    assert_eq!(loaded.errors, vec![]);
    let r = remote(&loaded, "deep").clone();
    assert_eq!(r.jump.as_ref().map(|j| j.port), Some(outer.port()));
    assert_eq!(r.further_jumps.len(), 1);
    assert_eq!(r.further_jumps[0].port, inner.port());
    assert_eq!(r.further_jumps[0].keys, vec![inner_key.clone()]);

    // Attaching goes the same way: one nested ProxyCommand per hop, run by the system
    // ssh (here with `echo` instead of tmux).
    let mut argv = navi_source_ssh::attach_argv(&r, "deep", None).unwrap().argv;
    argv.retain(|a| a != "-t");
    argv.pop();
    argv.push("echo attached-through-two-hops".into());
    argv.splice(1..1, ["-o".to_string(), "BatchMode=yes".to_string()]);
    let out = Command::new(&argv[0])
        .args(&argv[1..])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "attach argv {argv:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "attached-through-two-hops\n"
    );
    let logins_by_attach = [1, 1, 1];
    // The scan below logs into the outer hop only (on its own runtime, so its link is
    // not the one the polls use).
    let logins_by_scan = [1, 0, 0];

    // `navi remotes trust`: with the inner hop's key missing from known_hosts, the
    // scan goes through the (trusted) outer hop and hands back the inner hop's key.
    let mut untrusted = r.clone();
    let kh_partial = ssh.join("known_hosts_partial");
    std::fs::write(
        &kh_partial,
        format!(
            "{}\n{}\n",
            outer.known_hosts_line(),
            target.known_hosts_line()
        ),
    )
    .unwrap();
    untrusted.known_hosts = kh_partial;
    let scanned = block_on_bounded("scan through a hop", async {
        navi_source_ssh::scan_host_key(&untrusted).await
    })
    .unwrap_or_else(|e| panic!("{e}\nouter:\n{}", outer.log()));
    assert!(scanned.is_jump_host);
    assert_eq!(scanned.port, inner.port(), "the first untrusted hop's key");
    assert_eq!(
        scanned.status,
        navi_source_ssh::HostKeyStatus::Unknown,
        "{scanned:?}"
    );
    assert!(inner.host_public_key().contains(
        &scanned
            .known_hosts_line
            .split_whitespace()
            .nth(2)
            .unwrap()
            .to_string()
    ));

    let source = SshSource::new(r);
    block_on_bounded("polls through two hops", async {
        for i in 0..3 {
            let sessions = source.poll().await.unwrap_or_else(|e| {
                panic!(
                    "poll {i}: {e}\nouter:\n{}\ninner:\n{}\ntarget:\n{}",
                    outer.log(),
                    inner.log(),
                    target.log()
                )
            });
            assert_eq!(names(&sessions), ["deep"]);
        }
    });
    for (i, (what, server)) in [("outer", &outer), ("inner", &inner), ("target", &target)]
        .into_iter()
        .enumerate()
    {
        assert_eq!(
            server.accepted_publickey(),
            1 + logins_by_attach[i] + logins_by_scan[i],
            "{what}: one login for every poll, one for the attach, one for the scan: {}",
            server.log()
        );
    }
    assert_eq!(source.connections_opened(), 1);
}

/// Two remotes behind one bastion, and the bastion itself configured as a remote: after
/// polls of all three (at once, then again), the bastion logged ONE login.
#[test]
fn real_sshd_one_login_per_host_for_a_shared_bastion_that_is_also_a_remote() {
    if !sshd::sshd_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let key = home.join("id_ed25519");
    let public = sshd::keygen(&key, "");
    let bastion = Sshd::start(&[&public]);
    let one = Sshd::start(&[&public]);
    let two = Sshd::start(&[&public]);
    bastion.write_session("gate.json", &status_json("gate"));
    one.write_session("one.json", &status_json("one"));
    two.write_session("two.json", &status_json("two"));
    let kh = home.join("known_hosts");
    std::fs::write(
        &kh,
        format!(
            "{}\n{}\n{}\n",
            bastion.known_hosts_line(),
            one.known_hosts_line(),
            two.known_hosts_line()
        ),
    )
    .unwrap();
    let config = format!(
        "{}{}{}Host *\n  UserKnownHostsFile {}\n",
        host_block("gate", &bastion, &key, ""),
        host_block("one", &one, &key, "  ProxyJump gate"),
        host_block("two", &two, &key, "  ProxyJump gate"),
        kh.display()
    );
    let yaml = format!(
        "remotes:\n  - name: gate\n    host: gate\n    sessions_dir: {}\n  \
         - name: one\n    host: one\n    sessions_dir: {}\n  \
         - name: two\n    host: two\n    sessions_dir: {}\n",
        bastion.sessions_dir().display(),
        one.sessions_dir().display(),
        two.sessions_dir().display()
    );
    let loaded = load(home, &config, &yaml);
    assert_eq!(loaded.errors, vec![]);
    let sources: Vec<Arc<SshSource>> = ["gate", "one", "two"]
        .iter()
        .map(|n| Arc::new(SshSource::new(remote(&loaded, n).clone())))
        .collect();
    block_on_bounded("three remotes, one bastion", async {
        let mut agg = Aggregator::new();
        for s in &sources {
            agg = agg.with_source(s.clone(), navi_core::testing::OPTIONS);
        }
        for round in 0..3 {
            let snap = agg.poll_once().await;
            for h in &snap.sources {
                assert_eq!(
                    h.state,
                    SourceState::Connected,
                    "round {round}: {:?} {:?}\nbastion log:\n{}",
                    h.name,
                    h.reason,
                    bastion.log()
                );
            }
            let mut all: Vec<String> = snap
                .sessions
                .iter()
                .map(|s| s.tmux_session.clone())
                .collect();
            all.sort();
            assert_eq!(all, ["gate", "one", "two"], "round {round}");
        }
    });
    assert_eq!(
        bastion.accepted_publickey(),
        1,
        "one login on the bastion for three remotes; log:\n{}",
        bastion.log()
    );
    assert_eq!(one.accepted_publickey(), 1, "{}", one.log());
    assert_eq!(two.accepted_publickey(), 1, "{}", two.log());
}

/// A connection whose peer goes silent without a FIN is found dead by keepalives
/// (`ServerAliveInterval 1`, `ServerAliveCountMax 2` from ~/.ssh/config): the poll
/// that meets it errors within its timeout, and once the path is back a later poll
/// reconnects.
#[test]
fn real_sshd_black_holed_connection_is_detected_and_replaced() {
    if !sshd::sshd_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let key = home.join("id_ed25519");
    let server = Sshd::start(&[&sshd::keygen(&key, "")]);
    server.write_session("api.json", &status_json("api"));
    let rt = runtime();
    let proxy = rt.block_on(BlackHoleProxy::start(
        format!("127.0.0.1:{}", server.port()).parse().unwrap(),
    ));
    let kh = home.join("known_hosts");
    // The host key as seen on the proxy's port.
    let line = server.known_hosts_line().replacen(
        &format!(":{} ", server.port()),
        &format!(":{} ", proxy.port()),
        1,
    );
    std::fs::write(&kh, format!("{line}\n")).unwrap();
    let config = format!(
        "Host flaky\n  HostName 127.0.0.1\n  Port {}\n  IdentityFile {}\n  UserKnownHostsFile {}\n  \
         ServerAliveInterval 1\n  ServerAliveCountMax 2\n",
        proxy.port(),
        key.display(),
        kh.display()
    );
    let yaml = format!(
        // Polling: each poll must reach the remote (push mode notices a silent remote by
        // its heartbeat; push_real tests that).
        "remotes:\n  - name: flaky\n    host: flaky\n    timeout: 5\n    push: false\n    sessions_dir: {}\n",
        server.sessions_dir().display()
    );
    let loaded = load(home, &config, &yaml);
    assert_eq!(loaded.errors, vec![]);
    let r = remote(&loaded, "flaky").clone();
    assert_eq!(r.options.server_alive_interval, Duration::from_secs(1));
    assert_eq!(r.options.server_alive_count_max, 2);
    let timeout = r.timeout;
    let source = SshSource::new(r);
    rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(30), async {
            let first = source
                .poll()
                .await
                .unwrap_or_else(|e| panic!("{e}\n{}", server.log()));
            assert_eq!(names(&first), ["api"]);
            assert!(source.is_connected());

            proxy.set_black_hole(true);
            let started = Instant::now();
            let err = navi_core::bounded_poll(&source, timeout)
                .await
                .expect_err("nothing can answer through a black hole");
            let took = started.elapsed();
            assert!(
                took <= timeout + Duration::from_millis(500),
                "the poll ends within its timeout ({timeout:?}), took {took:?}: {err}"
            );
            // Keepalives: 1 s idle, 2 unanswered, dead at the next interval (~3 s).
            let detect_by = started + Duration::from_secs(5);
            while source.is_connected() && Instant::now() < detect_by {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            assert!(
                !source.is_connected(),
                "keepalives found the silent connection dead within ~3 s"
            );

            proxy.set_black_hole(false);
            source.retry_now();
            let back_by = Instant::now() + Duration::from_secs(12);
            let sessions = loop {
                match navi_core::bounded_poll(&source, timeout).await {
                    Ok(s) => break s,
                    Err(e) if Instant::now() > back_by => {
                        panic!("no reconnect after the outage: {e}\n{}", server.log())
                    }
                    Err(_) => tokio::time::sleep(Duration::from_millis(300)).await,
                }
            };
            assert_eq!(names(&sessions.sessions), ["api"]);
        })
        .await
        .expect("black-hole test within 30s");
    });
    assert_eq!(
        server.accepted_publickey(),
        2,
        "one login before the outage, one after: {}",
        server.log()
    );
    assert!(proxy.accepted() >= 2);
    drop(proxy);
}

/// `ConnectTimeout` bounds connecting to a host that accepts TCP and never speaks,
/// well before the remote's own timeout.
#[test]
fn connect_timeout_from_ssh_config_bounds_a_silent_host() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let rt = runtime();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    let silent = rt.spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    let config = format!("Host silent\n  HostName 127.0.0.1\n  Port {port}\n  ConnectTimeout 1\n");
    let loaded = load(
        home,
        &config,
        "remotes:\n  - name: silent\n    host: silent\n    timeout: 20\n",
    );
    assert_eq!(loaded.errors, vec![]);
    let source = SshSource::new(remote(&loaded, "silent").clone());
    let started = Instant::now();
    let err = rt
        .block_on(async { tokio::time::timeout(Duration::from_secs(10), source.poll()).await })
        .expect("ConnectTimeout ends the connect")
        .unwrap_err();
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(4),
        "{took:?}: {err}"
    );
    assert_eq!(err.kind(), "timeout", "{err}");
    assert!(err.to_string().contains("ConnectTimeout"), "{err}");
    silent.abort();
}

/// A running `ssh-agent -D -a SOCK`, killed on drop.
struct Agent {
    child: Child,
    sock: PathBuf,
}

impl Agent {
    fn start(dir: &Path) -> Agent {
        let sock = dir.join("agent.sock");
        let child = Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&sock)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start ssh-agent");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !sock.exists() {
            assert!(
                Instant::now() < deadline,
                "ssh-agent did not create its socket"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Agent { child, sock }
    }

    /// `ssh-add key` (its passphrase, if any, through SSH_ASKPASS).
    fn add(&self, key: &Path, passphrase: &str, dir: &Path) {
        let askpass = dir.join("askpass.sh");
        std::fs::write(&askpass, format!("#!/bin/sh\necho '{passphrase}'\n")).unwrap();
        let mode = std::os::unix::fs::PermissionsExt::from_mode(0o700);
        std::fs::set_permissions(&askpass, mode).unwrap();
        let out = Command::new("ssh-add")
            .arg(key)
            .env("SSH_AUTH_SOCK", &self.sock)
            .env("SSH_ASKPASS", &askpass)
            .env("SSH_ASKPASS_REQUIRE", "force")
            .env("DISPLAY", ":0")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "ssh-add: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `IdentityAgent PATH` names the agent (no SSH_AUTH_SOCK needed); `IdentitiesOnly yes`
/// lets it sign only with the configured keys' keys (an encrypted key file's key held
/// by the agent works, the agent's other keys are not offered); `IdentityAgent none`
/// asks no agent.
#[test]
fn real_sshd_identities_only_and_identity_agent() {
    if !sshd::sshd_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let other = home.join("other_key");
    let locked = home.join("locked_key");
    let unauthorized = home.join("unauthorized_key");
    let other_pub = sshd::keygen(&other, "");
    let locked_pub = sshd::keygen(&locked, "secret");
    sshd::keygen(&unauthorized, "");
    let server = Sshd::start(&[&other_pub, &locked_pub]);
    server.write_session("api.json", &status_json("api"));
    let agent = Agent::start(home);
    agent.add(&other, "", home);
    agent.add(&locked, "secret", home);
    let kh = home.join("known_hosts");
    std::fs::write(&kh, format!("{}\n", server.known_hosts_line())).unwrap();
    let block = |alias: &str, key: &Path, extra: &str| {
        host_block(
            alias,
            &server,
            key,
            &format!(
                "  UserKnownHostsFile {}\n  IdentityAgent {}\n{extra}",
                kh.display(),
                agent.sock.display()
            ),
        )
    };
    let config = format!(
        "{}{}{}{}",
        block("all-agent-keys", &unauthorized, ""),
        block("only-unauthorized", &unauthorized, "  IdentitiesOnly yes\n"),
        block("only-locked", &locked, "  IdentitiesOnly yes\n"),
        host_block(
            "no-agent",
            &server,
            &unauthorized,
            &format!(
                "  UserKnownHostsFile {}\n  IdentityAgent none\n",
                kh.display()
            )
        ),
    );
    let sessions_dir = server.sessions_dir().display().to_string();
    let yaml: String = [
        "all-agent-keys",
        "only-unauthorized",
        "only-locked",
        "no-agent",
    ]
    .iter()
    .fold("remotes:\n".to_string(), |mut y, n| {
        y.push_str(&format!(
            "  - name: {n}\n    host: {n}\n    sessions_dir: {sessions_dir}\n"
        ));
        y
    });
    let loaded = load(home, &config, &yaml);
    assert_eq!(loaded.errors, vec![]);
    let poll = |name: &str| {
        let source = SshSource::new(remote(&loaded, name).clone());
        block_on_bounded(name, async move { source.poll().await })
    };
    let ok = poll("all-agent-keys").unwrap_or_else(|e| panic!("{e}\n{}", server.log()));
    assert_eq!(
        names(&ok),
        ["api"],
        "the agent named by IdentityAgent logs in"
    );
    let ok = poll("only-locked").unwrap_or_else(|e| panic!("{e}\n{}", server.log()));
    assert_eq!(
        names(&ok),
        ["api"],
        "IdentitiesOnly: the agent signs with the configured (encrypted) key's key"
    );
    let err = poll("only-unauthorized").unwrap_err();
    assert_eq!(err.kind(), "auth", "{err}");
    assert!(
        err.to_string().contains("IdentitiesOnly"),
        "the agent's other keys are not offered: {err}"
    );
    let err = poll("no-agent").unwrap_err();
    assert_eq!(
        err.kind(),
        "auth",
        "IdentityAgent none asks no agent: {err}"
    );
    // Two logins, both through the agent; none for the others.
    assert_eq!(server.accepted_publickey(), 2, "{}", server.log());
}

/// A live connection is shared only with remotes that would make the same one: same
/// user, host, port, keys and known_hosts files. A remote whose known_hosts are other
/// files verifies the host itself on its own connection (sharing never skips a host
/// key check). In-process server: counts its logins.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_is_shared_only_by_remotes_that_verify_and_log_in_alike() {
    use navi_tests::ssh_server::{ClientKey, ServerOptions, TestServer};
    tokio::time::timeout(Duration::from_secs(60), async {
        let dir = tempfile::tempdir().unwrap();
        let key = ClientKey::generate(dir.path(), "id_ed25519");
        let server = TestServer::start(ServerOptions::accepting(&key)).await;
        let kh_a = dir.path().join("known_hosts_a");
        let kh_b = dir.path().join("known_hosts_b");
        server.write_known_hosts(&kh_a);
        server.write_known_hosts(&kh_b);
        let make = |name: &str, kh: &Path| {
            let mut r = Remote::new(name, "127.0.0.1");
            r.port = server.port();
            r.user = "navi".into();
            r.keys = vec![key.path.clone()];
            r.known_hosts = kh.to_path_buf();
            r.other_known_hosts = Vec::new();
            r.timeout = Duration::from_secs(10);
            r
        };
        let first = SshSource::new(make("first", &kh_a));
        let same = SshSource::new(make("same", &kh_a));
        let mut other_dir = make("other-dir", &kh_a);
        other_dir.sessions_dir = "/nonexistent/navi-status".into();
        let other_dir = SshSource::new(other_dir);
        let other_files = SshSource::new(make("other-files", &kh_b));
        for s in [&first, &same, &other_dir, &other_files] {
            s.poll_report()
                .await
                .unwrap_or_else(|e| panic!("{}: {e}", s.remote().name));
        }
        assert_eq!(
            server.authenticated(),
            2,
            "first, same and other-dir share one login; other-files logs in itself"
        );
        assert_eq!(first.connections_opened(), 1);
        assert_eq!(same.connections_opened(), 0, "it used first's connection");
        assert_eq!(other_files.connections_opened(), 1);
    })
    .await
    .expect("within 60s");
}
