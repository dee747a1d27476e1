//! `navi hooks install | uninstall | status`: navi's entries in Claude Code's user
//! settings (the command they run is `navi hook`, see [`super::hook`]).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde_json::{json, Value};

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

/// Whether a hook command is one of the Go navi's shell hooks.
fn is_go_navi(command: &str) -> bool {
    command.contains("claude-sessions/hooks/notify.sh")
        || command.contains("claude-sessions/hooks/tool-tracker.sh")
}

/// What [`install`] changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// Go navi hook commands that were replaced (event, command).
    pub replaced: Vec<(String, String)>,
}

/// `settings` with navi's hook on every event of [`EVENTS`] (and no Go navi hooks).
/// Everything else is kept as it was.
pub fn install(settings: &Value, command: &str) -> anyhow::Result<(Value, Changes)> {
    let mut changes = Changes::default();
    if installed(settings) == (EVENTS.to_vec(), Some(command.to_string()))
        && !is_go_navi(&settings.to_string())
    {
        return Ok((settings.clone(), changes));
    }
    let mut out = remove(settings, &mut |event, c| {
        if is_go_navi(c) {
            changes.replaced.push((event.to_string(), c.to_string()));
            return true;
        }
        is_navi(c)
    })?;
    let Value::Object(root) = &mut out else {
        anyhow::bail!("the settings are not a JSON object");
    };
    let hooks = root.entry("hooks").or_insert_with(|| json!({}));
    let Value::Object(hooks) = hooks else {
        anyhow::bail!("\"hooks\" in the settings is not an object; fix it by hand first");
    };
    for event in EVENTS {
        let groups = hooks.entry(*event).or_insert_with(|| json!([]));
        let Value::Array(groups) = groups else {
            anyhow::bail!(
                "\"hooks\".{event:?} in the settings is not a list; fix it by hand first"
            );
        };
        groups.push(json!({ "hooks": [{ "type": "command", "command": command }] }));
    }
    Ok((out, changes))
}

/// `settings` without navi's hook entries (groups and events left empty are removed).
pub fn uninstall(settings: &Value) -> anyhow::Result<Value> {
    remove(settings, &mut |_, c| is_navi(c))
}

/// `settings` without the hook commands `drop(event, command)` selects.
fn remove(settings: &Value, drop: &mut dyn FnMut(&str, &str) -> bool) -> anyhow::Result<Value> {
    let mut out = settings.clone();
    let Value::Object(root) = &mut out else {
        anyhow::bail!("the settings are not a JSON object");
    };
    let Some(Value::Object(hooks)) = root.get_mut("hooks") else {
        return Ok(out);
    };
    let mut touched_events = Vec::new();
    for (event, groups) in hooks.iter_mut() {
        let Value::Array(groups) = groups else {
            continue;
        };
        let before = groups.len();
        let mut emptied = vec![false; groups.len()];
        for (group, emptied) in groups.iter_mut().zip(&mut emptied) {
            let Some(Value::Array(list)) = group.get_mut("hooks") else {
                continue;
            };
            let n = list.len();
            list.retain(|h| {
                !h.get("command")
                    .and_then(Value::as_str)
                    .is_some_and(|c| drop(event, c))
            });
            *emptied = n > 0 && list.is_empty();
        }
        // Only groups this emptied go; a group the user left empty stays.
        let mut flags = emptied.iter();
        groups.retain(|_| !flags.next().copied().unwrap_or(false));
        if before > 0 && groups.is_empty() {
            touched_events.push(event.clone());
        }
    }
    let emptied_events = !touched_events.is_empty();
    for event in touched_events {
        hooks.shift_remove(&event);
    }
    if emptied_events && hooks.is_empty() {
        root.shift_remove("hooks");
    }
    Ok(out)
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

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

/// Writes `text` to `path` atomically, keeping the old file as `<path>.navi-backup`.
fn write_settings(path: &Path, text: &str, old: Option<&str>) -> anyhow::Result<Option<PathBuf>> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let backup = match old {
        Some(old) => {
            let b = PathBuf::from(format!("{}.navi-backup", path.display()));
            std::fs::write(&b, old).with_context(|| format!("cannot write {}", b.display()))?;
            Some(b)
        }
        None => None,
    };
    let tmp = dir.join(format!(".settings.json.navi-{}", std::process::id()));
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot replace {}", path.display()))?;
    Ok(backup)
}

/// What [`change_settings`] did with a new version of the settings file.
enum Change {
    /// It is the same as the file: nothing to do.
    Unchanged,
    /// `--dry-run`: the diff was shown, nothing written.
    Shown,
    /// Written; the previous file is kept at this path (if there was one).
    Written(Option<PathBuf>),
}

/// Writes `new` over the settings `current` read from `path` (its text `old`), or with
/// `dry_run` only shows the diff.
fn change_settings(
    path: &Path,
    current: &Value,
    old: Option<&str>,
    new: &Value,
    dry_run: bool,
    out: &mut dyn Write,
) -> anyhow::Result<Change> {
    if new == current {
        return Ok(Change::Unchanged);
    }
    let text = pretty(new);
    if dry_run {
        writeln!(out, "would change {}:", path.display())?;
        write_diff(&pretty(current), &text, out)?;
        return Ok(Change::Shown);
    }
    Ok(Change::Written(write_settings(path, &text, old)?))
}

fn write_backup(backup: Option<&Path>, out: &mut dyn Write) -> std::io::Result<()> {
    match backup {
        Some(b) => writeln!(out, "the previous settings are in {}", b.display()),
        None => Ok(()),
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
    let command = hook_command(exe, sessions_dir);
    let (new, changes) = install(&settings, &command)?;
    for (event, c) in &changes.replaced {
        writeln!(out, "replacing the Go navi's hook on {event}: {c}")?;
    }
    match change_settings(path, &settings, old.as_deref(), &new, dry_run, out)? {
        Change::Unchanged => writeln!(
            out,
            "navi's hooks are already installed in {} (nothing changed)",
            path.display()
        )?,
        Change::Shown => {}
        Change::Written(backup) => {
            writeln!(
                out,
                "installed navi's hook ({command}) for {} events in {}",
                EVENTS.len(),
                path.display()
            )?;
            write_backup(backup.as_deref(), out)?;
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
    let (settings, old) = read_settings(path)?;
    let new = uninstall(&settings)?;
    match change_settings(path, &settings, old.as_deref(), &new, dry_run, out)? {
        Change::Unchanged => writeln!(
            out,
            "navi's hooks are not installed in {} (nothing changed)",
            path.display()
        )?,
        Change::Shown => {}
        Change::Written(backup) => {
            writeln!(out, "removed navi's hooks from {}", path.display())?;
            write_backup(backup.as_deref(), out)?;
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
        let exe = c.trim_end_matches(" hook").trim_matches('\'');
        if !Path::new(exe).exists() {
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
mod tests;
