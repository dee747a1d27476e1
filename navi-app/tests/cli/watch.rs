//! `navi watch` as a user runs it: beside a dashboard (in a private tmux server) exactly
//! one of them notifies each change, and the dashboard takes over when watch ends; on
//! SIGTERM / SIGINT it ends cleanly and withdraws its summary; a bad config.yaml stops it
//! with the field named; a webhook reaches a loopback server with no secret in the log.
//!
//! The recording channel is `notify.command`: a shell appending `SESSION STATUS PPID` (the
//! pid of the navi that launched it) to a file. Waits are bounded polls of files, never
//! timing assertions.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{dir, Env};

/// How long any one wait may take before the test fails (a shared, slow machine).
const PATIENCE: Duration = Duration::from_secs(40);

/// A HOME with sessions `one`, `two`, `three` (working, in the private tmux server), a
/// runtime directory, and a config.yaml whose notifications go to a recording command.
struct Watched {
    env: Env,
    sessions: PathBuf,
    run: PathBuf,
    config: PathBuf,
    record: PathBuf,
}

impl Watched {
    fn new(extra_notify: &str) -> Watched {
        let env = Env::new();
        let home = env.home.path().to_path_buf();
        let sessions = home.join("sessions");
        std::fs::create_dir(&sessions).unwrap();
        let run = home.join("run");
        std::fs::create_dir(&run).unwrap();
        let record = home.join("notified.txt");
        let config = home.join("config.yaml");
        let script = format!(
            "printf '%s %s %s\\n' \"$NAVI_SESSION\" \"$NAVI_STATUS\" \"$PPID\" >> '{}'",
            record.display()
        );
        let yaml = format!(
            "notify:\n  on: [permission]\n  bell: false\n  desktop: false\n  title: false\n  \
             sound: false\n  command: [/bin/sh, -c, {script:?}, navi-notify]\n{extra_notify}"
        );
        std::fs::write(&config, yaml).unwrap();
        let w = Watched {
            env,
            sessions,
            run,
            config,
            record,
        };
        for name in ["one", "two", "three"] {
            w.set(name, "working");
        }
        w.env.tmux_sessions(&["one", "two", "three"]);
        w
    }

    /// Writes `name`'s status file (atomically, as the hook does).
    fn set(&self, name: &str, status: &str) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let json = serde_json::json!({
            "tmux_session": name, "status": status, "message": "Bash", "cwd": "/tmp",
            "timestamp": now,
        });
        let tmp = self.sessions.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, json.to_string()).unwrap();
        std::fs::rename(tmp, self.sessions.join(format!("{name}.json"))).unwrap();
    }

    fn args(&self) -> Vec<String> {
        vec![
            "--sessions-dir".into(),
            dir(&self.sessions).into(),
            "--config".into(),
            dir(&self.config).into(),
        ]
    }

    /// `navi watch`, its stderr in `watch.log`.
    fn watch(&self) -> Child {
        let log = std::fs::File::create(self.watch_log()).unwrap();
        let args = self.args();
        let mut all = vec!["watch"];
        all.extend(args.iter().map(String::as_str));
        self.env
            .command(&all)
            .env("XDG_RUNTIME_DIR", &self.run)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap()
    }

    fn watch_log(&self) -> PathBuf {
        self.env.home.path().join("watch.log")
    }

    fn text(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap_or_default()
    }

    /// The dashboard, in the private tmux server (it needs a terminal), logging to
    /// `dashboard.log`.
    fn dashboard(&self) {
        let home = self.env.home.path();
        let mut cmd = Command::new("tmux");
        cmd.args(["new-session", "-d", "-s", "dash", "-x", "120", "-y", "40"]);
        for (k, v) in [
            ("HOME", dir(home).to_string()),
            ("XDG_RUNTIME_DIR", dir(&self.run).to_string()),
            (
                "NAVI_LOG_FILE",
                dir(&home.join("dashboard.log")).to_string(),
            ),
            (
                "NAVI_REMOTES",
                dir(&home.join("nonexistent/remotes.yaml")).to_string(),
            ),
            ("TMUX_TMPDIR", dir(home).to_string()),
        ] {
            cmd.args(["-e", &format!("{k}={v}")]);
        }
        cmd.arg(env!("CARGO_BIN_EXE_navi")).args(self.args());
        let out = cmd
            .env("TMUX_TMPDIR", home)
            .env_remove("TMUX")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn lease(&self) -> String {
        Self::text(&self.run.join("navi/notifier.lock"))
    }

    /// The recorded notifications: `SESSION STATUS PID`.
    fn notified(&self) -> Vec<String> {
        Self::text(&self.record).lines().map(String::from).collect()
    }
}

/// Waits (bounded) until `ready` says yes; `what` names it on failure.
fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < PATIENCE, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
}

/// Waits (bounded) for `child` to exit; kills it on failure.
fn exit_of(child: &mut Child) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > PATIENCE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("navi watch did not end");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn pid_in(line: &str) -> u32 {
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

#[test]
fn beside_a_dashboard_one_notification_per_change_and_the_dashboard_takes_over() {
    let w = Watched::new("");
    let mut watch = w.watch();
    let watch_pid = watch.id();
    wait_until("watch to hold the lease", || {
        w.lease().contains("\"watch\"")
    });
    w.dashboard();
    let dash_log = w.env.home.path().join("dashboard.log");
    wait_until("the dashboard to find watch notifying", || {
        Watched::text(&dash_log).contains("not notifying: navi watch")
    });

    w.set("one", "permission");
    wait_until("one's notification", || !w.notified().is_empty());
    // The next change is the barrier: a second notification of `one` would be in first.
    w.set("two", "permission");
    wait_until("two's notification", || w.notified().len() >= 2);
    assert_eq!(
        w.notified(),
        [
            format!("one permission {watch_pid}"),
            format!("two permission {watch_pid}")
        ],
        "watch alone notifies each change once"
    );

    signal(&watch, "-TERM");
    let status = exit_of(&mut watch);
    assert!(status.success(), "{status:?}");
    let log = Watched::text(&w.watch_log());
    assert!(log.contains("navi watch: stopped"), "{log}");
    assert!(log.contains("notify"), "a line per notification: {log}");
    assert!(
        log.contains("source=local"),
        "a line per source state: {log}"
    );

    wait_until("the dashboard to take over", || {
        w.lease().contains("\"dashboard\"")
    });
    w.set("three", "permission");
    wait_until("three's notification", || w.notified().len() >= 3);
    let notified = w.notified();
    assert_eq!(notified.len(), 3, "{notified:?}");
    assert!(notified[2].starts_with("three permission "), "{notified:?}");
    assert_ne!(pid_in(&notified[2]), watch_pid, "the dashboard notified it");
    let summary = w.run.join("navi/status.json");
    wait_until("the dashboard's summary", || {
        Watched::text(&summary).contains(&format!("\"pid\":{}", pid_in(&notified[2])))
    });
}

#[test]
fn watch_alone_publishes_the_summary_and_withdraws_it_on_sigint() {
    let w = Watched::new("");
    let mut watch = w.watch();
    let summary = w.run.join("navi/status.json");
    wait_until("watch's summary", || {
        Watched::text(&summary).contains(&format!("\"pid\":{}", watch.id()))
    });
    // `navi status` reads it (counts of this machine, from watch).
    let out = w
        .env
        .command(&["status", "--format", "json"])
        .env("XDG_RUNTIME_DIR", &w.run)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["from"], "dashboard", "{v}");
    signal(&watch, "-INT");
    assert!(exit_of(&mut watch).success());
    assert!(!summary.exists(), "the summary goes with watch");
    assert_eq!(w.lease(), "", "nobody holds the lease");
}

#[test]
fn watch_refuses_a_bad_config_naming_the_field() {
    let w = Watched::new("  webhooks:\n    - {url: 'https://x.example/h', template: teams}\n");
    let mut watch = w.watch();
    let status = exit_of(&mut watch);
    assert_eq!(status.code(), Some(1));
    let log = Watched::text(&w.watch_log());
    assert!(
        log.contains("navi watch does not start with configuration problems"),
        "{log}"
    );
    assert!(log.contains("field `notify.webhooks[0].template`"), "{log}");
    assert!(log.contains(dir(&w.config)), "the file is named: {log}");
}

#[test]
fn watch_help_explains_what_it_is_for() {
    let out = Env::new().navi(&["watch", "--help"]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for words in [
        "no dashboard open",
        "systemd",
        "notifier lease",
        "SIGTERM",
        "stderr",
    ] {
        assert!(help.contains(words), "{words}: {help}");
    }
}

/// One request a loopback server read: the request line, headers and body.
type Seen = Arc<Mutex<Vec<String>>>;

/// An HTTP server on 127.0.0.1 answering 200 to every request and recording each; the
/// returned flag stops it (the test joins the thread).
fn loopback() -> (u16, Seen, Arc<AtomicBool>, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen: Seen = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let (s, st) = (seen.clone(), stop.clone());
    let thread = std::thread::spawn(move || {
        while !st.load(Ordering::SeqCst) {
            let Ok((stream, _)) = listener.accept() else {
                std::thread::sleep(Duration::from_millis(10));
                continue;
            };
            stream.set_nonblocking(false).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            let mut reader = BufReader::new(&stream);
            let mut head = String::new();
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                head.push_str(&line);
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            s.lock()
                .unwrap()
                .push(head + "\r\n" + &String::from_utf8_lossy(&body));
            let _ = (&stream).write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        }
    });
    (port, seen, stop, thread)
}

#[test]
fn a_webhook_from_watch_reaches_the_server_and_no_secret_reaches_the_log() {
    let secret = "tk_9f8e7d-not-for-logs";
    let (port, seen, stop, server) = loopback();
    let w =
        Watched::new("  webhooks:\n    - {url_env: TEST_HOOK_URL, token_env: TEST_HOOK_TOKEN}\n");
    let url = format!("http://navi:{secret}@127.0.0.1:{port}/t-{secret}?auth={secret}");
    let log = std::fs::File::create(w.watch_log()).unwrap();
    let mut args = vec!["watch".to_string()];
    args.extend(w.args());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut watch = w
        .env
        .command(&args)
        .env("XDG_RUNTIME_DIR", &w.run)
        .env("TEST_HOOK_URL", &url)
        .env("TEST_HOOK_TOKEN", secret)
        .env("NAVI_LOG", "debug")
        .stdin(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    wait_until("watch to hold the lease", || {
        w.lease().contains("\"watch\"")
    });
    w.set("two", "permission");
    wait_until("the webhook", || !seen.lock().unwrap().is_empty());
    wait_until("the sent line", || {
        Watched::text(&w.watch_log()).contains("webhook sent")
    });
    signal(&watch, "-TERM");
    assert!(exit_of(&mut watch).success());
    stop.store(true, Ordering::SeqCst);
    server.join().unwrap();

    let request = seen.lock().unwrap()[0].clone();
    assert!(
        request.starts_with(&format!("POST /t-{secret}?auth={secret} HTTP/1.1")),
        "{request}"
    );
    assert!(
        request.contains(&format!("Authorization: Bearer {secret}")),
        "{request}"
    );
    let body: serde_json::Value =
        serde_json::from_str(request.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(body["session"], "two");
    assert_eq!(body["status"], "permission");
    assert!(
        body["text"]
            .as_str()
            .unwrap()
            .contains("two needs permission"),
        "{body}"
    );
    let log = Watched::text(&w.watch_log());
    assert!(!log.contains(secret), "{log}");
    assert!(log.contains(&format!("http://127.0.0.1:{port}")), "{log}");
}
