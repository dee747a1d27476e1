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

pub use edit::{install, uninstall};

mod edit;
pub(crate) mod file;
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
pub fn hook_command(exe: &Path, sessions_dir: Option<&Path>) -> String {
    let mut command = quote(&exe.display().to_string());
    if let Some(dir) = sessions_dir {
        command.push_str(" --sessions-dir ");
        command.push_str(&quote(&dir.display().to_string()));
    }
    command.push_str(" hook");
    command
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

/// Whether a hook command is navi's (`…/navi [--sessions-dir DIR] hook`, quoted or not).
fn is_navi(command: &str) -> bool {
    let Some(prog) = command.trim().strip_suffix(" hook") else {
        return false;
    };
    let prog = prog.split(" --sessions-dir ").next().unwrap_or(prog);
    let prog = prog.trim().trim_matches('\'').trim_matches('"');
    Path::new(prog).file_name().is_some_and(|n| n == "navi")
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
pub fn installed(settings: &Value) -> (Vec<&'static str>, Option<String>) {
    let mut found = Vec::new();
    let mut command = None;
    for event in EVENTS {
        let commands = settings
            .get("hooks")
            .and_then(|h| h.get(*event))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|g| g.get("hooks").and_then(Value::as_array))
            .flatten()
            .filter_map(|h| h.get("command").and_then(Value::as_str));
        if let Some(c) = commands.into_iter().find(|c| is_navi(c)) {
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
pub fn install_cmd(
    path: &Path,
    exe: &Path,
    sessions_dir: Option<&Path>,
    dry_run: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let (settings, old) = read_settings(path)?;
    // Only a file from before navi is worth a backup: the first one stays there.
    let before_navi = installed(&settings).1.is_none();
    let command = hook_command(exe, sessions_dir);
    let (new, changes) = install(old.as_deref().unwrap_or_default(), &command)
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
                EVENTS.len(),
                path.display()
            )?;
            write_done(path, &target, &backup, out)?;
            writeln!(
                out,
                "Claude Code sessions started in tmux from now on show up in navi."
            )?;
        }
    }
    Ok(())
}

/// `navi hooks uninstall [--dry-run]`.
pub fn uninstall_cmd(path: &Path, dry_run: bool, out: &mut dyn Write) -> anyhow::Result<()> {
    let (_, old) = read_settings(path)?;
    let new = uninstall(old.as_deref().unwrap_or_default())
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
pub fn status_cmd(path: &Path, sessions_dir: &Path, out: &mut dyn Write) -> anyhow::Result<bool> {
    let (settings, _) = read_settings(path)?;
    let (found, command) = installed(&settings);
    let complete = found.len() == EVENTS.len();
    match (&command, complete) {
        (None, _) => writeln!(
            out,
            "navi's hooks: not installed in {} (run `navi hooks install`)",
            path.display()
        )?,
        (Some(c), true) => writeln!(out, "navi's hooks: installed in {} ({c})", path.display())?,
        (Some(c), false) => {
            let missing: Vec<&str> = EVENTS
                .iter()
                .copied()
                .filter(|e| !found.contains(e))
                .collect();
            writeln!(
                out,
                "navi's hooks: partly installed in {} ({c}); missing {} (run `navi hooks install`)",
                path.display(),
                missing.join(", ")
            )?;
        }
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
    if is_go_navi(&go) {
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

/// `navi hooks install | uninstall | status`.
pub fn command(cli: &crate::cli::Cli, action: &crate::cli::HooksAction) -> anyhow::Result<()> {
    use crate::cli::HooksAction;
    use crate::sources::expand_tilde;
    let path = settings_path()?;
    let out = &mut std::io::stdout().lock();
    match action {
        HooksAction::Install { dry_run } => {
            let exe = std::env::current_exe()
                .and_then(|p| p.canonicalize())
                .context("cannot find the path of this navi binary")?;
            // A status directory other than the default goes into the hook command.
            let dir = crate::cli::given(&cli.paths.sessions_dir)
                .map(expand_tilde)
                .filter(|d| Some(d) != navi_source_local::LocalSource::default_dir().as_ref());
            install_cmd(&path, &exe, dir.as_deref(), *dry_run, out)
        }
        HooksAction::Uninstall { dry_run } => uninstall_cmd(&path, *dry_run, out),
        HooksAction::Status => {
            let dir = crate::sources::sessions_dir(&cli.paths)?;
            match status_cmd(&path, &dir, out)? {
                true => Ok(()),
                false => anyhow::bail!("navi's hooks are not fully installed"),
            }
        }
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod text_tests;
