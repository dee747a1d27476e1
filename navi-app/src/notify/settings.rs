//! The `notify:` section of config.yaml: which transitions notify and through which
//! channels.
//!
//! ```yaml
//! notify:
//!   on: [permission, waiting]   # also: done, error
//!   remotes: false              # a remote becoming unavailable or coming back
//!   bell: true                  # the terminal bell
//!   desktop: true               # true (terminal + system) | terminal | system | false
//!   osc: auto                   # auto | 777 | 9 | both: the terminal's escape sequence
//!   title: true                 # the window / pane title: "navi (2 need you)"
//!   sound: true                 # ~/.config/navi/sounds.yaml (the Go navi's), when enabled there;
//!                               # its `triggers` (not `on`) pick the statuses that sound
//!   command: [notify.sh, --from-navi]   # run with NAVI_* in its environment
//!   webhooks:                   # POST to each URL (see crate::notify::webhook::config)
//!     - {url_env: NAVI_NTFY_URL, template: ntfy}
//! ```
//!
//! Every key is optional; a wrong one costs only itself and is named `notify.KEY`.

use std::collections::BTreeSet;
use std::path::Path;

use serde_yaml::Value;

use super::webhook::config::{SecretSources, Webhook};

/// The keys of `notify:`, for "did you mean" hints.
pub const KEYS: &[&str] = &[
    "on", "remotes", "bell", "desktop", "osc", "title", "sound", "command", "webhooks",
];

/// The statuses `on:` may name.
pub const STATUSES: &[&str] = &["permission", "waiting", "done", "error"];

/// Where a desktop notification goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Desktop {
    /// Through the terminal (OSC) and the system's notifier (notify-send, osascript).
    #[default]
    Both,
    /// Only through the terminal's escape sequence.
    Terminal,
    /// Only through notify-send / osascript.
    System,
    /// Nowhere.
    Off,
}

/// Which terminal escape sequence carries a desktop notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OscFlavour {
    /// OSC 9 for iTerm2, OSC 777 elsewhere (terminals that know both show one).
    #[default]
    Auto,
    /// `ESC ] 777 ; notify ; TITLE ; BODY BEL` (foot, Ghostty, WezTerm, VTE, kitty, urxvt).
    Osc777,
    /// `ESC ] 9 ; BODY BEL` (iTerm2, Windows Terminal, Ghostty, WezTerm, kitty).
    Osc9,
    /// Both sequences.
    Both,
}

/// What `notify:` chose; defaults for everything it does not set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifySettings {
    /// Statuses whose arrival notifies (of [`STATUSES`]).
    pub on: BTreeSet<&'static str>,
    /// A remote going away or coming back notifies.
    pub remotes: bool,
    /// The terminal bell.
    pub bell: bool,
    /// Desktop notifications.
    pub desktop: Desktop,
    /// The terminal's notification sequence.
    pub osc: OscFlavour,
    /// The window / pane title shows how many sessions need you.
    pub title: bool,
    /// Sounds of sounds.yaml.
    pub sound: bool,
    /// A command run on every notification (argv, never a shell line).
    pub command: Vec<String>,
    /// Webhooks posted to on every notification, their secrets read.
    pub webhooks: Vec<Webhook>,
}

impl Default for NotifySettings {
    fn default() -> Self {
        NotifySettings {
            on: ["permission", "waiting"].into_iter().collect(),
            remotes: false,
            bell: true,
            desktop: Desktop::Both,
            osc: OscFlavour::Auto,
            title: true,
            sound: true,
            command: Vec::new(),
            webhooks: Vec::new(),
        }
    }
}

impl NotifySettings {
    /// The transitions the watcher reports.
    pub fn triggers(&self) -> navi_core::events::Triggers {
        navi_core::events::Triggers {
            statuses: self
                .on
                .iter()
                .copied()
                .map(navi_core::Status::from_hook)
                .collect(),
            remotes: self.remotes,
            per_session: navi_core::limits::NOTIFY_PER_SESSION,
        }
    }

    /// Applies the `notify:` mapping of config.yaml `file`; each problem is `(key,
    /// message)`, the key as `notify.KEY` (or `notify` for the whole section,
    /// `notify.webhooks[N].KEY` for a webhook's).
    pub fn apply(&mut self, value: &Value, file: &Path) -> Vec<(String, String)> {
        let map = match value {
            Value::Mapping(m) => m,
            Value::Null => return Vec::new(),
            other => {
                return vec![(
                    "notify".into(),
                    format!(
                        "expected `key: value` lines (e.g. `bell: false`), found {}; ignored",
                        crate::config::values::describe(other)
                    ),
                )]
            }
        };
        let mut errors = Vec::new();
        for (key, value) in map {
            let Some(key) = key.as_str() else {
                errors.push((
                    "notify".into(),
                    format!("a key that is not text ({key:?}) is ignored"),
                ));
                continue;
            };
            if key == "webhooks" {
                let env = |k: &str| std::env::var(k).ok();
                let base = file.parent().unwrap_or(Path::new(""));
                let sources = SecretSources { env: &env, base };
                let (hooks, problems) = super::webhook::config::parse(value, &sources);
                self.webhooks = hooks;
                errors.extend(problems);
                continue;
            }
            if let Err(message) = self.apply_key(key, value) {
                let key = navi_core::text::sanitize(key);
                errors.push((format!("notify.{key}"), message));
            }
        }
        errors
    }

    fn apply_key(&mut self, key: &str, value: &Value) -> Result<(), String> {
        match key {
            "on" => self.on = statuses(value)?,
            "remotes" => self.remotes = boolean(value)?,
            "bell" => self.bell = boolean(value)?,
            "title" => self.title = boolean(value)?,
            "sound" => self.sound = boolean(value)?,
            "desktop" => self.desktop = desktop(value)?,
            "osc" => self.osc = osc(value)?,
            "command" => self.command = command(value)?,
            other => return Err(crate::config::values::unknown_key(other, KEYS)),
        }
        Ok(())
    }
}

fn boolean(value: &Value) -> Result<bool, String> {
    match value {
        Value::Bool(b) => Ok(*b),
        other => Err(format!(
            "expected true or false, found {}; ignored",
            crate::config::values::describe(other)
        )),
    }
}

fn statuses(value: &Value) -> Result<BTreeSet<&'static str>, String> {
    let words: Vec<&Value> = match value {
        Value::Sequence(items) => items.iter().collect(),
        Value::String(_) => vec![value],
        other => {
            return Err(format!(
                "expected a list of statuses (e.g. [permission, waiting]), found {}; ignored",
                crate::config::values::describe(other)
            ))
        }
    };
    let mut set = BTreeSet::new();
    for word in words {
        let found = word
            .as_str()
            .and_then(|w| STATUSES.iter().find(|s| **s == w.trim()));
        match found {
            Some(s) => {
                set.insert(*s);
            }
            None => {
                return Err(format!(
                    "{} is not one of {}; ignored",
                    crate::config::values::describe(word),
                    STATUSES.join(", ")
                ))
            }
        }
    }
    Ok(set)
}

fn desktop(value: &Value) -> Result<Desktop, String> {
    match value {
        Value::Bool(true) => Ok(Desktop::Both),
        Value::Bool(false) => Ok(Desktop::Off),
        Value::String(s) if s.trim() == "terminal" => Ok(Desktop::Terminal),
        Value::String(s) if s.trim() == "system" => Ok(Desktop::System),
        other => Err(format!(
            "expected true, false, terminal or system, found {}; ignored",
            crate::config::values::describe(other)
        )),
    }
}

fn osc(value: &Value) -> Result<OscFlavour, String> {
    let word = match value {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_string(),
        other => crate::config::values::describe(other),
    };
    match word.as_str() {
        "auto" => Ok(OscFlavour::Auto),
        "777" => Ok(OscFlavour::Osc777),
        "9" => Ok(OscFlavour::Osc9),
        "both" => Ok(OscFlavour::Both),
        _ => Err(format!(
            "expected auto, 777, 9 or both, found {}; ignored",
            crate::config::values::describe(value)
        )),
    }
}

/// A program and its arguments, each a separate word; never a shell line.
fn command(value: &Value) -> Result<Vec<String>, String> {
    let argv: Vec<String> = match value {
        Value::Sequence(items) => {
            let mut argv = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Value::String(s) => argv.push(s.clone()),
                    Value::Number(n) => argv.push(n.to_string()),
                    other => {
                        return Err(format!(
                            "every argument must be text, found {}; ignored",
                            crate::config::values::describe(other)
                        ))
                    }
                }
            }
            argv
        }
        Value::String(s) if !s.trim().is_empty() && !s.contains(char::is_whitespace) => {
            vec![s.clone()]
        }
        Value::String(_) => {
            return Err(
                "expected a list of arguments (e.g. [notify.sh, --urgent]), not a shell line; \
                 ignored"
                    .into(),
            )
        }
        other => {
            return Err(format!(
                "expected a list of arguments (e.g. [notify.sh, --urgent]), found {}; ignored",
                crate::config::values::describe(other)
            ))
        }
    };
    match argv.first() {
        Some(program) if !program.trim().is_empty() => Ok(argv),
        _ => Err("the command is empty; ignored".into()),
    }
}
