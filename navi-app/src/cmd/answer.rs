//! `navi approve | deny | resume`: answering a permission dialog after reading the pane,
//! and bringing back a session whose claude ended.

use std::io::Write;

use anyhow::{anyhow, bail};
use navi_core::permission::Choice;
use navi_core::{Action, ActionOutput, Deadline};

use crate::answering::{plan_answer, resume_plan};
use crate::cmd::actions::resolve;
use crate::sources::SourceSet;

/// Reads the pane of `address`, prints what `choice` answers, and sends it (checked
/// again on the session's machine).
pub async fn answer(
    set: &SourceSet,
    address: &str,
    choice: Choice,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let (source, name) = resolve(set, address)?;
    let probe = Action::Answer {
        choice,
        expect: String::new(),
    };
    if !source.supports().allows(&probe) || !source.supports().preview {
        bail!(
            "{} cannot answer permission dialogs",
            source.label().unwrap_or("this machine")
        );
    }
    let deadline = || Deadline::after(navi_core::limits::ACTION);
    let row = source
        .poll()
        .await
        .ok()
        .and_then(|rows| rows.into_iter().find(|s| s.tmux_session == name));
    if let Some(why) = row
        .as_ref()
        .and_then(|s| unknown_dialog(address, s, CLI_HOW))
    {
        bail!(why);
    }
    let pane = match navi_core::bounded_act(source, &name, &Action::Preview, deadline()).await? {
        ActionOutput::Text(t) => t,
        _ => bail!("cannot read the pane of {address}: an unexpected answer"),
    };
    let message = row.map(|s| s.message).unwrap_or_default();
    let plan = plan_answer(address, &pane, choice, &message).map_err(|e| anyhow!(e))?;
    writeln!(out, "{} {address}: {}", choice.verb(), plan.what)?;
    let action = plan.action(choice);
    match navi_core::bounded_act(source, &name, &action, deadline()).await? {
        ActionOutput::Done(what) => writeln!(out, "{what}")?,
        _ => writeln!(out, "{} done", choice.done())?,
    }
    Ok(())
}

/// How to answer a prompt navi does not read, from the command line.
const CLI_HOW: &str = "in the session (tmux attach, or navi send / navi send --keys)";

/// Why navi does not answer the permission prompt of `s`: the agent asking is not Claude
/// Code, whose dialog is the only one navi reads ([`navi_core::permission`]); another
/// agent's prompt looks different, and a key sent on a guess could answer something else.
/// `how` says how to answer it instead.
pub fn unknown_dialog(address: &str, s: &navi_core::SessionInfo, how: &str) -> Option<String> {
    let agent = s.status_agent();
    let known = navi_core::statusdir::agents::Agent::parse(&agent);
    if known == Some(navi_core::statusdir::agents::Agent::Claude) {
        return None;
    }
    let title = known.map_or_else(
        || navi_core::text::sanitize(&agent).into_owned(),
        |a| a.title().to_string(),
    );
    Some(format!(
        "{address}: the prompt is {title}'s, and navi reads only Claude Code's permission \
         dialog; answer it {how}"
    ))
}

/// Starts `claude --resume ID` for the ended session `address`, on its machine, in its
/// directory.
pub async fn resume(set: &SourceSet, address: &str, out: &mut dyn Write) -> anyhow::Result<()> {
    let (source, name) = resolve(set, address)?;
    let rows = source.poll().await?;
    let Some(row) = rows.iter().find(|s| s.tmux_session == name) else {
        bail!("no session named {name} (navi list shows them)");
    };
    let (target, action) = resume_plan(row).map_err(|e| anyhow!(e))?;
    if !source.supports().allows(&action) {
        bail!(
            "{} cannot start sessions",
            source.label().unwrap_or("this machine")
        );
    }
    let deadline = Deadline::after(navi_core::limits::ACTION);
    match navi_core::bounded_act(source, &target, &action, deadline).await? {
        ActionOutput::Done(what) => writeln!(out, "{what} (claude --resume)")?,
        _ => writeln!(out, "resumed {target}")?,
    }
    Ok(())
}
