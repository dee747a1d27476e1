//! The `navi` binary, run as a user would: `list`, `list --json`, `remotes`, `--help`,
//! usage errors. Every run gets its own HOME and a NAVI_REMOTES that does not exist, so
//! nothing of the developer's machine is read and no SSH is attempted.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// `navi remotes setup` against hostile remote HOMEs (one test binary for the crate).
#[path = "cli/remote_setup.rs"]
mod remote_setup;

/// `navi git` on a local repository with gh stubs (one test binary for the crate).
#[path = "cli/git_dialog.rs"]
mod git_dialog;

/// No import cycles among navi-app's modules (one test binary for the crate).
#[path = "cli/module_cycles.rs"]
mod module_cycles;
#[path = "cli/one_owner_of_time.rs"]
mod one_owner_of_time;

/// `navi approve | deny | send --keys | resume | new --prompt` on a real tmux.
#[path = "cli/answer.rs"]
mod answer;

/// `navi hook --agent codex|gemini|opencode`: recorded events replayed in tmux.
#[path = "cli/agents.rs"]
mod agents;

/// Source plugins: config.yaml `sources:`, the example plugins, `navi plugin check`.
#[path = "cli/plugins.rs"]
mod plugins;

/// `navi hook` reads the transcript; `navi list` shows tokens and cost.
#[path = "cli/tokens.rs"]
mod tokens;
/// `navi watch` beside a dashboard, alone, with a bad config, with a webhook.
#[path = "cli/watch.rs"]
mod watch;

/// `navi list` samples each session's memory and shows it.
#[path = "cli/memory.rs"]
mod memory;

struct Env {
    home: tempfile::TempDir,
    sessions: PathBuf,
}

impl Env {
    /// A HOME with a sessions directory holding the five fixtures.
    fn new() -> Env {
        let home = tempfile::tempdir().unwrap();
        let sessions = home.path().join("fixtures");
        std::fs::create_dir(&sessions).unwrap();
        for (name, text) in navi_core::fixtures::FILES {
            std::fs::write(sessions.join(name), text).unwrap();
        }
        Env { home, sessions }
    }

    fn navi(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_navi"));
        cmd.args(args)
            .env("HOME", self.home.path())
            .env(
                "NAVI_REMOTES",
                self.home.path().join("nonexistent/remotes.yaml"),
            )
            .env_remove("NAVI_SESSIONS_DIR")
            .env_remove("NAVI_LOG_FILE")
            .env_remove("XDG_STATE_HOME")
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("NAVI_CONFIG")
            .env_remove("CLAUDE_CONFIG_DIR")
            .env_remove("CODEX_HOME")
            .env_remove("TMUX")
            .env_remove("TMUX_PANE")
            // Never the developer's tmux server: a private, empty one.
            .env("TMUX_TMPDIR", self.home.path());
        cmd
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn dir(p: &Path) -> &str {
    p.to_str().unwrap()
}

impl Env {
    /// Starts the env's private tmux server (TMUX_TMPDIR = its HOME) with `names`.
    fn tmux_sessions(&self, names: &[&str]) {
        for name in names {
            let out = Command::new("tmux")
                .args(["new-session", "-d", "-s", name, "cat"])
                .env("TMUX_TMPDIR", self.home.path())
                .env_remove("TMUX")
                .output()
                .unwrap();
            assert!(out.status.success(), "tmux: {}", stderr(&out));
        }
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("kill-server")
            .env("TMUX_TMPDIR", self.home.path())
            .env_remove("TMUX")
            .output();
    }
}

#[test]
fn list_json_reports_the_fixtures_field_by_field() {
    let env = Env::new();
    // Four of the five still run in tmux; `legacy`'s tmux session has ended.
    env.tmux_sessions(&["api", "notes", "hyperion", "deploy"]);
    let out = env.navi(&["list", "--json", "--sessions-dir", dir(&env.sessions)]);
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        stderr(&out)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let top: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(top, ["sessions", "sources"]);

    let sessions = v["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 5);
    let mut got: Vec<(String, String, String)> = sessions
        .iter()
        .map(|s| {
            (
                s["tmux_session"].as_str().unwrap().to_string(),
                s["status"].as_str().unwrap().to_string(),
                s["status_kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    let expected = [
        ("api", "permission", "permission"),
        ("deploy", "done", "done"),
        ("hyperion", "working", "working"),
        ("legacy", "compacting", "unknown"),
        ("notes", "waiting", "waiting"),
    ];
    assert_eq!(
        got,
        expected.map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    );
    for s in sessions {
        assert_eq!(s["remote"], Value::Null, "{s}");
        assert_eq!(s["stale"], false, "{s}");
        // tmux answered without `legacy`: ended; the others run there.
        let ended = s["tmux_session"] == "legacy";
        assert_eq!(s["liveness"], if ended { "ended" } else { "live" }, "{s}");
    }
    // Attention first: api (permission) and notes (waiting), then hyperion (working).
    let order: Vec<&str> = sessions
        .iter()
        .map(|s| s["tmux_session"].as_str().unwrap())
        .collect();
    assert_eq!(order, ["api", "notes", "hyperion", "deploy", "legacy"]);
    let hyperion = sessions
        .iter()
        .find(|s| s["tmux_session"] == "hyperion")
        .unwrap();
    assert_eq!(hyperion["timestamp"], 1764032280);
    assert_eq!(hyperion["cwd"], "/home/sean/projects/hyperion");
    assert_eq!(hyperion["git"]["branch"], "feature/remote-sessions");
    assert_eq!(hyperion["metrics"]["tokens"]["total"], 202551);
    let api = sessions
        .iter()
        .find(|s| s["tmux_session"] == "api")
        .unwrap();
    assert_eq!(api["team"]["agents"][0]["name"], "tester");

    let sources = v["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 1);
    let local = &sources[0];
    assert_eq!(local["name"], Value::Null);
    assert_eq!(local["state"], "connected");
    assert_eq!(local["reason"], Value::Null);
    assert_eq!(local["reason_kind"], Value::Null);
    assert_eq!(local["sessions"], 5);
    assert!(local["latency_ms"].is_u64(), "{local}");
    assert!(
        local["last_ok"].as_i64().unwrap() > 1_700_000_000,
        "{local}"
    );
    assert_eq!(local["skipped"], Value::Array(vec![]));
}

#[test]
fn a_malformed_file_is_skipped_and_the_rest_listed() {
    let env = Env::new();
    std::fs::write(
        env.sessions.join("broken.json"),
        b"\x00\x01 not json at all",
    )
    .unwrap();
    std::fs::write(env.sessions.join(".tmp.Xy12"), b"{").unwrap();
    let out = env.navi(&["list", "--json", "--sessions-dir", dir(&env.sessions)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["sessions"].as_array().unwrap().len(), 5);
    let skipped = v["sources"][0]["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert!(skipped[0]["name"]
        .as_str()
        .unwrap()
        .ends_with("broken.json"));
    assert!(!skipped[0]["reason"].as_str().unwrap().is_empty());

    // The table mentions the skipped file on stderr, not in the table.
    let out = env.navi(&["list", "--sessions-dir", dir(&env.sessions)]);
    assert!(out.status.success());
    assert!(stderr(&out).contains("skipped") && stderr(&out).contains("broken.json"));
    assert!(!stdout(&out).contains("broken.json"));
}

#[test]
fn list_table_names_every_session() {
    let env = Env::new();
    // The directory also comes from NAVI_SESSIONS_DIR.
    let out = env
        .command(&["list"])
        .env("NAVI_SESSIONS_DIR", &env.sessions)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 6, "{text}");
    assert!(lines[0].starts_with("STATUS"));
    for name in ["api", "deploy", "hyperion", "legacy", "notes"] {
        assert!(text.contains(name), "{name} missing:\n{text}");
    }
    assert!(text.contains("compacting"), "{text}");
    assert!(text.contains("/home/sean/projects/hyperion"), "{text}");
    // Not a terminal: nothing is cut (a script gets every column whole).
    assert!(!text.contains('…'), "{text}");
    assert!(
        text.contains("Claude needs your permission to use Bash"),
        "{text}"
    );
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}

#[test]
fn empty_directory_lists_nothing_and_says_why() {
    let env = Env::new();
    let empty = env.home.path().join("empty");
    let out = env.navi(&["list", "--sessions-dir", dir(&empty)]);
    assert!(out.status.success());
    assert!(stdout(&out).is_empty());
    assert!(stderr(&out).contains("No sessions in"), "{}", stderr(&out));
}

#[test]
fn empty_environment_paths_mean_the_defaults() {
    let env = Env::new();
    let home_sessions = env.home.path().join(".claude-sessions");
    std::fs::create_dir(&home_sessions).unwrap();
    std::fs::copy(
        env.sessions.join("api.json"),
        home_sessions.join("api.json"),
    )
    .unwrap();
    let out = env
        .command(&["list", "--json"])
        .env("NAVI_SESSIONS_DIR", "")
        .env("NAVI_REMOTES", "")
        .env("NAVI_LOG_FILE", "")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["sessions"][0]["tmux_session"], "api",
        "read ~/.claude-sessions"
    );
    assert_eq!(
        v["sources"].as_array().unwrap().len(),
        1,
        "no remotes file in HOME"
    );
}

#[test]
fn demo_list_has_a_healthy_and_an_unavailable_remote() {
    let env = Env::new();
    let out = env.navi(&["--demo", "list", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let sources = v["sources"].as_array().unwrap();
    let states: Vec<(Value, Value, Value)> = sources
        .iter()
        .map(|s| {
            (
                s["name"].clone(),
                s["state"].clone(),
                s["reason_kind"].clone(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            (Value::Null, "connected".into(), Value::Null),
            ("dev-server".into(), "connected".into(), Value::Null),
            ("staging".into(), "unavailable".into(), "refused".into()),
        ]
    );
    assert_eq!(sources[1]["latency_ms"], 120);

    // `navi remotes` is a health check: staging is down, so it exits 1 after its table.
    let out = env.navi(&["--demo", "remotes"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("staging"), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("unavailable: staging"),
        "{}",
        stderr(&out)
    );
    let stale: Vec<&Value> = v["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["stale"] == true)
        .collect();
    assert_eq!(stale.len(), 1);
    assert_eq!(stale[0]["remote"], "staging");
}

#[test]
fn remotes_without_a_file_explains_how_to_add_one() {
    let env = Env::new();
    let out = env.navi(&["remotes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("No remotes configured"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("jump_host"));
    let out = env.navi(&["remotes", "--json"]);
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["remotes"], Value::Array(vec![]));
    assert_eq!(v["errors"], Value::Array(vec![]));
}

#[test]
fn trust_of_an_unknown_remote_fails_with_exit_1() {
    let env = Env::new();
    let out = env.navi(&["remotes", "trust", "nope", "--yes"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no remote named `nope`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn help_answers_questions() {
    let env = Env::new();
    let out = env.navi(&["--help"]);
    assert!(out.status.success());
    let text = stdout(&out);
    for needle in [
        "KEYS",
        "Enter",
        "remotes.yaml",
        "~/.claude-sessions",
        "NAVI_SESSIONS_DIR",
        "NAVI_REMOTES",
        "NAVI_LOG",
        "--log-file",
        "status_kind",
        "EXAMPLES",
        "navi --demo",
        "list",
        "remotes",
        "mute / unmute notifications",
        "notify:",
        "sounds.yaml",
    ] {
        assert!(text.contains(needle), "--help lacks {needle}:\n{text}");
    }
    let out = env.navi(&["list", "--help"]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("--json"));
    let out = env.navi(&["remotes", "trust", "--help"]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("--yes"));
}

/// `--help` lists every key from the dashboard's own table (the keys `?` shows), the
/// keys `b`, `t`, `B` and the Go navi's `G`, `d`, `S`, `Tab` included.
#[test]
fn help_lists_every_key_of_the_dashboard() {
    let env = Env::new();
    let out = env.navi(&["--help"]);
    let text = stdout(&out);
    let keys_part = text.split("FILES:").next().unwrap();
    for bind in navi_app::keys::BINDINGS {
        for key in bind.keys {
            assert!(
                keys_part
                    .lines()
                    .any(|l| l.split_whitespace().any(|w| w == *key)),
                "--help lacks the key {key} ({}):\n{keys_part}",
                bind.name
            );
        }
        // clap wraps the text to the terminal: compared word by word.
        let flat = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            flat(keys_part).contains(&flat(bind.help)),
            "--help lacks {:?}",
            bind.help
        );
    }
}

/// The Go navi's single-dash long flags, as tmux configs written for it say them.
#[test]
fn status_takes_the_go_navis_single_dash_flags() {
    let env = Env::new();
    let sessions = env.sessions.display().to_string();
    for args in [
        vec!["status", "-verbose", "-format", "tmux"],
        vec!["status", "-format=tmux"],
        vec!["--sessions-dir", sessions.as_str(), "status", "-verbose"],
    ] {
        let out = env.navi(&args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
    }
    let out = env.navi(&["status", "-bogus"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn usage_errors_exit_2() {
    let env = Env::new();
    let out = env.navi(&["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("frobnicate"));
    let out = env.navi(&["list", "--bogus"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_dashboard_without_a_terminal_is_a_clear_error() {
    let env = Env::new();
    let out = env
        .command(&["--sessions-dir", dir(&env.sessions)])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.starts_with("navi: ") && err.contains("navi list"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "the error is printed once: {err}");
}

#[test]
fn logs_go_to_the_log_file() {
    let env = Env::new();
    let log = env.home.path().join("logs/navi.log");
    let out = env
        .command(&[
            "list",
            "--sessions-dir",
            dir(&env.sessions),
            "--log-file",
            dir(&log),
        ])
        .env("NAVI_LOG", "debug")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(log.exists(), "log file created");
    // Default location under HOME when nothing is given.
    let out = env.navi(&["list", "--sessions-dir", dir(&env.sessions)]);
    assert!(out.status.success());
    assert!(env.home.path().join(".local/state/navi/navi.log").exists());
}

/// The issue's end-to-end check, against real OpenSSH on loopback with a scratch HOME
/// holding `.ssh/known_hosts`, `.config/navi/remotes.yaml` and a key: `navi list --json`
/// shows local and remote sessions, each remote one labelled; a remote behind a jump host
/// works; an unreachable remote and a silent one are reported unavailable with their
/// reasons while the others' sessions are listed. Runs whenever `/usr/sbin/sshd` exists
/// (fails without it when `NAVI_REQUIRE_SSHD=1`).
#[test]
fn list_json_against_real_sshd_with_jump_refused_and_silent_remotes() {
    use navi_tests::sshd::{self, Sshd};
    if !sshd::sshd_or_skip() {
        return;
    }
    let env = Env::new();
    let home = env.home.path();
    std::fs::create_dir_all(home.join(".ssh")).unwrap();
    std::fs::create_dir_all(home.join(".config/navi")).unwrap();
    let public = sshd::keygen(&home.join(".ssh/id_ed25519"), "");
    let dev = Sshd::start(&[&public]);
    let target = Sshd::start(&[&public]);
    std::fs::write(
        home.join(".ssh/known_hosts"),
        format!(
            "{}\n{}\n",
            dev.known_hosts_line(),
            target.known_hosts_line()
        ),
    )
    .unwrap();
    std::fs::create_dir_all(dev.sessions_dir()).unwrap();
    std::fs::create_dir_all(target.sessions_dir()).unwrap();
    dev.write_session(
        "build.json",
        br#"{"tmux_session":"build","status":"working","message":"Running tests...","cwd":"/srv/api","timestamp":1764032000}"#,
    );
    target.write_session(
        "release.json",
        br#"{"tmux_session":"release","status":"done","message":"ok","cwd":"/srv/app","timestamp":1764031000}"#,
    );
    // A port nothing listens on, and a listener that accepts and never speaks.
    let refused_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let user = sshd::current_user();
    let remotes = format!(
        "remotes:
  - name: dev
    host: 127.0.0.1
    port: {dev_port}
    user: {user}
    key: ~/.ssh/id_ed25519
    sessions_dir: {dev_dir}
  - name: behind
    host: 127.0.0.1
    port: {target_port}
    user: {user}
    key: ~/.ssh/id_ed25519
    jump_host: {user}@127.0.0.1:{dev_port}
    sessions_dir: {target_dir}
  - name: down
    host: 127.0.0.1
    port: {refused_port}
    user: {user}
    key: ~/.ssh/id_ed25519
    timeout: 3s
  - name: mute
    host: 127.0.0.1
    port: {silent_port}
    user: {user}
    key: ~/.ssh/id_ed25519
    timeout: 2s
",
        dev_port = dev.port(),
        target_port = target.port(),
        dev_dir = dev.sessions_dir().display(),
        target_dir = target.sessions_dir().display(),
    );
    let remotes_file = home.join(".config/navi/remotes.yaml");
    std::fs::write(&remotes_file, remotes).unwrap();

    let out = env
        .command(&["list", "--json", "--sessions-dir", dir(&env.sessions)])
        .env("NAVI_REMOTES", &remotes_file)
        .env_remove("SSH_AUTH_SOCK")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();

    let sessions = v["sessions"].as_array().unwrap();
    let labelled = |name: &str| {
        sessions
            .iter()
            .find(|s| s["tmux_session"] == name)
            .map(|s| s["remote"].clone())
    };
    assert_eq!(
        labelled("hyperion"),
        Some(Value::Null),
        "local sessions listed"
    );
    assert_eq!(labelled("build"), Some(Value::from("dev")), "{v:#}");
    assert_eq!(
        labelled("release"),
        Some(Value::from("behind")),
        "through the jump host"
    );
    assert_eq!(sessions.len(), 5 + 2);

    let source = |name: &str| {
        v["sources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no source {name}: {v}"))
    };
    for ok in ["dev", "behind"] {
        let s = source(ok);
        assert_eq!(s["state"], "connected", "{s}");
        assert_eq!(s["sessions"], 1, "{s}");
        assert!(s["latency_ms"].is_u64(), "{s}");
    }
    let down = source("down");
    assert_eq!(down["state"], "unavailable", "{down}");
    assert_eq!(down["reason_kind"], "refused", "{down}");
    let mute = source("mute");
    assert_eq!(mute["state"], "unavailable", "{mute}");
    assert_eq!(mute["reason_kind"], "timeout", "{mute}");
    let reason = mute["reason"].as_str().unwrap();
    assert!(
        reason.contains("timed out") && reason.contains("connecting to remote mute"),
        "a timeout says what it waited for: {mute}"
    );
    drop(silent);
}

/// `navi remotes trust` of a two-hop remote whose second hop is untrusted, against three
/// real sshds: the prompt names the second hop (its user, host and port) next to the
/// second hop's fingerprint; `navi remotes` lists every hop and names the second one in
/// its reason.
#[test]
fn trust_of_a_two_hop_remote_names_the_untrusted_hop() {
    use navi_tests::sshd::{self, Sshd};
    if !sshd::sshd_or_skip() {
        return;
    }
    let env = Env::new();
    let home = env.home.path();
    std::fs::create_dir_all(home.join(".ssh")).unwrap();
    let public = sshd::keygen(&home.join(".ssh/id_ed25519"), "");
    let (outer, inner, target) = (
        Sshd::start(&[&public]),
        Sshd::start(&[&public]),
        Sshd::start(&[&public]),
    );
    std::fs::create_dir_all(target.sessions_dir()).unwrap();
    std::fs::write(
        home.join(".ssh/known_hosts"),
        format!(
            "{}\n{}\n",
            outer.known_hosts_line(),
            target.known_hosts_line()
        ),
    )
    .unwrap();
    let user = sshd::current_user();
    let remotes_file = home.join("remotes.yaml");
    std::fs::write(
        &remotes_file,
        format!(
            "remotes:\n  - name: deep\n    host: 127.0.0.1\n    port: {}\n    user: {user}\n    \
             key: ~/.ssh/id_ed25519\n    jump_host: {user}@127.0.0.1:{},{user}@127.0.0.1:{}\n    \
             sessions_dir: {}\n",
            target.port(),
            outer.port(),
            inner.port(),
            target.sessions_dir().display()
        ),
    )
    .unwrap();
    // The second hop's fingerprint, as OpenSSH prints it.
    let inner_line = home.join("inner.pub");
    std::fs::write(&inner_line, inner.known_hosts_line() + "\n").unwrap();
    let keygen = Command::new("ssh-keygen")
        .args(["-l", "-f"])
        .arg(&inner_line)
        .output()
        .unwrap();
    let fingerprint = String::from_utf8_lossy(&keygen.stdout)
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_string();
    let navi = |args: &[&str], input: &[u8]| {
        use std::io::Write;
        let mut child = env
            .command(args)
            .env("NAVI_REMOTES", &remotes_file)
            .env_remove("SSH_AUTH_SOCK")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input).unwrap();
        child.wait_with_output().unwrap()
    };
    let out = navi(&["remotes", "trust", "deep"], b"n\n");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    let host_line = text.lines().find(|l| l.starts_with("Host:")).unwrap_or("");
    assert!(
        host_line.starts_with(&format!(
            "Host:        {user}@127.0.0.1:{} (jump host 2 of 2",
            inner.port()
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("Fingerprint: {fingerprint}")),
        "{fingerprint}: {text}"
    );

    let out = navi(&["remotes"], b"");
    let text = stdout(&out);
    assert!(
        text.contains(&format!(
            "via {user}@127.0.0.1:{}, {user}@127.0.0.1:{}",
            outer.port(),
            inner.port()
        )),
        "{text}"
    );
    let reason = text
        .lines()
        .find(|l| l.contains("not a known host"))
        .unwrap_or("");
    assert!(
        reason.contains(&format!("127.0.0.1]:{}", inner.port()))
            && !reason.contains(&format!(":{}", outer.port())),
        "{text}"
    );
}

/// A `--sessions-dir` that does not exist is an empty, healthy source whose health says
/// so (a typo is otherwise invisible).
#[test]
fn a_missing_sessions_dir_is_named_in_the_health() {
    let home = tempfile::tempdir().unwrap();
    let missing = home.path().join("no-such-dir");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_navi"))
        .args(["list", "--json", "--sessions-dir"])
        .arg(&missing)
        .env("HOME", home.path())
        .env_remove("NAVI_REMOTES")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let local = &v["sources"][0];
    assert_eq!(local["state"], "connected");
    let note = local["note"].as_str().unwrap_or_default();
    assert!(
        note.contains("no-such-dir") && note.contains("does not exist"),
        "{v}"
    );
    let table = std::process::Command::new(env!("CARGO_BIN_EXE_navi"))
        .args(["list", "--sessions-dir"])
        .arg(&missing)
        .env("HOME", home.path())
        .env_remove("NAVI_REMOTES")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&table.stderr);
    assert!(stderr.contains("does not exist"), "{stderr}");
}

/// A tmux server on a private socket (TMUX_TMPDIR), killed when dropped.
struct Tmux {
    tmpdir: tempfile::TempDir,
    socket: String,
}

impl Tmux {
    fn start(session: &str, cwd: &Path) -> Tmux {
        let tmpdir = tempfile::tempdir().unwrap();
        let mut tmux = Tmux {
            tmpdir,
            socket: String::new(),
        };
        let out = tmux
            .cmd(&["new-session", "-d", "-s", session, "-c", dir(cwd)])
            .output()
            .unwrap();
        assert!(out.status.success(), "tmux: {}", stderr(&out));
        let socket = tmux
            .cmd(&["display-message", "-p", "#{socket_path}"])
            .output()
            .unwrap();
        tmux.socket = stdout(&socket).trim().to_string();
        tmux
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new("tmux");
        c.args(args)
            .env("TMUX_TMPDIR", self.tmpdir.path())
            .env_remove("TMUX");
        c
    }

    fn first_pane(&self) -> String {
        let out = self
            .cmd(&["list-panes", "-a", "-F", "#{pane_id}"])
            .output()
            .unwrap();
        stdout(&out).lines().next().unwrap().to_string()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]).output();
    }
}

/// Runs `navi hook` as Claude Code would from inside `tmux`'s pane, `event` on stdin.
fn hook(env: &Env, tmux: &Tmux, sessions: &Path, event: &str) -> Output {
    use std::io::Write as _;
    let mut cmd = env.command(&["hook"]);
    cmd.env("TMUX", format!("{},1,0", tmux.socket))
        .env("TMUX_PANE", tmux.first_pane())
        .env("TMUX_TMPDIR", tmux.tmpdir.path())
        .env("NAVI_SESSIONS_DIR", sessions)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(event.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn navi_hook_inside_tmux_writes_each_events_status() {
    let env = Env::new();
    let work = env.home.path().join("my project");
    std::fs::create_dir(&work).unwrap();
    // A git repository on branch `trunk`, committed (clean).
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .arg("-C")
            .arg(&work)
            .args(["-c", "user.name=t", "-c", "user.email=t@t"])
            .args(["-c", "init.defaultBranch=trunk"])
            .args(args)
            .output()
            .expect("git is needed by this test");
        assert!(out.status.success(), "git {args:?}: {}", stderr(&out));
    };
    git(&["init", "-q"]);
    std::fs::write(work.join("a"), "1").unwrap();
    git(&["add", "a"]);
    git(&["commit", "-q", "-m", "one"]);
    let tmux = Tmux::start("feat x \"q\"", &work);
    let sessions = env.home.path().join("sessions");
    let file = sessions.join("feat x \"q\".json");
    let read = || -> Value { serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap() };
    let steps = [
        (
            r#"{"hook_event_name":"UserPromptSubmit","session_id":"s1","prompt":"hi"}"#,
            "working",
        ),
        (
            r#"{"hook_event_name":"PermissionRequest","session_id":"s1","tool_name":"Bash"}"#,
            "permission",
        ),
        (
            r#"{"hook_event_name":"Notification","session_id":"s1","message":"say \"hi\" \\ \n \u001b[2J end"}"#,
            "waiting",
        ),
        (
            r#"{"hook_event_name":"PostToolUse","session_id":"s1","tool_name":"Edit","tool_input":{},"tool_response":{}}"#,
            "working",
        ),
        (r#"{"hook_event_name":"Stop","session_id":"s1"}"#, "done"),
        (
            r#"{"hook_event_name":"TeammateIdle","session_id":"t1","teammate_name":"critic","team_name":"review"}"#,
            "done",
        ),
        (
            r#"{"hook_event_name":"SessionEnd","session_id":"s1","reason":"exit"}"#,
            "offline",
        ),
    ];
    for (event, status) in steps {
        let out = hook(&env, &tmux, &sessions, event);
        assert!(out.status.success(), "{event}: {}", stderr(&out));
        assert!(
            out.stdout.is_empty(),
            "navi hook printed {:?}",
            stdout(&out)
        );
        let f = read();
        assert_eq!(f["status"], status, "after {event}: {f}");
        assert_eq!(f["tmux_session"], "feat x \"q\"");
        assert_eq!(
            f["cwd"],
            dir(&work.canonicalize().unwrap()),
            "the pane's directory"
        );
        if status == "waiting" {
            assert_eq!(f["message"], "say \"hi\" \\ \n \u{1b}[2J end");
        }
    }
    let f = read();
    assert_eq!(f["session_id"], "s1");
    assert_eq!(f["metrics"]["tools"]["counts"]["Edit"], 1);
    assert_eq!(f["git"]["branch"], "trunk", "{f}");
    assert_eq!(f["git"]["dirty"], false, "{f}");

    // An event naming its cwd: git is asked while tmux answers, and sees the change.
    std::fs::write(work.join("a"), "2").unwrap();
    let cwd = dir(&work.canonicalize().unwrap()).to_string();
    let ev = serde_json::json!({"hook_event_name": "UserPromptSubmit", "session_id": "s1",
        "prompt": "again", "cwd": cwd});
    let out = hook(&env, &tmux, &sessions, &ev.to_string());
    assert!(out.status.success(), "{}", stderr(&out));
    let f = read();
    assert_eq!(
        (f["status"].clone(), f["git"]["dirty"].clone()),
        (serde_json::json!("working"), serde_json::json!(true)),
        "{f}"
    );

    // The form with options goes through the parser and behaves the same.
    let other = env.home.path().join("other sessions");
    let mut cmd = env.command(&["hook", "--sessions-dir", dir(&other)]);
    cmd.env("TMUX", format!("{},1,0", tmux.socket))
        .env("TMUX_PANE", tmux.first_pane())
        .env("TMUX_TMPDIR", tmux.tmpdir.path())
        .stdin(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(br#"{"hook_event_name":"Stop"}"#).unwrap();
    }
    assert!(child.wait().unwrap().success());
    let o: Value =
        serde_json::from_slice(&std::fs::read(other.join("feat x \"q\".json")).unwrap()).unwrap();
    assert_eq!(o["status"], "done");
    let f = read();
    assert_eq!(f["team"]["agents"][0]["name"], "critic");
    assert_eq!(f["team"]["agents"][0]["status"], "idle");

    // navi lists it.
    let out = env.navi(&["list", "--json", "--sessions-dir", dir(&sessions)]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["sessions"][0]["tmux_session"], "feat x \"q\"");

    // 40 concurrent tool uses: none lost.
    std::thread::scope(|scope| {
        for _ in 0..40 {
            scope.spawn(|| {
                let ev =
                    r#"{"hook_event_name":"PostToolUse","session_id":"s1","tool_name":"Edit"}"#;
                let out = hook(&env, &tmux, &sessions, ev);
                assert!(out.status.success());
            });
        }
    });
    assert_eq!(read()["metrics"]["tools"]["counts"]["Edit"], 41);
}

#[test]
fn navi_hook_outside_tmux_or_with_bad_input_writes_nothing_and_exits_0() {
    use std::io::Write as _;
    let env = Env::new();
    let sessions = env.home.path().join("sessions");
    for (tmux, input) in [
        (None, r#"{"hook_event_name":"Stop","session_id":"s"}"#),
        (Some("/nonexistent/socket,1,0"), "not json {"),
        (
            Some("/nonexistent/socket,1,0"),
            r#"{"hook_event_name":"Stop"}"#,
        ),
    ] {
        let mut cmd = env.command(&["hook"]);
        cmd.env("NAVI_SESSIONS_DIR", &sessions)
            .env("NAVI_LOG_FILE", env.home.path().join("navi.log"))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        if let Some(t) = tmux {
            cmd.env("TMUX", t).env("TMUX_PANE", "%0");
        }
        let mut child = cmd.spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{input}");
        assert!(
            out.stdout.is_empty() && out.stderr.is_empty(),
            "{input}: {}",
            stderr(&out)
        );
        assert!(!sessions.exists(), "{input} wrote a file");
    }
    let log = std::fs::read_to_string(env.home.path().join("navi.log")).unwrap();
    assert!(log.contains("not a JSON object"), "{log}");
    assert!(log.contains("tmux"), "{log}");
}

#[test]
fn hooks_install_status_uninstall_in_a_temp_home() {
    let env = Env::new();
    let settings = env.home.path().join(".claude/settings.json");
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    std::fs::write(&settings, r#"{"theme": "dark", "hooks": {"Stop": [{"hooks": [{"type": "command", "command": "~/.claude-sessions/hooks/notify.sh done"}]}]}}"#).unwrap();
    let out = env.navi(&["hooks", "status"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("not installed"));

    let out = env.navi(&["hooks", "install"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("replacing the Go navi's hook on Stop"),
        "{}",
        stdout(&out)
    );
    let v: Value = serde_json::from_slice(&std::fs::read(&settings).unwrap()).unwrap();
    assert_eq!(v["theme"], "dark");
    let cmd = v["hooks"]["Stop"][0]["hooks"][0]["command"]
        .as_str()
        .unwrap();
    assert!(cmd.ends_with(" hook") && cmd.starts_with('/'), "{cmd}");

    let out = env.navi(&["hooks", "status"]);
    assert!(out.status.success(), "{}", stdout(&out));
    let out = env.navi(&["hooks", "install"]);
    assert!(stdout(&out).contains("nothing changed"));
    let out = env.navi(&["hooks", "uninstall"]);
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&std::fs::read(&settings).unwrap()).unwrap();
    assert_eq!(v, serde_json::json!({"theme": "dark"}));
}

/// A dotfiles setup as users have it: `~/.claude/settings.json` a relative symlink (through
/// a second one) to a 0600 file in a dotfiles checkout, with numbers serde_json would
/// rewrite, and a `settings.json.navi-backup` that is a symlink to another file. Install
/// edits the target in place and writes nothing through the backup symlink; uninstall
/// gives the bytes back; a read-only target is refused.
#[test]
fn hooks_install_edits_a_symlinked_private_settings_file_in_place() {
    use std::os::unix::fs::{symlink, PermissionsExt as _};
    let env = Env::new();
    let home = env.home.path();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
    std::fs::create_dir_all(home.join(".claude")).unwrap();
    std::fs::create_dir_all(home.join("dotfiles/claude")).unwrap();
    let target = home.join("dotfiles/claude/settings.json");
    let original = "{\n  \"env\": {\"ANTHROPIC_API_KEY\": \"sk-ant-secret\"},\n  \"big\": 12345678901234567890123,\n  \"hundred\": 1e2,\n  \"one\": 1.0\n}\n";
    std::fs::write(&target, original).unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
    symlink("claude/settings.json", home.join("dotfiles/current")).unwrap();
    let settings = home.join(".claude/settings.json");
    symlink("../dotfiles/current", &settings).unwrap();
    let victim = home.join("dotfiles/notes.txt");
    std::fs::write(&victim, "mine").unwrap();
    let backup = home.join(".claude/settings.json.navi-backup");
    symlink(&victim, &backup).unwrap();

    let out = env.navi(&["hooks", "install"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("is a symlink: its target"), "{text}");
    assert!(text.contains("no backup this time"), "{text}");
    assert_eq!(
        std::fs::read_link(&settings).unwrap(),
        Path::new("../dotfiles/current")
    );
    assert!(std::fs::symlink_metadata(&settings)
        .unwrap()
        .file_type()
        .is_symlink());
    let new = std::fs::read_to_string(&target).unwrap();
    assert!(new.starts_with("{\n  \"env\": {\"ANTHROPIC_API_KEY\": \"sk-ant-secret\"},\n  \"big\": 12345678901234567890123,\n  \"hundred\": 1e2,\n  \"one\": 1.0,\n  \"hooks\": {\n"), "{new}");
    let v: Value = serde_json::from_str(&new).unwrap();
    let cmd = v["hooks"]["Stop"][0]["hooks"][0]["command"]
        .as_str()
        .unwrap();
    assert!(cmd.ends_with("/navi hook"), "{cmd}");
    assert_eq!(mode(&target), 0o600);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "mine");
    assert!(std::fs::symlink_metadata(&backup)
        .unwrap()
        .file_type()
        .is_symlink());

    let out = env.navi(&["hooks", "uninstall"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), original);
    assert_eq!(mode(&target), 0o600);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "mine");

    // Read-only: refused, named, untouched (root too: the file has no write bit).
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o400)).unwrap();
    let out = env.navi(&["hooks", "install"]);
    assert!(!out.status.success(), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.contains("read-only") && err.contains("dotfiles/claude/settings.json"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), original);
    assert_eq!(mode(&target), 0o400);
}

/// `navi remotes setup` against a real sshd whose remote user has a scratch HOME (sshd's
/// `SetEnv HOME=...`) and no navi: the binary is copied, the hooks are installed in that
/// HOME's Claude settings, the status directory is made; a hook run there then shows up
/// in `navi list --json`; a second setup uses the copied navi.
#[test]
fn remotes_setup_copies_navi_installs_hooks_and_a_hook_run_shows_up() {
    use navi_tests::sshd::{self, Sshd};
    if !sshd::sshd_or_skip() {
        return;
    }
    let env = Env::new();
    let home = env.home.path();
    let remote_home = tempfile::tempdir().unwrap();
    let rhome = remote_home.path();
    std::fs::create_dir_all(home.join(".ssh")).unwrap();
    let public = sshd::keygen(&home.join(".ssh/id_ed25519"), "");
    let dev = Sshd::start_with(
        &[&public],
        &format!("SetEnv HOME={} PATH=/usr/bin:/bin", rhome.display()),
    );
    std::fs::write(home.join(".ssh/known_hosts"), dev.known_hosts_line() + "\n").unwrap();
    let remotes_file = home.join("remotes.yaml");
    std::fs::write(
        &remotes_file,
        format!(
            "remotes:\n  - name: dev\n    host: 127.0.0.1\n    port: {}\n    user: {}\n    key: ~/.ssh/id_ed25519\n",
            dev.port(),
            sshd::current_user()
        ),
    )
    .unwrap();
    let setup = || {
        env.command(&["remotes", "setup", "dev"])
            .env("NAVI_REMOTES", &remotes_file)
            .env_remove("SSH_AUTH_SOCK")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    };
    let out = setup();
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("copying this navi"), "{text}");
    assert!(text.contains("hooks:          installed"), "{text}");
    let copied = rhome.join(".local/bin/navi");
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(&copied).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o755);
    let settings: Value =
        serde_json::from_slice(&std::fs::read(rhome.join(".claude/settings.json")).unwrap())
            .unwrap();
    let cmd = settings["hooks"]["Stop"][0]["hooks"][0]["command"]
        .as_str()
        .unwrap();
    assert_eq!(cmd, format!("{} hook", copied.display()));
    assert!(rhome.join(".claude-sessions").is_dir());
    let checks =
        std::fs::read_to_string(home.join(".local/state/navi/remotes-setup.json")).unwrap();
    assert!(checks.contains("\"hooks_installed\": true"), "{checks}");

    // A hook run on the remote (the copied binary, its HOME, inside tmux there).
    let tmux = Tmux::start("remote-work", rhome);
    let mut hook = Command::new(&copied);
    hook.arg("hook")
        .env("HOME", rhome)
        .env("TMUX", format!("{},1,0", tmux.socket))
        .env("TMUX_PANE", tmux.first_pane())
        .env("TMUX_TMPDIR", tmux.tmpdir.path())
        .env_remove("NAVI_SESSIONS_DIR")
        .stdin(std::process::Stdio::piped());
    let mut child = hook.spawn().unwrap();
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(br#"{"hook_event_name":"PermissionRequest","session_id":"r1"}"#)
            .unwrap();
    }
    assert!(child.wait().unwrap().success());
    let out = env
        .command(&["list", "--json", "--sessions-dir", dir(&env.sessions)])
        .env("NAVI_REMOTES", &remotes_file)
        .env_remove("SSH_AUTH_SOCK")
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let remote = v["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["tmux_session"] == "remote-work")
        .unwrap_or_else(|| panic!("remote session missing: {v}"))
        .clone();
    assert_eq!(remote["remote"], "dev");
    assert_eq!(remote["status"], "permission");

    // `navi remotes` shows the check, and exits 0: everything is healthy.
    let out = env
        .command(&["remotes"])
        .env("NAVI_REMOTES", &remotes_file)
        .env_remove("SSH_AUTH_SOCK")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("hooks: installed (navi "),
        "{}",
        stdout(&out)
    );

    // Again: the copied navi is found and used.
    let out = setup();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("using the navi already there"),
        "{}",
        stdout(&out)
    );
}

/// The action commands on this machine, against a tmux server isolated by TMUX_TMPDIR.
#[test]
fn action_commands_on_local_sessions() {
    let env = Env::new();
    let tmux_dir = tempfile::tempdir().unwrap();
    let work = env.home.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let run = |args: &[&str]| {
        env.command(args)
            .env("TMUX_TMPDIR", tmux_dir.path())
            .env("NAVI_SESSIONS_DIR", &env.sessions)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    };
    let out = run(&["new", "job 1", "--dir", dir(&work), "--command", "cat"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("created job 1"), "{}", stdout(&out));
    let out = run(&["new", "job 1", "--dir", dir(&work), "--command", "cat"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));
    let out = run(&["new", "a.b", "--command", "cat"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("turns `.` into `_`"),
        "{}",
        stderr(&out)
    );

    assert!(run(&["send", "job 1", "hello there"]).status.success());
    std::thread::sleep(std::time::Duration::from_millis(300));
    let out = run(&["preview", "job 1"]);
    assert!(stdout(&out).contains("hello there"), "{}", stdout(&out));

    assert!(run(&["rename", "job 1", "job 2"]).status.success());
    let out = run(&["kill", "job 2"]);
    assert_eq!(out.status.code(), Some(1), "no answer is no");
    assert!(stderr(&out).contains("not killed"));
    assert!(run(&["kill", "job 2", "--yes"]).status.success());
    let out = run(&["preview", "job 2"]);
    assert_eq!(out.status.code(), Some(1));
    let out = run(&["kill", "nope:job", "--yes"]);
    assert!(
        stderr(&out).contains("no remote named `nope`"),
        "{}",
        stderr(&out)
    );
}

/// `navi new --command '<multi-word, quoted>' --skip-permissions` on a real local tmux:
/// the program gets every argument (the quoted one whole) and the flag last; `navi
/// send` with a control character is refused, naming it, and the program lives on.
#[test]
fn skip_permissions_composes_with_the_command_and_send_refuses_control_characters() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    let tmux_dir = tempfile::tempdir().unwrap();
    let work = env.home.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let stub = work.join("fake-claude");
    let args = work.join("args");
    std::fs::write(
        &stub,
        format!(
            "#!/bin/sh\nfor a do printf '%s\\n' \"$a\"; done > '{}'\nexec cat\n",
            args.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755)).unwrap();
    let run = |args: &[&str]| {
        env.command(args)
            .env("TMUX_TMPDIR", tmux_dir.path())
            .env("SHELL", "/bin/sh")
            .env("NAVI_SESSIONS_DIR", &env.sessions)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    };
    let line = format!("{} --model \"big one\" --say 'it''s'", stub.display());
    let out = run(&[
        "new",
        "sp1",
        "--dir",
        dir(&work),
        "--command",
        &line,
        "--skip-permissions",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("created sp1"), "{}", stdout(&out));
    assert_eq!(
        std::fs::read_to_string(&args).unwrap(),
        "--model\nbig one\n--say\nits\n--dangerously-skip-permissions\n"
    );
    let out = run(&[
        "new",
        "sp2",
        "--command",
        "claude # mine",
        "--skip-permissions",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("comment"), "{}", stderr(&out));

    let out = run(&["send", "sp1", "hello\u{3}"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("U+0003 (Ctrl-C)"), "{}", stderr(&out));
    assert!(run(&["send", "sp1", "still here"]).status.success());
    std::thread::sleep(std::time::Duration::from_millis(300));
    let out = run(&["preview", "sp1"]);
    assert!(
        out.status.success(),
        "the program lives on: {}",
        stderr(&out)
    );
    assert!(
        stdout(&out).contains("still here") && !stdout(&out).contains("hello"),
        "{}",
        stdout(&out)
    );
    assert!(run(&["kill", "sp1", "--yes"]).status.success());
}

#[test]
fn navi_mark_then_list_json_shows_the_marks() {
    let env = Env::new();
    let d = dir(&env.sessions);
    let mark = |args: &[&str]| {
        let mut all = vec!["mark", "api", "--sessions-dir", d];
        all.extend_from_slice(args);
        env.navi(&all)
    };
    let out = mark(&[
        "--bookmark",
        "--tag",
        "review",
        "--tag",
        "#wip",
        "--note",
        "after lunch",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("marked api: ★ #review #wip"),
        "{}",
        stdout(&out)
    );
    let out = mark(&["--untag", "review"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let bad = mark(&["--tag", "a b"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stderr(&bad).contains("spaces or commas"),
        "{}",
        stderr(&bad)
    );
    let out = env.navi(&["list", "--json", "--sessions-dir", d]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let sessions = v["sessions"].as_array().unwrap();
    let api = sessions
        .iter()
        .find(|s| s["tmux_session"] == "api")
        .unwrap();
    assert_eq!(api["bookmarked"], true);
    assert_eq!(api["tags"], serde_json::json!(["wip"]));
    assert_eq!(api["note"], "after lunch");
    let notes = sessions
        .iter()
        .find(|s| s["tmux_session"] == "notes")
        .unwrap();
    assert_eq!(
        (&notes["bookmarked"], &notes["note"]),
        (&Value::Bool(false), &Value::Null)
    );
    // The hooks' glob sees only the status files.
    let json = std::fs::read_dir(&env.sessions)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
        .count();
    assert_eq!(json, navi_core::fixtures::FILES.len());
}

/// The events a real Claude Code (2.1.197) sent its hooks for one turn in tmux: start, a
/// prompt, a Bash call that asked permission (request and notification), the tool use, the
/// stop, the idle notification a minute later, and `/exit`. Recorded by a `cat` hook beside
/// navi's, with Claude talking to a scripted stand-in for the API on loopback; the home
/// directory in the paths was then renamed to /home/dev.
#[test]
fn recorded_claude_code_events_give_the_go_navis_statuses() {
    let env = Env::new();
    let work = env.home.path().join("proj");
    std::fs::create_dir(&work).unwrap();
    let tmux = Tmux::start("live claude", &work);
    let sessions = env.home.path().join("sessions");
    let file = sessions.join("live claude.json");
    let cwd = dir(&work.canonicalize().unwrap()).to_string();
    let recorded = include_str!("fixtures/claude-code-2.1.197.jsonl");
    let expected = [
        ("SessionStart", "idle", ""),
        ("UserPromptSubmit", "working", ""),
        ("PermissionRequest", "permission", ""),
        ("Notification", "permission", "Claude needs your permission"),
        ("PostToolUse", "working", ""),
        ("Stop", "done", ""),
        (
            "Notification",
            "waiting",
            "Claude is waiting for your input",
        ),
        ("SessionEnd", "offline", ""),
    ];
    let lines: Vec<&str> = recorded.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), expected.len());
    for (line, (name, status, message)) in lines.iter().zip(expected) {
        let mut event: Value = serde_json::from_str(line).unwrap();
        assert_eq!(event["hook_event_name"], name);
        event["cwd"] = Value::from(cwd.clone());
        let out = hook(&env, &tmux, &sessions, &event.to_string());
        assert!(out.status.success() && out.stdout.is_empty(), "{name}");
        let f: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        assert_eq!(
            (f["status"].as_str(), f["message"].as_str()),
            (Some(status), Some(message)),
            "after {name}: {f}"
        );
        assert_eq!(f["session_id"], "87cd286a-191d-4e45-bc6a-c0c89c925804");
        assert_eq!(f["cwd"], cwd.as_str());
    }
    let f: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(f["metrics"]["tools"]["counts"]["Bash"], 1, "{f}");
    assert_eq!(f["metrics"]["tools"]["recent"][0], "Bash", "{f}");
    // The hook recorded the server it ran in and the session's id there.
    assert_eq!(f["tmux"]["socket"], tmux.socket.as_str(), "{f}");
    assert!(
        f["tmux"]["server_pid"].as_i64().is_some_and(|p| p > 1),
        "{f}"
    );
    assert!(
        f["tmux"]["session_id"]
            .as_str()
            .is_some_and(|i| i.starts_with('$')),
        "{f}"
    );
    // navi lists it as the Go navi would, and, though its own tmux reaches no server
    // (this test's environment has none), asks the recorded one: the row is live.
    let out = env.navi(&["list", "--json", "--sessions-dir", dir(&sessions)]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["sessions"][0]["status"], "offline", "{v}");
    assert_eq!(
        v["sessions"][0]["liveness"], "live",
        "asked on the recorded server: {v}"
    );
}

/// Runs `navi hook` with `event` on stdin and `envs`, and fails the test (instead of
/// hanging it) when the hook has not exited after 20 s: far past its 2 s budget.
/// The address space `navi hook` runs in under test: a few times what it needs.
const HOOK_MEMORY_LIMIT_KB: u64 = 512 * 1024;

fn bounded_hook(env: &Env, sessions: &Path, envs: &[(&str, String)], event: &[u8]) -> Output {
    use std::io::Write as _;
    // Under a memory limit: a file read without a cap (a symlink to `/dev/zero`) or an
    // event held whole many times over fails here instead of growing without end.
    let navi = env.command(&["hook"]);
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!(
            "ulimit -v {HOOK_MEMORY_LIMIT_KB} && exec \"$0\" \"$@\""
        ))
        .arg(navi.get_program())
        .args(navi.get_args());
    for (k, v) in navi.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    cmd.env("NAVI_SESSIONS_DIR", sessions)
        .env("NAVI_LOG_FILE", env.home.path().join("navi.log"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let event = event.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&event));
    let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > until {
            let _ = child.kill();
            panic!("navi hook still runs after 20 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let wrote = writer.join().unwrap();
    assert!(wrote.is_ok(), "the hook read its whole event: {wrote:?}");
    child.wait_with_output().unwrap()
}

fn tmux_env(tmux: &Tmux) -> Vec<(&'static str, String)> {
    vec![
        ("TMUX", format!("{},1,0", tmux.socket)),
        ("TMUX_PANE", tmux.first_pane()),
        ("TMUX_TMPDIR", tmux.tmpdir.path().display().to_string()),
    ]
}

/// A tmux server that is stopped, or a socket that accepts and never answers, does not
/// hold the hook (or Claude Code) up: it exits 0 within its budget and logs why.
#[test]
fn navi_hook_is_bounded_when_tmux_does_not_answer() {
    let env = Env::new();
    let sessions = env.home.path().join("sessions");
    let silent = env.home.path().join("silent.sock");
    let listener = std::os::unix::net::UnixListener::bind(&silent).unwrap();
    let held = std::thread::spawn(move || {
        // Accept and hold connections, answering nothing.
        let mut conns = Vec::new();
        for c in listener.incoming().take(2) {
            conns.push(c);
        }
        std::thread::sleep(std::time::Duration::from_secs(5));
    });
    let stop = br#"{"hook_event_name":"Stop","session_id":"s"}"#;
    let envs = vec![
        ("TMUX", format!("{},1,0", silent.display())),
        ("TMUX_PANE", "%0".into()),
    ];
    let out = bounded_hook(&env, &sessions, &envs, stop);
    assert!(out.status.success() && out.stdout.is_empty() && out.stderr.is_empty());
    drop(held);

    let work = env.home.path().join("w");
    std::fs::create_dir(&work).unwrap();
    let tmux = Tmux::start("stopped", &work);
    let pid = stdout(
        &tmux
            .cmd(&["display-message", "-p", "#{pid}"])
            .output()
            .unwrap(),
    );
    let envs = tmux_env(&tmux);
    let signal = |sig: &str| {
        Command::new("kill")
            .args([sig, pid.trim()])
            .status()
            .unwrap();
    };
    signal("-STOP");
    let out = bounded_hook(&env, &sessions, &envs, stop);
    signal("-CONT");
    assert!(out.status.success() && out.stdout.is_empty() && out.stderr.is_empty());
    let log = std::fs::read_to_string(env.home.path().join("navi.log")).unwrap();
    assert!(log.contains("in time"), "the log says why: {log}");
}

/// Hostile files and events: a FIFO status file and lock, a status file that is a
/// symlink to `/dev/zero`, a 20 MB event with a lone surrogate, a temp file a killed
/// writer left: the status is set every time, nothing blocks, the leftover goes.
#[test]
fn navi_hook_survives_hostile_files_and_events() {
    let env = Env::new();
    let work = env.home.path().join("w");
    std::fs::create_dir(&work).unwrap();
    let tmux = Tmux::start("api", &work);
    let envs = tmux_env(&tmux);
    let sessions = env.home.path().join("sessions");
    std::fs::create_dir(&sessions).unwrap();
    let file = sessions.join("api.json");
    let status = || -> Value { serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap() };
    let mkfifo = |p: &Path| assert!(Command::new("mkfifo").arg(p).status().unwrap().success());

    mkfifo(&file);
    mkfifo(&sessions.join(".api.lock"));
    let out = bounded_hook(&env, &sessions, &envs, br#"{"hook_event_name":"Stop"}"#);
    assert!(out.status.success());
    assert_eq!(status()["status"], "done");
    std::fs::remove_file(&file).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &file).unwrap();
    let out = bounded_hook(
        &env,
        &sessions,
        &envs,
        br#"{"hook_event_name":"UserPromptSubmit"}"#,
    );
    assert!(out.status.success());
    assert_eq!(status()["status"], "working");
    assert!(std::fs::symlink_metadata(&file).unwrap().is_file());

    // A writer killed between writing and renaming (a pid that no longer runs).
    let stale = sessions.join(".tmp.navi.hook.4194303");
    std::fs::write(&stale, "{").unwrap();
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&stale)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let big = format!(
        r#"{{"hook_event_name":"Notification","notification_type":"idle_prompt","tool_response":"{}","message":"cut \ud83d here"}}"#,
        "y".repeat(20 * 1024 * 1024)
    );
    let out = bounded_hook(&env, &sessions, &envs, big.as_bytes());
    assert!(out.status.success());
    let f = status();
    let log = std::fs::read_to_string(env.home.path().join("navi.log")).unwrap_or_default();
    assert_eq!(
        (f["status"].as_str(), f["message"].as_str()),
        (Some("waiting"), Some("cut \u{fffd} here")),
        "{log}"
    );
    assert!(stale.exists(), "cleaned once a turn, not on every event");
    let out = bounded_hook(&env, &sessions, &envs, br#"{"hook_event_name":"Stop"}"#);
    assert!(out.status.success());
    assert!(!stale.exists(), "the killed writer's temp file was removed");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode & 0o077, 0, "status files are user-only: {mode:o}");
    }
}

/// `navi status` as a tmux status bar runs it: remotes configured, no dashboard.
#[test]
fn status_says_nothing_when_nothing_needs_you_and_trusts_only_a_running_dashboard() {
    let env = Env::new();
    let home = env.home.path();
    let sessions = home.join("quiet");
    std::fs::create_dir(&sessions).unwrap();
    for (name, status) in [("x", "working"), ("y", "done"), ("z", "error")] {
        let body = format!(r#"{{"tmux_session":"{name}","status":"{status}","timestamp":1}}"#);
        std::fs::write(sessions.join(format!("{name}.json")), body).unwrap();
    }
    let remotes = home.join("remotes.yaml");
    std::fs::write(
        &remotes,
        "remotes:\n  - name: dev\n    host: 127.0.0.1\n    port: 1\n  \
         - name: gpu\n    host: 127.0.0.1\n    port: 1\n",
    )
    .unwrap();
    let runtime = home.join("run");
    std::fs::create_dir(&runtime).unwrap();
    let status = |args: &[&str]| {
        let mut all = vec!["status", "--sessions-dir", dir(&sessions)];
        all.extend_from_slice(args);
        let out = env
            .command(&all)
            .env("NAVI_REMOTES", &remotes)
            .env("XDG_RUNTIME_DIR", &runtime)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    assert_eq!(status(&[]), "", "nothing needs you: nothing to say");
    assert_eq!(status(&["--format", "tmux"]), "");
    assert_eq!(
        status(&["-v"]),
        "1 working, 1 done, 1 error, (2 remotes unknown)\n"
    );
    let json: Value = serde_json::from_str(&status(&["--format", "json"])).unwrap();
    assert_eq!(json["from"], "local");
    assert_eq!(json["unknown_remotes"], serde_json::json!(["dev", "gpu"]));

    // A summary left behind by a dashboard that died (killed, no clean-up).
    let mut child = Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let summary = |pid: u32| {
        format!(
            r#"{{"written":{now},"writer":{{"pid":{pid},"started":null}},
                "sessions":[{{"name":"api","remote":"dev","status":"permission"}}],
                "unknown_remotes":[],"muted":false}}"#
        )
    };
    std::fs::create_dir(runtime.join("navi")).unwrap();
    std::fs::write(runtime.join("navi/status.json"), summary(dead)).unwrap();
    assert_eq!(
        status(&[]),
        "",
        "a dead dashboard's summary is not reported"
    );
    // The same from a process that runs (this test's): the dashboard's counts.
    std::fs::write(
        runtime.join("navi/status.json"),
        summary(std::process::id()),
    )
    .unwrap();
    assert_eq!(status(&[]), "1 permission\n");
}

/// The dashboard restores the terminal on every signal that would end it: run in a
/// private tmux server's pane, sent each signal, the pane is back on the main screen with
/// the cursor shown, mouse reporting off, and the tty cooked (`stty -a` run after it).
#[test]
fn every_signal_leaves_the_terminal_restored() {
    let env = Env::new();
    let tmpdir = tempfile::tempdir().unwrap();
    let tmux = |args: &[&str]| {
        let out = Command::new("tmux")
            .args(args)
            .env("TMUX_TMPDIR", tmpdir.path())
            .env_remove("TMUX")
            .output()
            .unwrap();
        stdout(&out)
    };
    let navi = env!("CARGO_BIN_EXE_navi");
    let home = env.home.path().display().to_string();
    for (i, signal) in ["INT", "QUIT", "USR1", "ALRM", "TERM", "HUP", "USR2", "PIPE"]
        .iter()
        .enumerate()
    {
        let name = format!("s{i}");
        let script = format!(
            "HOME='{home}' NAVI_REMOTES=/nonexistent '{navi}' --demo; stty -a; echo NAVI-EXITED; sleep 60"
        );
        tmux(&[
            "new-session",
            "-d",
            "-x",
            "120",
            "-y",
            "40",
            "-s",
            &name,
            &script,
        ]);
        let target = format!("={name}:");
        let flags = |f: &str| {
            tmux(&["display-message", "-p", "-t", &target, f])
                .trim()
                .to_string()
        };
        let wait_for = |what: &dyn Fn() -> bool, why: &str| {
            for _ in 0..400 {
                if what() {
                    return;
                }
                std::thread::sleep(std::time::Duration::from_millis(25));
            }
            panic!(
                "{signal}: {why}; pane: {}",
                tmux(&["capture-pane", "-p", "-t", &target])
            );
        };
        wait_for(
            &|| flags("#{alternate_on}") == "1",
            "the dashboard never started",
        );
        let shell = flags("#{pane_pid}");
        let child = Command::new("ps")
            .args(["-o", "pid=", "--ppid", &shell])
            .output()
            .unwrap();
        let pid = stdout(&child).trim().to_string();
        assert!(!pid.is_empty(), "{signal}: navi's pid");
        Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status()
            .unwrap();
        let pane = || tmux(&["capture-pane", "-p", "-t", &target]);
        wait_for(&|| pane().contains("NAVI-EXITED"), "navi did not end");
        assert_eq!(
            flags("#{alternate_on}"),
            "0",
            "{signal}: left the alternate screen"
        );
        assert_eq!(
            flags("#{cursor_flag}"),
            "1",
            "{signal}: the cursor is shown"
        );
        assert_eq!(
            flags("#{mouse_any_flag}"),
            "0",
            "{signal}: mouse reporting is off"
        );
        let text = pane();
        assert!(
            text.contains(" icanon") && text.contains(" echo ") && !text.contains("-icanon"),
            "{signal}: the tty is cooked again: {text}"
        );
    }
    tmux(&["kill-server"]);
}

/// A `paplay` on PATH that records its arguments (one run a line) and plays nothing.
fn recording_player(env: &Env) -> (PathBuf, PathBuf) {
    let bin = env.home.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = env.home.path().join("played.log");
    let script = format!("#!/bin/sh\necho \"$*\" >> '{}'\n", log.display());
    let player = bin.join("paplay");
    std::fs::write(&player, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&player, std::fs::Permissions::from_mode(0o755)).unwrap();
    (bin, log)
}

fn sounds_yaml(env: &Env, text: &str) -> PathBuf {
    let dir = env.home.path().join(".config/navi");
    std::fs::create_dir_all(dir.join("soundpacks")).unwrap();
    std::fs::write(dir.join("sounds.yaml"), text).unwrap();
    dir.join("soundpacks")
}

#[test]
fn navi_sound_list_test_and_test_all_play_through_the_player_on_path() {
    let env = Env::new();
    let (bin, log) = recording_player(&env);
    let run = |args: &[&str]| env.command(args).env("PATH", &bin).output().unwrap();
    let played = || std::fs::read_to_string(&log).unwrap_or_default();

    let o = run(&["sound", "list"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("No sound packs found\nInstall packs to: "));

    // Two packs; `retro` active. Sounds are disabled: the CLI still checks them.
    let packs = sounds_yaml(
        &env,
        "enabled: false\npack: retro\nvolume:\n  global: 50\ntriggers:\n  error: false\n",
    );
    for (pack, files) in [
        (
            "retro",
            &[
                "waiting-1.wav",
                "waiting-2.wav",
                "done.ogg",
                "error.mp3",
                "x.txt",
            ][..],
        ),
        ("zen", &["permission.flac"][..]),
    ] {
        std::fs::create_dir_all(packs.join(pack)).unwrap();
        for f in files {
            std::fs::write(packs.join(pack).join(f), b"").unwrap();
        }
    }
    let o = run(&["sound", "list"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "Available sound packs:\n  * retro                3 events, 4 files\n    \
         zen                  1 events, 1 files\n\nActive pack: retro\n"
    );

    let o = run(&["sound", "test", "done"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let done = packs.join("retro/done.ogg");
    assert!(stdout(&o).contains(&format!("File:   {}", done.display())));
    assert!(stdout(&o).contains("Volume: 50"));
    assert_eq!(played(), format!("--volume=32768 {}\n", done.display()));

    // Unknown status, and a status without a sound: exit 1, nothing played.
    std::fs::remove_file(&log).unwrap();
    let o = run(&["sound", "test", "bogus"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("unknown status \"bogus\"; one of: waiting, permission"));
    let o = run(&["sound", "test", "permission"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("no sound configured for permission"),
        "{}",
        stderr(&o)
    );
    assert_eq!(played(), "");

    // test-all: each triggered status with a sound, in the Go navi's order; error is
    // turned off by `triggers`, permission has no sound in retro.
    let o = run(&["sound", "test-all"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let w1 = packs.join("retro/waiting-1.wav");
    assert_eq!(
        played(),
        format!(
            "--volume=32768 {}\n--volume=32768 {}\n",
            w1.display(),
            done.display()
        )
    );
    assert!(stdout(&o).starts_with("waiting "), "{}", stdout(&o));

    // A broken sounds.yaml is named, nothing plays.
    sounds_yaml(&env, "enabled: [");
    let o = run(&["sound", "test-all"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("sounds.yaml: not valid"),
        "{}",
        stderr(&o)
    );
}

/// With `XDG_CONFIG_HOME` set, remotes.yaml and sounds.yaml (and the packs beside it)
/// are read from `$XDG_CONFIG_HOME/navi/`, as config.yaml is, not from `~/.config/navi/`.
#[test]
fn xdg_config_home_holds_remotes_yaml_and_sounds_yaml() {
    let env = Env::new();
    let xdg = env.home.path().join("xdg");
    let run = |args: &[&str]| {
        env.command(args)
            .env_remove("NAVI_REMOTES")
            .env("XDG_CONFIG_HOME", &xdg)
            .output()
            .unwrap()
    };
    let navi_dir = xdg.join("navi");
    std::fs::create_dir_all(navi_dir.join("soundpacks/xdgpack")).unwrap();
    std::fs::write(
        navi_dir.join("remotes.yaml"),
        "remotes:\n  - name: nohost\n",
    )
    .unwrap();
    std::fs::write(navi_dir.join("sounds.yaml"), "pack: xdgpack\n").unwrap();
    std::fs::write(navi_dir.join("soundpacks/xdgpack/done.wav"), b"").unwrap();
    // The HOME places hold something else, which must not be read.
    sounds_yaml(&env, "pack: homepack\n");

    let o = run(&["remotes", "--json"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let errors = v["errors"].to_string();
    let file = navi_dir.join("remotes.yaml");
    assert!(errors.contains(&*file.to_string_lossy()), "{v}");

    let o = run(&["sound", "list"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("* xdgpack"), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("Active pack: xdgpack"),
        "{}",
        stdout(&o)
    );
}
