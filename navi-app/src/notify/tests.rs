use std::sync::Arc;
use std::time::{Duration, Instant};

use navi_core::events::{Event, Notice};
use navi_core::testing::session;
use navi_core::{Snapshot, Status};

use super::channels::{self, Channel, RecordingScreen, SystemNotifier, Title};
use super::launch::{Launcher, Processes, Recorder};
use super::settings::{Desktop, NotifySettings, OscFlavour};
use super::sounds::Sounds;
use super::{osc, Notifier, Wiring};

fn snap(rows: &[(&str, Option<&str>, &str)]) -> Arc<Snapshot> {
    Arc::new(Snapshot {
        sessions: rows
            .iter()
            .map(|(name, remote, status)| {
                let mut s = session(name, status, 1);
                s.remote = remote.map(Into::into);
                s.message = "Bash".into();
                Arc::new(s)
            })
            .collect(),
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

#[test]
fn a_transition_goes_out_once_through_every_channel() {
    let settings = NotifySettings {
        command: vec!["hook.sh".into(), "--x".into()],
        ..NotifySettings::default()
    };
    let (w, fakes) = wiring(false, None);
    let mut n = Notifier::new(&settings, w);

    let first = snap(&[("api", Some("dev-server"), "working")]);
    n.on_snapshot(&first, 0);
    assert_eq!(
        fakes.screen.take(),
        b"\x1b[22;0t\x1b]2;navi\x07",
        "the first snapshot: title only, no notification"
    );
    assert!(fakes.launcher.taken().is_empty());

    let asks = snap(&[("api", Some("dev-server"), "permission")]);
    n.on_snapshot(&asks, 1);
    let mut expected = b"\x1b]2;navi (1 needs you)\x07\x07".to_vec();
    expected.extend_from_slice(b"\x1b]777;notify;navi;api [dev-server] needs permission: Bash\x07");
    assert_eq!(fakes.screen.take(), expected);
    let launches = fakes.launcher.taken();
    assert_eq!(programs(&fakes.launcher), ["notify-send", "hook.sh"]);
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
    n.on_snapshot(&asks, 1);
    n.on_snapshot(&snap(&[("api", Some("dev-server"), "permission")]), 1);
    assert!(fakes.screen.take().is_empty(), "the title did not change");
    assert_eq!(fakes.launcher.taken().len(), 2);

    n.finish();
    assert_eq!(fakes.screen.take(), osc::POP_TITLE);
}

#[test]
fn mute_suppresses_every_channel_but_the_title_and_unmuting_replays_nothing() {
    let settings = NotifySettings {
        command: vec!["hook.sh".into()],
        ..NotifySettings::default()
    };
    let (w, fakes) = wiring(false, None);
    let mut n = Notifier::new(&settings, w);
    n.on_snapshot(&snap(&[("api", None, "working")]), 0);
    fakes.screen.take();
    n.set_muted(true);
    assert!(n.muted());
    n.on_snapshot(&snap(&[("api", None, "waiting")]), 1);
    assert_eq!(fakes.screen.take(), b"\x1b]2;navi (1 needs you)\x07");
    assert!(fakes.launcher.taken().is_empty());
    n.set_muted(false);
    n.on_snapshot(&snap(&[("api", None, "waiting")]), 1);
    assert!(fakes.screen.take().is_empty());
    assert!(fakes.launcher.taken().is_empty());
}

#[test]
fn switched_off_channels_stay_quiet() {
    let settings = NotifySettings {
        bell: false,
        title: false,
        desktop: Desktop::System,
        ..NotifySettings::default()
    };
    let (w, fakes) = wiring(true, None);
    let mut n = Notifier::new(&settings, w);
    n.on_snapshot(&snap(&[("api", None, "working")]), 0);
    n.on_snapshot(&snap(&[("api", None, "waiting")]), 1);
    assert!(fakes.screen.take().is_empty());
    assert_eq!(
        programs(&fakes.launcher),
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
    let (w, fakes) = wiring(true, None);
    let mut n = Notifier::new(&settings, w);
    n.on_snapshot(&snap(&[("api", None, "working")]), 0);
    n.on_snapshot(&snap(&[("api", None, "waiting")]), 1);
    assert_eq!(
        fakes.screen.take(),
        b"\x1bPtmux;\x1b\x1b]777;notify;navi;api is waiting for you: Bash\x07\x1b\\\
          \x1bPtmux;\x1b\x1b]9;api is waiting for you: Bash\x07\x1b\\"
    );
    assert_eq!(programs(&fakes.launcher), ["tmux"], "no notify-send");
}

#[tokio::test(start_paused = true)]
async fn while_attached_the_off_screen_channels_and_tmux_announce_once() {
    let (w, fakes) = wiring(true, None);
    let mut n = Notifier::new(&NotifySettings::default(), w);
    let first = snap(&[("api", None, "working"), ("web", Some("dev"), "working")]);
    n.on_snapshot(&first, 0);
    fakes.screen.take();
    let (tx, rx) = tokio::sync::watch::channel(first);
    let guard = n.while_attached(rx);

    let asks = snap(&[("api", None, "working"), ("web", Some("dev"), "permission")]);
    tx.send(asks.clone()).unwrap();
    tokio::time::sleep(Duration::from_millis(10)).await;
    let launches = fakes.launcher.taken();
    assert_eq!(programs(&fakes.launcher), ["notify-send", "tmux"]);
    assert_eq!(
        launches[1].0,
        [
            "tmux",
            "display-message",
            "navi: web [dev] needs permission: Bash"
        ]
    );
    assert!(
        fakes.screen.take().is_empty(),
        "the screen belongs to the attach"
    );
    drop(guard);

    // Back on the dashboard: the title follows, nothing is announced twice.
    n.on_snapshot(&asks, 1);
    assert_eq!(fakes.screen.take(), b"\x1b]2;navi (1 needs you)\x07");
    assert_eq!(fakes.launcher.taken().len(), 2);

    // The task has stopped: a snapshot sent now is the dashboard's to show.
    tx.send(snap(&[
        ("api", None, "waiting"),
        ("web", Some("dev"), "permission"),
    ]))
    .unwrap();
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(fakes.launcher.taken().len(), 2);
}

#[test]
fn bursts_are_one_notification() {
    let (w, fakes) = wiring(false, None);
    let settings = NotifySettings {
        on: ["done"].into_iter().collect(),
        title: false,
        ..NotifySettings::default()
    };
    let mut n = Notifier::new(&settings, w);
    let names: Vec<String> = (0..10).map(|i| format!("s{i}")).collect();
    let rows = |status: &'static str| -> Vec<(&str, Option<&str>, &str)> {
        names.iter().map(|s| (s.as_str(), None, status)).collect()
    };
    n.on_snapshot(&snap(&rows("working")), 0);
    n.on_snapshot(&snap(&rows("done")), 0);
    let launches = fakes.launcher.taken();
    assert_eq!(launches.len(), 1);
    assert!(
        launches[0].0[4].starts_with("10 sessions are done: s0, s1"),
        "{launches:?}"
    );
    let screen = String::from_utf8(fakes.screen.take()).unwrap();
    assert_eq!(
        screen.matches('\x07').count(),
        2,
        "one bell, one OSC: {screen:?}"
    );
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

#[test]
fn a_missing_program_is_logged_not_fatal() {
    Processes.launch(&["/nonexistent/navi-notify-test".into()], &[]);
    Processes.launch(&[], &[]);
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

#[test]
fn sounds_are_built_only_when_sounds_yaml_enables_them() {
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
    let (w, fakes) = wiring(false, Some((sounds.clone(), "/packs".into())));
    let mut n = Notifier::new(&settings, w);
    n.on_snapshot(&snap(&[("api", None, "working")]), 0);
    n.on_snapshot(&snap(&[("api", None, "waiting")]), 1);
    assert_eq!(fakes.launcher.taken()[0].0, ["myplayer", "/s/w.wav"]);

    let (w, fakes) = wiring(false, Some((sounds, "/packs".into())));
    let off = NotifySettings {
        sound: false,
        ..settings
    };
    let mut n = Notifier::new(&off, w);
    n.on_snapshot(&snap(&[("api", None, "working")]), 0);
    n.on_snapshot(&snap(&[("api", None, "waiting")]), 1);
    assert!(fakes.launcher.taken().is_empty());
}
