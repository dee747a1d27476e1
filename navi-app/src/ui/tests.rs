//! The dashboard drawn into ratatui's `TestBackend`.

use std::sync::Arc;
use std::time::Duration;

use navi_core::testing::session;
use navi_core::{Model, SessionInfo, Snapshot, SourceError, SourceHealth, SourceState};
use ratatui::backend::TestBackend;
use ratatui::style::{Color, Modifier};
use ratatui::Terminal;

use super::draw;
use crate::app::UiState;

const NOW: i64 = 1_800_000_000;

fn ui() -> UiState {
    UiState {
        now_unix: NOW,
        home: Some("/home/sean".into()),
        sessions_dir: "/home/sean/.claude-sessions".into(),
        ..UiState::default()
    }
}

fn health(name: Option<&str>, state: SourceState) -> SourceHealth {
    let mut h = SourceHealth::connecting(name.map(Into::into));
    h.state = state;
    h
}

fn at(name: &str, remote: Option<&str>, status: &str, age: i64) -> Arc<SessionInfo> {
    let mut s = session(name, status, NOW - age);
    s.remote = remote.map(Into::into);
    Arc::new(s)
}

/// Local (2 sessions), dev (connected, zero sessions), staging (unavailable, one stale row).
fn snapshot(ui: &UiState, mut sessions: Vec<Arc<SessionInfo>>) -> Arc<Snapshot> {
    let mut local = health(None, SourceState::Connected);
    local.latency = Some(Duration::from_millis(1));
    local.last_ok_at = ui.now.checked_sub(Duration::from_secs(1));
    let mut dev = health(Some("dev"), SourceState::Connected);
    dev.latency = Some(Duration::from_millis(42));
    dev.last_ok_at = ui.now.checked_sub(Duration::from_secs(3));
    let mut staging = health(Some("staging"), SourceState::Unavailable);
    staging.reason = Some(SourceError::Refused("staging:22".into()));
    staging.latency = Some(Duration::from_millis(5));
    staging.last_ok_at = ui.now.checked_sub(Duration::from_secs(120));
    let connecting = health(Some("lab"), SourceState::Connecting);
    navi_core::sort_sessions_arc(&mut sessions);
    Arc::new(Snapshot {
        sessions,
        sources: vec![local, dev, staging, connecting],
        generation: 1,
    })
}

fn default_sessions() -> Vec<Arc<SessionInfo>> {
    let mut hyperion = session("hyperion", "working", NOW - 120);
    hyperion.cwd = "/home/sean/projects/hyperion".into();
    hyperion.message = "Implementing feature...".into();
    let mut deploy = session("deploy", "done", NOW - 600);
    deploy.remote = Some("staging".into());
    deploy.stale = true;
    deploy.cwd = "/home/deploy/app".into();
    deploy.message = "Deployment complete".into();
    vec![
        Arc::new(hyperion),
        at("notes", None, "waiting", 30),
        Arc::new(deploy),
    ]
}

fn render(model: &Model, ui: &mut UiState, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| draw(f, model, ui)).unwrap();
    terminal
}

fn lines(terminal: &Terminal<TestBackend>) -> Vec<String> {
    let buf = terminal.backend().buffer();
    (0..buf.area.height)
        .map(|y| {
            // A wide character covers two cells; the second one is not text on screen.
            let mut line = String::new();
            let mut skip = false;
            for x in 0..buf.area.width {
                if std::mem::take(&mut skip) {
                    continue;
                }
                let sym = buf[(x, y)].symbol();
                skip = crate::format::width(sym) > 1;
                line.push_str(sym);
            }
            line
        })
        .collect()
}

fn screen(terminal: &Terminal<TestBackend>) -> String {
    lines(terminal).join("\n")
}

fn row_of(terminal: &Terminal<TestBackend>, needle: &str) -> u16 {
    let pos = lines(terminal).iter().position(|l| l.contains(needle));
    u16::try_from(pos.unwrap_or_else(|| panic!("{needle} not on screen:\n{}", screen(terminal))))
        .unwrap()
}

fn model_with(sessions: Vec<Arc<SessionInfo>>, ui: &UiState) -> Model {
    let mut m = Model::new();
    m.update(snapshot(ui, sessions));
    m
}

#[test]
fn rows_show_icon_name_remote_age_cwd_and_message() {
    let mut ui = ui();
    let model = model_with(default_sessions(), &ui);
    let t = render(&model, &mut ui, 100, 30);
    let text = screen(&t);
    let l = lines(&t);

    let r = usize::from(row_of(&t, "hyperion"));
    assert!(l[r].contains("⚙"), "{text}");
    assert!(
        l[r].trim_end().ends_with("2m ago"),
        "age right-aligned: {:?}",
        l[r]
    );
    assert!(l[r + 1].contains("~/projects/hyperion"), "{text}");
    assert!(l[r + 2].contains("\"Implementing feature...\""), "{text}");

    let r = usize::from(row_of(&t, "deploy [staging]"));
    assert!(l[r].contains("10m ago") && l[r].contains("✅"), "{text}");
    assert!(l[r + 1].contains("~/app"), "remote home shortened: {text}");

    // A session without a message takes two lines.
    let r = usize::from(row_of(&t, "notes"));
    assert!(l[r].contains("⏳") && l[r].contains("30s ago"), "{text}");
    assert!(!l[r + 2].contains('"'), "{text}");
    // Waiting sorts first.
    assert!(row_of(&t, "notes") < row_of(&t, "hyperion"));
}

#[test]
fn badges_team_agents_git_and_markers() {
    let mut ui = ui();
    let api = navi_core::SessionInfo::parse(
        navi_core::fixtures::FILES
            .iter()
            .find(|(n, _)| *n == "api.json")
            .unwrap()
            .1
            .as_bytes(),
        None,
    )
    .unwrap();
    let mut hyperion = navi_core::SessionInfo::parse(
        navi_core::fixtures::FILES
            .iter()
            .find(|(n, _)| *n == "hyperion.json")
            .unwrap()
            .1
            .as_bytes(),
        None,
    )
    .unwrap();
    hyperion.remote = Some("dev".into());
    let mut partial = session("salvaged", "waiting", NOW);
    partial.partial = true;
    let model = model_with(
        vec![Arc::new(api), Arc::new(hyperion), Arc::new(partial)],
        &ui,
    );
    let t = render(&model, &mut ui, 120, 30);
    let text = screen(&t);
    assert!(text.contains("team refactor: tester ⏳ writer ⚙"), "{text}");
    assert!(text.contains("⎇ feature/remote-sessions*"), "{text}");
    assert!(text.contains("hyperion [dev]"), "{text}");
    assert!(text.contains("partial"), "{text}");
}

#[test]
fn header_shows_every_source_with_state_latency_age_and_reason() {
    let mut ui = ui();
    let model = model_with(default_sessions(), &ui);
    let t = render(&model, &mut ui, 120, 30);
    let text = screen(&t);
    assert!(text.contains("● local 1ms 1s ago"), "{text}");
    // A remote with zero sessions still has its indicator.
    assert!(text.contains("● dev 42ms 3s ago"), "{text}");
    assert!(text.contains("✖ staging refused 5ms 2m ago"), "{text}");
    assert!(text.contains("◌ lab connecting"), "{text}");
    // The full reason of the unavailable one, with what the source says to do.
    assert!(
        text.contains("✖ staging: connection refused: staging:22"),
        "{text}"
    );
    assert!(text.contains("3 sessions"), "{text}");
    assert!(text.contains("1 need you"), "{text}");
    assert!(text.contains("1 working"), "{text}");
    assert!(text.contains("2 local / 1 remote"), "{text}");
    assert!(text.contains("1 stale"), "{text}");
    assert!(
        text.contains("filter: all · offline: shown · 3 of 3 shown"),
        "{text}"
    );

    // Symbols are coloured by state.
    let buf = t.backend().buffer();
    let row = row_of(&t, "● local");
    let x = u16::try_from(
        lines(&t)[usize::from(row)]
            .chars()
            .position(|c| c == '✖')
            .unwrap(),
    )
    .unwrap();
    assert_eq!(buf[(x, row)].fg, Color::Red);
}

#[test]
fn header_counts_skipped_status_files() {
    let mut ui = ui();
    let mut snap = (*snapshot(&ui, default_sessions())).clone();
    snap.sources[0].skipped = vec![
        navi_core::SkippedFile {
            name: "y.json".into(),
            reason: "not a regular file (a FIFO)".into(),
        };
        2
    ];
    let mut model = Model::new();
    model.update(Arc::new(snap));
    let text = screen(&render(&model, &mut ui, 120, 30));
    assert!(text.contains("● local 1ms 1s ago ⚠ 2 skipped"), "{text}");
    assert!(!text.contains("dev 42ms 3s ago ⚠"), "{text}");
}

#[test]
fn header_wraps_source_indicators_on_a_narrow_screen() {
    let mut ui = ui();
    let model = model_with(default_sessions(), &ui);
    let t = render(&model, &mut ui, 40, 30);
    let text = screen(&t);
    for needle in ["● local", "● dev", "✖ staging refused", "◌ lab"] {
        assert!(text.contains(needle), "{needle} missing:\n{text}");
    }
}

#[test]
fn stale_rows_are_marked_and_dimmed() {
    let mut ui = ui();
    let model = model_with(default_sessions(), &ui);
    let t = render(&model, &mut ui, 100, 30);
    let row = row_of(&t, "deploy [staging]");
    let line = &lines(&t)[usize::from(row)];
    assert!(line.contains("stale"), "{line}");
    let x = u16::try_from(line.find("deploy").unwrap()).unwrap();
    // `find` is a byte offset; the row starts with ASCII spaces and one emoji, so look
    // for the first cell of the name instead.
    let buf = t.backend().buffer();
    let name_x = (0..100)
        .find(|&cx| buf[(cx, row)].symbol() == "d")
        .unwrap_or(x);
    assert!(buf[(name_x, row)].modifier.contains(Modifier::DIM));
    // Fresh rows are not dimmed.
    let row = row_of(&t, "hyperion");
    let name_x = (0..100).find(|&cx| buf[(cx, row)].symbol() == "h").unwrap();
    assert!(!buf[(name_x, row)].modifier.contains(Modifier::DIM));
}

#[test]
fn selected_row_is_highlighted_and_follows_its_session_across_a_refresh() {
    let mut ui = ui();
    let mut model = model_with(default_sessions(), &ui);
    model.select_next(); // notes -> hyperion
    let t = render(&model, &mut ui, 100, 30);
    let buf = t.backend().buffer();
    let row = row_of(&t, "hyperion");
    assert!(
        buf[(50, row)].modifier.contains(Modifier::REVERSED),
        "selected row is in reverse video (readable on any theme)"
    );
    assert_eq!(
        buf[(0, row)].symbol(),
        "▶",
        "and marked, without colour too"
    );
    let other = row_of(&t, "notes");
    assert!(!buf[(50, other)].modifier.contains(Modifier::REVERSED));
    assert_eq!(buf[(0, other)].symbol(), " ");

    // A refresh inserts two rows above (attention sorts first): still on hyperion.
    let mut sessions = default_sessions();
    sessions.push(at("urgent", None, "permission", 5));
    sessions.push(at("urgent2", Some("dev"), "waiting", 6));
    model.update(snapshot(&ui, sessions));
    assert_eq!(model.selected_session().unwrap().tmux_session, "hyperion");
    let t = render(&model, &mut ui, 100, 30);
    let buf = t.backend().buffer();
    let row = row_of(&t, "hyperion");
    assert!(buf[(50, row)].modifier.contains(Modifier::REVERSED));
    assert!(row_of(&t, "urgent") < row);
}

#[test]
fn filter_cycling_changes_rows() {
    let mut ui = ui();
    let mut model = model_with(default_sessions(), &ui);
    let shown = |model: &Model, ui: &mut UiState| {
        let t = render(model, ui, 100, 30);
        let text = screen(&t);
        ["hyperion", "notes", "deploy"]
            .into_iter()
            .filter(|n| text.contains(n))
            .collect::<Vec<_>>()
    };
    assert_eq!(shown(&model, &mut ui), ["hyperion", "notes", "deploy"]);
    model.cycle_filter(); // local
    assert_eq!(shown(&model, &mut ui), ["hyperion", "notes"]);
    let t = render(&model, &mut ui, 100, 30);
    assert!(screen(&t).contains("filter: local"));
    model.cycle_filter(); // remote
    assert_eq!(shown(&model, &mut ui), ["deploy"]);
    model.cycle_filter(); // dev: nothing
    let t = render(&model, &mut ui, 100, 30);
    assert!(
        screen(&t).contains("None of the 3 sessions match the filter dev."),
        "{}",
        screen(&t)
    );
    model.cycle_filter(); // staging
    assert_eq!(shown(&model, &mut ui), ["deploy"]);
    model.cycle_filter(); // lab
    model.cycle_filter(); // all
    model.toggle_offline(); // stale rows hidden
    assert_eq!(shown(&model, &mut ui), ["hyperion", "notes"]);
    let t = render(&model, &mut ui, 100, 30);
    assert!(screen(&t).contains("offline: hidden"));
}

#[test]
fn hostile_text_never_reaches_the_buffer() {
    let mut ui = ui();
    let mut evil = session("ev\x1b[31mil", "error", NOW - 5);
    evil.message = "\x1b[2J\x1b]0;x\x07pwned\u{9b}31m".into();
    evil.cwd = "/tmp/\x1b]8;;http://x\x07dir".into();
    evil.remote = Some("dev\x07".into());
    let mut model = Model::new();
    model.update(snapshot(&ui, vec![Arc::new(evil)]));
    ui.config_errors = vec![crate::sources::ConfigProblem::Settings(
        crate::config::SettingsError {
            file: "c.yaml".into(),
            field: None,
            message: "bad \x1b[2J config".into(),
        },
    )];
    ui.set_message(crate::app::Level::Error, "oops \x1b]0;title\x07");
    let t = render(&model, &mut ui, 100, 30);
    let buf = t.backend().buffer();
    for cell in buf.content() {
        let sym = cell.symbol();
        assert!(
            !sym.contains('\x1b') && !sym.contains('\x07') && !sym.contains('\u{9b}'),
            "control character in a cell: {sym:?}"
        );
    }
    let text = screen(&t);
    assert!(text.contains("evil [dev]"), "{text}");
    assert!(text.contains("\"pwned\""), "{text}");
    assert!(text.contains("/tmp/dir"), "{text}");
    assert!(
        text.contains("⚠ config: 1 problem (e lists them): c.yaml: bad  config"),
        "{text}"
    );
}

#[test]
fn empty_state_says_where_sessions_come_from() {
    let mut ui = ui();
    let mut model = Model::new();
    let mut local = SourceHealth::connecting(None);
    local.state = SourceState::Connected;
    model.update(Arc::new(Snapshot {
        sessions: vec![],
        sources: vec![local],
        generation: 1,
    }));
    let t = render(&model, &mut ui, 100, 20);
    let text = screen(&t);
    assert!(
        text.contains("No Claude Code sessions in ~/.claude-sessions"),
        "{text}"
    );
    assert!(text.contains("navi --demo"), "{text}");
}

#[test]
fn help_overlay_and_status_line() {
    let mut ui = ui();
    let model = model_with(default_sessions(), &ui);
    let t = render(&model, &mut ui, 100, 30);
    assert!(lines(&t)[29].contains("? help"));
    ui.overlay = crate::app::Overlay::Help;
    ui.set_message(crate::app::Level::Info, "filter: local (2 shown)");
    let t = render(&model, &mut ui, 100, 30);
    let text = screen(&t);
    assert!(text.contains("navi help"), "{text}");
    assert!(
        text.contains("attach (tmux; ssh -t for a remote session)"),
        "{text}"
    );
    assert!(lines(&t)[29].contains("filter: local (2 shown)"), "{text}");
}

#[test]
fn tiny_terminals_do_not_panic() {
    let mut ui = ui();
    let model = model_with(default_sessions(), &ui);
    for (w, h) in [(1, 1), (10, 3), (20, 5), (0, 0)] {
        let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
        terminal.draw(|f| draw(f, &model, &mut ui)).unwrap();
    }
    ui.overlay = crate::app::Overlay::Help;
    let mut terminal = Terminal::new(TestBackend::new(12, 4)).unwrap();
    terminal.draw(|f| draw(f, &model, &mut ui)).unwrap();
}

/// A short terminal still shows sessions: the header gives up its lower lines first, and
/// rows shrink to one line when a full row does not fit.
#[test]
fn short_terminals_still_show_the_selected_session() {
    let mut ui = ui();
    let mut model = model_with(default_sessions(), &ui);
    model.select_next();
    let selected = model.selected_session().unwrap().tmux_session.clone();
    for (w, h) in [(30, 8), (20, 5), (60, 6), (120, 7)] {
        let t = render(&model, &mut ui, w, h);
        let text = screen(&t);
        assert!(text.contains(" navi "), "{w}x{h}: title kept\n{text}");
        // The name may be cut with `…` on a narrow screen.
        let row = row_of(&t, &selected[..4]);
        let highlighted = (0..w).any(|x| {
            let cell = &t.backend().buffer()[(x, row)];
            cell.modifier.contains(Modifier::REVERSED) && cell.symbol() != " "
        }) && t.backend().buffer()[(0, row)].symbol() == "▶";
        assert!(highlighted, "{w}x{h}: selection shown\n{text}");
        assert!(lines(&t)[usize::from(h) - 1].contains("help"), "{text}");
    }
    // 30x8 has room for one full roomy row: its directory shows too (auto density picks
    // compact rows there, since the three roomy rows would not fit).
    ui.density = crate::app::Density::Roomy;
    let t = render(&model, &mut ui, 30, 8);
    assert!(screen(&t).contains("~/"), "{}", screen(&t));
}

#[test]
fn long_reasons_wrap_and_many_unavailable_sources_are_summed_up() {
    let mut ui = ui();
    let down = |name: &str, reason: SourceError| {
        let mut h = health(Some(name), SourceState::Unavailable);
        h.reason = Some(reason);
        h
    };
    let mut local = health(None, SourceState::Unavailable);
    local.reason = Some(SourceError::Io(
        "cannot read status directory /x: Not a directory".into(),
    ));
    let long = format!(
        "[127.0.0.1]:2222 is not a known host: it offered the ssh-ed25519 key SHA256:{} which \
         is not in ~/.ssh/known_hosts. If that fingerprint is right, run `navi remotes trust dev`",
        "A".repeat(43)
    );
    let mut model = Model::new();
    model.update(Arc::new(Snapshot {
        sessions: vec![],
        sources: vec![
            local,
            down("dev", SourceError::HostKey(long.into())),
            down("b", SourceError::timeout(Duration::from_secs(10))),
            down("c", SourceError::Auth("no key".into())),
        ],
        generation: 1,
    }));
    let t = render(&model, &mut ui, 100, 30);
    let text = screen(&t);
    assert!(
        text.contains("✖ local: cannot read status directory /x"),
        "{text}"
    );
    assert!(
        text.contains("✖ dev: host key verification failed"),
        "{text}"
    );
    // The reason is cut in the middle: the advice at its end stays.
    assert!(text.contains("run `navi remotes trust dev`"), "{text}");
    assert!(text.contains("+2 more unavailable"), "{text}");
    assert!(text.contains("Cannot read ~/.claude-sessions"), "{text}");
}

/// Only the rows around the selection are built each frame; scrolling must still show the
/// selected row wherever it is, and keep the view steady while moving inside it.
#[test]
fn long_list_scrolls_to_the_selection() {
    let mut ui = ui();
    let sessions: Vec<_> = (0..300)
        .map(|i| at(&format!("row-{i:03}"), None, "done", i))
        .collect();
    let mut model = Model::new();
    model.update(snapshot(&ui, sessions));
    let shows = |t: &Terminal<TestBackend>, name: &str| lines(t).iter().any(|l| l.contains(name));

    let t = render(&model, &mut ui, 80, 24);
    assert!(shows(&t, "row-000"));
    for _ in 0..150 {
        model.select_next();
    }
    let t = render(&model, &mut ui, 80, 24);
    assert!(shows(&t, "row-150"), "{:#?}", lines(&t));
    assert!(!shows(&t, "row-000"));
    // One step up stays inside the view: the row below is still shown.
    model.select_prev();
    let t = render(&model, &mut ui, 80, 24);
    assert!(shows(&t, "row-149") && shows(&t, "row-150"));
    model.select_last();
    let t = render(&model, &mut ui, 80, 24);
    assert!(shows(&t, "row-299"));
    model.select_first();
    let t = render(&model, &mut ui, 80, 24);
    assert!(shows(&t, "row-000"));
}

/// The header line starts with the source's name; the reason must not repeat it
/// ("dev: … remote dev (…)" before errors carried their context as data).
#[test]
fn an_unavailable_remote_is_named_once_in_the_header() {
    let mut ui = ui();
    let mut dev = health(Some("dev"), SourceState::Unavailable);
    dev.reason = Some(SourceError::Refused(
        navi_core::Detail::new("nothing listens on that port (is sshd running?)")
            .on("dev")
            .at("sean@dev.example.com:22"),
    ));
    let mut model = Model::new();
    model.update(Arc::new(Snapshot {
        sessions: vec![],
        sources: vec![dev],
        generation: 1,
    }));
    let text = screen(&render(&model, &mut ui, 120, 20));
    assert!(
        text.contains("✖ dev: connection refused: sean@dev.example.com:22: nothing listens"),
        "{text}"
    );
    assert_eq!(text.matches("dev:").count(), 1, "{text}");
    assert!(!text.contains("remote dev"), "{text}");
}

fn many(n: usize, ui: &UiState) -> Arc<Snapshot> {
    let sessions = (0..n)
        .map(|i| at(&format!("s{i:02}"), None, "done", 100 + i as i64))
        .collect();
    snapshot(ui, sessions)
}

/// Regression: with 45 sessions, `G`, then 40 of them gone, the header said 5 sessions
/// but one row was drawn and the rest of the list stayed blank (the scroll offset was
/// not clamped). Every remaining row must be drawn.
#[test]
fn rows_never_vanish_when_rows_go_away_or_the_terminal_shrinks() {
    let mut ui = ui();
    ui.density = crate::app::Density::Roomy;
    let mut model = Model::new();
    model.update(many(45, &ui));
    model.select_last();
    let t = render(&model, &mut ui, 100, 40);
    assert!(screen(&t).contains("s44"));
    model.update(many(5, &ui));
    let t = render(&model, &mut ui, 100, 40);
    let text = screen(&t);
    for i in 0..5 {
        assert!(
            text.contains(&format!("s{i:02}")),
            "row s{i:02} drawn\n{text}"
        );
    }
    // Shrink to 20x5 and back: the list fills the screen again at once.
    model.update(many(45, &ui));
    model.select_last();
    render(&model, &mut ui, 20, 5);
    let t = render(&model, &mut ui, 100, 40);
    let rows_drawn = lines(&t).iter().filter(|l| l.contains(" s")).count();
    assert!(
        rows_drawn >= 15,
        "the list is full after growing back\n{}",
        screen(&t)
    );
    assert!(screen(&t).contains("s44"));
    // Compact rows and a position indicator when they do not all fit.
    ui.density = crate::app::Density::Auto;
    let t = render(&model, &mut ui, 100, 20);
    let text = screen(&t);
    assert!(text.contains("of 45"), "position shown\n{text}");
    assert!(text.contains("s44") && text.contains("s40"), "{text}");
}

/// A working session whose agent waits for permission shows the combined status and
/// names the agent.
#[test]
fn a_team_row_shows_the_combined_status_and_the_agent() {
    let mut ui = ui();
    let mut lead = session("lead", "working", NOW - 10);
    lead.team = Some(navi_core::Team {
        name: Some("t".into()),
        agents: vec![navi_core::TeamAgent {
            name: Some("tester".into()),
            state: navi_core::AgentState {
                status: navi_core::Status::Permission,
                timestamp: None,
            },
        }],
    });
    let model = model_with(vec![Arc::new(lead)], &ui);
    let text = screen(&render(&model, &mut ui, 100, 20));
    let line = text
        .lines()
        .find(|l| l.contains("lead"))
        .unwrap_or_default();
    assert!(line.contains("❓"), "{line}");
    assert!(!line.contains('⚙'), "{line}");
    assert!(line.contains("tester asks permission"), "{line}");
}

/// `NO_COLOR`: no cell has a colour, and the selection is still visible.
#[test]
fn no_color_draws_no_colour_and_still_marks_the_selection() {
    let mut ui = ui();
    ui.color = false;
    let model = model_with(default_sessions(), &ui);
    let t = render(&model, &mut ui, 100, 30);
    let buf = t.backend().buffer();
    for cell in buf.content() {
        assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset));
    }
    let row = row_of(&t, "notes");
    assert_eq!(buf[(0, row)].symbol(), "▶");
    assert!(buf[(5, row)].modifier.contains(Modifier::REVERSED));
}

/// Rows show the git line and the metric badges.
#[test]
fn rows_show_git_and_metric_badges() {
    let mut ui = ui();
    let mut s = session("api", "working", NOW - 10);
    s.cwd = "/home/sean/api".into();
    s.git = Some(navi_core::GitInfo {
        branch: Some("main".into()),
        dirty: Some(true),
        ahead: Some(2),
        behind: Some(1),
        pr_num: Some(42),
        ..Default::default()
    });
    s.metrics = serde_json::from_str(
        r#"{"time":{"total_seconds":4980},"tokens":{"total":12345},
            "tools":{"counts":{"Bash":3,"Edit":4}},"resource":{"rss_bytes":512000000}}"#,
    )
    .ok();
    let model = model_with(vec![Arc::new(s)], &ui);
    let text = screen(&render(&model, &mut ui, 120, 20));
    assert!(text.contains("⎇ main* ↑2 ↓1 #42"), "{text}");
    assert!(text.contains("⏱ 1h23m"), "{text}");
    assert!(
        text.contains("12.3k tok") && text.contains("7 tools"),
        "{text}"
    );
    assert!(text.contains("12.3k tok · 488M mem · 7 tools"), "{text}");
}

/// The empty state names the remotes file that was given, and how to get sessions.
#[test]
fn the_empty_state_names_the_given_remotes_file_and_the_hook_setup() {
    let mut ui = ui();
    ui.remotes_file = "/etc/navi/remotes.yaml".into();
    let mut model = Model::new();
    model.update(Arc::new(Snapshot {
        sessions: vec![],
        sources: vec![health(None, SourceState::Connected)],
        generation: 1,
    }));
    let text = screen(&render(&model, &mut ui, 100, 20));
    assert!(text.contains("/etc/navi/remotes.yaml"), "{text}");
    assert!(!text.contains("~/.config/navi/remotes.yaml"), "{text}");
    assert!(text.contains("navi hooks install"), "{text}");
}

#[test]
fn the_header_says_when_notifications_are_muted() {
    let mut ui = ui();
    let model = model_with(default_sessions(), &ui);
    let t = render(&model, &mut ui, 120, 30);
    assert!(!screen(&t).contains("muted"));
    ui.muted = true;
    let t = render(&model, &mut ui, 120, 30);
    assert!(lines(&t)[0].contains("· 🔕 muted"), "{}", screen(&t));
    ui.icons = crate::icons::IconSet::Ascii;
    let t = render(&model, &mut ui, 120, 30);
    assert!(lines(&t)[0].contains("· muted"), "{}", screen(&t));
}

#[test]
fn marks_show_on_the_row_and_in_the_details() {
    let mut ui = ui();
    let mut api = session("api", "working", NOW - 60);
    api.marks.bookmarked = true;
    api.marks.tags = vec!["review".into(), "wip".into()];
    api.marks.note = Some("after lunch".into());
    api.marks.changed_at = NOW - 300;
    api.marks.changed_by = "laptop".into();
    let model = model_with(vec![Arc::new(api)], &ui);
    let t = render(&model, &mut ui, 100, 20);
    assert!(screen(&t).contains("★ #review #wip"), "{}", screen(&t));
    ui.overlay = crate::app::Overlay::Details;
    let t = render(&model, &mut ui, 100, 30);
    assert!(
        screen(&t).contains("★ #review #wip \"after lunch\" (5m ago, from laptop)"),
        "{}",
        screen(&t)
    );
}

mod agents;
mod many_sources;
mod memory;
mod snapshots;
mod tokens;

/// `?` at 80x24 and 220x60: sized to the terminal, wrapped, and every line of it seen by
/// scrolling with the navigation keys (the app's `j` / PgDn move `help_scroll`).
#[test]
fn help_overlay_fits_the_terminal_and_scrolls_through_every_line() {
    for (w, h) in [(80u16, 24u16), (220, 60)] {
        let mut ui = ui();
        let model = model_with(default_sessions(), &ui);
        ui.overlay = crate::app::Overlay::Help;
        let inner = usize::from(w.min(120) - 2);
        let want: Vec<String> = super::help::help_text(&ui, inner)
            .iter()
            .map(|l| l.to_string().trim().to_string())
            .filter(|l| !l.is_empty())
            .collect();
        assert!(want.iter().any(|l| l.starts_with("b  t  B")), "{want:?}");
        let mut seen = String::new();
        ui.help_scroll = 0;
        for _ in 0..40 {
            let t = render(&model, &mut ui, w, h);
            let text = screen(&t);
            assert!(text.contains("navi help"), "{w}x{h}\n{text}");
            seen.push_str(&text);
            seen.push('\n');
            let before = ui.help_scroll;
            ui.help_scroll += ui.help_page;
            render(&model, &mut ui, w, h);
            if ui.help_scroll == before {
                break;
            }
        }
        for line in &want {
            // A line is in view whole: no cell of it is cut at the border.
            assert!(
                seen.contains(line.as_str()),
                "{w}x{h}: never shown: {line:?}"
            );
        }
    }
}

/// Every active filter is named in the rule under the header, the highlighted search
/// with the Go navi's `[i/N]`, and the matching rows marked.
#[test]
fn the_filter_rule_names_every_filter_and_the_search_position() {
    let mut ui = ui();
    let mut model = model_with(default_sessions(), &ui);
    model.set_bookmarked_only(true);
    let text = screen(&render(&model, &mut ui, 160, 30));
    assert!(text.contains("★ bookmarked only"), "{text}");
    model.set_bookmarked_only(false);
    ui.find = "o".into(); // notes, deploy (hyperion too)
    model.select_index(0);
    let (at, of) = super::header::match_position(&model, "o");
    let t = render(&model, &mut ui, 160, 30);
    let text = screen(&t);
    assert!(
        text.contains(&format!("/o [{}/{of}]", at.unwrap())),
        "{text}"
    );
    ui.find = "notes".into();
    model.select_index(1); // hyperion: not a match
    let t = render(&model, &mut ui, 160, 30);
    let text = screen(&t);
    assert!(text.contains("/notes [-/1]"), "{text}");
    let row = row_of(&t, "⏳ notes");
    assert_eq!(t.backend().buffer()[(0, row)].symbol(), "»", "{text}");
}

/// The focused preview scrolls through the scrollback: its title says where it is.
#[test]
fn the_preview_scrolls_back() {
    let mut ui = ui();
    let model = model_with(default_sessions(), &ui);
    ui.preview.visible = true;
    ui.preview.percent = 50;
    ui.preview.side = true;
    ui.preview.focused = true;
    ui.preview.of = Some((None, "notes".into()));
    ui.preview.text = (1..=50).map(|i| format!("line {i}\n")).collect();
    let text = screen(&render(&model, &mut ui, 120, 20));
    assert!(
        text.contains("line 50") && !text.contains("line 20 "),
        "{text}"
    );
    assert!(text.contains("of 50, Tab: back]"), "{text}");
    ui.preview.back = usize::MAX; // g: the top
    let text = screen(&render(&model, &mut ui, 120, 20));
    assert!(
        text.contains("line 1 ") && !text.contains("line 50"),
        "{text}"
    );
    assert!(text.contains("[1–"), "{text}");
}

/// Auto rows at one terminal size: rows coming and going at the edge where roomy rows
/// stop fitting never flip the layout back and forth (hysteresis); only when the rows
/// would fill at most two thirds of the list does it turn roomy again.
#[test]
fn auto_layout_does_not_flip_while_rows_come_and_go_at_one_size() {
    let mut ui = ui();
    let mut model = Model::new();
    let rows = |n: usize| -> Vec<Arc<SessionInfo>> {
        (0..n)
            .map(|i| {
                let mut s = session(&format!("s{i:02}"), "working", NOW - 60);
                s.message = "Editing".into();
                Arc::new(s)
            })
            .collect()
    };
    let mut draw_with = |n: usize, ui: &mut UiState| -> bool {
        model.update(snapshot(ui, rows(n)));
        render(&model, ui, 100, 30);
        ui.auto_compact.unwrap().1
    };
    // Grow one row at a time until the roomy rows no longer fit.
    let edge = (1..40).find(|n| draw_with(*n, &mut ui)).unwrap();
    assert!(edge > 2, "roomy rows fit at first");
    // One row comes and goes at the edge, again and again: compact every time.
    for round in 0..10 {
        for n in [edge - 1, edge, edge - 1] {
            assert!(
                draw_with(n, &mut ui),
                "round {round}, {n} rows: flipped to roomy"
            );
        }
    }
    // Far fewer rows: roomy again, and it stays roomy as one row comes and goes there.
    assert!(!draw_with(2, &mut ui));
    assert!(!draw_with(3, &mut ui) && !draw_with(2, &mut ui));
    // A fresh dashboard at the same size with edge - 1 rows is roomy: the choice
    // above was the hysteresis, not the row count alone.
    let mut fresh = super::tests::ui();
    assert!(!draw_with(edge - 1, &mut fresh));
}

/// The preview draws the pane's SGR colours and attributes as styles (never as text);
/// with NO_COLOR the attributes stay and the colours go.
#[test]
fn the_preview_shows_the_panes_colours() {
    let mut ui = ui();
    let model = model_with(default_sessions(), &ui);
    ui.preview.visible = true;
    ui.preview.percent = 50;
    ui.preview.side = true;
    ui.preview.of = Some((None, "notes".into()));
    ui.preview.text =
        "plain \u{1b}[31mRED\u{1b}[39m \u{1b}[1;38;5;208mORANGE\u{1b}[0m \u{1b}[48;2;1;2;3mBG\n"
            .into();
    let t = render(&model, &mut ui, 120, 20);
    let text = screen(&t);
    assert!(text.contains("plain RED ORANGE BG"), "{text}");
    assert!(!text.contains("[31m") && !text.contains("208m"), "{text}");
    let y = row_of(&t, "plain RED");
    let line = &lines(&t)[usize::from(y)];
    let col =
        |needle: &str| u16::try_from(line[..line.find(needle).unwrap()].chars().count()).unwrap();
    let buf = t.backend().buffer();
    let cell = |needle| &buf[(col(needle), y)];
    assert_eq!(cell("plain").fg, Color::Reset);
    assert_eq!(cell("RED").fg, Color::Indexed(1));
    assert_eq!(cell("ORANGE").fg, Color::Indexed(208));
    assert!(cell("ORANGE").modifier.contains(Modifier::BOLD));
    assert_eq!(cell("BG").bg, Color::Rgb(1, 2, 3));
    assert_eq!(cell("BG").fg, Color::Reset);

    ui.color = false;
    let t = render(&model, &mut ui, 120, 20);
    let buf = t.backend().buffer();
    let cell = &buf[(col("ORANGE"), y)];
    assert_eq!(cell.fg, Color::Reset);
    assert!(cell.modifier.contains(Modifier::BOLD));
}
