//! `navi git SESSION`: the git dialog's text (branch, changes, ahead / behind, last
//! commit, remote, pull request with checks), asked on the session's machine as the
//! dashboard's `G` asks it; `--diff` prints the working tree's diff.

use std::io::Write;

use anyhow::{anyhow, bail};
use navi_core::git::PrStatus;
use navi_core::{Action, ActionOutput};

use crate::app::{perform_local, pr_here_job, GitDialog, LocalDone};
use crate::sources::SourceSet;

/// Prints the dialog of `address` (or its diff).
pub async fn run(
    set: &SourceSet,
    address: &str,
    diff: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let (source, name) = crate::cmd::actions::resolve(set, address)?;
    let sessions = source.poll().await?;
    let Some(s) = sessions.iter().find(|s| s.tmux_session == name) else {
        bail!("no session named {name} (navi list shows them)");
    };
    if s.cwd.is_empty() {
        bail!("{name}: its status file names no directory");
    }
    let cwd = s.cwd.clone();
    if diff {
        return match source.act(&name, &Action::Diff { cwd }).await? {
            ActionOutput::Text(t) => Ok(writeln!(out, "{}", navi_core::text::clean_pane(&t))?),
            _ => Err(anyhow!("an unexpected answer")),
        };
    }
    let mut d = GitDialog {
        of: (s.remote.clone(), name.clone()),
        label: crate::app::session_label(s),
        cwd: cwd.clone(),
        ..GitDialog::default()
    };
    d.report = Some(
        match source.act(&name, &Action::Git { cwd: cwd.clone() }).await {
            Ok(ActionOutput::Git(r)) => Ok(*r),
            Ok(_) => Err("an unexpected answer".into()),
            Err(e) => Err(e.reason()),
        },
    );
    if let Some(Ok(_)) = d.report {
        let pr = match source.act(&name, &Action::PullRequest { cwd }).await {
            Ok(ActionOutput::Pr(p)) => *p,
            Ok(_) => PrStatus::Failed("gh gave an unexpected answer".into()),
            Err(e) => PrStatus::Failed(format!("gh could not be asked: {}", e.reason())),
        };
        if let Some(job) = pr_here_job(&d, &pr) {
            if let LocalDone::PrHere(_, here) = perform_local(job).await {
                d.pr_here = Some(here);
            }
        }
        d.pr = Some(pr);
    }
    let now = navi_core::now_seconds();
    for line in crate::ui::git::dialog_lines(&d, now) {
        let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
        writeln!(out, "{}", text.trim_end())?;
    }
    match d.report {
        Some(Err(e)) => bail!("no git state for {}: {e}", d.label),
        _ => Ok(()),
    }
}
