//! The edits `navi hooks install` and `uninstall` make to the text of Claude Code's
//! settings: on the spans of the text ([`super::spans`]), so that every byte outside
//! navi's entries stays as the user wrote it ([`super::splice`]).

use anyhow::Context as _;
use serde_json::{json, Value};

use super::spans::{self, Kind, Node};
use super::splice;
use super::{command_agent, events_of, installed_for, is_go_navi};
use navi_core::statusdir::agents::Agent;

/// What [`install`] changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// Go navi hook commands that were replaced (event, command).
    pub replaced: Vec<(String, String)>,
}

/// The settings text `text` with navi's hook on every event of [`EVENTS`] (and no Go navi
/// hooks): navi's group is appended to each event's list, and the Go navi's and an older
/// navi's entries are taken out. Every other byte is kept as it was (see [`splice`]); an
/// empty `text` is a missing file.
#[cfg(test)]
pub fn install(text: &str, command: &str) -> anyhow::Result<(String, Changes)> {
    install_for(text, command, Agent::Claude)
}

/// [`install`] for `agent`'s settings (Codex's `hooks.json`, Gemini CLI's
/// `settings.json`: the same `hooks` shape): navi's entry for `agent` on each of its
/// events. Only Claude Code's settings can hold the Go navi's hooks.
pub fn install_for(text: &str, command: &str, agent: Agent) -> anyhow::Result<(String, Changes)> {
    let mut changes = Changes::default();
    let value = parse(text)?;
    let events = events_of(agent);
    let go = agent == Agent::Claude && is_go_navi(&value.to_string());
    if installed_for(&value, agent) == (events.clone(), Some(command.to_string())) && !go {
        return Ok((text.to_string(), changes));
    }
    let (text, mut root) = scan(text)?;
    remove(&text, &mut root, false, &mut |event, c| {
        if agent == Agent::Claude && is_go_navi(c) {
            changes.replaced.push((event.to_string(), c.to_string()));
            return true;
        }
        command_agent(c) == Some(agent)
    })?;
    let Kind::Object(top) = &mut root.kind else {
        anyhow::bail!("the settings are not a JSON object");
    };
    let group = json!({ "hooks": [entry(agent, command)] });
    let Some(h) = top.member("hooks").map_err(fix_by_hand)? else {
        let events = events.iter().map(|e| (e.to_string(), json!([group])));
        top.added
            .push((Some("hooks".into()), Value::Object(events.collect())));
        return Ok((render(&text, &root), changes));
    };
    let Kind::Object(hooks) = &mut top.elems[h].value.kind else {
        anyhow::bail!("\"hooks\" in the settings is not an object; fix it by hand first");
    };
    for event in &events {
        let Some(i) = hooks.member(event).map_err(fix_by_hand)? else {
            hooks.added.push((Some(event.to_string()), json!([group])));
            continue;
        };
        // An event whose only entries were an older navi's keeps its place.
        hooks.elems[i].removed = false;
        let Kind::Array(groups) = &mut hooks.elems[i].value.kind else {
            anyhow::bail!(
                "\"hooks\".{event:?} in the settings is not a list; fix it by hand first"
            );
        };
        groups.added.push((None, group.clone()));
    }
    Ok((render(&text, &root), changes))
}

/// The settings text `text` without navi's hook entries (groups and events left empty
/// are removed); every other byte is kept as it was.
#[cfg(test)]
pub fn uninstall(text: &str) -> anyhow::Result<String> {
    uninstall_for(text, Agent::Claude)
}

/// [`uninstall`] of navi's entries for `agent` (another agent's navi entries stay).
pub fn uninstall_for(text: &str, agent: Agent) -> anyhow::Result<String> {
    if text.trim().is_empty() {
        return Ok(text.to_string());
    }
    parse(text)?;
    let (text, mut root) = scan(text)?;
    remove(&text, &mut root, true, &mut |_, c| {
        command_agent(c) == Some(agent)
    })?;
    Ok(render(&text, &root))
}

/// navi's hook entry for `agent`: a command hook; Gemini CLI's gets a `name` too (its
/// `/hooks` panel and logs show it).
fn entry(agent: Agent, command: &str) -> Value {
    match agent {
        Agent::Gemini => json!({ "name": "navi", "type": "command", "command": command }),
        _ => json!({ "type": "command", "command": command }),
    }
}

fn fix_by_hand(e: String) -> anyhow::Error {
    anyhow::anyhow!("\"hooks\" in the settings: {e}; fix it by hand first")
}

/// The settings as a value (an empty text is `{}`), for the questions about meaning.
fn parse(text: &str) -> anyhow::Result<Value> {
    match text.trim().is_empty() {
        true => Ok(json!({})),
        false => serde_json::from_str(text).context("the settings are not valid JSON"),
    }
}

/// The spans of `text` (an empty text is a new file: `{}`).
fn scan(text: &str) -> anyhow::Result<(String, Node)> {
    let text = match text.trim().is_empty() {
        true => "{}\n".to_string(),
        false => text.to_string(),
    };
    let root =
        spans::scan(&text).map_err(|e| anyhow::anyhow!("the settings are not valid JSON: {e}"))?;
    Ok((text, root))
}

/// The new text of `root`, the edited spans of `text`.
fn render(text: &str, root: &Node) -> String {
    let style = splice::Style::of(text, root);
    let mut out = String::with_capacity(text.len() + 1024);
    out.push_str(&text[..root.start]);
    splice::render(text, root, &style, &mut out);
    out.push_str(&text[root.end..]);
    out
}

/// Marks the hook entries `drop(event, command)` selects as removed, with the groups this
/// empties and the events this empties (and, with `drop_hooks`, `"hooks"` when this
/// empties it). A group or an event the user left empty stays.
fn remove(
    text: &str,
    root: &mut Node,
    drop_hooks: bool,
    drop: &mut dyn FnMut(&str, &str) -> bool,
) -> anyhow::Result<()> {
    let Kind::Object(top) = &mut root.kind else {
        anyhow::bail!("the settings are not a JSON object");
    };
    let Some(h) = top.member("hooks").map_err(fix_by_hand)? else {
        return Ok(());
    };
    let Kind::Object(hooks) = &mut top.elems[h].value.kind else {
        return Ok(());
    };
    let mut emptied_events = false;
    for (i, ev) in hooks.elems.iter().enumerate() {
        let name = ev.key.as_ref().map(|k| k.0.as_str()).unwrap_or_default();
        if hooks.member(name).map_err(fix_by_hand)? != Some(i) {
            return Err(fix_by_hand(format!("{name:?} appears twice")));
        }
    }
    for ev in &mut hooks.elems {
        let event = ev.key.as_ref().map(|k| k.0.clone()).unwrap_or_default();
        let Kind::Array(groups) = &mut ev.value.kind else {
            continue;
        };
        for group in &mut groups.elems {
            group.removed = remove_from_group(text, &event, &mut group.value, drop)?;
        }
        if groups.elems.iter().any(|g| g.removed) && groups.elems.iter().all(|g| g.removed) {
            ev.removed = true;
            emptied_events = true;
        }
    }
    if drop_hooks && emptied_events && hooks.elems.iter().all(|e| e.removed) {
        top.elems[h].removed = true;
    }
    Ok(())
}

/// Marks the entries of one group that `drop` selects; whether that emptied the group.
fn remove_from_group(
    text: &str,
    event: &str,
    group: &mut Node,
    drop: &mut dyn FnMut(&str, &str) -> bool,
) -> anyhow::Result<bool> {
    let Kind::Object(group) = &mut group.kind else {
        return Ok(false);
    };
    let Some(i) = group.member("hooks").map_err(fix_by_hand)? else {
        return Ok(false);
    };
    let Kind::Array(list) = &mut group.elems[i].value.kind else {
        return Ok(false);
    };
    for entry in &mut list.elems {
        let Kind::Object(fields) = &entry.value.kind else {
            continue;
        };
        let Some(c) = fields.member("command").map_err(fix_by_hand)? else {
            continue;
        };
        if let Some(command) = fields.elems[c].value.as_str(text) {
            entry.removed = drop(event, &command);
        }
    }
    Ok(!list.elems.is_empty() && list.elems.iter().all(|e| e.removed))
}
