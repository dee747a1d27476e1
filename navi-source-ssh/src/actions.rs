//! Actions on a remote's sessions, over the pooled connection (no second login): each
//! is one POSIX script with everything it touches as operands, sent through
//! [`RemoteCommand`] so it means the same under every login shell, and framed
//! ([`crate::framed`]) so what the login shell prints is never taken for its output.
//!
//! Names are names: the session is a [`SessionName`] before anything is sent (a name
//! tmux may hold for the session acted on, one tmux keeps unchanged for `new` and
//! `rename`); paths come from [`layout`]; tmux targets are [`SessionName::target`] and
//! [`SessionName::pane_target`], on the session's own server ([`TmuxServer`]).
//!
//! What an action says is what happened: a session that is not there is "no tmux session
//! named NAME on REMOTE" (only when its server answered without it; a tmux that cannot
//! be asked says why instead), and `new` looks again a moment after creating the session,
//! so a command that exits at once is reported with its exit status and last output.

use navi_core::statusdir::layout;
use navi_core::statusdir::liveness::{unreachable_reason, TmuxServer};
use navi_core::{tmux_arg, ActionOutput, Deadline, SessionName, SourceError};

use crate::framed::{
    self, Framed, EXIT_ENDED, EXIT_NO_SESSION, EXIT_NO_STATUS, EXIT_NO_TMUX, EXIT_REFUSED,
};
use crate::pool::{PaneAnswer, Pool};
use crate::remote::new_nonce;
use crate::shell::set_home_path;

/// A pane over exec (framed): `$1` the session, `$2` its pane.
const PREVIEW: &str = include_str!("scripts/action_preview.sh");

/// Kill (framed): `$1` the session, `$2`..`$5` its files (relative to `$d`).
const KILL: &str = include_str!("scripts/action_kill.sh");

/// Send (framed): `$1` the session, `$2` its pane, `$3` the text.
const SEND: &str = include_str!("scripts/action_send.sh");

/// Keys (framed): `$1` the session, `$2` its pane, then the keys.
const KEYS: &str = include_str!("scripts/action_keys.sh");

/// Answer a permission dialog (framed): `$1` the session, `$2` its pane, `$3` the key;
/// stdin the fingerprint. Exit status [`EXIT_NOT_SHOWN`] with the screen on stdout when
/// the dialog is not on the screen.
const ANSWER: &str = include_str!("scripts/action_answer.sh");

/// `action_answer.sh`'s exit status when the screen no longer shows the dialog.
const EXIT_NOT_SHOWN: u32 = 9;

/// Rename, the tmux part (framed; operands in [`rename`]).
const RENAME: &str = include_str!("scripts/action_rename.sh");

/// Rename, the status file written under both locks (framed; operands in [`rename`]).
const RENAME_WRITE: &str = include_str!("scripts/action_rename_write.sh");

/// Rename undone (framed): the tmux rename and the marks move.
const RENAME_UNDO: &str = include_str!("scripts/action_rename_undo.sh");

/// A new session (framed; after the line setting `$w`): operands in [`new_session`].
const NEW_SESSION: &str = include_str!("scripts/action_new_session.sh");

/// The git report (framed; after the line setting `$w`): `$1` the directory.
const GIT: &str = include_str!("scripts/action_git.sh");

/// The pull request through gh there (framed; after `$w`): `$1` the directory, `$2` the
/// fields.
const PR: &str = include_str!("scripts/action_pr.sh");

/// The diff (framed; after `$w`): `$1` the directory, `$2` the most bytes.
const DIFF: &str = include_str!("scripts/action_diff.sh");

/// The most the git report may print (5000 status lines and two short sections).
const MAX_GIT: usize = 2 * 1024 * 1024;
/// The most a preview may print (a pane is a few KB).
const MAX_PREVIEW: usize = 1024 * 1024;
/// The most of a status file `rename` reads back (a status file is capped far below).
const MAX_STATUS: usize = 2 * 1024 * 1024;
/// How many of a dead pane's last lines a failed `new` shows.
const LAST_LINES: usize = 5;

/// Where an action runs: the remote, its status directory and the session's tmux server.
pub(crate) struct On<'a> {
    pub(crate) pool: &'a Pool,
    pub(crate) remote: &'a str,
    pub(crate) sessions_dir: &'a str,
    pub(crate) server: &'a TmuxServer,
    /// When the action must be done by.
    pub(crate) deadline: Deadline,
}

/// A refusal of what the user asked (a name that is not one, a session that is not
/// there): the message alone, no "invalid configuration" or "remote error" label.
pub(crate) fn refused(message: impl Into<String>) -> SourceError {
    SourceError::Other(message.into().into())
}

/// The body `script` run in the directory of its first operand (`$w`, `~` expanded
/// there).
fn in_dir(script: &str) -> String {
    format!("{}\n{script}", set_home_path("w", 1))
}

/// Branch, changes, ahead / behind, last commit and remote URL of `cwd` there.
pub(crate) async fn git_report(
    on: &On<'_>,
    name: &SessionName,
    cwd: &str,
) -> Result<ActionOutput, SourceError> {
    let what = format!("read the git state of {name}");
    let out = on
        .run_ok(&what, name, &in_dir(GIT), &[cwd.as_bytes()], b"", MAX_GIT)
        .await?;
    Ok(ActionOutput::Git(Box::new(navi_core::git::read_report(
        &out,
    ))))
}

/// The pull request from gh there; gh missing, logged out or failing is an answer.
pub(crate) async fn pull_request(on: &On<'_>, cwd: &str) -> Result<ActionOutput, SourceError> {
    use navi_core::git::{read_pr, PrStatus, MAX_PR_JSON, PR_FIELDS};
    let body = in_dir(PR);
    let out = on
        .run_framed(
            &body,
            &[cwd.as_bytes(), PR_FIELDS.as_bytes()],
            b"",
            MAX_PR_JSON,
        )
        .await?;
    let status = match out.status {
        EXIT_REFUSED => PrStatus::Failed(out.reason()),
        s => read_pr(
            i32::try_from(s).ok(),
            &out.stdout,
            &out.stderr,
            &format!("on {}", on.remote),
        ),
    };
    Ok(ActionOutput::Pr(Box::new(status)))
}

/// `git diff` of `cwd` there, with colours, cut at [`navi_core::git::MAX_DIFF`].
pub(crate) async fn diff(
    on: &On<'_>,
    name: &SessionName,
    cwd: &str,
) -> Result<ActionOutput, SourceError> {
    use navi_core::git::{clean_diff, MAX_DIFF};
    let what = format!("read the diff of {name}");
    let most = (MAX_DIFF + 1).to_string();
    let out = on
        .run_ok(
            &what,
            name,
            &in_dir(DIFF),
            &[cwd.as_bytes(), most.as_bytes()],
            b"",
            MAX_DIFF + 1,
        )
        .await?;
    Ok(ActionOutput::Text(clean_diff(&out, false)))
}

impl On<'_> {
    /// Runs `body` framed, with `operands` after the wrapper's; `Err` when it did not
    /// run to its end (the body's own exit status is the caller's to read).
    pub(crate) async fn run_framed(
        &self,
        body: &str,
        operands: &[&[u8]],
        stdin: &[u8],
        max: usize,
    ) -> Result<Framed, SourceError> {
        let nonce = new_nonce();
        let cmd = operands.iter().fold(
            framed::command(&nonce, self.sessions_dir, self.server, body),
            |c, a| c.arg(a),
        );
        framed::run(
            self.pool,
            &cmd,
            &nonce,
            stdin,
            self.deadline.remaining(),
            max,
        )
        .await
        .map_err(|e| e.on_source(self.remote))
    }

    /// Like [`run_framed`](Self::run_framed), and any exit status but 0 is an error about `what`
    /// (`kill api`) of `name`.
    async fn run_ok(
        &self,
        what: &str,
        name: &SessionName,
        body: &str,
        operands: &[&[u8]],
        stdin: &[u8],
        max: usize,
    ) -> Result<Vec<u8>, SourceError> {
        let out = self.run_framed(body, operands, stdin, max).await?;
        match out.success() {
            true => Ok(out.stdout),
            false => Err(self.failure(what, name, &out)),
        }
    }

    /// The error of a body that exited with `out.status`, about `what` of `name`.
    pub(crate) fn failure(&self, what: &str, name: &SessionName, out: &Framed) -> SourceError {
        self.failure_of(what, name, out.status, &out.reason())
    }

    /// The error of exit status `status` (see [`crate::framed`]), the body having said
    /// `said`.
    pub(crate) fn failure_of(
        &self,
        what: &str,
        name: &SessionName,
        status: u32,
        said: &str,
    ) -> SourceError {
        let remote = self.remote;
        match status {
            EXIT_NO_SESSION => refused(format!("no tmux session named {name} on {remote}")),
            EXIT_NO_STATUS => refused(format!(
                "no session named {name} on {remote}: no status file {name}.json in {}",
                self.sessions_dir
            )),
            EXIT_REFUSED => refused(format!("cannot {what} on {remote}: {said}")),
            EXIT_NO_TMUX => SourceError::Remote(
                format!(
                    "cannot {what} on {remote}: {}",
                    unreachable_reason(self.server, said)
                )
                .into(),
            ),
            _ => SourceError::Remote(format!("cannot {what} on {remote}: {said}").into()),
        }
    }
}

/// The pane's text: through the connection's long-lived preview loop, an exec if the
/// loop cannot run.
pub(crate) async fn preview(on: &On<'_>, name: &SessionName) -> Result<ActionOutput, SourceError> {
    let what = format!("preview {name}");
    let text = match on
        .pool
        .preview(on.server, name, on.deadline.remaining())
        .await
    {
        Ok(PaneAnswer::Text(text)) => text,
        Ok(PaneAnswer::Failed { status, said }) => {
            let said = match said.is_empty() {
                true => "tmux capture-pane failed".to_string(),
                false => said,
            };
            return Err(on.failure_of(&what, name, status, &said));
        }
        Err(e) => {
            tracing::debug!(
                remote = on.remote,
                "preview loop unavailable ({e}); using exec"
            );
            let body = PREVIEW;
            let out = on
                .run_ok(
                    &what,
                    name,
                    body,
                    &[name.target().as_bytes(), name.pane_target().as_bytes()],
                    b"",
                    MAX_PREVIEW,
                )
                .await?;
            String::from_utf8_lossy(&out).into_owned()
        }
    };
    Ok(ActionOutput::Text(navi_core::text::clean_pane_sgr(&text)))
}

/// Kills the session, then removes its status file, lock and marks.
pub(crate) async fn kill(on: &On<'_>, name: &SessionName) -> Result<ActionOutput, SourceError> {
    let body = KILL;
    let files = session_files(name);
    on.run_ok(
        &format!("kill {name}"),
        name,
        body,
        &[
            name.target().as_bytes(),
            files[0].as_bytes(),
            files[1].as_bytes(),
            files[2].as_bytes(),
            files[3].as_bytes(),
        ],
        b"",
        4096,
    )
    .await?;
    Ok(ActionOutput::Done(format!(
        "killed {name} on {}",
        on.remote
    )))
}

/// The status file, its lock, the marks file and its lock of `name` (relative).
fn session_files(name: &SessionName) -> [String; 4] {
    [
        layout::status_rel(name),
        layout::lock_rel(name),
        layout::marks_rel(name),
        layout::marks_lock_rel(name),
    ]
}

/// A detached tmux session `name` in `dir` running `command`, confirmed a moment later
/// (0.3 s).
///
/// The window keeps a dead pane until the check: `remain-on-exit`, set in the same tmux
/// command list as the session, which the server runs before it can handle the command
/// ending (tmux 2.x and 3.x). So a command that exits at once is reported with its exit
/// status (`#{pane_dead_status}`, which tmux learns a moment after it marks the pane
/// dead, hence the short wait for it; in rare races it never does, and the message says
/// so) and the pane's last lines (read from the start of
/// its history: the "Pane is dead" line tmux 3.3 adds can scroll them off the screen),
/// then its session removed. A session that still runs gets the option back as it was
/// (unset on its window). tmux may miss what a command wrote in the instant before it
/// exited (its terminal is gone), so the output is shown when tmux has it; the exit
/// status always is.
pub(crate) async fn new_session(
    on: &On<'_>,
    name: &SessionName,
    dir: &str,
    command: &[String],
    create_dir: bool,
) -> Result<ActionOutput, SourceError> {
    let remote = on.remote;
    let what = format!("create {name}");
    // `sleep 0.3` where fractions work (GNU, busybox, BSD), else a whole second.
    let body = format!("{}\n{NEW_SESSION}", set_home_path("w", 1));
    let mut operands: Vec<Vec<u8>> = vec![
        dir.as_bytes().to_vec(),
        tmux_arg(name.as_str()).into_bytes(),
        name.target().into_bytes(),
        name.pane_target().into_bytes(),
        name.as_str().as_bytes().to_vec(),
        // A missing directory is refused, or (the user said yes) made with its parents.
        if create_dir { &b"create"[..] } else { &b""[..] }.to_vec(),
    ];
    // tmux splits its argv at an argument ending in `;`: the command's words too.
    operands.extend(command.iter().map(|a| tmux_arg(a).into_bytes()));
    let refs: Vec<&[u8]> = operands.iter().map(Vec::as_slice).collect();
    let out = on.run_framed(&body, &refs, b"", 64 * 1024).await?;
    match out.status {
        0 => Ok(ActionOutput::Done(format!("created {name} on {remote}"))),
        EXIT_ENDED => Err(SourceError::Remote(
            format!("cannot {what} on {remote}: {}", ended_at_once(&out.stdout)).into(),
        )),
        _ => Err(on.failure(&what, name, &out)),
    }
}

/// "its command exited at once (exit status 127): LAST OUTPUT", from what the `new`
/// script printed: the pane's exit status on the first line, then the pane.
fn ended_at_once(stdout: &[u8]) -> String {
    let text = String::from_utf8_lossy(stdout);
    let mut lines = text.lines();
    let status = lines.next().unwrap_or("").trim();
    // tmux 3.3 adds its own "Pane is dead (status 127, ...)" line to a kept pane.
    let output: Vec<&str> = lines
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty() && !l.starts_with("Pane is dead"))
        .collect();
    let last = &output[output.len().saturating_sub(LAST_LINES)..];
    let last = crate::shell::summarize_remote_output(last.join("\n").as_bytes(), 300);
    let mut said = match status {
        // Dead, and tmux never learnt the exit status (it rarely misses one).
        "?" => "its command exited at once (tmux did not report its exit status)".to_string(),
        s => match s.parse::<i64>() {
            Ok(s) => format!("its command exited at once (exit status {s})"),
            Err(_) => "the session ended at once".to_string(),
        },
    };
    if !last.is_empty() {
        said.push_str(": ");
        said.push_str(&last);
    }
    said
}

/// Types `text` into the session's active pane, then Enter.
pub(crate) async fn send(
    on: &On<'_>,
    name: &SessionName,
    text: &str,
) -> Result<ActionOutput, SourceError> {
    navi_core::check_send_text(text).map_err(|e| refused(format!("not sent to {name}: {e}")))?;
    let body = SEND;
    on.run_ok(
        &format!("send to {name}"),
        name,
        body,
        &[
            name.target().as_bytes(),
            name.pane_target().as_bytes(),
            tmux_arg(text).as_bytes(),
        ],
        b"",
        4096,
    )
    .await?;
    Ok(ActionOutput::Done(format!(
        "sent to {name} on {}",
        on.remote
    )))
}

/// Sends tmux keys (each checked against the allow-list) to the session's pane.
pub(crate) async fn keys(
    on: &On<'_>,
    name: &SessionName,
    keys: &[String],
) -> Result<ActionOutput, SourceError> {
    let keys = navi_core::keys::check_keys(keys)
        .map_err(|e| refused(format!("not sent to {name}: {e}")))?;
    let mut operands: Vec<Vec<u8>> =
        vec![name.target().into_bytes(), name.pane_target().into_bytes()];
    operands.extend(keys.iter().map(|k| tmux_arg(k).into_bytes()));
    let refs: Vec<&[u8]> = operands.iter().map(Vec::as_slice).collect();
    on.run_ok(
        &format!("send keys to {name}"),
        name,
        KEYS,
        &refs,
        b"",
        4096,
    )
    .await?;
    Ok(ActionOutput::Done(format!(
        "sent {} to {name} on {}",
        keys.join(" "),
        on.remote
    )))
}

/// Answers the permission dialog of `expect` with `choice`: one script on the remote
/// captures the screen and sends the key only if the dialog is still on it.
pub(crate) async fn answer(
    on: &On<'_>,
    name: &SessionName,
    choice: navi_core::permission::Choice,
    expect: &str,
) -> Result<ActionOutput, SourceError> {
    use navi_core::permission::{what_it_shows, Dialog};
    let remote = on.remote;
    let refuse = |m: String| refused(format!("{name} on {remote} was not answered: {m}"));
    let dialog = Dialog::from_fingerprint(expect)
        .ok_or_else(|| refuse("what was expected is not a permission dialog".into()))?;
    let (digit, _) = dialog.option_for(choice).map_err(refuse)?;
    let key = digit.to_string();
    let out = on
        .run_framed(
            ANSWER,
            &[
                name.target().as_bytes(),
                name.pane_target().as_bytes(),
                key.as_bytes(),
            ],
            expect.as_bytes(),
            MAX_PREVIEW,
        )
        .await?;
    match out.status {
        0 => Ok(ActionOutput::Done(format!(
            "{} {name} on {remote}: {} (sent {key})",
            choice.done(),
            dialog.describe()
        ))),
        EXIT_NOT_SHOWN => Err(refuse(format!(
            "its pane no longer shows that dialog; it shows {}",
            what_it_shows(&String::from_utf8_lossy(&out.stdout))
        ))),
        _ => Err(on.failure(&format!("answer {name}"), name, &out)),
    }
}

/// Renames the tmux session (its marks file moved along), then moves the status file
/// with `tmux_session` rewritten (read, rewritten here, written back atomically under
/// the hook's locks of both names when `flock` exists there); the tmux rename (and the
/// marks move) is undone if the file cannot be moved.
pub(crate) async fn rename(
    on: &On<'_>,
    from: &SessionName,
    to: &str,
) -> Result<ActionOutput, SourceError> {
    let to = SessionName::new_for_tmux(to).map_err(|e| refused(e.to_string()))?;
    let remote = on.remote;
    let what = format!("rename {from}");
    // stdout: `x` and the status file's bytes when there is one.
    let body = RENAME;
    let old = on
        .run_ok(
            &what,
            from,
            body,
            &[
                from.target().as_bytes(),
                tmux_arg(to.as_str()).as_bytes(),
                to.target().as_bytes(),
                layout::marks_rel(from).as_bytes(),
                layout::marks_rel(&to).as_bytes(),
                layout::status_rel(from).as_bytes(),
                to.as_str().as_bytes(),
            ],
            b"",
            MAX_STATUS,
        )
        .await?;
    let done = || {
        Ok(ActionOutput::Done(format!(
            "renamed {from} to {to} on {remote}"
        )))
    };
    let Some(old) = old.strip_prefix(b"x") else {
        return done();
    };
    let new = match serde_json::from_slice::<serde_json::Value>(old) {
        Ok(mut v @ serde_json::Value::Object(_)) => {
            v["tmux_session"] = serde_json::Value::String(to.to_string());
            serde_json::to_vec_pretty(&v).unwrap_or_else(|_| old.to_vec())
        }
        // A file the Go hook broke: moved as it is; navi's reader salvages it.
        _ => old.to_vec(),
    };
    let body = RENAME_WRITE;
    let written = on
        .run_ok(
            &what,
            from,
            body,
            &[
                layout::status_rel(from).as_bytes(),
                layout::status_rel(&to).as_bytes(),
                layout::lock_rel(from).as_bytes(),
                layout::lock_rel(&to).as_bytes(),
                layout::temp_rel("rename").as_bytes(),
            ],
            &new,
            4096,
        )
        .await;
    if let Err(e) = written {
        let undo = RENAME_UNDO;
        let _ = on
            .run_framed(
                undo,
                &[
                    to.target().as_bytes(),
                    tmux_arg(from.as_str()).as_bytes(),
                    layout::marks_rel(&to).as_bytes(),
                    layout::marks_rel(from).as_bytes(),
                ],
                b"",
                4096,
            )
            .await;
        return Err(e);
    }
    done()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_that_ended_at_once_says_its_status_and_last_output() {
        let pane = b"127\nWelcome\nsh: 1: claude: not found\n\n\nPane is dead (status 127, Mon Dec  7 09:30:52 2026)\n\n";
        assert_eq!(
            ended_at_once(pane),
            "its command exited at once (exit status 127): Welcome sh: 1: claude: not found"
        );
        assert_eq!(ended_at_once(b"\n"), "the session ended at once");
        assert_eq!(
            ended_at_once(b"?\nsh: x: not found\n"),
            "its command exited at once (tmux did not report its exit status): sh: x: not found"
        );
    }
}
