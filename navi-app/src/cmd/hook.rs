//! `navi hook`: the command Claude Code runs for each hook event.

use std::io::Read as _;
use std::path::PathBuf;

use navi_source_local::hook::{self, Pane};
use serde_json::Value;

/// The largest event navi reads from stdin (tool responses can be big).
const MAX_EVENT_BYTES: u64 = 8 * 1024 * 1024;

/// `navi hook`: applies the event on stdin to this tmux session's status file. Never
/// fails and never prints: problems are logged, so Claude is never in the way.
pub fn run_hook(sessions_dir: Option<PathBuf>) -> Result<(), String> {
    // Read the whole event first: Claude Code is writing it, and a hook that exits early
    // would leave it a broken pipe.
    let mut input = Vec::new();
    std::io::stdin()
        .take(MAX_EVENT_BYTES)
        .read_to_end(&mut input)
        .map_err(|e| format!("cannot read the hook event: {e}"))?;
    if std::env::var_os("TMUX").is_none_or(|v| v.is_empty()) {
        return Ok(()); // Not in tmux: there is no session to name the file after.
    }
    let event: Value = serde_json::from_slice(&input)
        .map_err(|e| format!("the hook event on stdin is not JSON: {e}"))?;
    if hook::status_for(&event).is_none() {
        return Ok(());
    }
    let pane = tmux_pane()?;
    let dir = sessions_dir
        .or_else(navi_source_local::LocalSource::default_dir)
        .ok_or("no home directory for ~/.claude-sessions; set NAVI_SESSIONS_DIR")?;
    let now = crate::format::unix_now();
    hook::apply(&dir, &pane, &event, now, &hook::git_block)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// This pane's tmux session and directory (`$TMUX_PANE`, asked of tmux).
fn tmux_pane() -> Result<Pane, String> {
    let mut cmd = std::process::Command::new("tmux");
    cmd.args(["display-message", "-p"]);
    if let Some(pane) = std::env::var_os("TMUX_PANE").filter(|p| !p.is_empty()) {
        cmd.arg("-t").arg(pane);
    }
    let out = cmd
        .arg("#{session_name}\t#{pane_current_path}")
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot run tmux: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "tmux display-message failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let text = text.strip_suffix('\n').unwrap_or(&text);
    let (session, cwd) = text.split_once('\t').unwrap_or((text, ""));
    Ok(Pane {
        session: session.to_string(),
        cwd: cwd.to_string(),
    })
}
