//! Which Claude Code hook event sets which status: the one table `navi hook` maps events
//! with and `navi hooks install` installs from (a test ties the two).
//!
//! The statuses are the Go navi's (`hooks/notify.sh`, `hooks/tool-tracker.sh`), so either
//! navi reads what the other wrote.

use crate::Status;

/// What one event does to the lead session's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Always this status.
    Sets(&'static str),
    /// `Notification`: `permission` for a permission prompt, nothing for the types that
    /// only report, `waiting` for the rest (see [`notification_status`]).
    ByNotificationType,
}

/// One hook event navi handles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HookEvent {
    /// Claude Code's `hook_event_name`.
    pub name: &'static str,
    /// What it does to the status.
    pub effect: Effect,
    /// A tool use: counted in `metrics.tools`, and rarely a change of status.
    pub tool_use: bool,
}

/// Every event `navi hook` handles; `navi hooks install` installs exactly these.
pub const HOOK_EVENTS: &[HookEvent] = &[
    HookEvent {
        name: "SessionStart",
        effect: Effect::Sets("idle"),
        tool_use: false,
    },
    HookEvent {
        name: "UserPromptSubmit",
        effect: Effect::Sets("working"),
        tool_use: false,
    },
    HookEvent {
        name: "PostToolUse",
        effect: Effect::Sets("working"),
        tool_use: true,
    },
    HookEvent {
        name: "PermissionRequest",
        effect: Effect::Sets("permission"),
        tool_use: false,
    },
    HookEvent {
        name: "Notification",
        effect: Effect::ByNotificationType,
        tool_use: false,
    },
    HookEvent {
        name: "Stop",
        effect: Effect::Sets("done"),
        tool_use: false,
    },
    HookEvent {
        name: "SubagentStart",
        effect: Effect::Sets("working"),
        tool_use: false,
    },
    HookEvent {
        name: "SubagentStop",
        effect: Effect::Sets("stopped"),
        tool_use: false,
    },
    HookEvent {
        name: "PreCompact",
        effect: Effect::Sets("working"),
        tool_use: false,
    },
    HookEvent {
        name: "TeammateIdle",
        effect: Effect::Sets("idle"),
        tool_use: false,
    },
    HookEvent {
        name: "TaskCompleted",
        effect: Effect::Sets("done"),
        tool_use: false,
    },
    HookEvent {
        name: "SessionEnd",
        effect: Effect::Sets("offline"),
        tool_use: false,
    },
];

/// The names of [`HOOK_EVENTS`], in order: what `navi hooks install` installs.
pub const INSTALLED_EVENTS: [&str; HOOK_EVENTS.len()] = {
    let mut names = [""; HOOK_EVENTS.len()];
    let mut i = 0;
    while i < HOOK_EVENTS.len() {
        names[i] = HOOK_EVENTS[i].name;
        i += 1;
    }
    names
};

/// The status a `Notification` of `notification_type` sets: a permission prompt, an idle
/// prompt or a question need the user; an auth success or an answered question only
/// report.
pub fn notification_status(notification_type: &str) -> Option<&'static str> {
    match notification_type {
        "permission_prompt" => Some("permission"),
        "auth_success" | "elicitation_complete" | "elicitation_response" => None,
        _ => Some("waiting"),
    }
}

/// The status `event` sets (`notification_type` is read for `Notification` only); `None`
/// for an event navi does not handle or one that sets nothing.
pub fn event_status(event: &str, notification_type: &str) -> Option<&'static str> {
    let e = HOOK_EVENTS.iter().find(|e| e.name == event)?;
    match e.effect {
        Effect::Sets(s) => Some(s),
        Effect::ByNotificationType => notification_status(notification_type),
    }
}

/// [`event_status`] as a [`Status`].
pub fn event_status_typed(event: &str, notification_type: &str) -> Option<Status> {
    event_status(event, notification_type).map(Status::from_hook)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_is_a_known_one() {
        for e in HOOK_EVENTS {
            if let Effect::Sets(s) = e.effect {
                assert!(
                    !matches!(Status::from_hook(s), Status::Unknown(_) | Status::Missing),
                    "{}",
                    e.name
                );
            }
        }
        assert_eq!(event_status("PreCompact", ""), Some("working"));
        assert_eq!(
            event_status("Notification", "permission_prompt"),
            Some("permission")
        );
        assert_eq!(event_status("Notification", "idle_prompt"), Some("waiting"));
        assert_eq!(event_status("Notification", "auth_success"), None);
        assert_eq!(event_status("Nope", ""), None);
        let names = INSTALLED_EVENTS.to_vec();
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "an event listed twice");
    }
}
