//! What approve, deny and resume need from a pane and a row, for the dashboard and the
//! CLI alike (a leaf: it imports only navi-core).

use navi_core::permission::{self, Choice};
use navi_core::{Action, Liveness, SessionInfo, Status};

/// An answer ready to be confirmed and sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerPlan {
    /// The dialog's fingerprint ([`Action::Answer`]'s `expect`).
    pub expect: String,
    /// What is answered: `Bash command: echo hi — Do you want to proceed? → 1. Yes`,
    /// with the status message when it says more (`Claude needs your permission to use
    /// Bash`).
    pub what: String,
}

impl AnswerPlan {
    /// The action that sends it.
    pub fn action(&self, choice: Choice) -> Action {
        Action::Answer {
            choice,
            expect: self.expect.clone(),
        }
    }
}

/// The answer `choice` to the dialog the pane of `label` shows, or why there is none
/// (no dialog: what the pane shows; no such option: the options there are).
pub fn plan_answer(
    label: &str,
    pane: &str,
    choice: Choice,
    message: &str,
) -> Result<AnswerPlan, String> {
    let Some(dialog) = permission::recognise(pane) else {
        return Err(format!(
            "{label} shows no permission dialog ({}); nothing was sent",
            permission::what_it_shows(pane)
        ));
    };
    let (digit, option) = dialog
        .option_for(choice)
        .map_err(|e| format!("{label}: {e}; nothing was sent"))?;
    let mut what = format!("{} → {digit}. {option}", dialog.describe());
    let message = navi_core::text::sanitize(message.trim());
    if !message.is_empty() {
        what.push_str(&format!(" [{message}]"));
    }
    Ok(AnswerPlan {
        expect: dialog.fingerprint(),
        what,
    })
}

/// How a row comes back: the tmux session to create (its own name when it has ended,
/// `NAME-resumed` while its tmux session still runs) and [`Action::New`] in its directory
/// running `claude --resume SESSION_ID`; or why it cannot.
pub fn resume_plan(row: &SessionInfo) -> Result<(String, Action), String> {
    let name = &row.tmux_session;
    let ended =
        row.liveness == Liveness::Ended || matches!(row.status, Status::Offline | Status::Stopped);
    if !ended {
        return Err(format!(
            "{name} has not ended (status {}): resume brings back a session whose claude \
             exited",
            row.status.as_str()
        ));
    }
    // The session id is the agent's own: `claude --resume` knows only Claude Code's.
    let agent = row.agent_kind();
    if agent != navi_core::statusdir::agents::Agent::Claude {
        return Err(format!(
            "{name} cannot be resumed by navi: it ran {}, and navi resumes only Claude Code              sessions (claude --resume); start it again with n",
            agent.title()
        ));
    }
    let Some(id) = row.session_id.as_deref().filter(|id| !id.is_empty()) else {
        return Err(format!(
            "{name} cannot be resumed: its status file keeps no session_id"
        ));
    };
    let command = navi_core::keys::resume_command(id).map_err(|e| format!("{name}: {e}"))?;
    if row.cwd.is_empty() {
        return Err(format!("{name}: its status file names no directory"));
    }
    let target = match row.liveness {
        Liveness::Ended => name.clone(),
        _ => format!("{name}-resumed"),
    };
    Ok((
        target,
        Action::New {
            dir: row.cwd.clone(),
            command,
            create_dir: false,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PANE: &str = "──────────────────────────────\n Bash command\n   make test\n\n Do you want to proceed?\n ❯ 1. Yes\n   2. Yes, and don't ask again for make commands in /w\n   3. No, and tell Claude what to do differently (esc)\n\n Esc to cancel\n";

    #[test]
    fn a_plan_shows_tool_command_option_and_message() {
        let p = plan_answer(
            "api",
            PANE,
            Choice::Always,
            "Claude needs your permission to use Bash",
        )
        .unwrap();
        assert_eq!(
            p.what,
            "Bash command: make test — Do you want to proceed? → 2. Yes, and don't ask again \
             for make commands in /w [Claude needs your permission to use Bash]"
        );
        assert!(permission::shows(PANE, &p.expect));
        let e = plan_answer("api", "$ ls\nfile\n", Choice::Approve, "").unwrap_err();
        assert!(e.contains("api shows no permission dialog"), "{e}");
        assert!(e.contains("$ ls | file"), "{e}");
    }

    #[test]
    fn another_agents_session_is_not_resumed_with_claude() {
        let row = SessionInfo {
            tmux_session: "web".into(),
            status: Status::Offline,
            agent: Some("codex".into()),
            session_id: Some("0b9a2a4e-2f0e-4c57-9d2a-3f1b2c3d4e5f".into()),
            cwd: "/w".into(),
            ..SessionInfo::default()
        };
        let e = resume_plan(&row).unwrap_err();
        assert!(
            e.contains("it ran Codex") && e.contains("only Claude Code"),
            "{e}"
        );
    }

    #[test]
    fn resume_needs_an_ended_row_with_a_uuid() {
        let mut row = navi_core::testing::session("api", "offline", 1);
        row.cwd = "/w".into();
        row.liveness = Liveness::Ended;
        assert!(resume_plan(&row).unwrap_err().contains("no session_id"));
        row.session_id = Some("0b5c2a6e-1f2d-4c3b-9a8e-7d6c5b4a3f21; rm -rf ~".into());
        assert!(resume_plan(&row)
            .unwrap_err()
            .contains("not a Claude Code session id"));
        row.session_id = Some("0b5c2a6e-1f2d-4c3b-9a8e-7d6c5b4a3f21".into());
        let (name, action) = resume_plan(&row).unwrap();
        assert_eq!(name, "api");
        assert_eq!(
            action,
            Action::New {
                dir: "/w".into(),
                command: vec![
                    "claude".into(),
                    "--resume".into(),
                    "0b5c2a6e-1f2d-4c3b-9a8e-7d6c5b4a3f21".into()
                ],
                create_dir: false
            }
        );
        // Offline while its tmux session still runs: a new name beside it.
        row.liveness = Liveness::Live;
        assert_eq!(resume_plan(&row).unwrap().0, "api-resumed");
        row.status = Status::Working;
        assert!(resume_plan(&row).unwrap_err().contains("has not ended"));
    }
}
