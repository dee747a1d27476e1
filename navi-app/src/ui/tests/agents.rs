//! Agents on screen: the row's tag (roomy `{CX}`, helpers `+OC` with their status, the
//! compact agent column), `i` naming the agent and its helpers, the agent filter in the
//! rule, and a Claude-only list looking as it always did.

use super::snapshots::assert_screen;
use super::*;
use crate::app::{Density, Overlay};

/// A Codex session, a Claude session with an OpenCode helper asking permission, a Gemini
/// session, and a plain Claude session.
fn mixed() -> Vec<Arc<SessionInfo>> {
    let mut cx = session("web", "working", NOW - 30);
    cx.agent = Some("codex".into());
    cx.cwd = "/home/sean/web".into();
    let mut helped = session("api", "working", NOW - 60);
    helped.cwd = "/home/sean/api".into();
    helped.agents = serde_json::from_value(serde_json::json!({
        "opencode": {"status": "permission", "timestamp": NOW - 5}
    }))
    .ok();
    let mut gm = session("docs", "done", NOW - 120);
    gm.agent = Some("gemini".into());
    gm.cwd = "/home/sean/docs".into();
    let mut plain = session("notes", "idle", NOW - 300);
    plain.cwd = "/home/sean/notes".into();
    [cx, helped, gm, plain].into_iter().map(Arc::new).collect()
}

#[test]
fn screen_agents_roomy() {
    let mut ui = ui();
    ui.density = Density::Roomy;
    let model = model_with(mixed(), &ui);
    let term = render(&model, &mut ui, 100, 16);
    let text = screen(&term);
    assert!(text.contains("web {CX}"), "{text}");
    assert!(text.contains("docs {GM}"), "{text}");
    assert!(text.contains("+OC"), "{text}");
    assert!(!text.contains("notes {"), "a Claude row has no tag: {text}");
    assert_screen("agents_roomy", &term);
}

#[test]
fn screen_agents_compact() {
    let mut ui = ui();
    ui.density = Density::Compact;
    let model = model_with(mixed(), &ui);
    let term = render(&model, &mut ui, 100, 12);
    let text = screen(&term);
    assert!(text.contains(" CX "), "{text}");
    assert!(text.contains(" +OC "), "{text}");
    assert_screen("agents_compact", &term);
}

#[test]
fn a_claude_only_list_has_no_agent_column() {
    let mut ui = ui();
    ui.density = Density::Compact;
    let only = vec![Arc::new(session("notes", "idle", NOW - 300))];
    let with = render(&model_with(only, &ui), &mut ui, 100, 8);
    let mut ui2 = super::ui();
    ui2.density = Density::Compact;
    let mut s = session("notes", "idle", NOW - 300);
    s.agent = Some("claude".into());
    let named = render(&model_with(vec![Arc::new(s)], &ui2), &mut ui2, 100, 8);
    assert_eq!(screen(&with), screen(&named));
    assert!(!screen(&with).contains("CC"), "{}", screen(&with));
}

#[test]
fn screen_agents_details() {
    let mut ui = ui();
    ui.overlay = Overlay::Details;
    let mut model = model_with(mixed(), &ui);
    model.select_index(0);
    let term = render(&model, &mut ui, 110, 24);
    let text = screen(&term);
    assert!(text.contains("agent        Claude Code (CC)"), "{text}");
    assert!(
        text.contains("helper       OpenCode (+OC): permission"),
        "{text}"
    );
    assert_screen("agents_details", &term);
}

#[test]
fn the_agent_filter_shows_in_the_rule() {
    let mut ui = ui();
    let mut model = model_with(mixed(), &ui);
    model.set_agent(Some("codex".into()));
    let text = screen(&render(&model, &mut ui, 120, 12));
    assert!(text.contains("agent: codex"), "{text}");
    assert!(text.contains("1 of 4 shown"), "{text}");
    assert!(!text.contains("notes"), "{text}");
}
