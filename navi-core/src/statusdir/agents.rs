//! The coding agents navi's hook reports for, and which of each agent's hook events sets
//! which status: the one table `navi hook --agent X` maps events with and
//! `navi hooks install --agent X` installs from (a test ties the two).
//!
//! Event names come from each agent's documentation: Claude Code's hooks reference;
//! Codex's `developers.openai.com/codex/hooks` and its generated input schemas
//! (`codex-rs/hooks/schema/generated/*.command.input.schema.json`); Gemini CLI's
//! `docs/hooks/reference.md`. OpenCode has no command hooks: navi's own plugin (written by
//! `navi hooks install --agent opencode`) sends OpenCode's event types as
//! `hook_event_name`.

use super::hook_events::{Effect, HookEvent, HOOK_EVENTS};

/// A coding agent whose sessions navi shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Agent {
    /// Claude Code (the default: a status file without `agent` is Claude's).
    #[default]
    Claude,
    /// OpenAI's Codex CLI.
    Codex,
    /// Google's Gemini CLI.
    Gemini,
    /// OpenCode.
    OpenCode,
}

impl Agent {
    /// Every agent, Claude first.
    pub const ALL: [Agent; 4] = [Agent::Claude, Agent::Codex, Agent::Gemini, Agent::OpenCode];

    /// The name in status files, in `--agent` and in the Go navi's `agents` map.
    pub fn name(self) -> &'static str {
        match self {
            Agent::Claude => "claude",
            Agent::Codex => "codex",
            Agent::Gemini => "gemini",
            Agent::OpenCode => "opencode",
        }
    }

    /// The two-letter tag the dashboard shows (the Go navi's `CC` / `CX` style).
    pub fn tag(self) -> &'static str {
        match self {
            Agent::Claude => "CC",
            Agent::Codex => "CX",
            Agent::Gemini => "GM",
            Agent::OpenCode => "OC",
        }
    }

    /// The name people write (notifications, `navi hooks status`).
    pub fn title(self) -> &'static str {
        match self {
            Agent::Claude => "Claude Code",
            Agent::Codex => "Codex",
            Agent::Gemini => "Gemini CLI",
            Agent::OpenCode => "OpenCode",
        }
    }

    /// The program that runs the agent (what `navi new --agent` starts and what
    /// `navi hooks install --all` / `navi remotes setup` look for on `PATH`).
    pub fn program(self) -> &'static str {
        match self {
            Agent::Claude => "claude",
            Agent::Codex => "codex",
            Agent::Gemini => "gemini",
            Agent::OpenCode => "opencode",
        }
    }

    /// The arguments that start this agent's interactive session with a first prompt
    /// (from each CLI's documentation): Claude Code and Codex take it as their last
    /// argument (`codex "explain this codebase"`), Gemini CLI as `--prompt-interactive`
    /// (its bare positional prompt was one-shot in older releases), OpenCode's TUI as
    /// `--prompt` (which recent OpenCode puts in its prompt box, to be sent with Enter).
    pub fn prompt_args(self, prompt: &str) -> Vec<String> {
        let flag = match self {
            Agent::Claude | Agent::Codex => None,
            Agent::Gemini => Some("--prompt-interactive"),
            Agent::OpenCode => Some("--prompt"),
        };
        flag.into_iter()
            .map(str::to_string)
            .chain(std::iter::once(prompt.to_string()))
            .collect()
    }

    /// The agent whose program the command line `command` starts (its first word's file
    /// name: `codex`, `/usr/local/bin/gemini`); `None` for any other command.
    pub fn of_command(command: &str) -> Option<Agent> {
        let first = command.split_whitespace().next()?;
        let file = first.rsplit('/').next().unwrap_or(first);
        Agent::ALL.into_iter().find(|a| a.program() == file)
    }

    /// Why skip-permissions cannot go with `command`: it adds Claude Code's
    /// `--dangerously-skip-permissions`, which the other agents do not take.
    pub fn refuse_skip_permissions(command: &str) -> Result<(), String> {
        match Agent::of_command(command) {
            Some(a) if a != Agent::Claude => Err(format!(
                "skip permissions adds Claude Code's --dangerously-skip-permissions, which {} \
                 does not take; write {}'s own option into the command instead",
                a.title(),
                a.title()
            )),
            _ => Ok(()),
        }
    }

    /// The agent named `name` (`claude`, `codex`, `gemini`, `opencode`; case ignored).
    pub fn parse(name: &str) -> Option<Agent> {
        Agent::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(name.trim()))
    }

    /// The events this agent's hook handles, and what each does.
    pub fn events(self) -> &'static [HookEvent] {
        match self {
            Agent::Claude => HOOK_EVENTS,
            Agent::Codex => CODEX_EVENTS,
            Agent::Gemini => GEMINI_EVENTS,
            Agent::OpenCode => OPENCODE_EVENTS,
        }
    }

    /// What the agent's hook protocol expects on stdout from a hook that only observes:
    /// Claude Code and Codex take no output as "go on"; Gemini CLI parses stdout as JSON
    /// ("silence is mandatory" apart from the final JSON), so an empty object; navi's
    /// OpenCode plugin reads nothing.
    pub fn hook_reply(self) -> &'static str {
        match self {
            Agent::Gemini => "{}",
            _ => "",
        }
    }

    /// The status `event` sets for this agent (`notification_type` is read only for an
    /// event whose effect depends on it); `None` for an event navi does not handle.
    pub fn event_status(self, event: &str, notification_type: &str) -> Option<&'static str> {
        let e = self.events().iter().find(|e| e.name == event)?;
        match e.effect {
            Effect::Sets(s) => Some(s),
            Effect::ByNotificationType => match self {
                Agent::Gemini => Some(gemini_notification_status(notification_type)),
                _ => super::hook_events::notification_status(notification_type),
            },
        }
    }

    /// Whether `event` is a tool use of this agent (counted in `metrics.tools`; it rarely
    /// changes the status).
    pub fn is_tool_use(self, event: &str) -> bool {
        self.events().iter().any(|e| e.name == event && e.tool_use)
    }
}

impl std::fmt::Display for Agent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Gemini CLI's `Notification`: `ToolPermission` is its permission prompt (the only type
/// its reference lists); any other alert waits for the user.
fn gemini_notification_status(notification_type: &str) -> &'static str {
    match notification_type {
        "ToolPermission" => "permission",
        _ => "waiting",
    }
}

const fn sets(name: &'static str, status: &'static str) -> HookEvent {
    HookEvent {
        name,
        effect: Effect::Sets(status),
        tool_use: false,
    }
}

const fn tool(name: &'static str) -> HookEvent {
    HookEvent {
        name,
        effect: Effect::Sets("working"),
        tool_use: true,
    }
}

/// Codex: the events of its hooks page that have a generated input schema (an older
/// Codex that does not know an event name may refuse the whole `hooks.json`, so no
/// event without one). `PermissionRequest` fires when Codex asks for approval.
pub const CODEX_EVENTS: &[HookEvent] = &[
    sets("SessionStart", "idle"),
    sets("UserPromptSubmit", "working"),
    tool("PostToolUse"),
    sets("PermissionRequest", "permission"),
    sets("PreCompact", "working"),
    sets("Stop", "done"),
];

/// Gemini CLI: `BeforeAgent` follows a prompt, `AfterAgent` ends a turn, `Notification`
/// carries the tool-permission prompt, `SessionEnd` the exit.
pub const GEMINI_EVENTS: &[HookEvent] = &[
    sets("SessionStart", "idle"),
    sets("BeforeAgent", "working"),
    tool("AfterTool"),
    HookEvent {
        name: "Notification",
        effect: Effect::ByNotificationType,
        tool_use: false,
    },
    sets("PreCompress", "working"),
    sets("AfterAgent", "done"),
    sets("SessionEnd", "offline"),
];

/// OpenCode, as navi's plugin reports it: OpenCode's bus event types (`session.idle`,
/// `permission.asked`/`permission.updated`, ...), its `chat.message` and
/// `tool.execute.after` plugin hooks, and `session.status.busy` / `session.status.idle`
/// for its `session.status` event (the plugin appends the status type).
pub const OPENCODE_EVENTS: &[HookEvent] = &[
    sets("session.created", "idle"),
    sets("chat.message", "working"),
    sets("session.status.busy", "working"),
    tool("tool.execute.after"),
    sets("permission.asked", "permission"),
    sets("permission.updated", "permission"),
    sets("permission.replied", "working"),
    sets("session.idle", "done"),
    sets("session.status.idle", "done"),
    sets("session.error", "error"),
    sets("session.deleted", "offline"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;

    #[test]
    fn every_agent_maps_to_known_statuses_and_lists_each_event_once() {
        for agent in Agent::ALL {
            assert_eq!(Agent::parse(agent.name()), Some(agent));
            let mut names: Vec<_> = agent.events().iter().map(|e| e.name).collect();
            for e in agent.events() {
                if let Effect::Sets(s) = e.effect {
                    assert!(
                        !matches!(Status::from_hook(s), Status::Unknown(_) | Status::Missing),
                        "{agent} {}",
                        e.name
                    );
                }
            }
            names.sort();
            let n = names.len();
            names.dedup();
            assert_eq!(names.len(), n, "{agent}: an event listed twice");
        }
        assert_eq!(
            Agent::Gemini.event_status("Notification", "ToolPermission"),
            Some("permission")
        );
        assert_eq!(
            Agent::Codex.event_status("PermissionRequest", ""),
            Some("permission")
        );
        assert_eq!(Agent::Codex.event_status("AfterAgent", ""), None);
        assert!(Agent::Gemini.is_tool_use("AfterTool"));
        assert!(Agent::Claude.is_tool_use("PostToolUse"));
        assert_eq!(Agent::parse("nope"), None);
    }

    #[test]
    fn each_agent_takes_a_first_prompt_its_own_way() {
        assert_eq!(Agent::Codex.prompt_args("hi"), ["hi"]);
        assert_eq!(Agent::Claude.prompt_args("hi"), ["hi"]);
        assert_eq!(
            Agent::Gemini.prompt_args("hi"),
            ["--prompt-interactive", "hi"]
        );
        assert_eq!(Agent::OpenCode.prompt_args("hi"), ["--prompt", "hi"]);
        assert_eq!(
            Agent::of_command(" /opt/bin/gemini -m x"),
            Some(Agent::Gemini)
        );
        assert_eq!(Agent::of_command("claude"), Some(Agent::Claude));
        assert_eq!(Agent::of_command("vim"), None);
        assert!(Agent::refuse_skip_permissions("claude --model opus").is_ok());
        let e = Agent::refuse_skip_permissions("codex").unwrap_err();
        assert!(e.contains("Codex does not take"), "{e}");
    }
}
