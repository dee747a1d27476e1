//! Memory on screen: the roomy row next to the tokens, and `i` with when it was sampled
//! or why there is none.

use super::snapshots::assert_screen;
use super::*;
use crate::app::Overlay;
use navi_core::rss::MemorySample;

/// A session with tokens, its memory sampled 20 s before `NOW`.
fn sampled(name: &str) -> SessionInfo {
    let mut s = session(name, "working", NOW - 60);
    s.cwd = format!("/home/sean/{name}");
    s.metrics = serde_json::from_value(serde_json::json!({
        "time": {"total_seconds": 600},
        "tokens": {"total": 12345},
        "resource": {"rss_bytes": 1024}
    }))
    .ok();
    s.set_memory(MemorySample {
        rss_bytes: 412 * 1024 * 1024,
        sampled_at: NOW - 20,
    });
    s
}

fn details_of(s: SessionInfo, ui: &mut UiState) -> String {
    ui.overlay = Overlay::Details;
    let model = model_with(vec![Arc::new(s)], ui);
    screen(&render(&model, ui, 110, 30))
}

#[test]
fn the_row_shows_memory_next_to_the_tokens() {
    let mut ui = ui();
    let model = model_with(vec![Arc::new(sampled("api"))], &ui);
    let text = screen(&render(&model, &mut ui, 120, 12));
    assert!(text.contains("12.3k tok · 412M mem"), "{text}");
    // Unknown memory: no badge (the file's value would show, a sample overrides it).
    let mut bare = session("web", "idle", NOW - 60);
    bare.metrics = serde_json::from_value(serde_json::json!({"tokens": {"total": 5}})).ok();
    let model = model_with(vec![Arc::new(bare)], &ui);
    let text = screen(&render(&model, &mut ui, 120, 12));
    assert!(!text.contains("mem"), "{text}");
}

#[test]
fn screen_details_memory() {
    let mut ui = ui();
    ui.overlay = Overlay::Details;
    let model = model_with(vec![Arc::new(sampled("api"))], &ui);
    assert_screen("details_memory", &render(&model, &mut ui, 110, 30));
}

#[test]
fn details_say_where_memory_comes_from_or_why_there_is_none() {
    let mut ui = ui();
    let text = details_of(sampled("api"), &mut ui);
    assert!(
        text.contains("412M · sampled 20s ago on its machine"),
        "{text}"
    );
    let mut from_file = session("web", "idle", NOW - 60);
    from_file.metrics =
        serde_json::from_value(serde_json::json!({"resource": {"rss_bytes": 300 * 1024 * 1024}}))
            .ok();
    let text = details_of(from_file, &mut ui);
    assert!(text.contains("300M (from its status file)"), "{text}");
    let mut polled = session("db", "idle", NOW - 60);
    polled.remote = Some("dev".into());
    let text = details_of(polled, &mut ui);
    assert!(
        text.contains("— not sampled: only a remote's push loop samples memory"),
        "{text}"
    );
    let text = details_of(session("local", "idle", NOW - 60), &mut ui);
    assert!(
        text.contains("— not sampled: navi finds no process"),
        "{text}"
    );
}
