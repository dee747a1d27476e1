//! Actions on local sessions: tmux by argv (never a shell), bounded in time, addressing
//! the session's own tmux server (the socket `navi hook` recorded in its status file);
//! status files under the same lock `navi hook` takes, at the paths of
//! [`navi_core::statusdir::layout`].

use std::path::Path;
use std::process::Command;

use crate::process::output_within;

use navi_core::limits::{EXIT_STATUS_RETRY, NEW_SETTLE, TMUX_COMMAND};
use navi_core::statusdir::layout;
use navi_core::statusdir::liveness::{self, ServerAnswer, TmuxServer, TmuxView};
use navi_core::{
    tmux_arg, Action, ActionOutput, Follow, Liveness, PollReport, SessionInfo, SessionName,
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
    /// Runs `tmux ARGS` (at most [`TMUX_COMMAND`]); `Err` is what tmux said (or why it
    /// could not run).
    pub(crate) fn run(&self, args: &[&str]) -> Result<String, String> {
        let (program, globals) = self.argv.split_first().ok_or("no tmux command")?;
        let mut cmd = Command::new(program);
        cmd.args(globals).args(args);
        let out = output_within(cmd, TMUX_COMMAND).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                "tmux: not found (is tmux installed and on PATH?)".into()
            }
            _ => format!("cannot run tmux: {e}"),
        })?;
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

    /// Every server the rows name, asked once each; for a recorded server that does not
    /// answer, whether its pid still runs here.
    pub(crate) fn view<S: std::borrow::Borrow<SessionInfo>>(&self, sessions: &[S]) -> TmuxView {
        self.view_by(sessions, |server| self.ask(server))
    }

    /// [`view`](Self::view) with each server's answer from `ask` (a kept listing while
    /// its session events say nothing changed, see [`crate::tmux_events`]).
    pub(crate) fn view_by<S: std::borrow::Borrow<SessionInfo>>(
        &self,
        sessions: &[S],
        mut ask: impl FnMut(&TmuxServer) -> ServerAnswer,
    ) -> TmuxView {
        let mut view = TmuxView {
            servers: TmuxView::servers_to_ask(sessions)
                .into_iter()
                .map(|server| {
                    let answer = ask(&server);
                    (server, answer)
                })
                .collect(),
            ..TmuxView::default()
        };
        view.gone_pids = view
            .pids_to_check(sessions)
            .into_iter()
            .filter(|pid| process_gone(*pid))
            .collect();
        view
    }

    /// The row's liveness now, from its own server.
    fn liveness_of(&self, row: &SessionInfo) -> Liveness {
        liveness::decide(row, &self.view(std::slice::from_ref(row))).liveness
    }

    /// `Ok` when `server` holds the session `name`; otherwise the error every action on
    /// a missing session gives (or why tmux could not be asked).
    fn require(&self, server: &TmuxServer, name: &SessionName) -> Result<(), SourceError> {
        match self.ask(server) {
            ServerAnswer::Sessions { sessions, .. } => {
                match sessions.iter().any(|s| s.name == name.as_str()) {
                    true => Ok(()),
                    false => Err(no_such_session(name)),
                }
            }
            ServerAnswer::Unreachable(why) => Err(SourceError::Other(
                format!("cannot reach the tmux session {name}: {why}").into(),
            )),
        }
    }
}

/// Whether no process `pid` runs on this machine: `/proc/PID` is absent where `/proc`
/// lists processes (Linux), else `ps -p PID` says so. `false` whenever that cannot be
/// told: only positive evidence counts.
fn process_gone(pid: i64) -> bool {
    let proc_fs = Path::new("/proc/self/stat");
    if proc_fs.exists() {
        // A zombie (exited, not yet reaped by a parent that never waits) is gone too.
        return match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Ok(stat) => stat
                .rsplit_once(')')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
            Err(e) => e.kind() == std::io::ErrorKind::NotFound,
        };
    }
    let mut ps = Command::new("ps");
    ps.args(["-p", &pid.to_string()]);
    match output_within(ps, TMUX_COMMAND) {
        // POSIX `ps -p` lists the header only and exits 1 for no such process.
        Ok(out) => !out.status.success() && out.stderr.is_empty(),
        Err(_) => false,
    }
}

/// The error of an action on a session tmux does not have (the SSH source says the same,
/// with " on REMOTE").
pub(crate) fn no_such_session(name: &SessionName) -> SourceError {
    SourceError::NotFound(format!("no tmux session named {name}").into())
}

/// The row of `name`'s status file, if there is one (its `tmux` block names the server).
pub(crate) fn read_row(dir: &Path, name: &SessionName) -> Option<SessionInfo> {
    let bytes = std::fs::read(layout::status_file(dir, name)).ok()?;
    SessionInfo::parse(&bytes, Some(name.as_str())).ok()
}

/// Runs `action` on the local session `name`, status files in `dir`.
pub(crate) fn act(
    tmux: &Tmux,
    dir: &Path,
    name: &str,
    action: &Action,
) -> Result<ActionOutput, SourceError> {
    let other = |m: String| SourceError::Other(m.into());
    if let Action::New {
        dir: cwd,
        command,
        create_dir,
    } = action
    {
        return new(tmux, name, cwd, command, *create_dir);
    }
    // The directory is the session's, as its status file says; no tmux involved.
    match action {
        Action::Git { cwd } => {
            return crate::git::report(cwd)
                .map(|r| ActionOutput::Git(Box::new(r)))
                .map_err(|e| other(format!("no git state for {name}: {e}")))
        }
        Action::PullRequest { cwd } => {
            return Ok(ActionOutput::Pr(Box::new(crate::git::pull_request(cwd))))
        }
        Action::Diff { cwd } => {
            return crate::git::diff(cwd)
                .map(ActionOutput::Text)
                .map_err(|e| other(format!("no diff for {name}: {e}")))
        }
        _ => {}
    }
    let name =
        SessionName::existing(name).map_err(|e| SourceError::Rejected(e.to_string().into()))?;
    let row = read_row(dir, &name);
    let server = row.as_ref().map_or(TmuxServer::Default, TmuxServer::of);
    let on = tmux.for_server(&server);
    match action {
        Action::New { .. }
        | Action::Git { .. }
        | Action::PullRequest { .. }
        | Action::Diff { .. } => Err(other("handled above".into())),
        Action::Preview => {
            tmux.require(&server, &name)?;
            // The screen and the 50 lines of scrollback above it, as the Go navi shows,
            // with its colours (SGR only: every other sequence is removed).
            let pane = name.pane_target();
            on.run(&["capture-pane", "-p", "-e", "-J", "-S", "-50", "-t", &pane])
                .map(|t| ActionOutput::Text(navi_core::text::clean_pane_sgr(&t)))
                .map_err(|e| other(format!("cannot preview {name}: {e}")))
        }
        Action::Kill => {
            tmux.require(&server, &name)?;
            on.run(&["kill-session", "-t", &name.target()])
                .map_err(|e| other(format!("cannot kill {name}: {e}")))?;
            remove_status(dir, &name).map_err(other)?;
            crate::marks::remove(dir, name.as_str()).map_err(other)?;
            Ok(ActionOutput::Done(format!("killed {name}")))
        }
        Action::Rename { to } => {
            tmux.require(&server, &name)?;
            rename(&on, dir, &name, to)
        }
        Action::Dismiss | Action::Tidy => {
            let Some(row) = row else {
                return Err(SourceError::NotFound(
                    format!("no session named {name} (no status file {name}.json)").into(),
                ));
            };
            tmux.liveness_of(&row).allows_removal().map_err(|why| {
                let hint = match action {
                    Action::Dismiss => "; kill it instead (x) to end it",
                    _ => "",
                };
                SourceError::Rejected(format!("{name} was not dismissed: {why}{hint}").into())
            })?;
            remove_status(dir, &name).map_err(other)?;
            if *action == Action::Dismiss {
                crate::marks::remove(dir, name.as_str()).map_err(other)?;
            }
            Ok(ActionOutput::Done(format!("dismissed {name}")))
        }
        Action::Acknowledge => acknowledge(dir, &name),
        Action::Mark { ops } => {
            if row.is_none() {
                return Err(SourceError::NotFound(
                    format!("no session named {name} to mark (no status file {name}.json)").into(),
                ));
            }
            crate::marks::apply(dir, name.as_str(), ops)
                .map(|m| ActionOutput::Done(crate::marks::describe(name.as_str(), &m)))
                .map_err(|e| SourceError::Rejected(e.into()))
        }
        Action::Keys { keys } => {
            let keys = navi_core::keys::check_keys(keys)
                .map_err(|e| SourceError::Rejected(format!("not sent to {name}: {e}").into()))?;
            tmux.require(&server, &name)?;
            send_keys(&on, &name, &keys)?;
            Ok(ActionOutput::Done(format!(
                "sent {} to {name}",
                keys.join(" ")
            )))
        }
        Action::Answer { choice, expect } => {
            let key = answer_key(&name, *choice, expect)?;
            tmux.require(&server, &name)?;
            answer(&on, &name, *choice, expect, &key)
        }
        Action::Send { text } => {
            navi_core::check_send_text(text)
                .map_err(|e| SourceError::Rejected(format!("not sent to {name}: {e}").into()))?;
            tmux.require(&server, &name)?;
            let args = send_args(&name.pane_target(), &send_buffer(), text);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            on.run(&args)
                .map_err(|e| other(format!("cannot send to {name}: {e}")))?;
            Ok(ActionOutput::Done(format!("sent to {name}")))
        }
    }
}

/// `tmux send-keys -t PANE -- KEYS...`: each key one argv word (tmux_arg: a `;` key is
/// not a command separator).
fn send_keys(on: &Tmux, name: &SessionName, keys: &[String]) -> Result<(), SourceError> {
    let target = name.pane_target();
    let keys: Vec<String> = keys.iter().map(|k| tmux_arg(k)).collect();
    let mut args = vec!["send-keys", "-t", target.as_str(), "--"];
    args.extend(keys.iter().map(String::as_str));
    on.run(&args)
        .map(|_| ())
        .map_err(|e| SourceError::Other(format!("cannot send keys to {name}: {e}").into()))
}

/// The key that picks `choice` in the dialog of `expect`, or why there is none (checked
/// before tmux is asked anything).
pub(crate) fn answer_key(
    name: &SessionName,
    choice: navi_core::permission::Choice,
    expect: &str,
) -> Result<String, SourceError> {
    let refuse = |m: String| SourceError::Rejected(format!("{name} was not answered: {m}").into());
    let dialog = navi_core::permission::Dialog::from_fingerprint(expect)
        .ok_or_else(|| refuse("what was expected is not a permission dialog".into()))?;
    let (digit, _) = dialog.option_for(choice).map_err(refuse)?;
    Ok(digit.to_string())
}

/// The check and the key in one step: the screen captured now, the key sent only if it
/// still shows the dialog the user saw (nothing runs between the two but this
/// function); otherwise nothing is sent and the refusal says what the screen shows.
fn answer(
    on: &Tmux,
    name: &SessionName,
    choice: navi_core::permission::Choice,
    expect: &str,
    key: &str,
) -> Result<ActionOutput, SourceError> {
    use navi_core::permission;
    let pane = name.pane_target();
    let screen = on
        .run(&["capture-pane", "-p", "-J", "-t", &pane])
        .map_err(|e| SourceError::Other(format!("cannot read the pane of {name}: {e}").into()))?;
    if !permission::shows(&screen, expect) {
        return Err(SourceError::Rejected(
            format!(
                "{name} was not answered: its pane no longer shows that dialog; it shows {}",
                permission::what_it_shows(&screen)
            )
            .into(),
        ));
    }
    send_keys(on, name, &[key.to_string()])?;
    let what = permission::Dialog::from_fingerprint(expect)
        .map(|d| d.describe())
        .unwrap_or_default();
    Ok(ActionOutput::Done(format!(
        "{} {name}: {what} (sent {key})",
        choice.done()
    )))
}

/// The one tmux command line of a send: `text` into the paste buffer `buffer`, pasted
/// into `target` and the buffer deleted, then Enter.
///
/// Pasted, not typed, so that Enter is a key of its own: Claude Code takes a burst of
/// input that arrives at once as a paste, and an Enter inside it as a line break (a long
/// text typed with `send-keys -l` and Enter in the same write is not submitted). With
/// `-p` tmux puts the text between bracketed-paste markers when the program asked for
/// them (Claude Code does), so the program knows where the text ends however the bytes
/// are read, and no pause is needed between text and Enter. `-r`: the text goes as it
/// is (it holds no line break: [`navi_core::check_send_text`]).
pub(crate) fn send_args(target: &str, buffer: &str, text: &str) -> Vec<String> {
    let text = tmux_arg(text);
    [
        "set-buffer",
        "-b",
        buffer,
        "--",
        &text,
        ";",
        "paste-buffer",
        "-p",
        "-d",
        "-r",
        "-b",
        buffer,
        "-t",
        target,
        ";",
        "send-keys",
        "-t",
        target,
        "Enter",
    ]
    .iter()
    .map(|a| a.to_string())
    .collect()
}

/// A paste buffer name no other send uses at the same time (this process and a
/// counter), so two sends never paste each other's text.
fn send_buffer() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static SENDS: AtomicU64 = AtomicU64::new(0);
    let n = SENDS.fetch_add(1, Ordering::Relaxed);
    format!("navi-send-{}-{n}", std::process::id())
}

/// A new detached session on the server navi reaches, confirmed [`NEW_SETTLE`] later: a
/// command that exits at once is reported with its exit status and last output (the
/// pane is kept for that moment with `remain-on-exit`, set in the same tmux command as
/// the session, so even an instant exit is seen), and its dead session is removed.
fn new(
    tmux: &Tmux,
    name: &str,
    cwd: &str,
    command: &[String],
    create_dir: bool,
) -> Result<ActionOutput, SourceError> {
    let rejected = |m: String| SourceError::Rejected(m.into());
    let other = |m: String| SourceError::Other(m.into());
    let name = SessionName::new_for_tmux(name).map_err(|e| rejected(e.to_string()))?;
    let cwd = navi_core::text::expand_home(Path::new(cwd), std::env::home_dir().as_deref());
    if !cwd.is_dir() && !create_dir {
        return Err(rejected(format!("no such directory: {}", cwd.display())));
    }
    if let ServerAnswer::Sessions { sessions, .. } = tmux.ask(&TmuxServer::Default) {
        if sessions.iter().any(|s| s.name == name.as_str()) {
            return Err(rejected(format!("a session named {name} already exists")));
        }
    }
    if !cwd.is_dir() {
        // The user said yes to creating it (`n` asks when it is missing).
        std::fs::create_dir_all(&cwd)
            .map_err(|e| rejected(format!("cannot create directory {}: {e}", cwd.display())))?;
    }
    let cwd = cwd.to_string_lossy().into_owned();
    let session = tmux_arg(name.as_str());
    let pane = name.pane_target();
    let mut args = vec![
        "new-session",
        "-d",
        "-s",
        session.as_str(),
        "-c",
        cwd.as_str(),
    ];
    let words: Vec<String> = command.iter().map(|w| tmux_arg(w)).collect();
    args.extend(words.iter().map(String::as_str));
    args.extend([
        ";",
        "set-option",
        "-w",
        "-t",
        pane.as_str(),
        "remain-on-exit",
        "on",
    ]);
    tmux.run(&args)
        .map_err(|e| other(format!("cannot create {name}: {e}")))?;
    std::thread::sleep(NEW_SETTLE);
    let dead_state = || {
        tmux.run(&[
            "display-message",
            "-p",
            "-t",
            &pane,
            "#{pane_dead} #{pane_dead_status}",
        ])
        .map_err(|e| other(format!("{name} did not stay up: {e}")))
    };
    let mut state = dead_state()?;
    // tmux may mark the pane dead before it has collected the exit status: ask again
    // for a moment (now and then it never learns it; the message then says so).
    for _ in 0..10 {
        let mut f = state.split_whitespace();
        if f.next() != Some("1") || f.next().is_some() {
            break;
        }
        std::thread::sleep(EXIT_STATUS_RETRY);
        state = dead_state()?;
    }
    let mut fields = state.split_whitespace();
    if fields.next() == Some("1") {
        let status = fields
            .next()
            .map_or("not reported by tmux".to_string(), str::to_string);
        let last = tmux
            .run(&["capture-pane", "-p", "-t", &pane])
            .map(|t| navi_core::text::clean_pane(&t))
            .unwrap_or_default();
        let _ = tmux.run(&["kill-session", "-t", &name.target()]);
        let last = last.lines().rev().take(5).collect::<Vec<_>>();
        let last: Vec<&str> = last.into_iter().rev().collect();
        let what = match command.is_empty() {
            true => "the shell".to_string(),
            false => format!("`{}`", command.join(" ")),
        };
        return Err(other(format!(
            "{name} was not created: {what} exited at once (exit status {status}){}",
            match last.is_empty() {
                true => String::new(),
                false => format!("; its last output:\n{}", last.join("\n")),
            }
        )));
    }
    let _ = tmux.run(&["set-option", "-w", "-u", "-t", &pane, "remain-on-exit"]);
    Ok(ActionOutput::Done(format!("created {name} in {cwd}")))
}

/// Renames the tmux session, then moves its status file (rewriting `tmux_session`)
/// under the hook's lock; if the file cannot be moved the tmux rename is undone.
fn rename(
    tmux: &Tmux,
    dir: &Path,
    from: &SessionName,
    to: &str,
) -> Result<ActionOutput, SourceError> {
    let rejected = |m: String| SourceError::Rejected(m.into());
    let to = SessionName::new_for_tmux(to).map_err(|e| rejected(e.to_string()))?;
    if let ServerAnswer::Sessions { sessions, .. } = tmux.ask(&TmuxServer::Default) {
        if sessions.iter().any(|s| s.name == to.as_str()) {
            return Err(rejected(format!("a session named {to} already exists")));
        }
    }
    tmux.run(&[
        "rename-session",
        "-t",
        &from.target(),
        &tmux_arg(to.as_str()),
    ])
    .map_err(|e| SourceError::Other(format!("cannot rename {from}: {e}").into()))?;
    if let Err(e) = move_status(dir, from, &to) {
        let _ = tmux.run(&[
            "rename-session",
            "-t",
            &to.target(),
            &tmux_arg(from.as_str()),
        ]);
        return Err(SourceError::Other(
            format!("cannot move the status file of {from} ({e}); nothing was renamed").into(),
        ));
    }
    crate::marks::rename(dir, from.as_str(), to.as_str())
        .map_err(|e| SourceError::Other(e.into()))?;
    Ok(ActionOutput::Done(format!("renamed {from} to {to}")))
}

/// The lock file `navi hook` holds while it rewrites `name`'s status file.
fn lock(dir: &Path, name: &SessionName) -> std::io::Result<std::fs::File> {
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(layout::lock_file(dir, name))?;
    f.lock()?;
    Ok(f)
}

fn remove_status(dir: &Path, name: &SessionName) -> Result<(), String> {
    if !dir.is_dir() {
        return Ok(());
    }
    let _lock = lock(dir, name).map_err(|e| format!("cannot lock the status file: {e}"))?;
    let file = layout::status_file(dir, name);
    match std::fs::remove_file(&file) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(format!("cannot remove {}: {e}", file.display()))
        }
        _ => {
            let _ = std::fs::remove_file(layout::lock_file(dir, name));
            Ok(())
        }
    }
}

/// The Go navi's acknowledge: the status file rewritten ([`navi_core::acknowledged`])
/// under the hook's lock, through a temp file and a rename (a reader never sees half).
fn acknowledge(dir: &Path, name: &SessionName) -> Result<ActionOutput, SourceError> {
    let file = layout::status_file(dir, name);
    if !file.exists() {
        return Err(SourceError::NotFound(
            format!("no session named {name} (no status file {name}.json)").into(),
        ));
    }
    let other = |m: String| SourceError::Other(m.into());
    let _lock = lock(dir, name).map_err(|e| other(format!("cannot lock the status file: {e}")))?;
    let bytes =
        std::fs::read(&file).map_err(|e| other(format!("cannot read {}: {e}", file.display())))?;
    let new = navi_core::acknowledged(&bytes, navi_core::now_seconds())
        .map_err(|e| SourceError::Rejected(format!("{name} was not acknowledged: {e}").into()))?;
    let tmp = layout::temp_file(dir, "ack");
    crate::private::write_new(&tmp, &new)
        .and_then(|()| std::fs::rename(&tmp, &file))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            other(format!("cannot write {}: {e}", file.display()))
        })?;
    Ok(ActionOutput::Done(format!("acknowledged {name}")))
}

fn move_status(dir: &Path, from: &SessionName, to: &SessionName) -> std::io::Result<()> {
    let old = layout::status_file(dir, from);
    if !old.exists() {
        return Ok(());
    }
    let _old_lock = lock(dir, from)?;
    let _new_lock = lock(dir, to)?;
    let new = layout::status_file(dir, to);
    let bytes = std::fs::read(&old)?;
    let mut value: serde_json::Value = match serde_json::from_slice(&bytes) {
        Ok(v @ serde_json::Value::Object(_)) => v,
        // A file the Go hook broke: keep its bytes, navi's reader salvages them.
        _ => return std::fs::rename(&old, &new),
    };
    value["tmux_session"] = serde_json::Value::String(to.to_string());
    let tmp = layout::temp_file(dir, "rename");
    crate::private::write_new(
        &tmp,
        &serde_json::to_vec_pretty(&value).map_err(std::io::Error::other)?,
    )?;
    std::fs::rename(&tmp, new)?;
    std::fs::remove_file(old)
}

/// Moves the files a tmux-side rename left behind (see [`PollReport::decide_liveness`]),
/// and shows the moved rows under their new names in `report`.
pub(crate) fn follow_renames(dir: &Path, report: &mut PollReport, follows: &[Follow]) {
    for f in follows {
        let (from, to) = (f.from.as_str(), f.to.as_str());
        if f.move_file {
            if layout::status_file(dir, &f.to).exists() {
                continue; // The hook wrote the new name's file meanwhile.
            }
            if let Err(e) = move_status(dir, &f.from, &f.to) {
                tracing::warn!(from, to, "cannot follow a rename made in tmux: {e}");
                continue;
            }
            if let Some(s) = report.sessions.iter_mut().find(|s| s.tmux_session == from) {
                std::sync::Arc::make_mut(s).tmux_session = to.to_string();
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
