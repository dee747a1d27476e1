use std::sync::Arc;
use std::time::{Duration, Instant};

use navi_core::events::{Event, Notice, COALESCE};
use navi_core::statusdir::liveness::Liveness;
use navi_core::testing::session;
use navi_core::{SessionInfo, Snapshot, SourceHealth, SourceState, Status};
use tokio::sync::watch;

use super::channels::{self, Channel, RecordingScreen, SystemNotifier, Title};
use super::launch::{Launcher, Processes, Recorder};
use super::settings::{Desktop, NotifySettings, OscFlavour};
use super::sounds::Sounds;
use super::{osc, Notifications, Notifier, Wiring};

fn row(name: &str, remote: Option<&str>, status: &str) -> Arc<SessionInfo> {
    let mut s = session(name, status, 1);
    s.remote = remote.map(Into::into);
    s.message = "Bash".into();
    Arc::new(s)
}

fn snap(rows: &[(&str, Option<&str>, &str)]) -> Arc<Snapshot> {
    Arc::new(Snapshot {
        sessions: rows.iter().map(|(n, r, s)| row(n, *r, s)).collect(),
        sources: Vec::new(),
        generation: 0,
    })
}

struct Fakes {
    screen: RecordingScreen,
    launcher: Recorder,
}

fn wiring(tmux: bool, sounds: Option<(Sounds, std::path::PathBuf)>) -> (Wiring, Fakes) {
    let (mut wiring, screen, launcher) = super::fake_wiring(tmux);
    wiring.sounds = sounds;
    (wiring, Fakes { screen, launcher })
}

fn programs(launcher: &Recorder) -> Vec<String> {
    launcher
        .taken()
        .iter()
        .map(|(argv, _)| argv[0].clone())
        .collect()
}

/// The notifier's task, fed by a watch channel as the aggregator's, on tokio's paused
/// clock; the test plays the dashboard's loop.
struct Running {
    snapshots: watch::Sender<Arc<Snapshot>>,
    muted: watch::Sender<bool>,
    n: Notifications,
    fakes: Fakes,
}

impl Running {
    /// Starts the task with `first` as the aggregator's current snapshot.
    async fn start(settings: &NotifySettings, w: (Wiring, Fakes), first: Arc<Snapshot>) -> Running {
        let (wiring, fakes) = w;
        let (snapshots, rx) = watch::channel(first);
        let (muted, muted_rx) = watch::channel(false);
        let n = Notifier::new(settings, wiring).spawn(rx, muted_rx);
        settle().await;
        Running {
            snapshots,
            muted,
            n,
            fakes,
        }
    }

    /// The aggregator publishes `snapshot`; the window passes.
    async fn send(&mut self, snapshot: Arc<Snapshot>) {
        self.snapshots.send_replace(snapshot);
        settle().await;
    }

    /// What the dashboard's loop does: shows each notice, then the title.
    fn dashboard(&mut self, attention: usize) {
        while let Some(notice) = self.n.try_next() {
            self.n.show(&notice);
        }
        self.n.title(attention);
    }
}

/// Lets the task see what was sent and its window pass.
async fn settle() {
    tokio::time::sleep(COALESCE + Duration::from_millis(50)).await;
}

#[tokio::test(start_paused = true)]
async fn a_transition_goes_out_once_through_every_channel() {
    let settings = NotifySettings {
        command: vec!["hook.sh".into(), "--x".into()],
        ..NotifySettings::default()
    };
    let first = snap(&[("api", Some("dev-server"), "working")]);
    let mut r = Running::start(&settings, wiring(false, None), first).await;
    r.dashboard(0);
    assert_eq!(
        r.fakes.screen.take(),
        b"\x1b[22;0t\x1b]2;navi\x07",
        "the first snapshot: title only, no notification"
    );
    assert!(r.fakes.launcher.taken().is_empty());

    let asks = snap(&[("api", Some("dev-server"), "permission")]);
    r.send(asks.clone()).await;
    r.dashboard(1);
    let mut expected = b"\x07".to_vec();
    expected.extend_from_slice(b"\x1b]777;notify;navi;api [dev-server] needs permission: Bash\x07");
    expected.extend_from_slice(b"\x1b]2;navi (1 needs you)\x07");
    assert_eq!(r.fakes.screen.take(), expected);
    let launches = r.fakes.launcher.taken();
    assert_eq!(programs(&r.fakes.launcher), ["notify-send", "hook.sh"]);
    assert_eq!(
        launches[0].0,
        [
            "notify-send",
            "--app-name=navi",
            "--",
            "navi",
            "api [dev-server] needs permission: Bash"
        ]
    );
    assert_eq!(launches[1].0, ["hook.sh", "--x"]);

    // The same snapshot again, and an equal one: nothing new.
    r.send(asks).await;
    r.send(snap(&[("api", Some("dev-server"), "permission")]))
        .await;
    r.dashboard(1);
    assert!(r.fakes.screen.take().is_empty(), "the title did not change");
    assert_eq!(r.fakes.launcher.taken().len(), 2);

    // The dashboard quits: the terminal gets its title back.
    let Running { n, fakes, .. } = r;
    drop(n);
    assert_eq!(fakes.screen.take(), osc::POP_TITLE);
}

#[tokio::test(start_paused = true)]
async fn mute_suppresses_every_channel_but_the_title_and_unmuting_replays_nothing() {
    let settings = NotifySettings {
        command: vec!["hook.sh".into()],
        ..NotifySettings::default()
    };
    let first = snap(&[("api", None, "working")]);
    let mut r = Running::start(&settings, wiring(false, None), first).await;
    r.dashboard(0);
    r.fakes.screen.take();
    r.muted.send_replace(true);
    r.send(snap(&[("api", None, "waiting")])).await;
    r.dashboard(1);
    assert_eq!(r.fakes.screen.take(), b"\x1b]2;navi (1 needs you)\x07");
    assert!(r.fakes.launcher.taken().is_empty());
    r.muted.send_replace(false);
    r.send(snap(&[("api", None, "waiting")])).await;
    r.dashboard(1);
    assert!(r.fakes.screen.take().is_empty());
    assert!(r.fakes.launcher.taken().is_empty());
    // A change after unmuting is announced (once the session's 10 s between two
    // events, counted while muted too, have passed).
    tokio::time::sleep(Duration::from_secs(10)).await;
    r.send(snap(&[("api", None, "working")])).await;
    r.send(snap(&[("api", None, "permission")])).await;
    assert_eq!(programs(&r.fakes.launcher), ["notify-send", "hook.sh"]);
}

#[tokio::test(start_paused = true)]
async fn switched_off_channels_stay_quiet() {
    let settings = NotifySettings {
        bell: false,
        title: false,
        desktop: Desktop::System,
        ..NotifySettings::default()
    };
    let first = snap(&[("api", None, "working")]);
    let mut r = Running::start(&settings, wiring(true, None), first.clone()).await;
    r.send(snap(&[("api", None, "waiting")])).await;
    r.dashboard(1);
    assert!(r.fakes.screen.take().is_empty());
    assert_eq!(
        programs(&r.fakes.launcher),
        ["notify-send", "tmux"],
        "inside tmux, tmux's message too"
    );

    let settings = NotifySettings {
        desktop: Desktop::Terminal,
        osc: OscFlavour::Both,
        bell: false,
        title: false,
        ..NotifySettings::default()
    };
    let mut r = Running::start(&settings, wiring(true, None), first).await;
    r.send(snap(&[("api", None, "waiting")])).await;
    r.dashboard(1);
    assert_eq!(
        r.fakes.screen.take(),
        b"\x1bPtmux;\x1b\x1b]777;notify;navi;api is waiting for you: Bash\x07\x1b\\\
          \x1bPtmux;\x1b\x1b]9;api is waiting for you: Bash\x07\x1b\\"
    );
    assert_eq!(programs(&r.fakes.launcher), ["tmux"], "no notify-send");
}

#[tokio::test(start_paused = true)]
async fn while_attached_the_off_screen_channels_and_tmux_announce_once() {
    let first = snap(&[("api", None, "working"), ("web", Some("dev"), "working")]);
    let mut r = Running::start(&NotifySettings::default(), wiring(true, None), first).await;
    r.dashboard(0);
    r.fakes.screen.take();

    // Enter: the attach has the terminal.
    r.n.leave_screen();
    let asks = snap(&[("api", None, "working"), ("web", Some("dev"), "permission")]);
    r.send(asks.clone()).await;
    let launches = r.fakes.launcher.taken();
    assert_eq!(programs(&r.fakes.launcher), ["notify-send", "tmux"]);
    assert_eq!(
        launches[1].0,
        [
            "tmux",
            "display-message",
            "navi: web [dev] needs permission: Bash"
        ]
    );
    r.n.back_on_screen();
    // Back on the dashboard: the title follows, nothing is announced twice.
    r.dashboard(1);
    assert_eq!(r.fakes.screen.take(), b"\x1b]2;navi (1 needs you)\x07");
    r.send(asks).await;
    r.dashboard(1);
    assert_eq!(r.fakes.launcher.taken().len(), 2);
    assert!(r.fakes.screen.take().is_empty());

    // A notice the dashboard had not shown yet when the attach began was announced off
    // screen: it is not rung late, after the attach.
    r.send(snap(&[
        ("api", None, "waiting"),
        ("web", Some("dev"), "permission"),
    ]))
    .await;
    r.n.leave_screen();
    r.n.back_on_screen();
    r.dashboard(2);
    assert_eq!(r.fakes.screen.take(), b"\x1b]2;navi (2 need you)\x07");
    assert_eq!(r.fakes.launcher.taken().len(), 4);
}

#[tokio::test(start_paused = true)]
async fn bursts_are_one_notification() {
    let settings = NotifySettings {
        on: ["done"].into_iter().collect(),
        title: false,
        ..NotifySettings::default()
    };
    let names: Vec<String> = (0..10).map(|i| format!("s{i}")).collect();
    let rows = |status: &'static str| -> Vec<(&str, Option<&str>, &str)> {
        names.iter().map(|s| (s.as_str(), None, status)).collect()
    };
    let mut r = Running::start(&settings, wiring(false, None), snap(&rows("working"))).await;
    r.send(snap(&rows("done"))).await;
    r.dashboard(0);
    let launches = r.fakes.launcher.taken();
    assert_eq!(launches.len(), 1);
    assert!(
        launches[0].0[4].starts_with("10 sessions are done: s0, s1"),
        "{launches:?}"
    );
    let screen = String::from_utf8(r.fakes.screen.take()).unwrap();
    assert_eq!(
        screen.matches('\x07').count(),
        2,
        "one bell, one OSC: {screen:?}"
    );
}

// The cases of the issue, through every channel: bell, OSC, system notification, sound,
// speech, the user's command.

/// Every channel on, with a sound and speech for `permission` and `waiting`.
fn every_channel() -> (NotifySettings, (Wiring, Fakes)) {
    let settings = NotifySettings {
        command: vec!["on-navi".into()],
        title: false,
        ..NotifySettings::default()
    };
    let sounds = Sounds {
        enabled: true,
        player: "myplayer".into(),
        tts_engine: "myspeech".into(),
        files: [
            ("permission".to_string(), "/s/p.wav".to_string()),
            ("waiting".to_string(), "/s/w.wav".to_string()),
        ]
        .into_iter()
        .collect(),
        ..Sounds::default()
    };
    (settings, wiring(false, Some((sounds, "/packs".into()))))
}

fn connected(names: &[Option<&str>]) -> Vec<SourceHealth> {
    names
        .iter()
        .map(|n| SourceHealth {
            state: SourceState::Connected,
            ..SourceHealth::connecting(n.map(Into::into))
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn starting_with_sessions_already_waiting_is_silent() {
    let (settings, w) = every_channel();
    let first = Arc::new(Snapshot {
        sessions: vec![
            row("api", None, "waiting"),
            row("web", Some("dev"), "permission"),
            row("train", Some("gpu"), "waiting"),
        ],
        sources: connected(&[None, Some("dev"), Some("gpu")]),
        generation: 1,
    });
    let mut r = Running::start(&settings, w, first.clone()).await;
    r.send(first).await;
    r.dashboard(3);
    assert!(r.fakes.screen.take().is_empty(), "no bell, no OSC");
    assert!(
        r.fakes.launcher.taken().is_empty(),
        "no notify-send, sound, speech or command"
    );
}

#[tokio::test(start_paused = true)]
async fn a_remote_answering_after_the_start_is_not_news() {
    let (settings, w) = every_channel();
    let mut dev = connected(&[None, Some("dev")]);
    dev[1].state = SourceState::Connecting;
    let first = Arc::new(Snapshot {
        sessions: vec![row("api", None, "working")],
        sources: dev,
        generation: 1,
    });
    let mut r = Running::start(&settings, w, first).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    r.send(Arc::new(Snapshot {
        sessions: vec![
            row("api", None, "working"),
            row("web", Some("dev"), "permission"),
            row("db", Some("dev"), "waiting"),
        ],
        sources: connected(&[None, Some("dev")]),
        generation: 2,
    }))
    .await;
    r.dashboard(2);
    assert!(r.fakes.screen.take().is_empty());
    assert!(r.fakes.launcher.taken().is_empty());
}

#[tokio::test(start_paused = true)]
async fn an_ended_row_needing_permission_is_silent() {
    let (settings, w) = every_channel();
    let ghost = |status: &str| {
        let mut s = SessionInfo::clone(&row("ghost", None, status));
        s.liveness = Liveness::Ended;
        Arc::new(s)
    };
    let snapshot = |status: &str| {
        Arc::new(Snapshot {
            sessions: vec![ghost(status)],
            sources: connected(&[None]),
            generation: 1,
        })
    };
    let mut r = Running::start(&settings, w, snapshot("working")).await;
    r.send(snapshot("permission")).await;
    r.dashboard(0);
    assert!(r.fakes.screen.take().is_empty());
    assert!(r.fakes.launcher.taken().is_empty());
}

#[tokio::test(start_paused = true)]
async fn two_machines_200_ms_apart_are_one_notification_on_every_channel() {
    let (settings, w) = every_channel();
    let at = |web: &str, train: &str| {
        Arc::new(Snapshot {
            sessions: vec![
                row("web", Some("dev"), web),
                row("train", Some("gpu"), train),
            ],
            sources: connected(&[Some("dev"), Some("gpu")]),
            generation: 1,
        })
    };
    let mut r = Running::start(&settings, w, at("working", "working")).await;
    r.snapshots.send_replace(at("permission", "working"));
    tokio::time::sleep(Duration::from_millis(200)).await;
    r.snapshots.send_replace(at("permission", "permission"));
    settle().await;
    r.dashboard(2);
    let summary = "2 sessions need you: web [dev], train [gpu]";
    let mut expected = b"\x07".to_vec();
    expected.extend_from_slice(format!("\x1b]777;notify;navi;{summary}\x07").as_bytes());
    assert_eq!(r.fakes.screen.take(), expected, "one bell, one OSC");
    let launches: Vec<Vec<String>> = r.fakes.launcher.taken().into_iter().map(|l| l.0).collect();
    assert_eq!(
        launches,
        [
            vec!["notify-send", "--app-name=navi", "--", "navi", summary],
            vec!["on-navi"],
            vec!["myplayer", "/s/p.wav"],
            vec!["myspeech", "web [dev] — permission, and 1 more"],
        ]
    );
    let env: std::collections::HashMap<_, _> =
        r.fakes.launcher.taken()[1].1.iter().cloned().collect();
    assert_eq!(env["NAVI_COUNT"], "2");
    assert_eq!(env["NAVI_SUMMARY"], summary);
}

fn notice(events: Vec<Event>) -> Notice {
    Notice { events }
}

fn status_event(session: &str, remote: Option<&str>, status: Status, message: &str) -> Event {
    Event::Status {
        session: session.into(),
        remote: remote.map(Into::into),
        status,
        message: message.into(),
        agent: "claude".into(),
    }
}

#[test]
fn the_user_command_environment_is_sanitized_and_bounded() {
    let n = notice(vec![status_event(
        "api\x1b[31m",
        Some("dev"),
        Status::Permission,
        &"x".repeat(1000),
    )]);
    let env: std::collections::HashMap<_, _> = channels::environment(&n).into_iter().collect();
    assert_eq!(env["NAVI_EVENT"], "status");
    assert_eq!(env["NAVI_SESSION"], "api");
    assert_eq!(env["NAVI_REMOTE"], "dev");
    assert_eq!(env["NAVI_STATUS"], "permission");
    assert_eq!(env["NAVI_MESSAGE"].chars().count(), 200);
    assert_eq!(env["NAVI_COUNT"], "1");
    let down = notice(vec![Event::Remote {
        remote: "dev".into(),
        reason: Some("refused".into()),
    }]);
    let env: std::collections::HashMap<_, _> = channels::environment(&down).into_iter().collect();
    assert_eq!(env["NAVI_EVENT"], "remote");
    assert_eq!(env["NAVI_SESSION"], "");
    assert_eq!(env["NAVI_STATUS"], "unavailable");
    assert_eq!(env["NAVI_SUMMARY"], "dev is unavailable: refused");
}

#[test]
fn the_user_command_runs_with_the_event_in_its_environment() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("env.txt");
    let script = format!("env > '{}.tmp' && mv '{0}.tmp' '{0}'", out.display());
    let mut c = channels::UserCommand {
        launcher: Arc::new(Processes),
        argv: vec!["sh".into(), "-c".into(), script],
    };
    let n = notice(vec![status_event(
        "api",
        Some("dev-server"),
        Status::Waiting,
        "$(touch pwned); `id`",
    )]);
    c.notify(&n, Instant::now());
    let deadline = Instant::now() + Duration::from_secs(10);
    while !out.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let env = std::fs::read_to_string(&out).unwrap();
    for line in [
        "NAVI_EVENT=status",
        "NAVI_SESSION=api",
        "NAVI_REMOTE=dev-server",
        "NAVI_STATUS=waiting",
        "NAVI_MESSAGE=$(touch pwned); `id`",
        "NAVI_SUMMARY=api [dev-server] is waiting for you: $(touch pwned); `id`",
        "NAVI_COUNT=1",
    ] {
        assert!(env.lines().any(|l| l == line), "{line} in {env}");
    }
    assert!(!dir.path().join("pwned").exists());
    assert!(!std::env::current_dir().unwrap().join("pwned").exists());
}

/// What a test's tracing subscriber wrote.
#[derive(Clone, Default)]
struct Log(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_missing_program_is_logged_not_fatal() {
    let log = Log::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let dir = tempfile::tempdir().unwrap();
    let ran = dir.path().join("ran");
    tracing::subscriber::with_default(subscriber, || {
        Processes.launch(&["/nonexistent/navi-notify-test".into()], &[]);
        // Nothing to start is nothing to say.
        Processes.launch(&[], &[]);
        // The next notification's program still starts.
        Processes.launch(&["touch".into(), ran.display().to_string()], &[]);
    });
    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(
        text.contains("WARN")
            && text.contains("notification: cannot run it")
            && text.contains("/nonexistent/navi-notify-test"),
        "{text}"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while !ran.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(ran.exists(), "the program after the missing one ran");
}

#[test]
fn system_notifiers_take_the_text_as_arguments() {
    let argv = SystemNotifier::Osascript.argv("navi", "a \" & b");
    assert_eq!(argv[0], "osascript");
    assert_eq!(&argv[argv.len() - 2..], ["navi", "a \" & b"]);
    assert!(!argv[..argv.len() - 2].iter().any(|a| a.contains("a \"")));
    assert_eq!(
        SystemNotifier::NotifySend.argv("navi", "-x <b>&"),
        [
            "notify-send",
            "--app-name=navi",
            "--",
            "navi",
            "-x &lt;b&gt;&amp;"
        ]
    );
}

#[test]
fn tmux_messages_cannot_run_formats() {
    assert_eq!(
        channels::tmux_message_argv("api #(rm -rf ~) #{pane_id}"),
        [
            "tmux",
            "display-message",
            "navi: api ##(rm -rf ~) ##{pane_id}"
        ]
    );
}

#[test]
fn osc_auto_picks_one_sequence() {
    use channels::resolve_osc;
    assert_eq!(
        resolve_osc(OscFlavour::Auto, Some("iTerm.app"), None),
        OscFlavour::Osc9
    );
    assert_eq!(
        resolve_osc(OscFlavour::Auto, Some("tmux"), Some("iTerm2")),
        OscFlavour::Osc9
    );
    assert_eq!(
        resolve_osc(OscFlavour::Auto, Some("WezTerm"), None),
        OscFlavour::Osc777
    );
    assert_eq!(
        resolve_osc(OscFlavour::Both, Some("iTerm.app"), None),
        OscFlavour::Both
    );
}

#[test]
fn the_title_is_written_only_when_the_count_changes() {
    let screen = RecordingScreen::default();
    let mut t = Title {
        screen: Box::new(screen.clone()),
        shown: None,
    };
    t.show(2);
    t.show(2);
    t.show(0);
    assert_eq!(
        screen.take(),
        b"\x1b[22;0t\x1b]2;navi (2 need you)\x07\x1b]2;navi\x07"
    );
    t.restore();
    t.restore();
    assert_eq!(screen.take(), b"\x1b[23;0t");
}

#[test]
fn sounds_follow_sounds_yaml_with_cooldown_and_speech() {
    let packs = tempfile::tempdir().unwrap();
    std::fs::create_dir(packs.path().join("retro")).unwrap();
    std::fs::write(packs.path().join("retro/permission.wav"), b"").unwrap();
    let sounds = Sounds {
        enabled: true,
        pack: "retro".into(),
        player: "myplayer".into(),
        tts_engine: "myspeech".into(),
        cooldown_seconds: 30,
        ..Sounds::default()
    };
    let launcher = Recorder::default();
    let mut s = channels::Sound {
        launcher: Arc::new(launcher.clone()),
        sounds,
        packs: packs.path().to_path_buf(),
        pick: 0,
        last: Default::default(),
        chosen: None,
    };
    let t = Instant::now();
    let asks = notice(vec![
        status_event("api", None, Status::Permission, ""),
        status_event("web", None, Status::Permission, ""),
    ]);
    s.notify(&asks, t);
    let l = launcher.taken();
    assert_eq!(l.len(), 2, "{l:?}");
    assert_eq!(l[0].0[0], "myplayer");
    assert!(l[0].0[1].ends_with("retro/permission.wav"));
    assert_eq!(l[1].0, ["myspeech", "api — permission, and 1 more"]);
    s.notify(&asks, t + Duration::from_secs(5));
    assert_eq!(launcher.taken().len(), 2, "cooling down");
    // A status sounds.yaml does not trigger, and a remote event: silence.
    let quiet = Sounds {
        triggers: [("permission".to_string(), false)].into_iter().collect(),
        ..s.sounds.clone()
    };
    s.sounds = quiet;
    s.notify(&asks, t + Duration::from_secs(60));
    s.notify(
        &notice(vec![Event::Remote {
            remote: "dev".into(),
            reason: None,
        }]),
        t + Duration::from_secs(60),
    );
    assert_eq!(launcher.taken().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn sounds_are_built_only_when_sounds_yaml_enables_them() {
    let sounds = Sounds {
        enabled: true,
        player: "myplayer".into(),
        files: [("waiting".to_string(), "/s/w.wav".to_string())]
            .into_iter()
            .collect(),
        tts: super::sounds::Tts {
            enabled: false,
            ..Default::default()
        },
        ..Sounds::default()
    };
    let settings = NotifySettings {
        bell: false,
        desktop: Desktop::Off,
        title: false,
        ..NotifySettings::default()
    };
    let first = snap(&[("api", None, "working")]);
    let w = wiring(false, Some((sounds.clone(), "/packs".into())));
    let mut r = Running::start(&settings, w, first.clone()).await;
    r.send(snap(&[("api", None, "waiting")])).await;
    assert_eq!(r.fakes.launcher.taken()[0].0, ["myplayer", "/s/w.wav"]);

    let off = NotifySettings {
        sound: false,
        ..settings
    };
    let w = wiring(false, Some((sounds, "/packs".into())));
    let mut r = Running::start(&off, w, first).await;
    r.send(snap(&[("api", None, "waiting")])).await;
    assert!(r.fakes.launcher.taken().is_empty());
}

/// sounds.yaml decides which statuses sound (the Go navi's defaults: waiting,
/// permission, done, error); `notify.on` keeps deciding for the other channels.
#[tokio::test(start_paused = true)]
async fn sounds_follow_sounds_yaml_triggers_not_notify_on() {
    let files = ["waiting", "permission", "done", "error", "working"]
        .map(|s| (s.to_string(), format!("/s/{s}.wav")));
    let sounds = Sounds {
        enabled: true,
        player: "myplayer".into(),
        files: files.into_iter().collect(),
        cooldown_seconds: 1,
        tts: super::sounds::Tts {
            enabled: false,
            ..Default::default()
        },
        ..Sounds::default()
    };
    let settings = NotifySettings {
        command: vec!["on-navi".into()],
        title: false,
        ..NotifySettings::default()
    };
    let first = snap(&[("api", None, "working")]);
    let w = wiring(false, Some((sounds.clone(), "/packs".into())));
    let mut r = Running::start(&settings, w, first).await;
    for status in ["done", "working", "error", "working", "waiting", "working"] {
        r.send(snap(&[("api", None, status)])).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        r.dashboard(0);
    }
    let heard: Vec<String> = r
        .fakes
        .launcher
        .taken()
        .iter()
        .map(|(a, _)| a.join(" "))
        .collect();
    assert_eq!(
        heard,
        [
            "myplayer /s/done.wav",
            "myplayer /s/error.wav",
            "notify-send --app-name=navi -- navi api is waiting for you: Bash",
            "on-navi",
            "myplayer /s/waiting.wav",
        ],
        "done and error sound by sounds.yaml's defaults; only waiting reaches `on:`'s channels"
    );
    // The bell rang once: for waiting, the only status of `on:` that arrived.
    assert_eq!(r.fakes.screen.take().iter().filter(|b| **b == 7).count(), 2);

    // sounds.yaml turning waiting off silences it while the command still runs.
    let mut quiet = sounds;
    quiet.triggers.insert("waiting".into(), false);
    quiet.triggers.insert("working".into(), true);
    let w = wiring(false, Some((quiet, "/packs".into())));
    let mut r = Running::start(&settings, w, snap(&[("api", None, "done")])).await;
    r.send(snap(&[("api", None, "waiting")])).await;
    r.send(snap(&[("api", None, "working")])).await;
    let heard: Vec<String> = r
        .fakes
        .launcher
        .taken()
        .iter()
        .map(|(a, _)| a.join(" "))
        .collect();
    assert_eq!(
        heard,
        [
            "notify-send --app-name=navi -- navi api is waiting for you: Bash",
            "on-navi",
            "myplayer /s/working.wav"
        ]
    );
}

/// The pack chosen with `S` is what the running sound channel plays next.
#[test]
fn the_pack_chosen_in_the_dashboard_plays_next() {
    let packs = tempfile::tempdir().unwrap();
    for pack in ["retro", "zen"] {
        std::fs::create_dir_all(packs.path().join(pack)).unwrap();
        std::fs::write(packs.path().join(pack).join("waiting.wav"), b"").unwrap();
    }
    let (tx, rx) = watch::channel(String::new());
    let launcher = Recorder::default();
    let mut s = channels::Sound {
        launcher: Arc::new(launcher.clone()),
        sounds: Sounds {
            enabled: true,
            pack: "retro".into(),
            player: "myplayer".into(),
            tts: super::sounds::Tts {
                enabled: false,
                ..Default::default()
            },
            ..Sounds::default()
        },
        packs: packs.path().to_path_buf(),
        pick: 0,
        last: Default::default(),
        chosen: Some(rx),
    };
    let waits = |who: &str| notice(vec![status_event(who, None, Status::Waiting, "")]);
    let t = Instant::now();
    s.notify(&waits("a"), t);
    tx.send_replace("zen".into());
    s.notify(&waits("b"), t);
    let played: Vec<String> = launcher.taken().iter().map(|(a, _)| a[1].clone()).collect();
    assert!(
        played[0].ends_with("retro/waiting.wav") && played[1].ends_with("zen/waiting.wav"),
        "{played:?}"
    );
}

/// A process's state letter from /proc (`None`: gone).
#[cfg(target_os = "linux")]
fn proc_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    rest.trim_start().chars().next()
}

/// Waits (bounded) until `pid` is neither running nor a zombie of ours.
#[cfg(target_os = "linux")]
fn ends(pid: u32) -> bool {
    (0..500).any(|_| {
        let running = proc_state(pid).is_some_and(|s| s != 'Z');
        if running {
            std::thread::sleep(Duration::from_millis(20));
        }
        !running
    })
}

/// One reaper waits for every notification program: one that ends is reaped (no zombie
/// left), one that runs past its deadline is killed with what it started.
#[cfg(target_os = "linux")]
#[test]
fn the_reaper_reaps_and_stops_overdue_programs_with_their_group() {
    use super::launch::Reaper;
    let reaper = Reaper::start().unwrap();
    let spawn = |script: &str| {
        let mut cmd = std::process::Command::new("sh");
        cmd.arg("-c").arg(script);
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        cmd.spawn().unwrap()
    };
    let quick = spawn("exit 0");
    let quick_pid = quick.id();
    reaper.watch(quick, Instant::now() + Duration::from_secs(60));
    // Reaped: gone, not left a zombie of this process.
    let gone = (0..500).any(|_| {
        let there = proc_state(quick_pid).is_some();
        if there {
            std::thread::sleep(Duration::from_millis(20));
        }
        !there
    });
    assert!(gone, "the program that ended was not reaped");

    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pid");
    let stuck = spawn(&format!(
        "sleep 300 & echo $! > '{}'; wait",
        pidfile.display()
    ));
    let stuck_pid = stuck.id();
    let written = || std::fs::read_to_string(&pidfile).is_ok_and(|s| s.ends_with('\n'));
    for _ in 0..500 {
        if written() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let grandchild: u32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    reaper.watch(stuck, Instant::now() + Duration::from_millis(300));
    assert!(ends(stuck_pid), "the overdue program still runs");
    assert!(
        ends(grandchild),
        "what the overdue program started still runs"
    );
}

#[test]
fn notifications_name_the_agent() {
    // From the snapshot: the agent of a Codex session, and of a Claude session whose
    // OpenCode helper asks.
    let mut cx = session("web", "permission", 1);
    cx.agent = Some("codex".into());
    let mut helped = session("api", "working", 1);
    helped.agents =
        serde_json::from_str(r#"{"opencode":{"status":"permission","timestamp":1}}"#).ok();
    assert_eq!(cx.status_agent(), "codex");
    assert_eq!(helped.status_agent(), "opencode");
    assert_eq!(session("db", "waiting", 1).status_agent(), "claude");

    let mut event = status_event("web", Some("dev"), Status::Permission, "Bash");
    if let Event::Status { agent, .. } = &mut event {
        *agent = "codex".into();
    }
    let n = notice(vec![event]);
    assert_eq!(n.summary(), "web [dev] (Codex) needs permission: Bash");
    let env: std::collections::HashMap<_, _> = channels::environment(&n).into_iter().collect();
    assert_eq!(env["NAVI_AGENT"], "codex");
    // A Claude Code session reads as it always did, and says `claude` to the command.
    let claude = notice(vec![status_event("db", None, Status::Waiting, "")]);
    assert_eq!(claude.summary(), "db is waiting for you");
    let env: std::collections::HashMap<_, _> = channels::environment(&claude).into_iter().collect();
    assert_eq!(env["NAVI_AGENT"], "claude");

    // The sound's player gets the variables too; speech names the agent.
    let packs = tempfile::tempdir().unwrap();
    std::fs::create_dir(packs.path().join("retro")).unwrap();
    std::fs::write(packs.path().join("retro/permission.wav"), b"").unwrap();
    let launcher = Recorder::default();
    let mut s = channels::Sound {
        launcher: Arc::new(launcher.clone()),
        sounds: Sounds {
            enabled: true,
            pack: "retro".into(),
            player: "myplayer".into(),
            tts_engine: "myspeech".into(),
            ..Sounds::default()
        },
        packs: packs.path().to_path_buf(),
        pick: 0,
        last: Default::default(),
        chosen: None,
    };
    s.notify(&n, Instant::now());
    let l = launcher.taken();
    assert_eq!(l.len(), 2, "{l:?}");
    assert!(l[0]
        .1
        .iter()
        .any(|(k, v)| k == "NAVI_AGENT" && v == "codex"));
    assert_eq!(l[1].0, ["myspeech", "web [dev] (Codex) — permission"]);
}
