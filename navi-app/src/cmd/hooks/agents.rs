//! What differs between the agents `navi hooks` installs for: where each keeps its
//! hooks, whether it is on this machine, and what to tell after an install (Codex's
//! trust step, explained and never bypassed).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use navi_core::statusdir::agents::Agent;

fn home() -> anyhow::Result<PathBuf> {
    std::env::home_dir().context("no home directory; set HOME")
}

fn var_dir(key: &str) -> Option<PathBuf> {
    std::env::var_os(key)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// Codex's home: `$CODEX_HOME` or `~/.codex` (Codex reads the same variable).
pub fn codex_home() -> anyhow::Result<PathBuf> {
    match var_dir("CODEX_HOME") {
        Some(d) => Ok(d),
        None => Ok(home()?.join(".codex")),
    }
}

/// OpenCode's global config directory: `$XDG_CONFIG_HOME/opencode` or
/// `~/.config/opencode`.
pub fn opencode_dir() -> anyhow::Result<PathBuf> {
    match var_dir("XDG_CONFIG_HOME") {
        Some(d) => Ok(d.join("opencode")),
        None => Ok(home()?.join(".config/opencode")),
    }
}

/// The file navi's entries for `agent` go into: Claude Code's settings, Codex's
/// `hooks.json` (its JSON form: navi does not edit `config.toml`), Gemini CLI's user
/// `settings.json`, or navi's OpenCode plugin.
pub fn settings_path(agent: Agent) -> anyhow::Result<PathBuf> {
    match agent {
        Agent::Claude => super::settings_path(),
        Agent::Codex => Ok(codex_home()?.join("hooks.json")),
        Agent::Gemini => Ok(home()?.join(".gemini/settings.json")),
        Agent::OpenCode => Ok(opencode_dir()?.join("plugins/navi.js")),
    }
}

/// Whether `agent` is on this machine: its program on `PATH`, or its settings directory.
pub fn found_here(agent: Agent) -> bool {
    if crate::paths::find_on_path(agent.program()).is_some() {
        return true;
    }
    let dir = match agent {
        Agent::Claude => settings_path(agent)
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf)),
        Agent::Codex => codex_home().ok(),
        Agent::Gemini => home().ok().map(|h| h.join(".gemini")),
        Agent::OpenCode => opencode_dir().ok(),
    };
    dir.is_some_and(|d| d.is_dir())
}

/// The agents an action is for: `--agent X`; `--all`: Claude Code (navi's own, as
/// without a flag) and every other agent found here; otherwise Claude Code.
pub fn chosen(which: &crate::cli::AgentChoice) -> Vec<Agent> {
    if let Some(a) = which.agent {
        return vec![a];
    }
    let others = Agent::ALL[1..].iter().copied();
    let found = others.filter(|a| which.all && found_here(*a));
    std::iter::once(Agent::Claude).chain(found).collect()
}

/// What Codex asks before it runs a hook, in navi's words.
const CODEX_TRUST: &str = "Codex runs a new or changed hook only after you trust it: start \
`codex`, open `/hooks`, review navi's entries and trust them (Codex keeps that trust, by the \
hook's hash, in its own config.toml; navi never writes it). Until then Codex skips them \
without a word. After a `navi hooks install` that changed the command, trust them again.";

/// Said after an install changed `agent`'s file.
pub fn after_install(agent: Agent, out: &mut dyn Write) -> std::io::Result<()> {
    match agent {
        Agent::Codex => writeln!(out, "{CODEX_TRUST}"),
        Agent::Gemini => writeln!(
            out,
            "Gemini CLI reads its hooks when a session starts: restart running sessions."
        ),
        _ => Ok(()),
    }
}

/// Said by `navi hooks status` when navi's entries are there.
pub fn status_notes(agent: Agent, out: &mut dyn Write) -> std::io::Result<()> {
    if agent != Agent::Codex {
        return Ok(());
    }
    writeln!(out, "{CODEX_TRUST}")?;
    let Ok(config) = codex_home().map(|h| h.join("config.toml")) else {
        return Ok(());
    };
    // A plain look, not a TOML parse: a line turning the feature off is worth a word.
    if let Ok(text) = std::fs::read_to_string(&config) {
        let off = text.lines().any(|l| {
            let l: String = l.chars().filter(|c| !c.is_whitespace()).collect();
            l == "hooks=false" || l == "codex_hooks=false"
        });
        if off {
            writeln!(
                out,
                "warning: {} seems to turn hooks off ([features] hooks = false): Codex runs \
                 none until it is removed",
                config.display()
            )?;
        }
    }
    Ok(())
}
