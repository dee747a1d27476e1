//! `navi hook [--agent X]`: the command Claude Code (or Codex, Gemini CLI, navi's OpenCode
//! plugin) runs for each hook event.

use std::cell::RefCell;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::Instant;

use navi_core::limits::HOOK_TMUX_PATIENCE;
use navi_core::statusdir::agents::Agent;
use navi_source_local::hook::{self, Pane};

/// The variables the `tmux` query keeps: where the server is, a UTF-8 locale (tmux refuses
/// to run without one), and where a tmux built by hand finds its libraries. The client
/// sends its whole environment to the server, and Claude Code's is large: 0.3 ms of every
/// hook run with 120 variables (`docs/benchmarks.md`).
const TMUX_ENV: &[&str] = &[
    "TMUX",
    "TMUX_TMPDIR",
    "HOME",
    "PATH",
    "USER",
    "TMPDIR",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "LD_LIBRARY_PATH",
    "LD_PRELOAD",
    "DYLD_LIBRARY_PATH",
];

/// `navi hook`: applies `agent`'s event on stdin to this tmux session's status file.
/// Never fails and never prints: problems are logged, so the agent is never in the way.
pub fn run_hook(sessions_dir: Option<PathBuf>, agent: Agent) -> Result<(), String> {
    let started = Instant::now();
    let deadline = started + hook::HOOK_BUDGET;
    let in_tmux = std::env::var_os("TMUX").is_some_and(|v| !v.is_empty());
    // The tmux query takes most of a run: start it first, and read the event meanwhile.
    let query = in_tmux.then(spawn_pane_query);
    let Some(query) = query else {
        // Not in tmux: there is no session to name the file after. Read the event to
        // its end all the same: Claude Code is writing it, and a hook that exits early
        // would leave it a broken pipe.
        let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
        return Ok(());
    };
    // Scanned, not parsed whole: any size, any depth, lone surrogates repaired.
    let event = hook::read_event(std::io::stdin().lock())
        .map_err(|e| format!("cannot read the hook event: {e}"))?;
    if hook::status_for_agent(agent, &event).is_none() {
        return Ok(());
    }
    // The git block is wanted when the status changes: for the events that usually
    // change it, ask git now, while tmux answers.
    let early_git = RefCell::new(
        hook::likely_status_change_of(agent, &event)
            .then(|| hook::GitQuery::start(event.get("cwd")?.as_str()?))
            .flatten(),
    );
    let git = |cwd: &str| match early_git.take() {
        Some(query) if query.cwd() == cwd => query.finish(),
        _ => hook::git_block(cwd),
    };
    let pane = pane_answer(query, started + HOOK_TMUX_PATIENCE)?;
    let dir = sessions_dir
        .or_else(navi_source_local::LocalSource::default_dir)
        .ok_or("no home directory for ~/.claude-sessions; set NAVI_SESSIONS_DIR")?;
    let now = crate::format::unix_now();
    hook::apply_agent(&dir, &pane, agent, &event, now, &git, deadline)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Starts asking tmux for this pane's session and directory (`$TMUX_PANE`).
fn spawn_pane_query() -> std::io::Result<Child> {
    // By absolute path: with a changed environment, a program std has to look up on
    // `PATH` is started with fork+exec instead of posix_spawn, 0.5 to 2 ms more here.
    let tmux = crate::paths::find_on_path("tmux").unwrap_or_else(|| PathBuf::from("tmux"));
    let mut cmd = Command::new(tmux);
    cmd.env_clear();
    for key in TMUX_ENV {
        if let Some(value) = std::env::var_os(key) {
            cmd.env(key, value);
        }
    }
    cmd.args(["display-message", "-p"]);
    if let Some(pane) = std::env::var_os("TMUX_PANE").filter(|p| !p.is_empty()) {
        cmd.arg("-t").arg(pane);
    }
    // The name cannot hold a tab (tmux escapes it); the directory, last, may.
    cmd.arg("#{socket_path}\t#{pid}\t#{session_id}\t#{session_name}\t#{pane_current_path}");
    navi_source_local::process::spawn(cmd)
}

/// The answer of [`spawn_pane_query`], by `deadline` (past it tmux is stopped).
fn pane_answer(query: std::io::Result<Child>, deadline: Instant) -> Result<Pane, String> {
    let out = query
        .and_then(|child| navi_source_local::process::finish_within(child, deadline))
        .map_err(|e| format!("tmux display-message: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "tmux display-message failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    parse_pane(&String::from_utf8_lossy(&out.stdout))
}

/// Reads `socket TAB pid TAB id TAB name TAB cwd` (see [`spawn_pane_query`]).
fn parse_pane(text: &str) -> Result<Pane, String> {
    let text = text.strip_suffix('\n').unwrap_or(text);
    let mut fields = text.splitn(5, '\t');
    let (Some(socket), Some(pid), Some(id), Some(session)) =
        (fields.next(), fields.next(), fields.next(), fields.next())
    else {
        return Err(format!("tmux display-message answered {text:?}"));
    };
    let place = navi_core::TmuxPlace {
        socket: Some(socket)
            .filter(|s| s.starts_with('/'))
            .map(str::to_string),
        server_pid: pid.parse().ok(),
        session_id: Some(id).filter(|i| i.starts_with('$')).map(str::to_string),
    };
    Ok(Pane {
        session: session.to_string(),
        cwd: fields.next().unwrap_or("").to_string(),
        place: place.socket.is_some().then_some(place),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pane_answer_names_the_server_and_the_session() {
        let p = parse_pane("/tmp/tmux-0/work\t42\t$3\tmy app\t/srv/a\tb\n").unwrap();
        assert_eq!(
            (p.session.as_str(), p.cwd.as_str()),
            ("my app", "/srv/a\tb")
        );
        let place = p.place.unwrap();
        assert_eq!(place.socket.as_deref(), Some("/tmp/tmux-0/work"));
        assert_eq!(
            (place.server_pid, place.session_id.as_deref()),
            (Some(42), Some("$3"))
        );
        assert!(parse_pane("garbage").is_err());
    }
}
