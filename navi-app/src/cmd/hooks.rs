//! `navi hooks install | uninstall | status`: navi's entries in Claude Code's user
//! settings (the command they run is `navi hook`, see [`super::hook`]).
//!
//! The installer edits the file, not its place: `edit` changes the text (on the byte spans
//! `spans` finds, written back by `splice`, so every byte outside navi's entries stays), and
//! `file` replaces the file the way its owner keeps it (through its symlinks, with its mode
//! and owner, never a read-only one, the first version from before navi kept aside).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde_json::{json, Value};

#[cfg(test)]
pub use edit::{install, uninstall};
pub use edit::{install_for, uninstall_for};
use navi_core::statusdir::agents::Agent;

mod agents;
mod edit;
pub(crate) mod file;
mod opencode;
mod spans;
mod splice;

#[cfg(test)]
mod program_tests {
    #[test]
    fn the_program_is_the_first_word() {
        for (exe, dir) in [("/usr/bin/navi", None), ("/a b/it's/navi", Some("/s d"))] {
            let c = super::hook_command(std::path::Path::new(exe), dir.map(std::path::Path::new));
            assert_eq!(super::program_of(&c), exe, "{c}");
        }
    }
}

/// The events navi's hook handles, from the one table `navi hook` maps them with
/// ([`navi_core::statusdir::hook_events`]): the Go navi's `hooks/config.json`, plus
/// `Notification` for `waiting` with its message, `SessionStart` so a new session shows
/// at once, and `PreCompact`.
#[cfg(test)]
pub const EVENTS: &[&str] = &navi_core::statusdir::hook_events::INSTALLED_EVENTS;

/// Claude Code's user settings: `$CLAUDE_CONFIG_DIR/settings.json` or
/// `~/.claude/settings.json`.
pub fn settings_path() -> anyhow::Result<PathBuf> {
    match std::env::var_os("CLAUDE_CONFIG_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => Ok(PathBuf::from(dir).join("settings.json")),
        None => std::env::home_dir()
            .map(|h| h.join(".claude/settings.json"))
            .context("no home directory for ~/.claude/settings.json; set CLAUDE_CONFIG_DIR"),
    }
}

/// The hook command for the binary at `exe` (and a status directory other than the
/// default), quoted for the shell Claude Code runs it in.
#[cfg(test)]
pub fn hook_command(exe: &Path, sessions_dir: Option<&Path>) -> String {
    hook_command_for(exe, sessions_dir, Agent::Claude)
}

/// [`hook_command`] for `agent`'s events (`… hook --agent codex`; Claude's has no flag,
/// as before).
pub fn hook_command_for(exe: &Path, sessions_dir: Option<&Path>, agent: Agent) -> String {
    let mut command = quote(&exe.display().to_string());
    if let Some(dir) = sessions_dir {
        command.push_str(" --sessions-dir ");
        command.push_str(&quote(&dir.display().to_string()));
    }
    command.push_str(" hook");
    if agent != Agent::Claude {
        command.push_str(" --agent ");
        command.push_str(agent.name());
    }
    command
}

/// The events navi installs for `agent` (its table in [`navi_core::statusdir::agents`]).
pub fn events_of(agent: Agent) -> Vec<&'static str> {
    agent.events().iter().map(|e| e.name).collect()
}

/// `s` as one POSIX shell word (bare when it is plainly safe).
fn quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+".contains(c));
    match plain {
        true => s.to_string(),
        false => format!("'{}'", s.replace('\'', r"'\''")),
    }
}

/// Whether a hook command is navi's Claude Code hook (`…/navi [--sessions-dir DIR] hook`,
/// quoted or not).
#[cfg(test)]
fn is_navi(command: &str) -> bool {
    command_agent(command) == Some(Agent::Claude)
}

/// The agent of navi's hook command `command` (`… hook` is Claude Code's, `… hook --agent
/// X` is X's); `None` when it is not navi's.
fn command_agent(command: &str) -> Option<Agent> {
    let command = command.trim();
    let (prog, agent) = match command.strip_suffix(" hook") {
        Some(prog) => (prog, Agent::Claude),
        None => {
            let (head, name) = command.rsplit_once(" hook --agent ")?;
            (head, Agent::parse(name)?)
        }
    };
    let prog = prog.split(" --sessions-dir ").next().unwrap_or(prog);
    let prog = prog.trim().trim_matches('\'').trim_matches('"');
    Path::new(prog)
        .file_name()
        .is_some_and(|n| n == "navi")
        .then_some(agent)
}

/// The program of a hook command [`hook_command`] wrote: its first shell word, unquoted
/// (`'/a b/navi' --sessions-dir 'X' hook` → `/a b/navi`).
fn program_of(command: &str) -> String {
    let mut out = String::new();
    let mut chars = command.trim_start().chars();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match c {
            '\'' => quoted = !quoted,
            ' ' if !quoted => break,
            // Outside quotes a backslash makes the next character literal (`'\''`).
            '\\' if !quoted => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

/// Whether a hook command is one of the Go navi's shell hooks.
fn is_go_navi(command: &str) -> bool {
    command.contains("claude-sessions/hooks/notify.sh")
        || command.contains("claude-sessions/hooks/tool-tracker.sh")
}

/// Which of [`EVENTS`] run navi's hook in `settings`, and the command.
#[cfg(test)]
pub fn installed(settings: &Value) -> (Vec<&'static str>, Option<String>) {
    installed_for(settings, Agent::Claude)
}

/// Which of `agent`'s events run navi's hook for `agent` in `settings` (Claude Code's,
/// Codex's and Gemini CLI's hooks share one shape: `hooks.<Event>[].hooks[].command`),
/// and the command.
pub fn installed_for(settings: &Value, agent: Agent) -> (Vec<&'static str>, Option<String>) {
    let mut found = Vec::new();
    let mut command = None;
    for event in &events_of(agent) {
        let commands = settings
            .get("hooks")
            .and_then(|h| h.get(*event))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|g| g.get("hooks").and_then(Value::as_array))
            .flatten()
            .filter_map(|h| h.get("command").and_then(Value::as_str));
        if let Some(c) = commands
            .into_iter()
            .find(|c| command_agent(c) == Some(agent))
        {
            found.push(*event);
            command.get_or_insert_with(|| c.to_string());
        }
    }
    (found, command)
}

/// Reads the settings file: missing is `{}`; invalid JSON is an error naming the line.
fn read_settings(path: &Path) -> anyhow::Result<(Value, Option<String>)> {
    // Only a regular file (through its symlinks): a FIFO would block the read for ever,
    // a device never end.
    match std::fs::metadata(path) {
        Ok(m) if !m.is_file() => anyhow::bail!(
            "{} is not a regular file; it was left untouched",
            path.display()
        ),
        _ => {}
    }
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((json!({}), None)),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    if text.trim().is_empty() {
        return Ok((json!({}), Some(text)));
    }
    let value: Value = serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "{} is not valid JSON (line {}, column {}: {e}); it was left untouched: fix it, \
             then run this again",
            path.display(),
            e.line(),
            e.column()
        )
    })?;
    if !value.is_object() {
        anyhow::bail!(
            "{} is not a JSON object; it was left untouched",
            path.display()
        );
    }
    Ok((value, Some(text)))
}

/// What [`change_settings`] did with a new version of the settings file.
enum Change {
    /// It is the same as the file: nothing to do.
    Unchanged,
    /// `--dry-run`: the diff was shown, nothing written.
    Shown,
    /// Written to this file (the settings path, or its symlink's target), and what
    /// happened to the backup.
    Written(PathBuf, file::Backup),
}

/// Writes the text `new` over the settings file `path` that held `old` (`None`: there
/// was none; `before_navi`: a file without navi's entries, kept as the backup when there
/// is none), or with `dry_run` only shows the diff.
fn change_settings(
    path: &Path,
    (old, before_navi): (Option<&str>, bool),
    new: &str,
    dry_run: bool,
    out: &mut dyn Write,
) -> anyhow::Result<Change> {
    if Some(new) == old || (old.is_none() && new.is_empty()) {
        return Ok(Change::Unchanged);
    }
    if dry_run {
        let target = file::resolve(path)?;
        writeln!(out, "would change {}:", file::describe(path, &target))?;
        write_diff(old.unwrap_or_default(), new, out)?;
        if let Err(e) = file::check_writable(path, &target) {
            writeln!(out, "but it would refuse: {e:#}")?;
        }
        return Ok(Change::Shown);
    }
    let (target, backup) = file::write(path, new, old, before_navi)?;
    Ok(Change::Written(target, backup))
}

/// Says where the file went (a symlink's target) and what happened to the backup.
fn write_done(
    path: &Path,
    target: &Path,
    backup: &file::Backup,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    if path != target {
        writeln!(
            out,
            "{} is a symlink: its target {} was changed, the link stays",
            path.display(),
            target.display()
        )?;
    }
    match backup {
        file::Backup::None => Ok(()),
        file::Backup::Made(b) => writeln!(out, "the previous settings are in {}", b.display()),
        file::Backup::Kept(b) => writeln!(
            out,
            "the settings from before navi's first change stay in {} (not overwritten)",
            b.display()
        ),
        file::Backup::Refused(b, what) => writeln!(
            out,
            "warning: no backup this time: {} is {what}, not a regular file, and navi does \
             not write through it; move it away to get a backup next time",
            b.display()
        ),
    }
}

/// `navi hooks install [--dry-run]`.
#[cfg(test)]
pub fn install_cmd(
    path: &Path,
    exe: &Path,
    sessions_dir: Option<&Path>,
    dry_run: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    install_cmd_for(Agent::Claude, path, exe, sessions_dir, dry_run, out)
}

/// `navi hooks install --agent X [--dry-run]` for an agent whose hooks live in a JSON
/// settings file (Claude Code, Codex, Gemini CLI), with the same care for the file.
pub fn install_cmd_for(
    agent: Agent,
    path: &Path,
    exe: &Path,
    sessions_dir: Option<&Path>,
    dry_run: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let (settings, old) = read_settings(path)?;
    // Only a file from before navi is worth a backup: the first one stays there.
    let before_navi = installed_for(&settings, agent).1.is_none();
    let command = hook_command_for(exe, sessions_dir, agent);
    let (new, changes) = install_for(old.as_deref().unwrap_or_default(), &command, agent)
        .with_context(|| format!("{} was left untouched", path.display()))?;
    for (event, c) in &changes.replaced {
        writeln!(out, "replacing the Go navi's hook on {event}: {c}")?;
    }
    match change_settings(path, (old.as_deref(), before_navi), &new, dry_run, out)? {
        Change::Unchanged => writeln!(
            out,
            "navi's hooks are already installed in {} (nothing changed)",
            path.display()
        )?,
        Change::Shown => {}
        Change::Written(target, backup) => {
            writeln!(
                out,
                "installed navi's hook ({command}) for {} events in {}",
                agent.events().len(),
                path.display()
            )?;
            write_done(path, &target, &backup, out)?;
            writeln!(
                out,
                "{} sessions started in tmux from now on show up in navi.",
                agent.title()
            )?;
            agents::after_install(agent, out)?;
        }
    }
    Ok(())
}

/// `navi hooks uninstall [--dry-run]`.
#[cfg(test)]
pub fn uninstall_cmd(path: &Path, dry_run: bool, out: &mut dyn Write) -> anyhow::Result<()> {
    uninstall_cmd_for(Agent::Claude, path, dry_run, out)
}

/// `navi hooks uninstall --agent X [--dry-run]` (Claude Code, Codex, Gemini CLI).
pub fn uninstall_cmd_for(
    agent: Agent,
    path: &Path,
    dry_run: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let (_, old) = read_settings(path)?;
    let new = uninstall_for(old.as_deref().unwrap_or_default(), agent)
        .with_context(|| format!("{} was left untouched", path.display()))?;
    // The file has navi's entries: not one for the backup.
    match change_settings(path, (old.as_deref(), false), &new, dry_run, out)? {
        Change::Unchanged => writeln!(
            out,
            "navi's hooks are not installed in {} (nothing changed)",
            path.display()
        )?,
        Change::Shown => {}
        Change::Written(target, backup) => {
            writeln!(out, "removed navi's hooks from {}", path.display())?;
            write_done(path, &target, &backup, out)?;
        }
    }
    Ok(())
}

/// `navi hooks status`: installed where, and when a session last wrote a status file.
/// `Ok(false)` when navi's hooks are not (fully) installed.
#[cfg(test)]
pub fn status_cmd(path: &Path, sessions_dir: &Path, out: &mut dyn Write) -> anyhow::Result<bool> {
    status_cmd_for(Agent::Claude, path, sessions_dir, out)
}

/// `navi hooks status --agent X` (Claude Code, Codex, Gemini CLI).
pub fn status_cmd_for(
    agent: Agent,
    path: &Path,
    sessions_dir: &Path,
    out: &mut dyn Write,
) -> anyhow::Result<bool> {
    let (settings, _) = read_settings(path)?;
    let (found, command) = installed_for(&settings, agent);
    let events = events_of(agent);
    let complete = found.len() == events.len();
    let who = match agent {
        Agent::Claude => "navi's hooks".to_string(),
        _ => format!("navi's {} hooks", agent.title()),
    };
    let again = match agent {
        Agent::Claude => "`navi hooks install`".to_string(),
        _ => format!("`navi hooks install --agent {agent}`"),
    };
    match (&command, complete) {
        (None, _) => writeln!(
            out,
            "{who}: not installed in {} (run {again})",
            path.display()
        )?,
        (Some(c), true) => writeln!(out, "{who}: installed in {} ({c})", path.display())?,
        (Some(c), false) => {
            let missing: Vec<&str> = events
                .iter()
                .copied()
                .filter(|e| !found.contains(e))
                .collect();
            writeln!(
                out,
                "{who}: partly installed in {} ({c}); missing {} (run {again})",
                path.display(),
                missing.join(", ")
            )?;
        }
    }
    if command.is_some() {
        agents::status_notes(agent, out)?;
    }
    if let Some(c) = &command {
        let exe = program_of(c);
        if !Path::new(&exe).exists() {
            writeln!(
                out,
                "warning: {exe} does not exist any more (run `navi hooks install` again)"
            )?;
        }
    }
    let go = settings.to_string();
    if agent == Agent::Claude && is_go_navi(&go) {
        writeln!(
            out,
            "the Go navi's shell hooks are also installed (`navi hooks install` replaces them)"
        )?;
    }
    match newest_status_file(sessions_dir) {
        Some((name, age)) => writeln!(
            out,
            "last status file written: {name} in {}, {}",
            sessions_dir.display(),
            crate::format::ago(age)
        )?,
        None => writeln!(out, "no status file in {} yet", sessions_dir.display())?,
    }
    Ok(complete)
}

fn newest_status_file(dir: &Path) -> Option<(String, std::time::Duration)> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
        .filter_map(|e| Some((e.file_name(), e.metadata().ok()?.modified().ok()?)))
        .max_by_key(|(_, t)| *t)
        .map(|(n, t)| {
            let name = navi_core::text::sanitize(&n.to_string_lossy()).into_owned();
            (name, t.elapsed().unwrap_or_default())
        })
}

/// A line diff (`-` old, `+` new, two lines of context), enough for a settings file.
fn write_diff(old: &str, new: &str, out: &mut dyn Write) -> std::io::Result<()> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    // Longest common subsequence table (settings files are small).
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = match a[i] == b[j] {
                true => lcs[i + 1][j + 1] + 1,
                false => lcs[i + 1][j].max(lcs[i][j + 1]),
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut ops: Vec<(char, &str)> = Vec::new();
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            ops.push((' ', a[i]));
            (i, j) = (i + 1, j + 1);
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            ops.push(('+', b[j]));
            j += 1;
        } else {
            ops.push(('-', a[i]));
            i += 1;
        }
    }
    let near = |k: usize| {
        ops[k.saturating_sub(2)..(k + 3).min(ops.len())]
            .iter()
            .any(|o| o.0 != ' ')
    };
    for (k, (op, line)) in ops.iter().enumerate() {
        if *op != ' ' || near(k) {
            writeln!(out, "{op} {line}")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod file_tests;
#[cfg(test)]
mod prop_tests;

/// `navi hooks install | uninstall | status [--agent X | --all]`.
pub fn command(cli: &crate::cli::Cli, action: &crate::cli::HooksAction) -> anyhow::Result<()> {
    use crate::cli::HooksAction;
    let out = &mut std::io::stdout().lock();
    let which = match action {
        HooksAction::Install { which, .. }
        | HooksAction::Uninstall { which, .. }
        | HooksAction::Status { which } => which,
    };
    let mut incomplete = Vec::new();
    let chosen = agents::chosen(which);
    for (i, agent) in chosen.iter().copied().enumerate() {
        if chosen.len() > 1 {
            if i > 0 {
                writeln!(out)?;
            }
            writeln!(out, "{}:", agent.title())?;
        }
        if !one_agent(cli, action, agent, out)? {
            incomplete.push(agent.name());
        }
    }
    match incomplete.is_empty() {
        true => Ok(()),
        false => anyhow::bail!(
            "navi's hooks are not fully installed for {}",
            incomplete.join(", ")
        ),
    }
}

/// One agent's action; `Ok(false)` when `status` finds navi's entries missing.
fn one_agent(
    cli: &crate::cli::Cli,
    action: &crate::cli::HooksAction,
    agent: Agent,
    out: &mut dyn Write,
) -> anyhow::Result<bool> {
    use crate::cli::HooksAction;
    use crate::sources::expand_tilde;
    let path = agents::settings_path(agent)?;
    match action {
        HooksAction::Install { dry_run, .. } => {
            let exe = std::env::current_exe()
                .and_then(|p| p.canonicalize())
                .context("cannot find the path of this navi binary")?;
            // A status directory other than the default goes into the hook command.
            let dir = crate::cli::given(&cli.paths.sessions_dir)
                .map(expand_tilde)
                .filter(|d| Some(d) != navi_source_local::LocalSource::default_dir().as_ref());
            match agent {
                Agent::OpenCode => opencode::install(&path, &exe, dir.as_deref(), *dry_run, out)?,
                _ => install_cmd_for(agent, &path, &exe, dir.as_deref(), *dry_run, out)?,
            }
            Ok(true)
        }
        HooksAction::Uninstall { dry_run, .. } => {
            match agent {
                Agent::OpenCode => opencode::uninstall(&path, *dry_run, out)?,
                _ => uninstall_cmd_for(agent, &path, *dry_run, out)?,
            }
            Ok(true)
        }
        HooksAction::Status { .. } => match agent {
            Agent::OpenCode => opencode::status(&path, out),
            _ => {
                let dir = crate::sources::sessions_dir(&cli.paths)?;
                status_cmd_for(agent, &path, &dir, out)
            }
        },
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod text_tests;
