//! Actions on a remote's sessions, over the pooled connection (no second login): each
//! is one POSIX script with the names as operands, sent through [`RemoteCommand`] so it
//! means the same under every login shell. The remote's `~` is expanded by the remote;
//! names reach tmux as exact single arguments ([`navi_core::tmux_arg`]).

use std::time::Duration;

use navi_core::{check_session_name, tmux_arg, tmux_target, Action, ActionOutput, SourceError};

use crate::pool::Pool;
use crate::shell::{set_home_path, summarize_remote_output, RemoteCommand};

/// An action's time on the remote.
const ACTION_TIMEOUT: Duration = Duration::from_secs(20);
/// The most a preview may print (a pane is a few KB).
const MAX_PREVIEW: usize = 1024 * 1024;

/// Exit statuses the scripts use for the user's mistakes (their stderr says which).
const EXIT_REFUSED: u32 = 3;

fn script(body: &str) -> String {
    // `$d`: the status directory (`$1`, `~` meaning the remote user's home).
    format!("{}\n{body}", set_home_path("d", 1))
}

/// Runs `action` on `session` of the remote whose status directory is `sessions_dir`.
pub(crate) async fn act(
    pool: &Pool,
    remote: &str,
    sessions_dir: &str,
    session: &str,
    action: &Action,
) -> Result<ActionOutput, SourceError> {
    let on = |what: String| format!("{what} on {remote}");
    match action {
        Action::Preview => preview(pool, remote, session).await,
        Action::New { dir, command } => {
            new_session(pool, remote, sessions_dir, session, dir, command).await
        }
        Action::Kill => {
            let body = r#"tmux kill-session -t "$2" || exit 3
rm -f -- "$d/$3.json" "$d/.$3.lock" "$d/.navi/marks/$3.json" "$d/.navi/marks/.$3.lock""#;
            let cmd = RemoteCommand::new(&script(body))
                .arg(sessions_dir)
                .arg(tmux_target(session))
                .arg(session);
            run(pool, &cmd, b"", 4096, &on(format!("kill {session}"))).await?;
            Ok(ActionOutput::Done(on(format!("killed {session}"))))
        }
        // Only an ended session's file, checked twice (see `crate::dismiss`).
        Action::Dismiss => crate::dismiss::dismiss(pool, remote, sessions_dir, session).await,
        Action::Send { text } => send(pool, remote, session, text).await,
        Action::Rename { to } => rename(pool, remote, sessions_dir, session, to).await,
        Action::Mark { ops } => crate::marks::apply(pool, remote, sessions_dir, session, ops).await,
    }
}

/// The pane's text: through the connection's long-lived preview loop, an exec if it
/// cannot run.
async fn preview(pool: &Pool, remote: &str, session: &str) -> Result<ActionOutput, SourceError> {
    let on = |what: String| format!("{what} on {remote}");
    // The connection's long-lived preview loop; an exec if it cannot run.
    match pool.preview(&format!("={session}:"), ACTION_TIMEOUT).await {
        Ok(text) => return Ok(ActionOutput::Text(navi_core::text::clean_pane(&text))),
        Err(e) => tracing::debug!(remote, "preview loop unavailable ({e}); using exec"),
    }
    let cmd =
        RemoteCommand::new("exec tmux capture-pane -p -J -t \"$1\"").arg(format!("={session}:"));
    let out = run(
        pool,
        &cmd,
        b"",
        MAX_PREVIEW,
        &on(format!("preview {session}")),
    )
    .await?;
    Ok(ActionOutput::Text(navi_core::text::clean_pane(
        &String::from_utf8_lossy(&out),
    )))
}

/// A detached tmux session `session` in `dir` running `command`.
async fn new_session(
    pool: &Pool,
    remote: &str,
    sessions_dir: &str,
    session: &str,
    dir: &str,
    command: &[String],
) -> Result<ActionOutput, SourceError> {
    let on = |what: String| format!("{what} on {remote}");
    check_session_name(session).map_err(|e| SourceError::Config(e.into()))?;
    let body = r#"
[ -d "$w" ] || { printf 'no such directory: %s\n' "$w" >&2; exit 3; }
command -v tmux >/dev/null 2>&1 || { echo 'tmux is not installed there' >&2; exit 3; }
tmux has-session -t "$4" 2>/dev/null && { printf 'a session named %s already exists\n' "$5" >&2; exit 3; }
name=$3; shift 5
exec tmux new-session -d -s "$name" -c "$w" "$@""#;
    let body = format!("{}{body}", set_home_path("w", 2));
    let cmd = RemoteCommand::new(&script(&body))
        .arg(sessions_dir)
        .arg(dir)
        .arg(tmux_arg(session))
        .arg(tmux_target(session))
        .arg(session);
    let cmd = command.iter().fold(cmd, |c, a| c.arg(a));
    run(pool, &cmd, b"", 4096, &on(format!("create {session}"))).await?;
    Ok(ActionOutput::Done(on(format!("created {session}"))))
}

/// Types `text` into `session`'s active pane, then Enter.
async fn send(
    pool: &Pool,
    remote: &str,
    session: &str,
    text: &str,
) -> Result<ActionOutput, SourceError> {
    let on = |what: String| format!("{what} on {remote}");
    if text.contains(['\n', '\r']) {
        return Err(SourceError::Config("send one line at a time".into()));
    }
    let body = r#"tmux send-keys -t "$1" -l -- "$2" || exit 3
sleep 0.1 2>/dev/null || sleep 1
exec tmux send-keys -t "$1" Enter"#;
    let cmd = RemoteCommand::new(body)
        .arg(format!("={session}:"))
        .arg(tmux_arg(text));
    run(pool, &cmd, b"", 4096, &on(format!("send to {session}"))).await?;
    Ok(ActionOutput::Done(on(format!("sent to {session}"))))
}

/// Renames the tmux session (its marks file moved along), then moves the status file
/// with `tmux_session` rewritten (read, rewritten here, written back atomically under
/// the hook's lock when `flock` exists there); the tmux rename is undone if the file
/// cannot be moved.
async fn rename(
    pool: &Pool,
    remote: &str,
    sessions_dir: &str,
    from: &str,
    to: &str,
) -> Result<ActionOutput, SourceError> {
    check_session_name(to).map_err(|e| SourceError::Config(e.into()))?;
    let what = format!("rename {from} on {remote}");
    let body = r#"tmux has-session -t "$5" 2>/dev/null && { printf 'a session named %s already exists\n' "$6" >&2; exit 3; }
tmux rename-session -t "$2" "$3" || exit 3
[ -f "$d/.navi/marks/$4.json" ] && mv -f -- "$d/.navi/marks/$4.json" "$d/.navi/marks/$6.json"
cat -- "$d/$4.json" 2>/dev/null
exit 0"#;
    let cmd = RemoteCommand::new(&script(body))
        .arg(sessions_dir)
        .arg(tmux_target(from))
        .arg(tmux_arg(to))
        .arg(from)
        .arg(tmux_target(to))
        .arg(to);
    let old = run(pool, &cmd, b"", 2 * 1024 * 1024, &what).await?;
    if old.is_empty() {
        return Ok(ActionOutput::Done(format!(
            "renamed {from} to {to} on {remote}"
        )));
    }
    let new = match serde_json::from_slice::<serde_json::Value>(&old) {
        Ok(mut v @ serde_json::Value::Object(_)) => {
            v["tmux_session"] = serde_json::Value::String(to.to_string());
            serde_json::to_vec_pretty(&v).unwrap_or(old)
        }
        // A file the Go hook broke: moved as it is; navi's reader salvages it.
        _ => old,
    };
    let body = r#"write() { t="$d/.tmp.navi.$$"; cat > "$t" && mv -f -- "$t" "$d/$3.json" && rm -f -- "$d/$2.json"; }
if command -v flock >/dev/null 2>&1; then
  exec 9>"$d/.$2.lock" && flock 9 && write "$@"
else
  write "$@"
fi"#;
    let cmd = RemoteCommand::new(&script(body))
        .arg(sessions_dir)
        .arg(from)
        .arg(to);
    if let Err(e) = run(pool, &cmd, &new, 4096, &what).await {
        let undo = RemoteCommand::new("tmux rename-session -t \"$1\" \"$2\"")
            .arg(tmux_target(to))
            .arg(tmux_arg(from));
        let _ = pool.run(&undo, b"", ACTION_TIMEOUT, 4096).await;
        return Err(e);
    }
    Ok(ActionOutput::Done(format!(
        "renamed {from} to {to} on {remote}"
    )))
}

/// Runs `cmd`; a failure says what the remote said, shortened.
async fn run(
    pool: &Pool,
    cmd: &RemoteCommand,
    stdin: &[u8],
    max: usize,
    what: &str,
) -> Result<Vec<u8>, SourceError> {
    let out = pool.run(cmd, stdin, ACTION_TIMEOUT, max).await?;
    if out.success() {
        return Ok(out.stdout);
    }
    let said = summarize_remote_output(&out.stderr, 300);
    let said = match said.is_empty() {
        true => format!(
            "exit status {}",
            out.status.map_or("none".into(), |s| s.to_string())
        ),
        false => said,
    };
    let err = format!("cannot {what}: {said}");
    Err(match out.status {
        Some(EXIT_REFUSED) => SourceError::Config(err.into()),
        _ => SourceError::Remote(err.into()),
    })
}
