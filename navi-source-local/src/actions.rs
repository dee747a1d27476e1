//! Actions on local sessions: tmux by argv (never a shell), status files under the same
//! lock `navi hook` takes.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use navi_core::statusdir::liveness::{self, ServerAnswer, TmuxServer, TmuxView};
use navi_core::{
    check_session_name, tmux_arg, tmux_target, Action, ActionOutput, Follow, PollReport,
    SourceError,
};

/// How tmux is run: `tmux` and any global options (`-S socket` in tests).
#[derive(Debug, Clone)]
pub(crate) struct Tmux {
    pub(crate) argv: Vec<String>,
}

impl Default for Tmux {
    fn default() -> Self {
        Tmux {
            argv: vec!["tmux".into()],
        }
    }
}

impl Tmux {
    /// Runs `tmux ARGS`; `Err` is what tmux said (or why it could not run).
    fn run(&self, args: &[&str]) -> Result<String, String> {
        let (program, globals) = self.argv.split_first().ok_or("no tmux command")?;
        let out = Command::new(program)
            .args(globals)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run tmux ({e}); is tmux installed?"))?;
        if out.status.success() {
            return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
        }
        let said =
            navi_core::text::sanitize(String::from_utf8_lossy(&out.stderr).trim()).into_owned();
        Err(match said.is_empty() {
            true => format!("tmux {} failed", args.first().copied().unwrap_or("")),
            false => said,
        })
    }

    /// tmux addressing `server`: the configured argv for the default server, the same
    /// program with `-S SOCKET` (and no other server option) for a recorded socket.
    pub(crate) fn for_server(&self, server: &TmuxServer) -> Tmux {
        match server {
            TmuxServer::Default => self.clone(),
            TmuxServer::Socket(socket) => Tmux {
                argv: vec![
                    self.argv.first().cloned().unwrap_or_else(|| "tmux".into()),
                    "-S".into(),
                    socket.clone(),
                ],
            },
        }
    }

    /// What `server` says its sessions are (see [`navi_core::statusdir::liveness`]).
    pub(crate) fn ask(&self, server: &TmuxServer) -> ServerAnswer {
        match self
            .for_server(server)
            .run(&["list-sessions", "-F", liveness::LIST_FORMAT])
        {
            Ok(out) => liveness::parse_listing(&out),
            Err(e) => ServerAnswer::Unreachable(liveness::unreachable_reason(server, &e)),
        }
    }

    /// Every server the rows name, asked once each.
    pub(crate) fn view(&self, sessions: &[navi_core::SessionInfo]) -> TmuxView {
        TmuxView {
            servers: TmuxView::servers_to_ask(sessions)
                .into_iter()
                .map(|server| {
                    let answer = self.ask(&server);
                    (server, answer)
                })
                .collect(),
        }
    }

    fn exists(&self, name: &str) -> bool {
        self.run(&["has-session", "-t", &tmux_target(name)]).is_ok()
    }
}

/// Runs `action` on the local session `name`, status files in `dir`.
pub(crate) fn act(
    tmux: &Tmux,
    dir: &Path,
    name: &str,
    action: &Action,
) -> Result<ActionOutput, SourceError> {
    let fail = |m: String| SourceError::Other(m.into());
    // The session's active pane; a trailing `:` means no escaping is needed.
    let target = format!("={name}:");
    match action {
        Action::Preview => tmux
            .run(&["capture-pane", "-p", "-J", "-t", &target])
            .map(|t| ActionOutput::Text(navi_core::text::clean_pane(&t)))
            .map_err(|e| fail(format!("cannot preview {name}: {e}"))),
        Action::New { dir: cwd, command } => new(tmux, name, cwd, command).map_err(fail),
        Action::Kill => {
            tmux.run(&["kill-session", "-t", &tmux_target(name)])
                .map_err(|e| fail(format!("cannot kill {name}: {e}")))?;
            remove_status(dir, name).map_err(fail)?;
            crate::marks::remove(dir, name).map_err(fail)?;
            Ok(ActionOutput::Done(format!("killed {name}")))
        }
        Action::Rename { to } => rename(tmux, dir, name, to).map_err(fail),
        Action::Dismiss => {
            if tmux.exists(name) {
                return Err(fail(format!(
                    "{name} is still running in tmux; kill it instead (x) to end it"
                )));
            }
            remove_status(dir, name).map_err(fail)?;
            crate::marks::remove(dir, name).map_err(fail)?;
            Ok(ActionOutput::Done(format!("dismissed {name}")))
        }
        Action::Mark { ops } => crate::marks::apply(dir, name, ops)
            .map(|m| ActionOutput::Done(crate::marks::describe(name, &m)))
            .map_err(|e| SourceError::Config(e.into())),
        Action::Send { text } => {
            if text.contains(['\n', '\r']) {
                return Err(fail("send one line at a time".into()));
            }
            tmux.run(&["send-keys", "-t", &target, "-l", "--", &tmux_arg(text)])
                .map_err(|e| fail(format!("cannot send to {name}: {e}")))?;
            // Enter as its own key after a pause, so an input box has taken the text.
            std::thread::sleep(Duration::from_millis(100));
            tmux.run(&["send-keys", "-t", &target, "Enter"])
                .map_err(|e| fail(format!("cannot send Enter to {name}: {e}")))?;
            Ok(ActionOutput::Done(format!("sent to {name}")))
        }
    }
}

fn new(tmux: &Tmux, name: &str, cwd: &str, command: &[String]) -> Result<ActionOutput, String> {
    check_session_name(name)?;
    let cwd = navi_core::text::expand_home(Path::new(cwd), std::env::home_dir().as_deref());
    if !cwd.is_dir() {
        return Err(format!("no such directory: {}", cwd.display()));
    }
    if tmux.exists(name) {
        return Err(format!("a session named {name} already exists"));
    }
    let cwd = cwd.to_string_lossy().into_owned();
    let session = tmux_arg(name);
    let mut args = vec![
        "new-session",
        "-d",
        "-s",
        session.as_str(),
        "-c",
        cwd.as_str(),
    ];
    args.extend(command.iter().map(String::as_str));
    tmux.run(&args)
        .map_err(|e| format!("cannot create {name}: {e}"))?;
    Ok(ActionOutput::Done(format!("created {name} in {cwd}")))
}

/// Renames the tmux session, then moves its status file (rewriting `tmux_session`)
/// under the hook's lock; if the file cannot be moved the tmux rename is undone.
fn rename(tmux: &Tmux, dir: &Path, from: &str, to: &str) -> Result<ActionOutput, String> {
    check_session_name(to)?;
    if tmux.exists(to) {
        return Err(format!("a session named {to} already exists"));
    }
    tmux.run(&["rename-session", "-t", &tmux_target(from), &tmux_arg(to)])
        .map_err(|e| format!("cannot rename {from}: {e}"))?;
    if let Err(e) = move_status(dir, from, to) {
        let _ = tmux.run(&["rename-session", "-t", &tmux_target(to), &tmux_arg(from)]);
        return Err(format!(
            "cannot move the status file of {from} ({e}); nothing was renamed"
        ));
    }
    crate::marks::rename(dir, from, to)?;
    Ok(ActionOutput::Done(format!("renamed {from} to {to}")))
}

fn status_file(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.json"))
}

/// The lock file `navi hook` holds while it rewrites `name`'s status file.
fn lock(dir: &Path, name: &str) -> std::io::Result<std::fs::File> {
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(format!(".{name}.lock")))?;
    f.lock()?;
    Ok(f)
}

fn remove_status(dir: &Path, name: &str) -> Result<(), String> {
    if !dir.is_dir() {
        return Ok(());
    }
    let _lock = lock(dir, name).map_err(|e| format!("cannot lock the status file: {e}"))?;
    match std::fs::remove_file(status_file(dir, name)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(format!(
            "cannot remove {}: {e}",
            status_file(dir, name).display()
        )),
        _ => {
            let _ = std::fs::remove_file(dir.join(format!(".{name}.lock")));
            Ok(())
        }
    }
}

fn move_status(dir: &Path, from: &str, to: &str) -> std::io::Result<()> {
    let old = status_file(dir, from);
    if !old.exists() {
        return Ok(());
    }
    let _old_lock = lock(dir, from)?;
    let _new_lock = lock(dir, to)?;
    let bytes = std::fs::read(&old)?;
    let mut value: serde_json::Value = match serde_json::from_slice(&bytes) {
        Ok(v @ serde_json::Value::Object(_)) => v,
        // A file the Go hook broke: keep its bytes, navi's reader salvages them.
        _ => {
            std::fs::rename(&old, status_file(dir, to))?;
            return Ok(());
        }
    };
    value["tmux_session"] = serde_json::Value::String(to.to_string());
    let tmp = dir.join(format!(".tmp.navi.rename.{}", std::process::id()));
    std::fs::write(
        &tmp,
        serde_json::to_vec_pretty(&value).map_err(std::io::Error::other)?,
    )?;
    std::fs::rename(&tmp, status_file(dir, to))?;
    std::fs::remove_file(&old)
}

/// Moves the files a tmux-side rename left behind (see [`PollReport::decide_liveness`]),
/// and shows the moved rows under their new names in `report`.
pub(crate) fn follow_renames(dir: &Path, report: &mut PollReport, follows: &[Follow]) {
    for f in follows {
        let (from, to) = (f.from.as_str(), f.to.as_str());
        if f.move_file {
            if status_file(dir, to).exists() {
                continue; // The hook wrote the new name's file meanwhile.
            }
            if let Err(e) = move_status(dir, from, to) {
                tracing::warn!(from, to, "cannot follow a rename made in tmux: {e}");
                continue;
            }
            if let Some(s) = report.sessions.iter_mut().find(|s| s.tmux_session == from) {
                s.tmux_session = to.to_string();
            }
        }
        if let Err(e) = crate::marks::follow(dir, from, to) {
            tracing::warn!(
                from,
                to,
                "cannot move the marks after a rename in tmux: {e}"
            );
        }
    }
}

#[cfg(test)]
mod tests;
