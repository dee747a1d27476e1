//! OpenCode has no command hooks: navi installs a plugin of its own
//! (`~/.config/opencode/plugins/navi.js`) that hands OpenCode's session events to
//! `navi hook --agent opencode`. It replaces the Go navi's plugin (which wrote the status
//! file itself, without a lock), keeping that one aside as `navi.js.navi-backup`.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use navi_core::limits::OPENCODE_PLUGIN_KILL;
use navi_core::statusdir::agents::Agent;

use super::{change_settings, write_done, Change};

/// The first line of navi's plugin: how navi knows the file is its own.
const MARKER: &str = "// navi-opencode-plugin:";

/// Whether `text` is navi's plugin.
pub fn is_ours(text: &str) -> bool {
    text.starts_with(MARKER)
}

/// Whether `text` is the Go navi's OpenCode plugin (`plugins/opencode/navi.js` of
/// stwalsh4118/navi: it names its `agents` key `OPENCODE_AGENT_KEY`).
pub fn is_go_navi(text: &str) -> bool {
    text.contains("OPENCODE_AGENT_KEY") && text.contains(".claude-sessions")
}

/// navi's plugin for the hook command's words (`argv[0]` is this binary's absolute path):
/// every value is a JSON string literal, so any path is safe in it.
pub fn plugin_js(argv: &[String]) -> String {
    let argv = serde_json::to_string(argv).unwrap_or_else(|_| "[]".into());
    let kill_ms = OPENCODE_PLUGIN_KILL.as_millis();
    format!(
        r#"{MARKER} written by `navi hooks install --agent opencode`; `navi hooks uninstall --agent opencode` removes it.
// It hands OpenCode's session events to `navi hook --agent opencode`, which updates this tmux
// session's status file under a lock. It never waits for navi and never throws.
import {{ spawn }} from "node:child_process"

const NAVI = {argv}
const KILL_AFTER_MS = {kill_ms}
// Sessions OpenCode starts for its subagents: their events are not the session's.
const children = new Set()

function report(type, sessionID, directory, extra) {{
  if (!process.env.TMUX || (sessionID && children.has(sessionID))) return
  try {{
    const child = spawn(NAVI[0], NAVI.slice(1), {{ stdio: ["pipe", "ignore", "ignore"] }})
    const timer = setTimeout(() => child.kill("SIGKILL"), KILL_AFTER_MS)
    const done = () => clearTimeout(timer)
    child.on("error", done)
    child.on("exit", done)
    child.stdin.on("error", () => {{}})
    const event = {{ hook_event_name: type, cwd: directory ?? "", ...extra }}
    if (sessionID) event.session_id = sessionID
    child.stdin.end(JSON.stringify(event))
  }} catch {{}}
}}

const FORWARDED = new Set([
  "session.created", "session.idle", "session.error", "session.deleted",
  "permission.asked", "permission.updated", "permission.replied",
])

export const NaviPlugin = async ({{ directory }}) => ({{
  "chat.message": async (input) => report("chat.message", input?.sessionID, directory),
  "tool.execute.after": async (input) =>
    report("tool.execute.after", input?.sessionID, directory, {{ tool_name: String(input?.tool ?? "") }}),
  event: async ({{ event }}) => {{
    const p = event?.properties ?? {{}}
    const sessionID = p.sessionID ?? p.info?.id
    if (event?.type === "session.created" && p.info?.parentID) {{
      children.add(p.info.id)
      return
    }}
    if (event?.type === "session.status") {{
      const t = p.status?.type
      if (t === "busy" || t === "idle") report("session.status." + t, sessionID, directory)
    }} else if (FORWARDED.has(event?.type)) {{
      report(event.type, sessionID, directory)
    }}
  }},
}})
"#
    )
}

/// The hook command's words for the binary at `exe`.
pub fn argv(exe: &Path, sessions_dir: Option<&Path>) -> Vec<String> {
    let mut v = vec![exe.display().to_string()];
    if let Some(d) = sessions_dir {
        v.extend(["--sessions-dir".into(), d.display().to_string()]);
    }
    v.extend([
        "hook".into(),
        "--agent".into(),
        Agent::OpenCode.name().into(),
    ]);
    v
}

/// The plugin file's text: `None` when there is none; refused when it is not a regular
/// file (a FIFO would block the read).
fn read(path: &Path) -> anyhow::Result<Option<String>> {
    match std::fs::metadata(path) {
        Ok(m) if !m.is_file() => anyhow::bail!(
            "{} is not a regular file; it was left untouched",
            path.display()
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        _ => {}
    }
    std::fs::read_to_string(path)
        .map(Some)
        .with_context(|| format!("cannot read {}", path.display()))
}

/// The older plugin directory (`plugin/`, singular) where a Go navi user may have put its
/// plugin; OpenCode loads both, so the Go navi's would write beside navi's.
fn legacy(path: &Path) -> Option<PathBuf> {
    Some(path.parent()?.parent()?.join("plugin/navi.js"))
}

/// `navi hooks install --agent opencode [--dry-run]`.
pub fn install(
    path: &Path,
    exe: &Path,
    sessions_dir: Option<&Path>,
    dry_run: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let old = read(path)?;
    let go = old.as_deref().is_some_and(is_go_navi);
    if let Some(text) = old.as_deref().filter(|t| !is_ours(t) && !go) {
        anyhow::bail!(
            "{} exists and is not navi's plugin ({} bytes); it was left untouched: move it \
             away (or rename it) and run this again",
            path.display(),
            text.len()
        );
    }
    let new = plugin_js(&argv(exe, sessions_dir));
    if go {
        writeln!(
            out,
            "replacing the Go navi's OpenCode plugin in {} (it is kept as {}.navi-backup)",
            path.display(),
            path.display()
        )?;
    }
    match change_settings(path, (old.as_deref(), go), &new, dry_run, out)? {
        Change::Unchanged => writeln!(
            out,
            "navi's OpenCode plugin is already installed in {} (nothing changed)",
            path.display()
        )?,
        Change::Shown => {}
        Change::Written(target, backup) => {
            writeln!(
                out,
                "installed navi's OpenCode plugin in {}",
                path.display()
            )?;
            write_done(path, &target, &backup, out)?;
            writeln!(
                out,
                "OpenCode sessions started in tmux from now on show up in navi (restart running ones)."
            )?;
        }
    }
    if let Some(legacy) = legacy(path) {
        set_aside_go_plugin(&legacy, dry_run, out)?;
    }
    Ok(())
}

/// Renames the Go navi's plugin in the older `plugin/` directory to `.navi-backup`
/// (OpenCode does not load that name); any other file there is left alone.
fn set_aside_go_plugin(legacy: &Path, dry_run: bool, out: &mut dyn Write) -> anyhow::Result<()> {
    let Ok(Some(text)) = read(legacy) else {
        return Ok(());
    };
    if !is_go_navi(&text) {
        return Ok(());
    }
    let aside = legacy.with_extension("js.navi-backup");
    if dry_run {
        writeln!(
            out,
            "would move the Go navi's plugin {} to {}",
            legacy.display(),
            aside.display()
        )?;
        return Ok(());
    }
    if aside.exists() {
        anyhow::bail!(
            "the Go navi's plugin {} is still there and {} exists; remove one of them by hand",
            legacy.display(),
            aside.display()
        );
    }
    std::fs::rename(legacy, &aside)
        .with_context(|| format!("cannot move {} aside", legacy.display()))?;
    writeln!(
        out,
        "moved the Go navi's plugin {} to {} (OpenCode no longer loads it)",
        legacy.display(),
        aside.display()
    )?;
    Ok(())
}

/// `navi hooks uninstall --agent opencode [--dry-run]`: removes navi's plugin only.
pub fn uninstall(path: &Path, dry_run: bool, out: &mut dyn Write) -> anyhow::Result<()> {
    match read(path)? {
        Some(text) if is_ours(&text) => {
            if dry_run {
                writeln!(out, "would remove {}", path.display())?;
            } else {
                std::fs::remove_file(path)
                    .with_context(|| format!("cannot remove {}", path.display()))?;
                writeln!(out, "removed navi's OpenCode plugin {}", path.display())?;
            }
        }
        Some(_) => writeln!(
            out,
            "{} is not navi's plugin; it was left untouched",
            path.display()
        )?,
        None => writeln!(
            out,
            "navi's OpenCode plugin is not installed in {} (nothing changed)",
            path.display()
        )?,
    }
    Ok(())
}

/// `navi hooks status --agent opencode`: `Ok(true)` when navi's plugin is there.
pub fn status(path: &Path, out: &mut dyn Write) -> anyhow::Result<bool> {
    let text = read(path)?;
    match text.as_deref() {
        Some(t) if is_ours(t) => {
            writeln!(
                out,
                "navi's OpenCode plugin: installed in {}",
                path.display()
            )?;
            let exe = t
                .lines()
                .find_map(|l| l.strip_prefix("const NAVI = "))
                .and_then(|a| serde_json::from_str::<Vec<String>>(a).ok())
                .and_then(|a| a.into_iter().next());
            if let Some(exe) = exe.filter(|e| !Path::new(e).exists()) {
                writeln!(
                    out,
                    "warning: {exe} does not exist any more (run `navi hooks install --agent opencode` again)"
                )?;
            }
            Ok(true)
        }
        Some(t) if is_go_navi(t) => {
            writeln!(
                out,
                "navi's OpenCode plugin: not installed; {} is the Go navi's plugin (`navi hooks install --agent opencode` replaces it)",
                path.display()
            )?;
            Ok(false)
        }
        Some(_) => {
            writeln!(
                out,
                "navi's OpenCode plugin: not installed; {} is another plugin",
                path.display()
            )?;
            Ok(false)
        }
        None => {
            writeln!(
                out,
                "navi's OpenCode plugin: not installed in {} (run `navi hooks install --agent opencode`)",
                path.display()
            )?;
            Ok(false)
        }
    }
}
