use super::*;
use crate::keys::key_action;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use navi_core::testing::session;
use navi_core::{Aggregator, Filter, MemorySource};

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

async fn app_with(dry_run: bool) -> App {
    let local = Arc::new(MemorySource::new(
        None,
        vec![session("alpha", "working", 30), session("beta", "done", 20)],
    ));
    // A remote stand-in whose attach command looks like an ssh one.
    let dev = Arc::new(
        MemorySource::new(Some("dev"), vec![session("my app", "waiting", 10)]).with_attach(
            Arc::new(|s: &SessionInfo, _: &AttachContext| {
                let words = ["ssh", "-t", "dev", "tmux", "attach-session", "-t"];
                let mut argv: Vec<String> = words.iter().map(|w| w.to_string()).collect();
                argv.push(format!("'{}'", s.tmux_session));
                Ok(AttachCommand::new(argv))
            }),
        ),
    );
    let sources: Vec<DynSessionSource> = vec![local, dev];
    let mut agg = Aggregator::new();
    for s in &sources {
        agg.add_source(s.clone(), navi_core::testing::OPTIONS);
    }
    let snap = agg.poll_once().await;
    let mut app = App::new(sources, AttachContext::default(), dry_run);
    app.on_snapshot(Arc::new(snap));
    app
}

#[test]
fn keymap() {
    let k = |c| key_action(&key(c), Mode::List);
    assert_eq!(k(KeyCode::Char('q')), Some(KeyAction::Quit));
    // Esc clears the search and filters, as in the Go navi; it never quits.
    assert_eq!(k(KeyCode::Esc), Some(KeyAction::ClearFilters));
    for mode in [Mode::List, Mode::Overlay, Mode::Search] {
        assert_eq!(
            key_action(
                &KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL),
                mode
            ),
            Some(KeyAction::Quit)
        );
    }
    assert_eq!(k(KeyCode::Char('j')), Some(KeyAction::Down));
    assert_eq!(k(KeyCode::Down), Some(KeyAction::Down));
    assert_eq!(k(KeyCode::Char('k')), Some(KeyAction::Up));
    assert_eq!(k(KeyCode::Up), Some(KeyAction::Up));
    assert_eq!(k(KeyCode::Char('g')), Some(KeyAction::Top));
    assert_eq!(k(KeyCode::Home), Some(KeyAction::Top));
    // The Go navi's G: git details; the last row stays on End.
    assert_eq!(k(KeyCode::Char('G')), Some(KeyAction::GitDetail));
    assert_eq!(k(KeyCode::End), Some(KeyAction::Bottom));
    assert_eq!(k(KeyCode::Enter), Some(KeyAction::Attach));
    assert_eq!(k(KeyCode::Char('f')), Some(KeyAction::CycleFilter));
    assert_eq!(k(KeyCode::Char('o')), Some(KeyAction::ToggleOffline));
    assert_eq!(k(KeyCode::Char('r')), Some(KeyAction::Refresh));
    assert_eq!(k(KeyCode::Char('?')), Some(KeyAction::ToggleHelp));
    assert_eq!(k(KeyCode::Char('z')), None);
    assert_eq!(k(KeyCode::Char('x')), Some(KeyAction::Kill));
    assert_eq!(k(KeyCode::Tab), Some(KeyAction::FocusPreview));
    assert_eq!(k(KeyCode::Char('p')), Some(KeyAction::TogglePreview));
    assert_eq!(k(KeyCode::Char('d')), Some(KeyAction::Acknowledge));
    assert_eq!(k(KeyCode::Char('D')), Some(KeyAction::Dismiss));
    // Ctrl-j is not j.
    assert_eq!(
        key_action(
            &KeyEvent::new(KeyCode::Char('j'), KeyModifiers::CONTROL),
            Mode::List
        ),
        None
    );
    // While an overlay is open, q and Esc close it instead of quitting.
    assert_eq!(
        key_action(&key(KeyCode::Char('q')), Mode::Overlay),
        Some(KeyAction::CloseOverlay)
    );
    assert_eq!(
        key_action(&key(KeyCode::Esc), Mode::Overlay),
        Some(KeyAction::CloseOverlay)
    );
    // In an overlay the navigation keys scroll it (sources, help); M toggles the sources.
    assert_eq!(
        key_action(&key(KeyCode::Char('j')), Mode::Overlay),
        Some(KeyAction::Down)
    );
    assert_eq!(
        key_action(&key(KeyCode::Char('G')), Mode::Overlay),
        Some(KeyAction::Bottom)
    );
    assert_eq!(key_action(&key(KeyCode::Char('x')), Mode::Overlay), None);
    assert_eq!(
        key_action(&key(KeyCode::Char('M')), Mode::Overlay),
        Some(KeyAction::ToggleSources)
    );
    assert_eq!(k(KeyCode::Char('M')), Some(KeyAction::ToggleSources));
    assert_eq!(k(KeyCode::Char('S')), Some(KeyAction::SoundPicker));
    assert_eq!(k(KeyCode::Char('/')), Some(KeyAction::Search));
    assert_eq!(k(KeyCode::Char('3')), Some(KeyAction::StatusFilter(3)));
    assert_eq!(k(KeyCode::Char('s')), Some(KeyAction::CycleSort));
    assert_eq!(k(KeyCode::PageDown), Some(KeyAction::PageDown));
    let ctrl = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL);
    assert_eq!(
        key_action(&ctrl('d'), Mode::List),
        Some(KeyAction::HalfDown)
    );
    assert_eq!(key_action(&ctrl('u'), Mode::List), Some(KeyAction::HalfUp));
}

#[tokio::test]
async fn keys_drive_the_app() {
    let mut app = app_with(false).await;
    let names = |app: &App| {
        app.model
            .rows()
            .map(|s| s.tmux_session.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&app), ["my app", "alpha", "beta"]);

    assert_eq!(app.on_key(&key(KeyCode::Char('f'))), Effect::None);
    assert_eq!(app.model.filter(), &Filter::Local);
    assert_eq!(names(&app), ["alpha", "beta"]);
    assert!(app
        .ui
        .message
        .as_ref()
        .unwrap()
        .text
        .contains("filter: local"));
    app.on_key(&key(KeyCode::Char('f')));
    assert_eq!(app.model.filter(), &Filter::Remote);
    app.on_key(&key(KeyCode::Char('f')));
    assert_eq!(app.model.filter(), &Filter::Named("dev".into()));
    app.on_key(&key(KeyCode::Char('f')));
    assert_eq!(app.model.filter(), &Filter::All);

    assert!(!app.model.hides_offline());
    app.on_key(&key(KeyCode::Char('o')));
    assert!(app.model.hides_offline());
    app.on_key(&key(KeyCode::Char('o')));
    assert!(!app.model.hides_offline());

    app.on_key(&key(KeyCode::End));
    assert_eq!(app.model.selected_index(), Some(2));
    app.on_key(&key(KeyCode::Char('k')));
    assert_eq!(app.model.selected_index(), Some(1));
    app.on_key(&key(KeyCode::Char('g')));
    assert_eq!(app.model.selected_index(), Some(0));

    assert_eq!(app.on_key(&key(KeyCode::Char('r'))), Effect::Refresh);
    app.on_key(&key(KeyCode::Char('?')));
    assert_eq!(app.ui.overlay, Overlay::Help);
    assert_eq!(app.on_key(&key(KeyCode::Char('q'))), Effect::None);
    assert_eq!(app.ui.overlay, Overlay::None);
    assert_eq!(
        app.on_key(&key(KeyCode::Esc)),
        Effect::None,
        "Esc never quits"
    );
    assert_eq!(app.on_key(&key(KeyCode::Char('q'))), Effect::Quit);
}

#[tokio::test]
async fn enter_requests_attach_with_the_selected_sessions_argv() {
    let mut app = app_with(false).await;
    // First row: the remote session (waiting sorts first).
    match app.on_key(&key(KeyCode::Enter)) {
        Effect::Attach(req) => {
            assert_eq!(
                req.command.argv,
                [
                    "ssh",
                    "-t",
                    "dev",
                    "tmux",
                    "attach-session",
                    "-t",
                    "'my app'"
                ]
            );
            assert_eq!(req.label, "my app [dev]");
            assert!(!req.stale);
        }
        other => panic!("expected attach, got {other:?}"),
    }
    app.on_key(&key(KeyCode::Down));
    match app.on_key(&key(KeyCode::Enter)) {
        Effect::Attach(req) => {
            assert_eq!(req.command.argv, ["tmux", "attach-session", "-t", "alpha"])
        }
        other => panic!("expected attach, got {other:?}"),
    }
    app.on_attach_result(
        &AttachRequest {
            command: AttachCommand::new(vec!["tmux".into()]),
            label: "alpha".into(),
            stale: true,
        },
        Err("exited with status 1".into()),
    );
    let msg = app.ui.message.clone().unwrap();
    assert_eq!(msg.level, Level::Error);
    assert!(
        msg.text.contains("alpha") && msg.text.contains("may be gone"),
        "{msg:?}"
    );
    let stale = AttachRequest {
        command: AttachCommand::new(vec!["ssh".into()]),
        label: "api [dev]".into(),
        stale: true,
    };
    app.on_attach_result(&stale, Ok(()));
    let msg = app.ui.message.clone().unwrap();
    assert_eq!(msg.level, Level::Info);
    assert!(msg.text.contains("back from api [dev]") && msg.text.contains("unavailable"));
    // Inside tmux, switch-client returns at once: navi says where the user is and how
    // to come back, not "back from".
    let switched = AttachRequest {
        command: AttachCommand::new(vec![
            "tmux".into(),
            "switch-client".into(),
            "-t".into(),
            "=alpha".into(),
        ]),
        label: "alpha".into(),
        stale: false,
    };
    app.on_attach_result(&switched, Ok(()));
    let text = app.ui.message.clone().unwrap().text;
    assert!(!text.contains("back from"), "{text}");
    assert!(
        text.contains("switched this tmux client to alpha") && text.contains("prefix L"),
        "{text}"
    );
}

#[tokio::test]
async fn demo_attach_only_says_what_it_would_run() {
    let mut app = app_with(true).await;
    assert_eq!(app.on_key(&key(KeyCode::Enter)), Effect::None);
    let text = app.ui.message.clone().unwrap().text;
    assert!(text.starts_with("demo: would run `ssh -t dev"), "{text}");
}

#[test]
fn attach_with_nothing_selected_is_a_message() {
    let mut app = App::new(Vec::new(), AttachContext::default(), false);
    assert_eq!(app.on_key(&key(KeyCode::Enter)), Effect::None);
    assert!(app.ui.message.is_some());
}

#[test]
fn messages_expire_and_are_sanitized() {
    let mut ui = UiState::default();
    ui.set_message(Level::Info, "a\x1b[31mb\x07");
    assert_eq!(ui.message.as_ref().unwrap().text, "ab");
    ui.tick();
    assert!(ui.message.is_some());
    ui.message.as_mut().unwrap().until = ui.now;
    ui.tick();
    assert!(ui.message.is_none());
}

fn type_keys(app: &mut App, text: &str) {
    for c in text.chars() {
        app.on_key(&key(KeyCode::Char(c)));
    }
}

#[tokio::test]
async fn search_narrows_as_you_type_and_esc_clears_it() {
    let mut app = app_with(false).await;
    // The filtering search is the option F turns on (the Go navi's highlights).
    app.on_key(&key(KeyCode::Char('F')));
    assert!(app.ui.search_filters);
    app.on_key(&key(KeyCode::Char('/')));
    assert_eq!(app.mode(), Mode::Search);
    type_keys(&mut app, "AL");
    assert_eq!(app.model.len(), 1, "incremental, case-insensitive");
    assert_eq!(app.model.selected_session().unwrap().tmux_session, "alpha");
    app.on_key(&key(KeyCode::Backspace));
    app.on_key(&key(KeyCode::Backspace));
    type_keys(&mut app, "a");
    assert_eq!(app.model.len(), 3, "`a` matches every name here");
    app.on_key(&key(KeyCode::Enter));
    assert_eq!(app.mode(), Mode::List);
    assert_eq!(app.model.query(), "a");
    // n / N move through the matches, wrapping.
    let before = app.model.selected_index();
    app.on_key(&key(KeyCode::Char('n')));
    assert_ne!(app.model.selected_index(), before);
    app.on_key(&key(KeyCode::Char('N')));
    assert_eq!(app.model.selected_index(), before);
    // A status filter (3: working), then Esc clears both.
    app.on_key(&key(KeyCode::Char('3')));
    assert_eq!(app.model.len(), 1);
    app.on_key(&key(KeyCode::Esc));
    assert_eq!((app.model.len(), app.model.query()), (3, ""));
    assert!(app.model.statuses().is_none());
    // Esc while typing drops the search.
    app.on_key(&key(KeyCode::Char('/')));
    type_keys(&mut app, "zzz");
    assert!(app.model.is_empty());
    app.on_key(&key(KeyCode::Esc));
    assert_eq!((app.mode(), app.model.len()), (Mode::List, 3));
}

#[tokio::test]
async fn next_attention_sort_density_and_details() {
    let mut app = app_with(false).await;
    app.on_key(&key(KeyCode::End));
    app.on_key(&key(KeyCode::Char('!')));
    assert_eq!(app.model.selected_session().unwrap().tmux_session, "my app");
    app.on_key(&key(KeyCode::Char('s')));
    assert_eq!(app.model.sort(), navi_core::SortMode::Name);
    let names: Vec<_> = app.model.rows().map(|s| s.tmux_session.clone()).collect();
    assert_eq!(names, ["alpha", "beta", "my app"]);
    app.on_key(&key(KeyCode::Char('v')));
    assert_eq!(app.ui.density, Density::Roomy);
    app.on_key(&key(KeyCode::Char('i')));
    assert_eq!(app.ui.overlay, Overlay::Details);
    app.on_key(&key(KeyCode::Esc));
    assert_eq!(app.ui.overlay, Overlay::None);
    app.on_key(&key(KeyCode::Char('e')));
    assert_eq!(app.ui.overlay, Overlay::Problems);
}

#[tokio::test]
async fn a_refresh_says_when_every_source_has_answered() {
    let mut app = app_with(false).await;
    assert_eq!(app.on_key(&key(KeyCode::Char('r'))), Effect::Refresh);
    let text = |app: &App| app.ui.message.as_ref().map(|m| m.text.clone());
    assert_eq!(text(&app).as_deref(), Some("refreshing every source…"));
    // A snapshot whose sources answered before the refresh does not end it.
    let old = app.model.snapshot().clone();
    app.on_snapshot(old.clone());
    assert_eq!(text(&app).as_deref(), Some("refreshing every source…"));
    let mut fresh = Snapshot::clone(&old);
    for h in &mut fresh.sources {
        h.last_poll_at = Some(Instant::now());
    }
    app.on_snapshot(Arc::new(fresh));
    let done = text(&app).unwrap_or_default();
    assert!(done.starts_with("refreshed 2 sources in"), "{done}");
}

#[tokio::test]
async fn m_mutes_notifications_and_tells_the_notifier_and_the_publisher() {
    assert_eq!(
        key_action(&key(KeyCode::Char('m')), Mode::List),
        Some(KeyAction::ToggleMute)
    );
    let mut app = app_with(false).await;
    // What the notifier's task and the summary publisher follow.
    let mut switch = app.mute_switch();
    assert!(!*switch.borrow_and_update());

    app.on_key(&key(KeyCode::Char('m')));
    assert!(app.ui.muted);
    assert!(app.ui.message.as_ref().unwrap().text.contains("muted"));
    assert!(switch.has_changed().unwrap());
    assert!(*switch.borrow_and_update());

    app.on_key(&key(KeyCode::Char('m')));
    assert!(!app.ui.muted);
    assert_eq!(app.ui.message.as_ref().unwrap().text, "notifications on");
    assert!(!*switch.borrow_and_update());
}

/// A snapshot of `sessions` (name, status, age in seconds), sorted as the aggregator does.
fn sorted_snapshot(sessions: &[(&str, &str, i64)]) -> Arc<Snapshot> {
    let mut list: Vec<Arc<SessionInfo>> = sessions
        .iter()
        .map(|(n, st, age)| Arc::new(session(n, st, 1_800_000_000 - age)))
        .collect();
    navi_core::sort_sessions_arc(&mut list);
    Arc::new(Snapshot {
        sessions: list,
        sources: vec![SourceHealth::connecting(None)],
        generation: 1,
    })
}

#[test]
fn the_selection_stays_on_the_top_row_until_the_user_moves_it() {
    let mut app = App::new(Vec::new(), AttachContext::default(), false);
    app.on_snapshot(sorted_snapshot(&[
        ("alpha", "working", 30),
        ("beta", "done", 20),
    ]));
    let selected = |app: &App| app.model.selected_session().unwrap().tmux_session.clone();
    assert_eq!(selected(&app), "alpha");
    // A session that needs the user sorts above: the selection moves with the top row.
    app.on_snapshot(sorted_snapshot(&[
        ("alpha", "working", 30),
        ("beta", "permission", 1),
    ]));
    assert_eq!(app.model.selected_index(), Some(0));
    assert_eq!(selected(&app), "beta");
    // A key that opens an overlay is not a move.
    app.apply(KeyAction::ToggleSources);
    app.apply(KeyAction::Down);
    app.apply(KeyAction::ToggleSources);
    assert_eq!(selected(&app), "beta");
    // The user moves: the selection follows its session from then on.
    app.on_key(&key(KeyCode::Char('j')));
    assert_eq!(selected(&app), "alpha");
    app.on_snapshot(sorted_snapshot(&[
        ("alpha", "working", 30),
        ("beta", "permission", 1),
        ("gamma", "waiting", 1),
    ]));
    assert_eq!(selected(&app), "alpha");
    assert_eq!(app.model.selected_index(), Some(2));
}

/// The Go navi's keys, each doing what it did there (github stwalsh4118/navi,
/// internal/tui/model.go), and every function that moved still reachable.
#[tokio::test]
async fn the_go_navi_keys_do_what_they_did() {
    use navi_core::Status;
    let mut app = app_with(false).await;
    let press = |app: &mut App, c: char| app.on_key(&key(KeyCode::Char(c)));
    // 1-5: one status each; the same key again, or 0, shows every status.
    for (digit, status) in [
        ('1', Status::Waiting),
        ('2', Status::Permission),
        ('3', Status::Working),
        ('4', Status::Done),
        ('5', Status::Error),
    ] {
        press(&mut app, digit);
        assert_eq!(app.model.statuses(), Some(&[status][..]), "{digit}");
        press(&mut app, digit);
        assert_eq!(app.model.statuses(), None, "{digit} again");
    }
    press(&mut app, '1');
    assert_eq!(app.model.len(), 1);
    press(&mut app, '0');
    assert_eq!((app.model.statuses(), app.model.len()), (None, 3));
    // G: the git dialog of the selected session.
    press(&mut app, 'G');
    assert_eq!(app.ui.overlay, Overlay::Git);
    app.on_key(&key(KeyCode::Esc));
    assert_eq!(app.ui.overlay, Overlay::None);
    // S: the sound-pack picker's key (the picker itself is not built yet: it says so).
    press(&mut app, 'S');
    assert!(app
        .ui
        .message
        .as_ref()
        .unwrap()
        .text
        .contains("sound packs"));
    // Tab: shows the preview, then focuses it; j/k, PgUp/PgDn, g/G scroll it.
    app.on_key(&key(KeyCode::Tab));
    assert!(app.ui.preview.visible && app.mode() == Mode::List);
    app.on_key(&key(KeyCode::Tab));
    assert_eq!(app.mode(), Mode::Preview);
    let selected = app.model.selected_index();
    app.ui.preview.page = 10;
    press(&mut app, 'k');
    assert_eq!(app.ui.preview.back, 1);
    app.on_key(&key(KeyCode::PageUp));
    assert_eq!(app.ui.preview.back, 11);
    app.on_key(&key(KeyCode::PageDown));
    press(&mut app, 'j');
    assert_eq!(app.ui.preview.back, 0);
    press(&mut app, 'g');
    assert_eq!(app.ui.preview.back, usize::MAX);
    press(&mut app, 'G');
    assert_eq!(app.ui.preview.back, 0);
    assert_eq!(
        app.model.selected_index(),
        selected,
        "the list did not move"
    );
    app.on_key(&key(KeyCode::Tab));
    assert_eq!(app.mode(), Mode::List);
    app.on_key(&key(KeyCode::Tab));
    app.on_key(&key(KeyCode::Esc));
    assert_eq!(app.mode(), Mode::List, "Esc leaves the preview too");
    press(&mut app, 'p');
    assert!(!app.ui.preview.visible);
    // /: highlights matches (every row stays), [i/N], n/N jump between them.
    press(&mut app, '/');
    type_keys(&mut app, "ta");
    app.on_key(&key(KeyCode::Enter));
    assert_eq!(app.model.len(), 3, "highlight mode keeps every row");
    assert_eq!(app.ui.find, "ta");
    assert_eq!(app.model.selected_session().unwrap().tmux_session, "beta");
    let matches = crate::ui::match_position(&app.model, "ta");
    assert_eq!(matches, (Some(1), 1));
    press(&mut app, 'g');
    assert_eq!(crate::ui::match_position(&app.model, "ta").0, None);
    press(&mut app, 'n');
    assert_eq!(app.model.selected_session().unwrap().tmux_session, "beta");
    app.on_key(&key(KeyCode::Esc));
    assert_eq!(app.ui.find, "");
    // F: the filtering search instead, the query carried over.
    press(&mut app, '/');
    type_keys(&mut app, "al");
    app.on_key(&key(KeyCode::Enter));
    press(&mut app, 'F');
    assert_eq!((app.model.query(), app.model.len()), ("al", 1));
    press(&mut app, 'F');
    assert_eq!((app.model.query(), app.ui.find.as_str()), ("", "al"));
    app.on_key(&key(KeyCode::Esc));
    // Moved: the last row on End, the sources on M, dismiss of ended rows on D (see
    // act_tests), bookmarks and tags unchanged.
    app.on_key(&key(KeyCode::End));
    assert_eq!(app.model.selected_index(), Some(2));
    press(&mut app, 'M');
    assert_eq!(app.ui.overlay, Overlay::Sources);
    press(&mut app, 'M');
    assert_eq!(app.ui.overlay, Overlay::None);
}

/// `S` on a test backend: the packs listed with the active one, `p` plays the
/// highlighted one, Enter switches the notifier and sets `pack:` in sounds.yaml with
/// every other byte kept; a file the edit cannot handle is left alone with a message.
#[tokio::test]
async fn sound_pack_picker_lists_previews_and_persists() {
    let home = tempfile::tempdir().unwrap();
    let yaml = home.path().join("sounds.yaml");
    let packs = home.path().join("soundpacks");
    for (pack, file) in [
        ("retro", "waiting.wav"),
        ("zen", "permission.flac"),
        ("zen", "done.ogg"),
    ] {
        std::fs::create_dir_all(packs.join(pack)).unwrap();
        std::fs::write(packs.join(pack).join(file), b"").unwrap();
    }
    let text = "# mine\nenabled: true\npack: retro   # the old one\nplayer: myplayer\n\
                triggers:\n  done: false\n";
    std::fs::write(&yaml, text).unwrap();
    let mut app = app_with(false).await;
    app.set_sound_paths(crate::cmd::sound::SoundPaths {
        yaml: yaml.clone(),
        packs: packs.clone(),
    });
    let chosen = app.pack_switch();

    // The app decides; the loop does the file work (`perform_sound_io`), as here.
    let run = |app: &mut App, e: Effect| match e {
        Effect::Sound(io) => crate::app::perform_sound_io(app, io),
        e => e,
    };
    let open = app.on_key(&key(KeyCode::Char('S')));
    assert!(matches!(open, Effect::Sound(SoundIo::Load(_))), "{open:?}");
    run(&mut app, open);
    assert_eq!(app.ui.overlay, Overlay::SoundPacks);
    let screen = |app: &mut App| {
        let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
        t.draw(|f| crate::ui::draw(f, &app.model, &mut app.ui))
            .unwrap();
        let b = t.backend().buffer().clone();
        (0..b.area.height)
            .map(|y| {
                (0..b.area.width)
                    .map(|x| b[(x, y)].symbol())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let s = screen(&mut app);
    assert!(
        s.contains("* retro                1 events, 1 files"),
        "{s}"
    );
    assert!(
        s.contains("  zen                  2 events, 2 files"),
        "{s}"
    );

    app.on_key(&key(KeyCode::Char('j')));
    let played = app.on_key(&key(KeyCode::Char('p')));
    let played = run(&mut app, played);
    let sample = packs.join("zen/done.ogg").display().to_string();
    assert_eq!(played, Effect::PlaySound(vec!["myplayer".into(), sample]));

    let chosen_effect = app.on_key(&key(KeyCode::Enter));
    assert_eq!(
        std::fs::read_to_string(&yaml).unwrap(),
        text,
        "the app itself writes nothing"
    );
    assert_eq!(run(&mut app, chosen_effect), Effect::None);
    assert_eq!(app.ui.overlay, Overlay::None, "Enter closes the picker");
    assert_eq!(*chosen.borrow(), "zen", "the running notifier switches");
    assert_eq!(
        std::fs::read_to_string(&yaml).unwrap(),
        text.replace("pack: retro", "pack: zen"),
        "only the pack changed"
    );

    // A layout the edit does not know: refused, said in the picker, file untouched.
    let odd = "pack: >\n  retro\n";
    std::fs::write(&yaml, odd).unwrap();
    let open = app.on_key(&key(KeyCode::Char('S')));
    run(&mut app, open);
    let chosen_effect = app.on_key(&key(KeyCode::Enter));
    run(&mut app, chosen_effect);
    assert_eq!(app.ui.overlay, Overlay::SoundPacks, "still open");
    assert!(screen(&mut app).contains("set `pack:` by hand"));
    assert_eq!(std::fs::read_to_string(&yaml).unwrap(), odd);
    app.on_key(&key(KeyCode::Esc));
    assert_eq!(app.ui.overlay, Overlay::None);
}

/// `?` then `/`: the help narrows to the lines with every word typed, the words
/// highlighted, at 80x24 and at 220x60; Esc drops the search, `?` closes.
#[tokio::test]
async fn help_is_searchable_at_80x24_and_220x60() {
    for (w, h) in [(80u16, 24u16), (220, 60)] {
        let mut app = app_with(false).await;
        let draw = |app: &mut App| {
            let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
            t.draw(|f| crate::ui::draw(f, &app.model, &mut app.ui))
                .unwrap();
            t.backend().buffer().clone()
        };
        let text = |b: &ratatui::buffer::Buffer| {
            (0..b.area.height)
                .map(|y| {
                    (0..b.area.width)
                        .map(|x| b[(x, y)].symbol())
                        .collect::<String>()
                })
                .collect::<Vec<_>>()
        };
        app.on_key(&key(KeyCode::Char('?')));
        let all = text(&draw(&mut app)).join("\n");
        assert!(all.contains("quit"), "{w}x{h}: {all}");
        app.on_key(&key(KeyCode::Char('/')));
        for c in "MUTE notif".chars() {
            app.on_key(&key(KeyCode::Char(c)));
        }
        let buf = draw(&mut app);
        let lines = text(&buf);
        let screen = lines.join("\n");
        assert!(
            screen.contains("/MUTE notif▏"),
            "{w}x{h}: the query in the title\n{screen}"
        );
        assert!(
            screen.contains("mute / unmute notifications"),
            "{w}x{h}\n{screen}"
        );
        let top = lines
            .iter()
            .position(|l| l.contains("┌ navi help"))
            .unwrap();
        let boxed: Vec<&String> = lines[top..]
            .iter()
            .take_while(|l| !l.contains('└'))
            .collect();
        assert!(boxed.len() <= 4, "{w}x{h}: only the mute line\n{screen}");
        assert!(
            !boxed.iter().any(|l| l.contains("quit")),
            "{w}x{h}: other keys filtered\n{screen}"
        );
        // `mute` is highlighted where it is written.
        let y = lines
            .iter()
            .position(|l| l.contains("mute / unmute"))
            .unwrap();
        let x = lines[y].find("mute / unmute").unwrap();
        let x = u16::try_from(lines[y][..x].chars().count()).unwrap();
        let y = u16::try_from(y).unwrap();
        let cell = &buf[(x, y)];
        assert!(
            cell.modifier.contains(ratatui::style::Modifier::REVERSED),
            "{w}x{h}: {cell:?}"
        );
        assert!(!buf[(x + 4, y)]
            .modifier
            .contains(ratatui::style::Modifier::REVERSED));

        // Enter keeps it (keys scroll again), a word nothing has says so.
        app.on_key(&key(KeyCode::Enter));
        assert!(!app.ui.help_typing && app.ui.help_query == "MUTE notif");
        app.on_key(&key(KeyCode::Char('/')));
        app.on_key(&key(KeyCode::Char('z')));
        app.on_key(&key(KeyCode::Char('q')));
        let screen = text(&draw(&mut app)).join("\n");
        assert!(screen.contains("no key matches"), "{w}x{h}\n{screen}");
        // Esc drops the search: every line again; `?` closes.
        app.on_key(&key(KeyCode::Esc));
        assert_eq!(app.ui.help_query, "");
        assert!(text(&draw(&mut app)).join("\n").contains("quit"));
        app.on_key(&key(KeyCode::Char('?')));
        assert_eq!(app.ui.overlay, Overlay::None);
    }
}
