//! Tokens and cost on screen: `i`, the rows and the header totals.

use super::snapshots::assert_screen;
use super::*;
use crate::app::{Density, Overlay};

/// A status file as navi's hook writes it: tokens with the cache split, two models.
fn with_tokens(name: &str, remote: Option<&str>) -> SessionInfo {
    let mut s = session(name, "working", NOW - 60);
    s.remote = remote.map(Into::into);
    s.cwd = format!("/home/sean/{name}");
    s.tmux = Some(navi_core::TmuxPlace::default());
    s.metrics = serde_json::from_value(serde_json::json!({
        "time": {"total_seconds": 3600},
        "tools": {"counts": {"Bash": 3, "Edit": 4}},
        "tokens": {
            "input": 2_400_000, "output": 100_000, "total": 2_500_000,
            "cache_read": 2_000_000, "cache_creation": 300_000,
            "model": "claude-sonnet-4-5-20250929",
            "models": {
                "claude-sonnet-4-5-20250929": {"input": 2_300_000, "output": 90_000, "cache_read": 2_000_000, "cache_creation": 200_000},
                "claude-haiku-4-5-20251001": {"input": 100_000, "output": 10_000, "cache_read": 0, "cache_creation": 100_000}
            }
        }
    }))
    .ok();
    s
}

fn details_of(s: SessionInfo, ui: &mut UiState) -> Terminal<TestBackend> {
    ui.overlay = Overlay::Details;
    let model = model_with(vec![Arc::new(s)], ui);
    render(&model, ui, 110, 34)
}

#[test]
fn screen_details_tokens_and_cost() {
    let mut ui = ui();
    assert_screen(
        "details_tokens",
        &details_of(with_tokens("api", Some("dev")), &mut ui),
    );
}

#[test]
fn details_cost_follows_the_price_table_and_names_unpriced_models() {
    let mut ui = ui();
    // Sonnet 4.5: 0.1M fresh × 3 + 0.2M written × 3.75 + 2M read × 0.3 + 0.09M out × 15
    // = 0.3 + 0.75 + 0.6 + 1.35 = 3.00; Haiku 4.5: 0.1M written × 1.25 + 0.01M × 5 = 0.175.
    let text = screen(&details_of(with_tokens("api", None), &mut ui));
    assert!(text.contains("~$3.17 at list prices"), "{text}");
    assert!(
        text.contains("fresh 100.0k · cache read 2.0M · cache write 300.0k"),
        "{text}"
    );
    ui.prices.set(
        "claude-haiku-4-5",
        navi_core::cost::Price {
            input: 0.0,
            output: 0.0,
            cache_write: 0.0,
            cache_read: 0.0,
        },
    );
    let text = screen(&details_of(with_tokens("api", None), &mut ui));
    assert!(text.contains("~$3.00 at list prices"), "{text}");
    let mut s = with_tokens("api", None);
    if let Some(t) = s.metrics.as_mut().and_then(|m| m.tokens.as_mut()) {
        t.models = None;
        t.model = Some("gpt-9".into());
    }
    let text = screen(&details_of(s, &mut ui));
    assert!(
        text.contains("no price for gpt-9: add it under prices:"),
        "{text}"
    );
}

#[test]
fn details_say_why_there_are_no_tokens() {
    let mut ui = ui();
    // The Go navi's shell hooks: no tokens, no `tmux` block.
    let go = session("legacy", "working", NOW - 60);
    let mut remote_go = go.clone();
    remote_go.remote = Some("old-box".into());
    let text = screen(&details_of(remote_go, &mut ui));
    assert!(
        text.contains("— this machine's hook does not record tokens"),
        "{text}"
    );
    assert!(text.contains("remotes setup old-box`"), "{text}");
    let text = screen(&details_of(go.clone(), &mut ui));
    assert!(text.contains("hooks install`"), "{text}");
    // navi's hook before the first reply: a tmux block, then zero counts.
    let mut navi = go.clone();
    navi.tmux = Some(navi_core::TmuxPlace::default());
    let text = screen(&details_of(navi.clone(), &mut ui));
    assert!(
        text.contains("— no tokens yet: navi's hook records them"),
        "{text}"
    );
    navi.metrics = serde_json::from_str(
        r#"{"tokens":{"input":0,"output":0,"total":0,"cache_read":0,"cache_creation":0,"models":{}}}"#,
    )
    .ok();
    let text = screen(&details_of(navi, &mut ui));
    assert!(
        text.contains("— no tokens yet: no reply from Claude"),
        "{text}"
    );
    // Counts without the split (another tool): shown, cost not estimated.
    let mut other = go;
    other.metrics = serde_json::from_str(r#"{"tokens":{"input":10,"output":5,"total":15}}"#).ok();
    let text = screen(&details_of(other, &mut ui));
    assert!(text.contains("in 10 · out 5 · total 15"), "{text}");
    assert!(text.contains("no cache split or model"), "{text}");
}

fn list_of(sessions: Vec<SessionInfo>, ui: &mut UiState) -> (Model, String) {
    ui.density = Density::Roomy;
    let model = model_with(sessions.into_iter().map(Arc::new).collect(), ui);
    let text = screen(&render(&model, ui, 130, 20));
    (model, text)
}

#[test]
fn screen_header_totals_over_the_rows_shown() {
    let mut ui = ui();
    let sessions = vec![
        with_tokens("api", None),
        with_tokens("web", Some("dev")),
        session("legacy", "done", NOW - 60),
    ];
    let model = model_with(sessions.into_iter().map(Arc::new).collect(), &ui);
    ui.density = Density::Roomy;
    assert_screen("header_totals", &render(&model, &mut ui, 130, 16));
}

#[test]
fn header_totals_follow_the_filter_and_rows_show_tokens_and_cost() {
    let mut ui = ui();
    let sessions = vec![with_tokens("api", None), with_tokens("web", Some("dev"))];
    let (_, text) = list_of(sessions.clone(), &mut ui);
    // Two sessions: 5.0M tokens, $6.35, 2 h, 14 tool uses.
    assert!(text.contains("5.0M tok ~$6.35 · ⏱ 2h00m · 🔧 14"), "{text}");
    assert!(
        text.contains("2.5M tok ~$3.17"),
        "rows show tokens and cost: {text}"
    );
    // Only the local one shown: its totals.
    ui.density = Density::Roomy;
    let mut model = model_with(sessions.into_iter().map(Arc::new).collect(), &ui);
    model.set_filter(navi_core::Filter::Local);
    let text = screen(&render(&model, &mut ui, 130, 20));
    assert!(text.contains("2.5M tok ~$3.17 · ⏱ 1h00m · 🔧 7"), "{text}");
    // ASCII icons.
    ui.icons = crate::icons::IconSet::Ascii;
    let text = screen(&render(&model, &mut ui, 130, 20));
    assert!(
        text.contains("2.5M tok ~$3.17 · time 1h00m · tools 7"),
        "{text}"
    );
}
