//! Hundreds of remotes: the header summarises them in a few lines, failures first, and
//! `S` lists every one.

use super::*;
use crate::app::{App, KeyAction, Overlay};
use navi_core::AttachContext;

/// Local plus `n` remotes `r1`…`rn`; those in `down` are unavailable (timeout for odd
/// numbers, refused for even ones).
fn many(ui: &UiState, n: usize, down: &[usize]) -> Arc<Snapshot> {
    let mut sources = vec![health(None, SourceState::Connected)];
    for i in 1..=n {
        let name = format!("r{i}");
        let mut h = health(Some(&name), SourceState::Connected);
        h.latency = Some(Duration::from_millis(40));
        h.last_ok_at = ui.now.checked_sub(Duration::from_secs(2));
        h.sessions = 1;
        h.mode = Some(navi_core::PollMode::Push(navi_core::PushWatch::Inotify));
        if down.contains(&i) {
            h.state = SourceState::Unavailable;
            h.reason = Some(if i % 2 == 1 {
                SourceError::timeout(Duration::from_secs(10))
            } else {
                SourceError::Refused(format!("{name}:22").into())
            });
        }
        sources.push(h);
    }
    let mut sessions: Vec<Arc<SessionInfo>> = (1..=n)
        .map(|i| at(&format!("s{i}"), Some(&format!("r{i}")), "idle", 60))
        .collect();
    sessions.push(at("asks", Some("r3"), "permission", 5));
    navi_core::sort_sessions_arc(&mut sessions);
    Arc::new(Snapshot {
        sessions,
        sources,
        generation: 1,
    })
}

/// Lines above the filter rule: the header.
fn header_of(t: &Terminal<TestBackend>) -> Vec<String> {
    lines(t)
        .into_iter()
        .take_while(|l| !l.contains("── filter:"))
        .collect()
}

#[test]
fn two_hundred_remotes_take_at_most_three_header_lines_failures_named() {
    for (w, h) in [(80, 24), (200, 50)] {
        let mut ui = ui();
        let mut model = Model::new();
        model.update(many(&ui, 200, &[150, 9]));
        let t = render(&model, &mut ui, w, h);
        let header = header_of(&t);
        let text = header.join("\n");
        assert!(
            header.len() <= 4,
            "title + at most 3 lines at {w}x{h}:\n{text}"
        );
        assert!(text.contains("199 connected"), "{text}");
        assert!(
            text.contains("2 unavailable: r9 timeout, r150 refused"),
            "{text}"
        );
        // The rows keep most of the screen.
        let rows = usize::from(h) - header.len() - 2;
        assert!(rows * 3 >= usize::from(h) * 2, "{rows} rows at {w}x{h}");
        assert!(screen(&t).contains("asks"), "the top row is on screen");
    }
}

#[test]
fn many_failures_are_named_as_far_as_they_fit_then_counted() {
    let mut ui = ui();
    let mut model = Model::new();
    let down: Vec<usize> = (100..=160).collect();
    model.update(many(&ui, 200, &down));
    let t = render(&model, &mut ui, 80, 24);
    let header = header_of(&t);
    let text = header.join("\n");
    assert!(header.len() <= 4, "{text}");
    assert!(
        text.contains("61 unavailable: r100 refused, r101 timeout"),
        "{text}"
    );
    assert!(text.contains("more"), "{text}");
    let named = (100..=160)
        .filter(|i| text.contains(&format!("r{i} ")))
        .count();
    let more = format!("+{} more", 61 - named);
    assert!(text.contains(&more), "{more} in:\n{text}");
    for l in &header {
        assert!(crate::format::width(l.trim_end()) <= 80, "{l}");
    }
}

#[test]
fn a_few_remotes_keep_one_indicator_each() {
    let mut ui = ui();
    let mut model = Model::new();
    model.update(many(&ui, 3, &[2]));
    let text = screen(&render(&model, &mut ui, 120, 30));
    assert!(text.contains("● r1 40ms 2s ago"), "{text}");
    assert!(text.contains("✖ r2 refused"), "{text}");
    assert!(!text.contains("connected ·"), "{text}");
}

#[test]
fn the_sources_overlay_lists_every_source_and_scrolls() {
    let mut app = App::new(Vec::new(), AttachContext::default(), false);
    app.ui = ui();
    app.on_snapshot(many(&app.ui, 200, &[150, 9]));
    app.apply(KeyAction::ToggleSources);
    assert_eq!(app.ui.overlay, Overlay::Sources);
    let draw_text = |app: &mut App| {
        let mut t = Terminal::new(TestBackend::new(100, 30)).unwrap();
        t.draw(|f| draw(f, &app.model, &mut app.ui)).unwrap();
        screen(&t)
    };
    let first = draw_text(&mut app);
    assert!(
        first.contains("SOURCE") && first.contains("MODE"),
        "{first}"
    );
    // Unavailable first, with their reasons; then the others with their mode.
    let r9 = first.find(" r9 ").expect("r9 listed");
    let r1 = first.find(" r1 ").expect("r1 listed");
    assert!(r9 < r1, "{first}");
    assert!(first.contains("timeout"), "{first}");
    assert!(first.contains("push (inotify)"), "{first}");
    assert!(
        first.contains("of 203"),
        "a long list says where it is:\n{first}"
    );
    // The selection does not move while the overlay scrolls.
    let selected = app.model.selected_index();
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..40 {
        let text = draw_text(&mut app);
        for i in 1..=200 {
            if text.contains(&format!(" r{i} ")) {
                seen.insert(i);
            }
        }
        app.apply(KeyAction::PageDown);
    }
    assert_eq!(seen.len(), 200, "every remote shows while scrolling");
    assert!(
        draw_text(&mut app).contains(" r200 "),
        "the end stays in view"
    );
    app.apply(KeyAction::Top);
    assert!(draw_text(&mut app).contains(" r9 "));
    assert_eq!(app.model.selected_index(), selected);
    app.apply(KeyAction::ToggleSources);
    assert_eq!(app.ui.overlay, Overlay::None);
}
