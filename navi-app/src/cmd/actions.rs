//! `navi preview | new | kill | rename | dismiss | send | mark`: one action on one session, for
//! scripts. A session is `NAME` (this machine) or `REMOTE:NAME` (tmux forbids `:` in
//! session names, so the first `:` always separates a configured remote).

use std::io::{BufRead, Write};

use anyhow::bail;
use navi_core::{Action, ActionOutput, DynSessionSource, MarkOp};

use crate::sources::SourceSet;

/// Which source owns `address` and the session's name there.
pub fn resolve<'a>(
    set: &'a SourceSet,
    address: &str,
) -> anyhow::Result<(&'a DynSessionSource, String)> {
    let (remote, name) = match address.split_once(':') {
        Some((remote, name)) => (Some(remote), name),
        None => (None, address),
    };
    if name.is_empty() {
        bail!("no session name in `{address}` (write NAME or REMOTE:NAME)");
    }
    let source = set
        .sources
        .iter()
        .map(|(s, _)| s)
        .find(|s| s.label() == remote);
    match (source, remote) {
        (Some(s), _) => Ok((s, name.to_string())),
        (None, Some(r)) => {
            let names: Vec<&str> = set.sources.iter().filter_map(|(s, _)| s.label()).collect();
            match names.is_empty() {
                true => bail!("no remote named `{r}`: no remote is configured"),
                false => bail!("no remote named `{r}` (configured: {})", names.join(", ")),
            }
        }
        (None, None) => bail!("no local source"),
    }
}

/// Runs `action` on `address`; prints the result (the pane for a preview).
pub async fn run(
    set: &SourceSet,
    address: &str,
    action: Action,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let (source, name) = resolve(set, address)?;
    if !source.supports().allows(&action) {
        bail!(
            "{} cannot {} sessions",
            source.label().unwrap_or("this machine"),
            action.name()
        );
    }
    let deadline = navi_core::Deadline::after(navi_core::limits::ACTION);
    match navi_core::bounded_act(source, &name, &action, deadline).await? {
        // `navi preview` prints plain text: the pane's colours stay in the dashboard.
        ActionOutput::Text(text) => writeln!(out, "{}", navi_core::text::clean_pane(&text))?,
        ActionOutput::Done(what) => writeln!(out, "{what}")?,
        // `navi git` prints these (crate::cmd::git).
        ActionOutput::Git(_) | ActionOutput::Pr(_) => writeln!(out, "{} done", action.name())?,
    }
    Ok(())
}

/// The operations of `navi mark`, checked (tags as [`navi_core::check_tag`], a
/// leading `#` dropped); an empty `--note` clears the note.
pub fn mark_ops(
    bookmark: bool,
    unbookmark: bool,
    tags: &[String],
    untags: &[String],
    note: Option<&str>,
) -> anyhow::Result<Vec<MarkOp>> {
    let mut ops = Vec::new();
    if bookmark || unbookmark {
        ops.push(MarkOp::Bookmark(bookmark));
    }
    for (list, add) in [(tags, true), (untags, false)] {
        for t in list {
            navi_core::check_tag(t).map_err(anyhow::Error::msg)?;
            let t = navi_core::normalize_tag(t);
            ops.push(match add {
                true => MarkOp::AddTag(t),
                false => MarkOp::RemoveTag(t),
            });
        }
    }
    if let Some(n) = note {
        navi_core::check_note(n).map_err(anyhow::Error::msg)?;
        ops.push(MarkOp::Note((!n.is_empty()).then(|| n.to_string())));
    }
    if ops.is_empty() {
        bail!("nothing to mark: give --bookmark, --unbookmark, --tag, --untag or --note");
    }
    Ok(ops)
}

/// Asks "Kill NAME on MACHINE? [y/N]" on `input`; `true` for yes.
pub fn confirm(
    address: &str,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> anyhow::Result<bool> {
    let (machine, name) = match address.split_once(':') {
        Some((r, n)) => (r, n),
        None => ("this machine", address),
    };
    write!(out, "Kill the tmux session {name} on {machine}? [y/N] ")?;
    out.flush()?;
    let mut answer = String::new();
    input.read_line(&mut answer)?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

/// `navi new`'s action: the command Claude starts with, checked.
pub fn new_action(dir: &str, command: &str, skip_permissions: bool) -> anyhow::Result<Action> {
    let command = navi_core::new_session_command(command, skip_permissions)
        .map_err(|e| anyhow::anyhow!("--command: {e}"))?;
    Ok(Action::New {
        dir: dir.to_string(),
        command,
        create_dir: false,
    })
}

/// `navi kill`'s action, once confirmed (or `--yes`).
pub fn kill_action(session: &str, yes: bool) -> anyhow::Result<Action> {
    let stdin = std::io::stdin();
    if !yes && !confirm(session, &mut stdin.lock(), &mut std::io::stdout())? {
        bail!("not killed");
    }
    Ok(Action::Kill)
}

/// `navi send`'s action: text a session may be sent.
pub fn send_action(session: &str, text: &str) -> anyhow::Result<Action> {
    navi_core::check_send_text(text).map_err(|e| anyhow::anyhow!("not sent to {session}: {e}"))?;
    Ok(Action::Send {
        text: text.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use navi_core::testing::session;
    use navi_core::MemorySource;
    use std::sync::Arc;

    fn set() -> SourceSet {
        SourceSet {
            sources: vec![
                (
                    Arc::new(MemorySource::new(None, vec![session("a", "idle", 1)])) as _,
                    navi_core::testing::OPTIONS,
                ),
                (
                    Arc::new(MemorySource::new(Some("dev"), vec![])) as _,
                    navi_core::testing::OPTIONS,
                ),
            ],
            ..SourceSet::default()
        }
    }

    #[test]
    fn addresses_name_the_owning_source() {
        let set = set();
        let (s, n) = resolve(&set, "api").unwrap();
        assert_eq!((s.label(), n.as_str()), (None, "api"));
        let (s, n) = resolve(&set, "dev:my api").unwrap();
        assert_eq!((s.label(), n.as_str()), (Some("dev"), "my api"));
        let e = resolve(&set, "prod:x").unwrap_err().to_string();
        assert!(
            e.contains("no remote named `prod` (configured: dev)"),
            "{e}"
        );
        assert!(resolve(&set, "dev:").is_err());
    }

    #[tokio::test]
    async fn a_source_without_actions_says_so() {
        let mut out = Vec::new();
        let e = run(&set(), "dev:x", Action::Kill, &mut out)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("dev cannot kill sessions"), "{e}");
    }

    #[test]
    fn mark_options_become_checked_operations() {
        let tags = ["#wip".to_string()];
        let ops = mark_ops(true, false, &tags, &[], Some("")).unwrap();
        assert_eq!(
            ops,
            [
                MarkOp::Bookmark(true),
                MarkOp::AddTag("wip".into()),
                MarkOp::Note(None)
            ]
        );
        let e = mark_ops(false, false, &["a,b".into()], &[], None).unwrap_err();
        assert!(e.to_string().contains("spaces or commas"), "{e}");
        let long = ["x".repeat(33)];
        assert!(mark_ops(false, false, &[], &long, None).is_err());
        assert!(mark_ops(false, false, &[], &[], None).is_err());
    }

    #[test]
    fn kill_asks_first() {
        let mut out = Vec::new();
        assert!(confirm("dev:api", &mut &b"y\n"[..], &mut out).unwrap());
        assert!(String::from_utf8(out).unwrap().contains("api on dev?"));
        assert!(!confirm("api", &mut &b"\n"[..], &mut Vec::new()).unwrap());
    }
}
